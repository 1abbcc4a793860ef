// The operator's API under /admin (and the dashboard page): its own key, ADMIN_KEY, sent
// as a Bearer token or as HTTP Basic's password (what a browser sends for /dashboard).
// Without ADMIN_KEY all of it is off. Nothing here shows cookies, keys or proxy passwords.

import { clientText, GatewayError, invalidRequest, notFound } from '../../errors.ts';
import type { ActivityFeed } from '../../ops/activity-feed.ts';
import { identityView } from '../../ops/identity-view.ts';
import type { IdentityPool } from '../../pool/identity-pool.ts';
import type { SessionService } from '../../sessions/session-service.ts';
import type { KimiClient } from '../../upstream/kimi-client.ts';
import { outcomeDetail, type UpstreamOutcome } from '../../upstream/outcome.ts';
import { newUpstreamSessionId } from '../../upstream/session-id.ts';
import { bearerFromHeader, createKeyCheck, type KeyCheck } from '../auth.ts';
import { dashboardPage } from '../pages/pages.ts';
import { jsonResponse } from '../responses.ts';

export interface AdminDeps {
  adminKey: string | null;
  pool: IdentityPool;
  client: KimiClient;
  sessions: SessionService;
  activity: ActivityFeed;
  reloadAccounts: () => Promise<{ ok: true; added: string[]; removed: string[]; kept: string[] } | { ok: false; error: string }>;
  probeTimeoutMs: number;
  upstreamModel: string;
}

export type IdentityAction = 'disable' | 'enable' | 'refresh' | 'probe';
export const IDENTITY_ACTIONS: readonly IdentityAction[] = ['disable', 'enable', 'refresh', 'probe'];

const BASIC_CHALLENGE = { 'WWW-Authenticate': 'Basic realm="kimi-gateway admin", charset="UTF-8"' };

export class AdminApi {
  private readonly checkKey: KeyCheck | null;

  constructor(private readonly deps: AdminDeps) {
    this.checkKey = deps.adminKey ? createKeyCheck([deps.adminKey]) : null;
  }

  /** Throws 404 when the admin API is off, 401 (with a Basic challenge) without the admin key. */
  authorize(request: Request): void {
    if (!this.checkKey) {
      throw notFound('The admin API and dashboard are off: start the gateway with ADMIN_KEY (or --admin-key) to use them.', 'admin_disabled');
    }
    const authorization = request.headers.get('authorization');
    try {
      this.checkKey(adminToken(authorization));
    } catch (error) {
      if (!(error instanceof GatewayError)) throw error;
      throw new GatewayError({
        status: 401,
        type: 'authentication_error',
        message: 'This needs the admin key (ADMIN_KEY): send it as "Authorization: Bearer <key>", or as the password of HTTP Basic auth.',
        errorCode: 'invalid_admin_key',
        headers: BASIC_CHALLENGE,
      });
    }
    // A browser re-sends Basic credentials on any request to this host, forms posted by
    // other sites included: actions authenticated that way must come from this origin.
    if (/^basic\s/i.test(authorization ?? '') && request.method !== 'GET' && request.method !== 'HEAD' && isCrossSite(request)) {
      throw new GatewayError({
        status: 403,
        type: 'invalid_request_error',
        message: 'Admin actions with browser credentials must come from the dashboard itself (cross-site request refused).',
        errorCode: 'cross_site_request',
      });
    }
  }

  dashboard(): Response {
    return dashboardPage();
  }

  identities(): Response {
    const now = Date.now();
    return jsonResponse({ now, queueDepth: this.deps.pool.queueDepth, identities: this.deps.pool.list().filter((m) => !m.removed).map((m) => identityView(m, now)) });
  }

  async identityAction(id: string, action: string): Promise<Response> {
    const { pool, client } = this.deps;
    const member = pool.list().find((m) => m.id === id && !m.removed);
    if (!member) throw notFound(`No identity ${clientText(id)} in the pool. GET /admin/identities lists them.`, 'identity_not_found');
    const reply = (ok: boolean, message: string) => jsonResponse({ id, action, ok, message, identity: identityView(member, Date.now()) });

    switch (action) {
      case 'disable':
        pool.disable(id);
        return reply(true, 'disabled: takes no new requests until enabled');
      case 'enable':
        pool.enable(id);
        return reply(true, 'enabled: back in rotation, its failure history forgotten');
      case 'refresh': {
        const started = performance.now();
        const result = await client.refreshNonce(member.upstream);
        const ms = Math.round(performance.now() - started);
        return result.ok ? reply(true, `chat page fetched, new nonce in ${ms} ms`) : reply(false, `refresh failed: ${describe(result.outcome)}`);
      }
      case 'probe':
        return this.probe(id, reply);
      default:
        throw notFound(`Unknown action ${clientText(action)}. Use one of: ${IDENTITY_ACTIONS.join(', ')}.`, 'unknown_action');
    }
  }

  async reload(): Promise<Response> {
    const result = await this.deps.reloadAccounts();
    if (!result.ok) throw invalidRequest(`The account file was refused and the running pool kept: ${result.error}`, null, 'accounts_refused');
    return jsonResponse(result);
  }

  sessions(url: URL): Response {
    const limit = pageParam(url, 'limit', 50, 1, 500);
    const offset = pageParam(url, 'offset', 0, 0, Number.MAX_SAFE_INTEGER);
    const page = this.deps.sessions.list(limit, offset);
    const total = this.deps.sessions.liveCount();
    return jsonResponse({ object: 'list', total, limit, offset, data: page, has_more: offset + page.length < total });
  }

  deleteSession(id: string, url: URL): Response {
    const owner = url.searchParams.get('owner');
    const deleted = this.deps.sessions.deleteAnyOwner(id, owner);
    if (deleted === 0) throw notFound(`No session ${clientText(id)}${owner ? ` of ${clientText(owner)}` : ''}.`, 'session_not_found');
    return jsonResponse({ id, object: 'session.deleted', deleted: true, count: deleted });
  }

  activity(url: URL): Response {
    const minutes = pageParam(url, 'minutes', 15, 1, Math.floor(this.deps.activity.windowMs / 60_000));
    return jsonResponse(this.deps.activity.snapshot(minutes));
  }

  /** One tiny message through this identity now, outside the scheduler; its outcome counts like any other. */
  private async probe(id: string, reply: (ok: boolean, message: string) => Response): Promise<Response> {
    const { pool, client } = this.deps;
    const lease = pool.leaseForProbe(id);
    if (!lease) throw notFound(`No identity ${clientText(id)} in the pool.`, 'identity_not_found');
    const started = performance.now();
    const { outcome } = await client.send(lease.identity, {
      prompt: 'ping',
      upstreamModel: this.deps.upstreamModel,
      sessionId: newUpstreamSessionId(),
      signal: AbortSignal.timeout(this.deps.probeTimeoutMs),
      timeoutMs: this.deps.probeTimeoutMs,
      mayRetry: lease.takeExtraCall,
    });
    const latencyMs = Math.round(performance.now() - started);
    pool.release(lease, { outcome, latencyMs, timeoutCounts: true });
    return outcome.kind === 'ok' ? reply(true, `probe answered in ${latencyMs} ms`) : reply(false, `probe failed after ${latencyMs} ms: ${describe(outcome)}`);
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
