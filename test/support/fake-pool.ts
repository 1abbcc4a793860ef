// An IdentityPool over the fake provider on the fake clock: health without jitter, a queue of
// 10 that waits up to 30 s. Options given replace those defaults.

import { DEFAULT_HEALTH_POLICY } from '../../src/pool/health.ts';
import { IdentityPool, type PoolOptions } from '../../src/pool/identity-pool.ts';
import type { FakeClock } from './fake-clock.ts';
import type { FakeIdentity, FakeProvider } from './fake-provider.ts';

type FakePoolOptions = Pick<PoolOptions<FakeIdentity>, 'identities'> & Partial<PoolOptions<FakeIdentity>>;

export function fakePool(provider: FakeProvider, clock: FakeClock, options: FakePoolOptions): IdentityPool<FakeIdentity> {
  return new IdentityPool<FakeIdentity>({
    states: provider,
    policy: { ...DEFAULT_HEALTH_POLICY, random: () => 0.5 },
    queueMax: 10,
    queueTimeoutMs: 30_000,
    now: clock.now,
    timers: clock.timers,
    ...options,
  });
}
