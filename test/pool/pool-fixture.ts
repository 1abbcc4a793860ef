// An IdentityPool over the fake provider and a fake clock, for the pool's unit tests:
// no network, no real timers. Records every lease's clock time per identity.

import { DEFAULT_HEALTH_POLICY, type HealthPolicy } from '../../src/pool/health.ts';
import type { IdentityConfig } from '../../src/pool/identity-config.ts';
import { IdentityPool, type AcquireOptions, type Lease } from '../../src/pool/identity-pool.ts';
import type { OutlierPolicy } from '../../src/pool/outliers.ts';
import type { PoolEvent } from '../../src/pool/pool-events.ts';
import type { UpstreamOutcome } from '../../src/providers/outcome.ts';
import type { IdentityStateRepo } from '../../src/store/identity-state-repo.ts';
import { FakeClock } from '../support/fake-clock.ts';
import { FakeProvider, type FakeIdentity } from '../support/fake-provider.ts';
import { OK } from '../support/outcomes.ts';
import { seededRandom } from '../support/seeded-random.ts';

export { identity } from '../support/identities.ts';
export { CHALLENGED, FAULT, limited, OK } from '../support/outcomes.ts';
export { rejection } from '../support/rejection.ts';

export const policy: HealthPolicy = { ...DEFAULT_HEALTH_POLICY, random: () => 0.5 };
export const QUEUE_TIMEOUT_MS = 30_000;
const never = new AbortController().signal;

export interface Setup {
  clock?: FakeClock;
  repo?: IdentityStateRepo;
  queueMax?: number;
  queueTimeoutMs?: number;
  random?: () => number;
  /** Outlier policy; null = off; omitted = the pool's default. */
  outliers?: OutlierPolicy | null;
}

export function makePool(identities: IdentityConfig[], setup: Setup = {}) {
  const clock = setup.clock ?? new FakeClock();
  const provider = new FakeProvider();
  const pool = new IdentityPool<FakeIdentity>({
    identities,
    states: provider,
    policy,
    queueMax: setup.queueMax ?? 10,
    queueTimeoutMs: setup.queueTimeoutMs ?? QUEUE_TIMEOUT_MS,
    repo: setup.repo,
    now: clock.now,
    timers: clock.timers,
    random: setup.random ?? seededRandom(1),
    ...(setup.outliers !== undefined ? { outliers: setup.outliers } : {}),
  });
  const events: PoolEvent[] = [];
  /** The clock at each lease, in all and per identity. */
  const pickedAt: number[] = [];
  const startsOf = new Map<string, number[]>();
  pool.onEvent((e) => {
    events.push(e);
    if (e.type !== 'picked') return;
    pickedAt.push(clock.now());
    startsOf.set(e.id, [...(startsOf.get(e.id) ?? []), clock.now()]);
  });
  const acquire = (options: Partial<AcquireOptions> = {}) => pool.acquire({ signal: never, deadline: clock.now() + 600_000, ...options });
  const release = (lease: Lease<FakeIdentity>, outcome: UpstreamOutcome = OK, { latencyMs = 10, timeoutCounts = true } = {}) =>
    pool.release(lease, { outcome, latencyMs, timeoutCounts });
  /** One request start to end on whatever identity the pool picks. */
  const serve = async (outcome: UpstreamOutcome = OK, options: Partial<AcquireOptions> = {}) => {
    const lease = await acquire(options);
    release(lease, outcome);
    return lease.member.id;
  };
  const member = (id: string) => pool.list().find((m) => m.id === id)!;
  const stateEvents = () => events.filter((e): e is Extract<PoolEvent, { type: 'state' }> => e.type === 'state');
  const picked = () => events.filter((e): e is Extract<PoolEvent, { type: 'picked' }> => e.type === 'picked');
  return { clock, provider, pool, events, pickedAt, startsOf, acquire, release, serve, member, stateEvents, picked };
}

/** Differences between consecutive values. */
export function gaps(times: readonly number[]): number[] {
  return times.slice(1).map((t, i) => t - times[i]!);
}
