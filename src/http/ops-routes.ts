// Unauthenticated probes for load balancers and Prometheus: /healthz (the process
// answers), /readyz (some identity can take a request now), /metrics.

import type { GatewayMetrics } from '../ops/metrics.ts';
import { poolReadiness } from '../ops/identity-view.ts';
import type { IdentityPool } from '../pool/identity-pool.ts';
import { jsonResponse } from './responses.ts';

export function healthz(): Response {
  return jsonResponse({ status: 'ok' });
}

export function readyz(pool: IdentityPool, draining: boolean): Response {
  const { ready, states } = poolReadiness(pool.list(), Date.now());
  const status = draining ? 'stopping' : ready ? 'ready' : 'no_identity_available';
  return jsonResponse({ status, identities: states, queueDepth: pool.queueDepth }, ready && !draining ? 200 : 503);
}

export async function metricsResponse(metrics: GatewayMetrics): Promise<Response> {
  return new Response(await metrics.render(), { headers: { 'Content-Type': metrics.contentType, 'Cache-Control': 'no-store' } });
}
