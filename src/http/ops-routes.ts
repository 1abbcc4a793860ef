// Routes without a key, for people and machines looking after the gateway: / (what this
// is), /healthz (the process answers), /readyz (some identity can take a request now, the
// database accepts writes and the site canary has not marked the site drift or down),
// /metrics (Prometheus), /docs (the API description).

import type { CanaryView } from '../chat/canary/site-canary.ts';
import type { GatewayMetrics } from '../ops/metrics.ts';
import { poolReadiness } from '../ops/identity-view.ts';
import type { IdentityPool } from '../pool/identity-pool.ts';
import type { SharedStatus } from '../store/redis/shared-state.ts';
import type { StorageStatus } from '../store/storage-health.ts';
import { VERSION } from '../version.ts';
import type { GatewayApp } from './app.ts';
import type { ModelCatalog } from '../conversation/model-catalog.ts';
import { docsResponses } from './docs/docs-route.ts';
import { jsonResponse } from './responses.ts';

export interface OperatorRouteDeps {
  pool: IdentityPool<unknown>;
  models: ModelCatalog;
  metrics: GatewayMetrics;
  /** True once shutdown began: /readyz answers 503 so balancers move away. */
  isDraining: () => boolean;
  /** Whether the database accepts writes: /readyz answers 503 while it does not. */
  storageStatus: () => StorageStatus;
  /** The site canary's view: /readyz answers 503 while it marks the site drift or down. */
  siteStatus: () => CanaryView;
  /** With REDIS_URL: whether the shared state answers; /readyz answers 503 while it does not. Null = one process. */
  sharedStatus: () => SharedStatus | null;
}

const ENDPOINTS = ['/v1/models', '/v1/chat/completions', '/v1/sessions/{id}', '/healthz', '/readyz', '/metrics', '/dashboard', '/admin/…'];

export const operatorRoutes = (deps: OperatorRouteDeps) => {
  const docs = docsResponses(deps.models.models);
  return (app: GatewayApp) =>
    app
      .get('/', () => jsonResponse({ name: 'kimi-gateway', version: VERSION, docs: '/docs', endpoints: ENDPOINTS }))
      .get('/healthz', () => jsonResponse({ status: 'ok' }))
      .get('/readyz', () => readyz(deps.pool, deps.isDraining(), deps.storageStatus(), deps.siteStatus(), deps.sharedStatus()))
      .get('/metrics', async () => new Response(await deps.metrics.render(), { headers: { 'Content-Type': deps.metrics.contentType, 'Cache-Control': 'no-store' } }))
      .get('/docs', docs.page)
      .get('/docs/openapi.json', docs.document);
};

function readyz(pool: IdentityPool<unknown>, draining: boolean, storage: StorageStatus, site: CanaryView, shared: SharedStatus | null): Response {
  const { ready, states } = poolReadiness(pool.list(), Date.now());
  const siteFailing = site.state === 'drift' || site.state === 'down' ? `site_${site.state}` : null;
  const status = draining
    ? 'stopping'
    : !storage.ok
      ? 'storage_unavailable'
      : shared && !shared.ok
        ? 'shared_state_unavailable'
        : (siteFailing ?? (ready ? 'ready' : 'no_identity_available'));
  // The reason is SQLite's (e.g. "database or disk is full"); the file's path stays in the log.
  const storageBody = storage.ok ? { status: 'ok' } : { status: 'failing', reason: storage.reason, code: storage.code, since: storage.since };
  // The excerpt of what the site sent and the identity of a round trip stay behind the admin key (GET /admin/canary).
  const siteBody = { state: site.state, reason: site.reason, since: site.since, lastRunAt: site.lastRun?.at ?? null };
  // Only whether Redis answers: its address and credentials stay in the log.
  const sharedBody = shared === null ? undefined : shared.ok ? { status: 'ok' } : { status: 'failing', reason: 'Redis does not answer', since: shared.since };
  const body = { status, identities: states, queueDepth: pool.queueDepth, storage: storageBody, site: siteBody, shared: sharedBody };
  return jsonResponse(body, status === 'ready' ? 200 : 503);
}
