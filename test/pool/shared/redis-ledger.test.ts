// Two pools as two gateway instances (each its own SharedState connection) on one real
// redis-server: concurrency, the rpm window, pacing, health (a 429, the single probe, an
// operator's disable), credentials and a crashed holder's lease, all shared; and lease reuse
// under load, which never lets a limit be exceeded. Real clock: the scripts read Redis's.

import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { GatewayError } from '../../../src/errors.ts';
import { createLogger } from '../../../src/log.ts';
import { DEFAULT_HEALTH_POLICY } from '../../../src/pool/health.ts';
import type { IdentityConfig } from '../../../src/pool/identity-config.ts';
import { IdentityPool, type Lease } from '../../../src/pool/identity-pool.ts';
import type { PoolEvent } from '../../../src/pool/pool-events.ts';
import { RedisLedger } from '../../../src/pool/shared/redis-ledger.ts';
import type { UpstreamOutcome } from '../../../src/providers/outcome.ts';
import { SharedState } from '../../../src/store/redis/shared-state.ts';
import { FakeProvider, type FakeIdentity } from '../../support/fake-provider.ts';
import { identity } from '../../support/identities.ts';
import { OK, limited } from '../../support/outcomes.ts';
import { eventually } from '../../helpers/harness.ts';
import { startRedis, type RedisServer } from '../../helpers/redis-server.ts';

const log = createLogger({ level: 'error', pretty: false, write: () => undefined });

let redis: RedisServer;
const opened: { shared: SharedState; pool: IdentityPool<FakeIdentity> }[] = [];
let prefixes = 0;

beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  for (const { pool, shared } of opened) {
    pool.close();
    shared.close();
  }
  await redis.stop();
});

interface Instance {
  pool: IdentityPool<FakeIdentity>;
  shared: SharedState;
  provider: FakeProvider;
  events: PoolEvent[];
  take(timeoutMs?: number): Promise<Lease<FakeIdentity>>;
  give(lease: Lease<FakeIdentity>, outcome?: UpstreamOutcome): void;
  member(id: string): IdentityPool<FakeIdentity>['list'] extends () => readonly (infer M)[] ? M : never;
}

/** `count` instances of one pool on a fresh key prefix. */
async function instances(
  count: number,
  identities: IdentityConfig[] | ((instance: number) => IdentityConfig[]),
  leaseTtlMs = 30_000,
  reuse?: { calls: number; holdMs: number },
): Promise<Instance[]> {
  const prefix = `t${++prefixes}:`;
  const made: Instance[] = [];
  for (let i = 0; i < count; i++) {
    const shared = new SharedState({ url: redis.url, prefix, log, commandTimeoutMs: 1_000 });
    await shared.start();
    const provider = new FakeProvider();
    const pool = new IdentityPool<FakeIdentity>({
      identities: typeof identities === 'function' ? identities(i) : identities,
      states: provider,
      policy: DEFAULT_HEALTH_POLICY,
      queueMax: 10,
      queueTimeoutMs: 10_000,
      outliers: null,
      ledger: new RedisLedger(shared, { leaseTtlMs, log, reuse }),
    });
    await pool.syncShared();
    opened.push({ shared, pool });
    const events: PoolEvent[] = [];
    pool.onEvent((e) => events.push(e));
    made.push({
      pool,
      shared,
      provider,
      events,
      take: (timeoutMs = 5_000) => pool.acquire({ signal: AbortSignal.timeout(timeoutMs + 1_000), deadline: Date.now() + timeoutMs }),
      give: (lease, outcome = OK) => pool.release(lease, { outcome, latencyMs: 10, timeoutCounts: true }),
      member: (id) => pool.list().find((m) => m.id === id)!,
    });
  }
  return made;
}

/** Settles with the lease, or with the error. */
const outcomeOf = <T>(p: Promise<T>) => p.then((value) => ({ value }), (error: unknown) => ({ error }));

