// An identity as operators see it (admin API, dashboard): state and why, load, counters,
// last error. Cookies never appear; a proxy's user name and password are masked.

import { redactProxy } from '../pool/accounts-file.ts';
import { HEALTH_KINDS } from '../pool/health.ts';
import type { PoolMember } from '../pool/pool-member.ts';

export interface IdentityView {
  id: string;
  enabled: boolean;
  state: string;
  reason: string;
  since: number;
  cooldownRemainingMs: number | null;
  inFlight: number;
  maxConcurrent: number;
  rpm: number;
  requests: number;
  successes: number;
  failures: Record<string, number>;
  latencyAvgMs: number | null;
  nonceAgeMs: number | null;
  lastError: { kind: string; detail: string; at: number } | null;
  proxy: string | null;
}

const SHORT = 200;

/** `credentialAgeMs`: the provider's word on how old the identity's credentials are (shown as nonceAgeMs). */
export function identityView(member: PoolMember<unknown>, now: number, credentialAgeMs: number | null): IdentityView {
  const { state } = member.health;
  const { counters } = member;
  return {
    id: member.id,
    enabled: member.config.enabled && state.kind !== 'disabled',
    state: state.kind,
    reason: state.reason,
    since: state.since,
    cooldownRemainingMs: 'until' in state ? Math.max(0, state.until - now) : null,
    inFlight: member.inFlight,
    maxConcurrent: member.config.maxConcurrent,
    rpm: member.config.rpm,
    requests: counters.requests,
    successes: counters.successes,
    failures: { ...counters.failures },
    latencyAvgMs: counters.successes > 0 ? Math.round(counters.successLatencyMs / counters.successes) : null,
    nonceAgeMs: credentialAgeMs,
    lastError: member.lastError && { ...member.lastError, detail: member.lastError.detail.slice(0, SHORT) },
    proxy: redactProxy(member.config.proxy),
  };
}

/** How many identities are in each state, and whether any can take a request now. */
export function poolReadiness(members: readonly PoolMember<unknown>[], now: number): { ready: boolean; states: Record<string, number> } {
  const states: Record<string, number> = Object.fromEntries(HEALTH_KINDS.map((kind) => [kind, 0]));
  let ready = false;
  for (const m of members) {
    if (m.removed) continue;
    states[m.health.state.kind] = (states[m.health.state.kind] ?? 0) + 1;
    if (m.health.isAvailable(now)) ready = true;
  }
  return { ready, states };
}
