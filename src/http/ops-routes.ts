// Routes without a key, for people and machines looking after the gateway: / (what this
// is), /healthz (the process answers), /readyz (some identity can take a request now and
// the database accepts writes), /metrics (Prometheus), /docs (the API description).

import type { GatewayMetrics } from '../ops/metrics.ts';
import { poolReadiness } from '../ops/identity-view.ts';
import type { IdentityPool } from '../pool/identity-pool.ts';
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
}

const ENDPOINTS = ['/v1/models', '/v1/chat/completions', '/v1/sessions/{id}', '/healthz', '/readyz', '/metrics', '/dashboard', '/admin/…'];

export const operatorRoutes = (deps: OperatorRouteDeps) => {
  const docs = docsResponses(deps.models.models);
  return (app: GatewayApp) =>
    app
      .get('/', () => jsonResponse({ name: 'kimi-gateway', version: VERSION, docs: '/docs', endpoints: ENDPOINTS }))
      .get('/healthz', () => jsonResponse({ status: 'ok' }))
      .get('/readyz', () => readyz(deps.pool, deps.isDraining(), deps.storageStatus()))
      .get('/metrics', async () => new Response(await deps.metrics.render(), { headers: { 'Content-Type': deps.metrics.contentType, 'Cache-Control': 'no-store' } }))
      .get('/docs', docs.page)
      .get('/docs/openapi.json', docs.document);
};

function readyz(pool: IdentityPool<unknown>, draining: boolean, storage: StorageStatus): Response {
  const { ready, states } = poolReadiness(pool.list(), Date.now());
  const status = draining ? 'stopping' : !storage.ok ? 'storage_unavailable' : ready ? 'ready' : 'no_identity_available';
  // The reason is SQLite's (e.g. "database or disk is full"); the file's path stays in the log.
  const storageBody = storage.ok ? { status: 'ok' } : { status: 'failing', reason: storage.reason, code: storage.code, since: storage.since };
  return jsonResponse({ status, identities: states, queueDepth: pool.queueDepth, storage: storageBody }, status === 'ready' ? 200 : 503);
}