describe('shared limits', () => {
  test('maxConcurrent holds across instances; a release on one wakes the waiter on the other at once', async () => {
    const [a, b] = await instances(2, [identity('acct', { maxConcurrent: 2 })]);
    const first = await a!.take();
    const second = await b!.take();
    let third: Lease<FakeIdentity> | null = null;
    const waiting = b!.take(20_000).then((lease) => (third = lease));
    // Both slots are held (one per instance): the third waits, though b holds only one locally.
    await Bun.sleep(300);
    expect(third).toBeNull();
    const releasedAt = performance.now();
    a!.give(first);
    await waiting;
    // Woken by the freed event, not by a lease running out (30 s) or a poll.
    expect(performance.now() - releasedAt).toBeLessThan(2_000);
    b!.give(second);
    b!.give(third!);
  });

  test('the rpm window is one window for every instance', async () => {
    const [a, b, c] = await instances(3, [identity('acct', { maxConcurrent: 5, rpm: 4 })]);
    for (const instance of [a!, b!, c!, a!]) instance.give(await instance.take());
    const refused = await outcomeOf(c!.take(300));
    expect(refused).toHaveProperty('error');
    expect((refused as { error: unknown }).error).toBeInstanceOf(GatewayError);
    expect(redis.cli('ZCARD', `t${prefixes}:{i:acct}:calls`)).toBe('4');
  });

  test('pacing: a start on one instance opens the gap for all', async () => {
    const [a, b] = await instances(2, [identity('acct', { maxConcurrent: 5, minIntervalMs: 1_500 })]);
    const startA = performance.now();
    a!.give(await a!.take());
    b!.give(await b!.take(10_000));
    expect(performance.now() - startA).toBeGreaterThanOrEqual(1_400);
  });
});

describe('lease reuse under load', () => {
  const keysOf = () => ({ leases: `t${prefixes}:{i:acct}:leases`, calls: `t${prefixes}:{i:acct}:calls` });

  // A hold long enough that the test's own redis-cli calls cannot outlast it.
  const HOLD = { calls: 8, holdMs: 4_000 };

  test("a request that ends while another runs keeps its lease, with calls reserved, for this instance's next request: no new lease on Redis", async () => {
    const [a] = await instances(1, [identity('acct', { maxConcurrent: 8, rpm: 100 })], 30_000, HOLD);
    const { leases, calls } = keysOf();
    const first = await a!.take();
    const second = await a!.take();
    expect(redis.cli('ZCARD', calls)).toBe('2');
    // The window's key about to expire: the keep must keep it alive past its reserved calls.
    redis.cli('PEXPIRE', calls, '500');
    a!.give(second);
    // Kept: up to 8 calls reserved at once (as many as fit in the hold at this request's pace).
    expect(await eventually(() => Number(redis.cli('ZCARD', calls)) > 2, 1_000)).toBe(true);
    const reserved = Number(redis.cli('ZCARD', calls)) - 2;
    expect(reserved).toBeGreaterThanOrEqual(1);
    expect(reserved).toBeLessThanOrEqual(8);
    expect(Number(redis.cli('PTTL', calls))).toBeGreaterThan(61_000);
    const third = await a!.take();
    expect(third.leaseId).toBe(second.leaseId);
    expect(redis.cli('ZCARD', leases)).toBe('2');
    expect(redis.cli('ZCARD', calls)).toBe(String(2 + reserved));
    a!.give(third);
    a!.give(first);
    // The hold ends: the kept lease goes back with the reserved calls it did not make.
    expect(await eventually(() => redis.cli('ZCARD', leases) === '0', 5_000)).toBe(true);
    expect(redis.cli('ZCARD', calls)).toBe('3');
  }, 10_000);

  test('a lease already past its expiry (not renewed in time) is never kept: released, nothing reserved', async () => {
    const [a] = await instances(1, [identity('acct', { maxConcurrent: 8, rpm: 100 })], 30_000, HOLD);
    const { leases, calls } = keysOf();
    const first = await a!.take();
    const second = await a!.take();
    // As if its renewals had stopped: another instance could sweep it and take the slot.
    redis.cli('ZADD', leases, 'XX', '1', second.leaseId!);
    a!.give(second);
    expect(await eventually(() => redis.cli('ZCARD', leases) === '1', 1_000)).toBe(true);
    expect(redis.cli('ZCARD', calls)).toBe('2');
    a!.give(first);
  });

  test('one request at a time keeps nothing and reserves nothing', async () => {
    const [a] = await instances(1, [identity('acct', { maxConcurrent: 8, rpm: 100 })]);
    const { leases, calls } = keysOf();
    for (let i = 0; i < 3; i++) {
      const lease = await a!.take();
      a!.give(lease);
      expect(await eventually(() => redis.cli('ZCARD', leases) === '0', 1_000)).toBe(true);
    }
    expect(redis.cli('ZCARD', calls)).toBe('3');
  });

  test('a small identity is never kept: two slots must stay free for the others', async () => {
    const [a] = await instances(1, [identity('acct', { maxConcurrent: 3, rpm: 100 })]);
    const { leases, calls } = keysOf();
    const first = await a!.take();
    const second = await a!.take();
    a!.give(second);
    expect(await eventually(() => redis.cli('ZCARD', leases) === '1', 1_000)).toBe(true);
    expect(redis.cli('ZCARD', calls)).toBe('2');
    a!.give(first);
  });

  test('never more calls than the rpm window allows, across instances, however leases are kept and reused', async () => {
    const rpm = 24;
    const [a, b] = await instances(2, [identity('acct', { maxConcurrent: 8, rpm })]);
    let made = 0;
    // Each instance keeps two requests running (so every end asks to keep) until refused.
    const drive = async (instance: Instance) => {
      for (;;) {
        const pair = await Promise.all([outcomeOf(instance.take(300)), outcomeOf(instance.take(300))]);
        const taken = pair.flatMap((r) => ('value' in r ? [r.value] : []));
        made += taken.length;
        for (const lease of taken) instance.give(lease);
        if (taken.length < 2) return;
      }
    };
    await Promise.all([drive(a!), drive(b!)]);
    expect(made).toBeGreaterThan(0);
    expect(made).toBeLessThanOrEqual(rpm);
    // Every call made is in the window: used reserved calls stay, unused ones left with their lease.
    expect(await eventually(() => redis.cli('ZCARD', keysOf().leases) === '0', 2_000)).toBe(true);
    expect(Number(redis.cli('ZCARD', keysOf().calls))).toBe(made);
  }, 15_000);

  test("a health change elsewhere gives this instance's idle lease back at once", async () => {
    const [a, b] = await instances(2, [identity('acct', { maxConcurrent: 8, rpm: 100 })], 30_000, { calls: 8, holdMs: 120_000 });
    const { leases, calls } = keysOf();
    const busy = await a!.take();
    a!.give(await a!.take());
    // a keeps the second lease idle (for a minute, here), its calls reserved.
    expect(await eventually(() => Number(redis.cli('ZCARD', calls)) > 2, 1_000)).toBe(true);
    expect(redis.cli('ZCARD', leases)).toBe('2');
    // b sees a 429: a's idle lease goes back long before its hold would end; the busy one stays.
    b!.give(await b!.take(), limited(60_000));
    expect(await eventually(() => redis.cli('ZCARD', leases) === '1', 1_000)).toBe(true);
    expect(redis.cli('ZCARD', calls)).toBe('3');
    a!.give(busy);
    expect(await eventually(() => redis.cli('ZCARD', leases) === '0', 1_000)).toBe(true);
  });
});

