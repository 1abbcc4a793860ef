// Upstream outcomes the pool and failover unit tests script the fake provider with.

import type { UpstreamOutcome } from '../../src/providers/outcome.ts';

export const OK: UpstreamOutcome = { kind: 'ok', message: 'hi' };
export const FAULT: UpstreamOutcome = { kind: 'transient', detail: 'HTTP 502', timedOut: false };
export const TIMED_OUT: UpstreamOutcome = { kind: 'transient', detail: 'timed out', timedOut: true };
export const CHALLENGED: UpstreamOutcome = { kind: 'challenged', detail: 'Cloudflare challenge' };
export const limited = (retryAfterMs: number | null): UpstreamOutcome => ({ kind: 'rate_limited', retryAfterMs, detail: 'HTTP 429' });
