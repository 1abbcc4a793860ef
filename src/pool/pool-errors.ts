// Why no identity could take a request: identities_busy with the soonest recovery when
// identities are only cooling, busy or pacing, no_identity_available when none can serve at all.

import { GatewayError } from '../errors.ts';
import { retryAfterSeconds } from '../providers/retry-after.ts';
import type { PoolMember } from './pool-member.ts';

export function noIdentityError(members: readonly PoolMember[], now: number, why: 'queue_full' | 'wait_timeout'): GatewayError {
  const live = members.filter((m) => !m.removed);
  const counts = new Map<string, number>();
  for (const m of live) {
    const kind = m.health.isAvailable(now) ? limitKind(m, now) : m.health.state.kind;
    counts.set(kind, (counts.get(kind) ?? 0) + 1);
  }
  const summary = [...counts].map(([kind, n]) => `${n} ${kind}`).join(', ');
  const lead = why === 'queue_full' ? 'The request queue is full' : 'No identity freed up in time';
  const out = live.every((m) => m.health.state.kind === 'challenged' || m.health.state.kind === 'disabled');
  if (out) {
    return new GatewayError(
      'no_identity_available',
      `No upstream identity can serve: every identity is challenged by Cloudflare or disabled (${summary}). The operator must refresh cookies or enable identities.`,
    );
  }
  const soonest = live.map((m) => m.eligibleByTimeAt(now)).filter((t): t is number => t !== null).reduce((a, b) => Math.min(a, b), Infinity);
  const seconds = Number.isFinite(soonest) ? retryAfterSeconds(soonest - now) : 1;
  return new GatewayError('identities_busy', `${lead}: all upstream identities are cooling down or busy (${summary}). Retry after ${seconds} s.`, {
    retryAfterSeconds: seconds,
  });
}

/** Why an identity whose health lets it serve is not taking a request now. */
function limitKind(m: PoolMember, now: number): string {
  if (!m.window.hasRoom(now)) return 'at its rpm limit';
  if (m.inFlight < m.config.maxConcurrent && m.nextStartAt() > now) return 'pacing';
  return 'busy';
}