describe('shared health', () => {
  test('a 429 on one instance cools the identity on the others within milliseconds', async () => {
    const [a, b, c] = await instances(3, [identity('acct', { maxConcurrent: 3 }), identity('spare', { maxConcurrent: 3 })]);
    const lease = await a!.take();
    const cooled = lease.member.id;
    a!.give(lease, limited(120_000));
    expect(await eventually(() => b!.member(cooled).health.state.kind === 'cooling' && c!.member(cooled).health.state.kind === 'cooling', 1_000)).toBe(true);
    expect(b!.events).toContainEqual(expect.objectContaining({ type: 'state', id: cooled, to: 'cooling', remote: true }));
    // Even an instance whose mirror had not heard yet is refused by Redis itself.
    for (let i = 0; i < 4; i++) {
      const l = await b!.take();
      expect(l.member.id).not.toBe(cooled);
      b!.give(l);
    }
  });

  test('after a cooldown only one instance sends the probe; its success brings it back everywhere', async () => {
    const [a, b, c] = await instances(3, [identity('acct', { maxConcurrent: 5 })]);
    a!.give(await a!.take(), limited(400));
    await eventually(() => b!.member('acct').health.state.kind === 'cooling' && c!.member('acct').health.state.kind === 'cooling', 1_000);
    // All three ask as soon as the cooldown ends.
    const takes = [a!, b!, c!].map((instance) => outcomeOf(instance.take(3_000)));
    await Bun.sleep(900);
    const probes = [a!, b!, c!].flatMap((instance) => instance.events.filter((e) => e.type === 'picked' && e.probe));
    expect(probes).toHaveLength(1);
    const prober = [a!, b!, c!].find((instance) => instance.events.some((e) => e.type === 'picked' && e.probe))!;
    const settled = await Promise.race([Promise.all(takes), Bun.sleep(200).then(() => null)]);
    expect(settled).toBeNull();
    // The probe answers: the others get their leases.
    const probeLease = (await takes[[a!, b!, c!].indexOf(prober)]) as { value: Lease<FakeIdentity> };
    prober.give(probeLease.value);
    const all = await Promise.all(takes);
    for (const [i, result] of all.entries()) {
      expect(result).toHaveProperty('value');
      if (i !== [a!, b!, c!].indexOf(prober)) [a!, b!, c!][i]!.give((result as { value: Lease<FakeIdentity> }).value);
    }
    for (const instance of [a!, b!, c!]) expect(instance.member('acct').health.state.kind).toBe('ready');
  });

  test("an operator's disable on one instance reaches every other", async () => {
    const [a, b] = await instances(2, [identity('acct'), identity('other')]);
    expect(a!.pool.disable('acct')).toBe(true);
    expect(await eventually(() => b!.member('acct').health.state.kind === 'disabled', 1_000)).toBe(true);
    a!.pool.enable('acct');
    expect(await eventually(() => b!.member('acct').health.state.kind === 'ready', 1_000)).toBe(true);
  });

  test('an instance that starts later takes over the shared health', async () => {
    const [a] = await instances(1, [identity('acct')]);
    a!.give(await a!.take(), limited(300_000));
    const prefix = `t${prefixes}:`;
    await eventually(() => redis.cli('HGET', `${prefix}{i:acct}:health`, 'version') !== '', 1_000);
    prefixes--; // the same prefix
    const [late] = await instances(1, [identity('acct')]);
    expect(late!.member('acct').health.state.kind).toBe('cooling');
  });
});

