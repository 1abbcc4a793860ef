// The operator's API under /admin (and the dashboard page): its own key, ADMIN_KEY, sent
// as a Bearer token or as HTTP Basic's password (what a browser sends for /dashboard).
// Without ADMIN_KEY all of it is off. Nothing here shows cookies, keys or proxy passwords.

import type { CanaryView } from '../../chat/canary/site-canary.ts';
import type { Failover } from '../../chat/failover.ts';
import { clientText, GatewayError, invalidRequest } from '../../errors.ts';
import type { ActivityFeed } from '../../ops/activity-feed.ts';
import { identityView } from '../../ops/identity-view.ts';
import type { IdentityPool } from '../../pool/identity-pool.ts';
import type { PoolMember } from '../../pool/pool-member.ts';
import { outcomeDetail, type UpstreamOutcome } from '../../providers/outcome.ts';
import type { Provider } from '../../providers/provider.ts';
import type { SessionService } from '../../sessions/session-service.ts';
import { bearerFromHeader, createKeyCheck, type KeyCheck } from '../auth.ts';
import { dashboardPage } from '../pages/pages.ts';
import { jsonResponse } from '../responses.ts';
import { IdentityEditor, type IdentityEditorDeps } from './identity-editor.ts';

export interface AdminDeps extends IdentityEditorDeps {
  adminKey: string | null;
  provider: Provider<unknown>;
  pool: IdentityPool<unknown>;
  failover: Failover<unknown>;
  sessions: SessionService;
  activity: ActivityFeed;
  reloadAccounts: () => Promise<{ ok: true; added: string[]; removed: string[]; kept: string[] } | { ok: false; error: string }>;
  probeTimeoutMs: number;
  /** The site canary as operators see it (GET /admin/canary, the dashboard's banner). */
  siteCanary: () => CanaryView;
}

export type IdentityAction = 'disable' | 'enable' | 'refresh' | 'probe';
export const IDENTITY_ACTIONS: readonly IdentityAction[] = ['disable', 'enable', 'refresh', 'probe'];

export class AdminApi {
  private readonly checkKey: KeyCheck | null;
  /** Add, change, remove and probe identities (GET/POST/PATCH/DELETE /admin/identities…). */
  readonly edits: IdentityEditor;

  constructor(private readonly deps: AdminDeps) {
    this.checkKey = deps.adminKey ? createKeyCheck([deps.adminKey]) : null;
    this.edits = new IdentityEditor(deps);
  }

  /** Throws 404 when the admin API is off, 401 (with a Basic challenge) without the admin key. */
  authorize(request: Request): void {
    if (!this.checkKey) {
      throw new GatewayError('admin_disabled', 'The admin API and dashboard are off: start the gateway with ADMIN_KEY (or --admin-key) to use them.');
    }
    const authorization = request.headers.get('authorization');
    try {
      this.checkKey(adminToken(authorization));
    } catch (error) {
      if (!(error instanceof GatewayError)) throw error;
      throw new GatewayError(
        'invalid_admin_key',
        'This needs the admin key (ADMIN_KEY): send it as "Authorization: Bearer <key>", or as the password of HTTP Basic auth.',
      );
    }
    // A browser re-sends Basic credentials on any request to this host, forms posted by
    // other sites included: actions authenticated that way must come from this origin.
    if (/^basic\s/i.test(authorization ?? '') && request.method !== 'GET' && request.method !== 'HEAD' && isCrossSite(request)) {
      throw new GatewayError('cross_site_request', 'Admin actions with browser credentials must come from the dashboard itself (cross-site request refused).');
    }
  }

  dashboard(): Response {
    return dashboardPage();
  }

  identities(): Response {
    const now = Date.now();
    const identities = this.deps.pool.list().filter((m) => !m.removed).map((m) => this.view(m, now));
    return jsonResponse({ now, queueDepth: this.deps.pool.queueDepth, identities });
  }

