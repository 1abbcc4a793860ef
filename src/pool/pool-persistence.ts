// Between a PoolMember and its stored row: the provider's identity state (cookies,
// credentials) and health survive restarts. Cookies given in the account file win over
// stored ones when the operator changed them.

import type { Provider } from '../providers/provider.ts';
import type { StoredIdentityState } from '../store/identity-state-repo.ts';
import { IdentityHealth, type HealthPolicy, type HealthSnapshot } from './health.ts';
import { transportOf, type IdentityConfig } from './identity-config.ts';
import { PoolMember } from './pool-member.ts';

/** What the pool needs of a provider: making, saving and versioning identity states. */
export type IdentityStates<S> = Pick<Provider<S>, 'createIdentity' | 'snapshot' | 'version'>;

export function seedHash(config: IdentityConfig): string {
  return new Bun.CryptoHasher('sha256').update(config.cookies ?? '').digest('hex').slice(0, 16);
}

export function restoreMember<S>(
  config: IdentityConfig,
  stored: StoredIdentityState | null,
  states: IdentityStates<S>,
  policy: HealthPolicy,
  now: number,
  outlierWindowMs?: number,
): PoolMember<S> {
  const sameSeed = stored !== null && stored.seedHash === seedHash(config);
  const state = states.createIdentity(transportOf(config), sameSeed ? (JSON.parse(stored.state) as unknown) : null);
  const health = new IdentityHealth(policy, now, stored ? (JSON.parse(stored.health) as HealthSnapshot) : undefined);
  if (stored && !sameSeed && health.state.kind === 'challenged') health.enable('new cookies in the account file', now);
  const member = new PoolMember(config, state, health, outlierWindowMs);
  member.savedVersion = states.version(state);
  return member;
}

export function snapshotForStore<S>(member: PoolMember<S>, states: IdentityStates<S>, now: number): StoredIdentityState {
  return {
    id: member.id,
    seedHash: seedHash(member.config),
    state: JSON.stringify(states.snapshot(member.state)),
    health: JSON.stringify(member.health.snapshot()),
    updatedAt: now,
  };
}