describe('shared identity state', () => {
  test('credentials fetched by one instance are taken over by the others', async () => {
    const [a, b] = await instances(2, [identity('acct')]);
    const member = a!.member('acct');
    await a!.provider.refresh(member.state);
    await a!.provider.refresh(member.state);
    a!.pool.stateChanged('acct');
    expect(await eventually(() => b!.member('acct').state.credential === 2, 1_000)).toBe(true);
  });

  test('one instance at a time claims a refresh; it holds the claim until it shares the result', async () => {
    const [a, b] = await instances(2, [identity('acct')]);
    const claim = `t${prefixes}:{i:acct}:refresh`;
    expect(await a!.pool.claimRefresh('acct')).toBe(true);
    expect(await b!.pool.claimRefresh('acct')).toBe(false);
    // Asked again (another request of its own), the holder is still the one to fetch.
    expect(await a!.pool.claimRefresh('acct')).toBe(true);
    expect(Number(redis.cli('PTTL', claim))).toBeGreaterThan(0);
    await a!.provider.refresh(a!.member('acct').state);
    a!.pool.stateChanged('acct');
    expect(await eventually(() => b!.member('acct').state.credential === 1, 1_000)).toBe(true);
    // Shared: for a second the claim says so (an instance that has not taken the new state
    // over yet does not fetch again); then the next refresh can be anyone's.
    expect(redis.cli('GET', claim)).toBe('shared');
    expect(await b!.pool.claimRefresh('acct')).toBe(false);
    expect(Number(redis.cli('PTTL', claim))).toBeLessThanOrEqual(1_000);
    expect(await eventually(() => b!.pool.claimRefresh('acct'), 2_000)).toBe(true);
    expect(await a!.pool.claimRefresh('acct')).toBe(false);
  });

  test('credentials refused on several instances right after they were shared: after a short wait for a newer state, one takes the claim over and fetches; the others get its result', async () => {
    const [a, b, c] = await instances(3, [identity('acct')]);
    const claim = `t${prefixes}:{i:acct}:refresh`;
    await a!.provider.refresh(a!.member('acct').state);
    expect(await a!.pool.claimRefresh('acct')).toBe(true);
    a!.pool.stateChanged('acct');
    expect(await eventually(() => b!.member('acct').state.credential === 1 && c!.member('acct').state.credential === 1, 1_000)).toBe(true);
    expect(redis.cli('GET', claim)).toBe('shared');

    const signal = new AbortController().signal;
    const ask = (x: Instance, name: string) => x.pool.credentialsFromElsewhere('acct', x.member('acct').state, Date.now() + 5_000, signal).then((state) => ({ name, state }));
    const started = Date.now();
    const [onB, onC] = [ask(b!, 'b'), ask(c!, 'c')];
    const first = await Promise.race([onB, onC]);
    // The one that took the claim over fetches here (null), after the short wait for a newer state.
    expect(first.state).toBeNull();
    expect(Date.now() - started).toBeGreaterThanOrEqual(200);
    const fetcher = first.name === 'b' ? b! : c!;
    await fetcher.provider.refresh(fetcher.member('acct').state);
    fetcher.pool.stateChanged('acct');
    const second = await (first.name === 'b' ? onC : onB);
    expect(second.state?.credential).toBe(2);
  });

  test('credentials refused while another instance fetches: wait for its result; one shared but not arrived yet: taken when it does; taken over already: at once', async () => {
    const [a, b, c] = await instances(3, [identity('acct')]);
    const signal = new AbortController().signal;
    const soon = () => Date.now() + 5_000;
    expect(await b!.pool.credentialsFromElsewhere('acct', b!.member('acct').state, soon(), signal)).toBeNull();
    const waitingOnC = c!.pool.credentialsFromElsewhere('acct', c!.member('acct').state, soon(), signal);
    // Sent at the same time as b's share below: Redis may see either first.
    const waitingOnA = a!.pool.credentialsFromElsewhere('acct', a!.member('acct').state, soon(), signal);
    await b!.provider.refresh(b!.member('acct').state);
    b!.pool.stateChanged('acct');
    expect((await waitingOnC)?.credential).toBe(1);
    expect((await waitingOnA)?.credential).toBe(1);
    expect(c!.member('acct').state.credential).toBe(1);
    const old = new FakeProvider().createIdentity({ id: 'acct' }, null);
    expect((await a!.pool.credentialsFromElsewhere('acct', old, soon(), signal))?.credential).toBe(1);
  });

  test('credentials shared for other cookies (another account file) end the wait with null: fetch here', async () => {
    const [a, b] = await instances(2, (i) => [identity('acct', { cookies: `session=${i === 0 ? 'one' : 'two'}` })]);
    const signal = new AbortController().signal;
    expect(await a!.pool.credentialsFromElsewhere('acct', a!.member('acct').state, Date.now() + 5_000, signal)).toBeNull();
    const started = Date.now();
    const waiting = b!.pool.credentialsFromElsewhere('acct', b!.member('acct').state, Date.now() + 5_000, signal);
    await a!.provider.refresh(a!.member('acct').state);
    a!.pool.stateChanged('acct');
    expect(await waiting).toBeNull();
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(b!.member('acct').state.credential).toBe(0);
  });

  test('waiting for credentials from elsewhere ends at the deadline or when the client leaves, with null (fetch here)', async () => {
    const [a, b] = await instances(2, [identity('acct')]);
    expect(await a!.pool.credentialsFromElsewhere('acct', a!.member('acct').state, Date.now() + 5_000, new AbortController().signal)).toBeNull();
    const started = Date.now();
    expect(await b!.pool.credentialsFromElsewhere('acct', b!.member('acct').state, Date.now() + 200, new AbortController().signal)).toBeNull();
    expect(Date.now() - started).toBeGreaterThanOrEqual(150);
    const leaving = new AbortController();
    const waiting = b!.pool.credentialsFromElsewhere('acct', b!.member('acct').state, Date.now() + 5_000, leaving.signal);
    leaving.abort();
    expect(await waiting).toBeNull();
  });
});

test("a crashed instance's lease is freed within the lease time", async () => {
  const [a, b] = await instances(2, [identity('acct')], 3_000);
  await a!.take();
  // The process dies: no release, no renewal.
  a!.pool.close();
  a!.shared.close();
  const started = performance.now();
  const lease = await b!.take(10_000);
  const waited = performance.now() - started;
  expect(waited).toBeGreaterThan(1_500);
  expect(waited).toBeLessThan(6_000);
  b!.give(lease);
}, 15_000);

test('a held lease is renewed while its request runs', async () => {
  const [a, b] = await instances(2, [identity('acct')], 3_000);
  const lease = await a!.take();
  // Refused for longer than the lease time: renewed, not run out.
  const refused = await outcomeOf(b!.take(5_000));
  expect(refused).toHaveProperty('error');
  a!.give(lease);
}, 15_000);