  async identityAction(id: string, action: string): Promise<Response> {
    const { pool, provider } = this.deps;
    const member = pool.list().find((m) => m.id === id && !m.removed);
    if (!member) throw new GatewayError('identity_not_found', `No identity ${clientText(id)} in the pool. GET /admin/identities lists them.`);
    const reply = (ok: boolean, message: string) => jsonResponse({ id, action, ok, message, identity: this.view(member, Date.now()) });

    switch (action) {
      case 'disable':
        pool.disable(id);
        return reply(true, 'disabled: takes no new requests until enabled');
      case 'enable':
        pool.enable(id);
        return reply(true, 'enabled: back in rotation, its failure history forgotten');
      case 'refresh': {
        const started = performance.now();
        const result = await provider.refresh(member.state);
        if (result.ok) pool.stateChanged(id);
        const ms = Math.round(performance.now() - started);
        return result.ok ? reply(true, `credentials fetched from ${provider.site} in ${ms} ms`) : reply(false, `refresh failed: ${describe(result.outcome)}`);
      }
      case 'probe': {
        const result = await this.deps.failover.probe(id, this.deps.probeTimeoutMs);
        if (!result) throw new GatewayError('identity_not_found', `No identity ${clientText(id)} in the pool.`);
        const ms = Math.round(result.latencyMs);
        return result.outcome.kind === 'ok' ? reply(true, `probe answered in ${ms} ms`) : reply(false, `probe failed after ${ms} ms: ${describe(result.outcome)}`);
      }
      default:
        throw new GatewayError('unknown_action', `Unknown action ${clientText(action)}. Use one of: ${IDENTITY_ACTIONS.join(', ')}.`);
    }
  }

  async reload(): Promise<Response> {
    const result = await this.deps.reloadAccounts();
    if (!result.ok) throw new GatewayError('accounts_refused', `The account file was refused and the running pool kept: ${result.error}`);
    return jsonResponse(result);
  }

  async sessions(url: URL): Promise<Response> {
    const limit = pageParam(url, 'limit', 50, 1, 500);
    const offset = pageParam(url, 'offset', 0, 0, Number.MAX_SAFE_INTEGER);
    const page = await this.deps.sessions.list(limit, offset);
    const total = await this.deps.sessions.liveCount();
    return jsonResponse({ object: 'list', total, limit, offset, data: page, has_more: offset + page.length < total });
  }

  async deleteSession(id: string, url: URL): Promise<Response> {
    const owner = url.searchParams.get('owner');
    const deleted = await this.deps.sessions.deleteAnyOwner(id, owner);
    if (deleted === 0) throw new GatewayError('session_not_found', `No session ${clientText(id)}${owner ? ` of ${clientText(owner)}` : ''}.`);
    return jsonResponse({ id, object: 'session.deleted', deleted: true, count: deleted });
  }

  /** The site canary: state and why, the last run (page check, round trip), counts by result. */
  canary(): Response {
    return jsonResponse({ now: Date.now(), ...this.deps.siteCanary() });
  }

  activity(url: URL): Response {
    const minutes = pageParam(url, 'minutes', 15, 1, Math.floor(this.deps.activity.windowMs / 60_000));
    return jsonResponse(this.deps.activity.snapshot(minutes));
  }

  private view(member: PoolMember<unknown>, now: number) {
    return identityView(member, now, this.deps.provider.credentialAgeMs(member.state, now));
  }
}

/** A Bearer token, or the password of HTTP Basic auth (what a browser sends). */
function adminToken(authorization: string | null): string | undefined {
  const basic = /^basic\s+(\S+)$/i.exec(authorization?.trim() ?? '');
  if (!basic) return bearerFromHeader(authorization);
  const decoded = Buffer.from(basic[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon === -1 ? undefined : decoded.slice(colon + 1);
}

function isCrossSite(request: Request): boolean {
  const site = request.headers.get('sec-fetch-site');
  if (site === 'cross-site' || site === 'same-site') return true;
  const origin = request.headers.get('origin');
  return origin !== null && origin !== new URL(request.url).origin;
}

function describe(outcome: UpstreamOutcome): string {
  const text = outcomeDetail(outcome);
  return text ? `${outcome.kind}: ${text.slice(0, 200)}` : outcome.kind;
}

function pageParam(url: URL, name: string, fallback: number, min: number, max: number): number {
  const raw = url.searchParams.get(name);
  if (raw === null || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw invalidRequest(`Query parameter "${name}" must be a whole number from ${min} to ${max}.`, name);
  return n;
}
