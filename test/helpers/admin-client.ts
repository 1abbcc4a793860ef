// The operator's view of a gateway under test, over its real admin API (ADMIN_KEY), so
// tests act on the pool and read sessions the same way against the source and the binary.

import type { IdentityView } from '../../src/ops/identity-view.ts';
import type { SessionSummary } from '../../src/sessions/session-repo.ts';

export interface IdentitySnapshot extends IdentityView {
  /** End of a cooldown as the gateway's clock has it (its `now` + cooldownRemainingMs); null when not cooling. */
  until: number | null;
}

export interface ActionResult {
  id: string;
  action: string;
  ok: boolean;
  message: string;
  identity: IdentityView;
}

export type ReloadResult = { ok: true; added: string[]; removed: string[]; kept: string[] } | { ok: false; error: string };

export interface SessionsPage {
  total: number;
  limit: number;
  offset: number;
  data: SessionSummary[];
  has_more: boolean;
}

export interface AdminClient {
  /** GET /admin/identities: every identity in the pool, in pool order. */
  identities(): Promise<IdentitySnapshot[]>;
  /** One identity; throws when the pool has none by that id. */
  identity(id: string): Promise<IdentitySnapshot>;
  enable(id: string): Promise<ActionResult>;
  disable(id: string): Promise<ActionResult>;
  refresh(id: string): Promise<ActionResult>;
  probe(id: string): Promise<ActionResult>;
  /** POST /admin/reload; a refused file is { ok: false, error } with the gateway's message. */
  reload(): Promise<ReloadResult>;
  /** GET /admin/sessions: live sessions (expired ones are not counted). */
  sessions(query?: { limit?: number; offset?: number }): Promise<SessionsPage>;
}

export function adminClient(baseUrl: () => string, adminKey: string | null): AdminClient {
  const request = async <T>(method: string, path: string): Promise<{ status: number; body: T }> => {
    if (!adminKey) throw new Error('h.admin needs the admin API: this harness was started with ADMIN_KEY unset.');
    const res = await fetch(`${baseUrl()}${path}`, { method, headers: { authorization: `Bearer ${adminKey}` } });
    const text = await res.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new Error(`${method} ${path}: ${res.status}, not JSON: ${text.slice(0, 300)}`);
    }
    return { status: res.status, body: body as T };
  };
  const ok = async <T>(method: string, path: string): Promise<T> => {
    const { status, body } = await request<T>(method, path);
    if (status !== 200) throw new Error(`${method} ${path}: ${status} ${JSON.stringify(body).slice(0, 300)}`);
    return body;
  };
  const identities = async (): Promise<IdentitySnapshot[]> => {
    const { now, identities: list } = await ok<{ now: number; identities: IdentityView[] }>('GET', '/admin/identities');
    return list.map((view) => ({ ...view, until: view.cooldownRemainingMs === null ? null : now + view.cooldownRemainingMs }));
  };
  const action = (id: string, name: string) => ok<ActionResult>('POST', `/admin/identities/${encodeURIComponent(id)}/${name}`);

  return {
    identities,
    async identity(id) {
      const found = (await identities()).find((i) => i.id === id);
      if (!found) throw new Error(`no identity "${id}" in GET /admin/identities`);
      return found;
    },
    enable: (id) => action(id, 'enable'),
    disable: (id) => action(id, 'disable'),
    refresh: (id) => action(id, 'refresh'),
    probe: (id) => action(id, 'probe'),
    async reload() {
      const { status, body } = await request<ReloadResult | { error: { code: string; message: string } }>('POST', '/admin/reload');
      if (status === 200) return body as ReloadResult;
      if (status === 400 && 'error' in body && typeof body.error === 'object' && body.error.code === 'accounts_refused') {
        return { ok: false, error: body.error.message };
      }
      throw new Error(`POST /admin/reload: ${status} ${JSON.stringify(body).slice(0, 300)}`);
    },
    sessions(query = {}) {
      const params = new URLSearchParams();
      if (query.limit !== undefined) params.set('limit', String(query.limit));
      if (query.offset !== undefined) params.set('offset', String(query.offset));
      return ok<SessionsPage>('GET', `/admin/sessions${params.size ? `?${params}` : ''}`);
    },
  };
}
