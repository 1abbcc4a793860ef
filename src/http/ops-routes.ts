// Unauthenticated probes for load balancers and Prometheus: /healthz (the process
// answers), /readyz (some identity can take a request now and the database accepts
// writes), /metrics.

import type { GatewayMetrics } from '../ops/metrics.ts';
import { poolReadiness } from '../ops/identity-view.ts';
import type { IdentityPool } from '../pool/identity-pool.ts';
import type { StorageStatus } from '../store/storage-health.ts';
import { jsonResponse } from './responses.ts';

export function healthz(): Response {
  return jsonResponse({ status: 'ok' });
}

export function readyz(pool: IdentityPool, draining: boolean, storage: StorageStatus): Response {
  const { ready, states } = poolReadiness(pool.list(), Date.now());
  const status = draining ? 'stopping' : !storage.ok ? 'storage_unavailable' : ready ? 'ready' : 'no_identity_available';
  // The reason is SQLite's (e.g. "database or disk is full"); the file's path stays in the log.
  const storageBody = storage.ok ? { status: 'ok' } : { status: 'failing', reason: storage.reason, code: storage.code, since: storage.since };
  return jsonResponse({ status, identities: states, queueDepth: pool.queueDepth, storage: storageBody }, status === 'ready' ? 200 : 503);
}

export async function metricsResponse(metrics: GatewayMetrics): Promise<Response> {
  return new Response(await metrics.render(), { headers: { 'Content-Type': metrics.contentType, 'Cache-Control': 'no-store' } });
}
