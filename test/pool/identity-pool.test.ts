// IdentityPool on its own: a fake provider for identity state, a fake clock for time and
// timers, a real SQLite IdentityStateRepo (in memory) for persistence. No network, no
// real timers: every wait is the fake clock moving.

import { describe, expect, test } from 'bun:test';
import { ClientGoneError, GatewayError } from '../../src/errors.ts';
import { NoCandidateError, type Lease } from '../../src/pool/identity-pool.ts';
import { WINDOW_MS } from '../../src/pool/rate-window.ts';
import type { UpstreamOutcome } from '../../src/providers/outcome.ts';
import { openDatabase } from '../../src/store/database.ts';
import { IdentityStateRepo, type StoredIdentityState } from '../../src/store/identity-state-repo.ts';
import { FakeClock, settle, track } from '../support/fake-clock.ts';
import type { FakeIdentity } from '../support/fake-provider.ts';
import { identity } from '../support/identities.ts';
import { CHALLENGED, FAULT, limited, OK, TIMED_OUT } from '../support/outcomes.ts';
import { rejection } from '../support/rejection.ts';
import { seededRandom } from '../support/seeded-random.ts';
import { makePool, policy, QUEUE_TIMEOUT_MS } from './pool-fixture.ts';

describe('acquire and release', () => {
  test('a lease counts as in flight until it is released; the outcome is counted', async () => {
    const { acquire, release, member } = makePool([identity('a')]);
    const lease = await acquire();
    expect(lease.member.id).toBe('a');
    expect(member('a').inFlight).toBe(1);
    release(lease, OK, { latencyMs: 120 });
    expect(member('a').inFlight).toBe(0);
    expect(member('a').counters).toMatchObject({ requests: 1, successes: 1, successLatencyMs: 120 });
  });

  test('a failed outcome is counted by kind and kept as the last error; a cancelled one is neither', async () => {
    const { acquire, release, member, clock } = makePool([identity('a')]);
    release(await acquire(), { kind: 'refused', reason: 'too long', about: 'too_long' });
    expect(member('a').lastError).toEqual({ kind: 'refused', detail: 'too long', at: clock.now() });
    clock.advance(1_000);
    release(await acquire(), { kind: 'cancelled' });
    expect(member('a').counters).toMatchObject({ requests: 2, successes: 0, failures: { refused: 1 } });
    expect(member('a').lastError!.at).toBe(clock.now() - 1_000);
  });

  test('a request whose client already left is refused before anything is leased', async () => {
    const { acquire, member } = makePool([identity('a')]);
    const gone = new AbortController();
    gone.abort();
    expect(await rejection(acquire({ signal: gone.signal }))).toBeInstanceOf(ClientGoneError);
    expect(member('a').inFlight).toBe(0);
  });
});

describe('limits', () => {
  test('maxConcurrent: every slot is used, none more; the next request waits for a release', async () => {
    const { acquire, release, member, pool } = makePool([identity('a', { maxConcurrent: 2 }), identity('b', { maxConcurrent: 2 })]);
    const held = await Promise.all([acquire(), acquire(), acquire(), acquire()]);
    expect([member('a').inFlight, member('b').inFlight]).toEqual([2, 2]);
    const waiting = track(acquire());
    await settle();
    expect(waiting.state).toBe('pending');
    expect(pool.queueDepth).toBe(1);
    release(held[0]!);
    await settle();
    expect(waiting.state).toBe('resolved');
    expect(waiting.value!.member.id).toBe(held[0]!.member.id);
    expect([member('a').inFlight, member('b').inFlight]).toEqual([2, 2]);
  });

  test('maxConcurrent under a random workload: never exceeded, and nobody waits while a slot is free', async () => {
    const random = seededRandom(7);
    const identities = [identity('a', { maxConcurrent: 2 }), identity('b', { maxConcurrent: 3 }), identity('c', { maxConcurrent: 1 })];
    const { acquire, release, pool } = makePool(identities, { queueMax: 1_000 });
    const held: Lease<FakeIdentity>[] = [];
    let granted = 0;
    let stepsWithWaiters = 0;
    for (let step = 0; step < 500; step++) {
      if (held.length === 0 || random() < 0.55) {
        void acquire().then((lease) => {
          held.push(lease);
          granted++;
        });
      } else {
        release(held.splice(Math.floor(random() * held.length), 1)[0]!);
      }
      await settle();
      for (const m of pool.list()) expect(m.inFlight).toBeLessThanOrEqual(m.config.maxConcurrent);
      if (pool.queueDepth > 0) {
        stepsWithWaiters++;
        expect(pool.list().every((m) => m.inFlight === m.config.maxConcurrent)).toBe(true);
      }
      expect(pool.list().reduce((sum, m) => sum + m.inFlight, 0)).toBe(held.length);
    }
    expect(granted).toBeGreaterThan(100);
    expect(stepsWithWaiters).toBeGreaterThan(50);
  });

  test('rpm: at most rpm calls in any rolling 60 s, each next call as soon as the window allows', async () => {
    const { acquire, clock, pickedAt } = makePool([identity('a', { maxConcurrent: 100, rpm: 5 })], { queueMax: 100, queueTimeoutMs: 600_000 });
    const requests = Array.from({ length: 20 }, () => track(acquire({ deadline: clock.now() + 3_600_000 })));
    for (let s = 0; s < 240; s++) {
      clock.advance(1_000);
      await settle();
    }
    expect(requests.every((r) => r.state === 'resolved')).toBe(true);
    expect(pickedAt).toHaveLength(20);
    for (let i = 0; i + 5 < pickedAt.length; i++) {
      const gap = pickedAt[i + 5]! - pickedAt[i]!;
      expect(gap).toBeGreaterThanOrEqual(WINDOW_MS);
      expect(gap).toBeLessThanOrEqual(WINDOW_MS + 1);
    }
  });

  test('rpm: a call past the limit waits in the queue and is served when the oldest call leaves the window', async () => {
    const { acquire, release, clock } = makePool([identity('a', { maxConcurrent: 10, rpm: 3 })], { queueTimeoutMs: 60_000 });
    const start = clock.now();
    for (const offset of [0, 10_000, 20_000]) {
      clock.advance(offset - (clock.now() - start));
      release(await acquire());
    }
    clock.advance(10_000);
    const fourth = track(acquire());
    clock.advance(start + WINDOW_MS - 1 - clock.now());
    await settle();
    expect(fourth.state).toBe('pending');
    clock.advance(2);
    await settle();
    expect(fourth.state).toBe('resolved');
  });

  test('an extra call (a retry after a refresh) takes from the same rpm budget', async () => {
    const { acquire, release, pool } = makePool([identity('a', { maxConcurrent: 10, rpm: 2 })]);
    const lease = await acquire();
    expect(lease.takeExtraCall()).toBe(true);
    expect(lease.takeExtraCall()).toBe(false);
    release(lease);
    void acquire().catch(() => {});
    expect(pool.queueDepth).toBe(1);
  });
});

describe('picking', () => {
  test('weights shape the split: weight 3 against weight 1 gets about three picks in four', async () => {
    const { serve } = makePool([identity('heavy', { weight: 3 }), identity('light', { weight: 1 })]);
    const counts = { heavy: 0, light: 0 };
    for (let i = 0; i < 4_000; i++) counts[(await serve()) as keyof typeof counts]++;
    expect(counts.heavy / 4_000).toBeGreaterThan(0.72);
    expect(counts.heavy / 4_000).toBeLessThan(0.78);
  });

  test("the conversation's identity is taken while it is eligible, whatever the draw", async () => {
    const { serve } = makePool([identity('a'), identity('b'), identity('c')]);
    const ids = new Set<string>();
    for (let i = 0; i < 50; i++) ids.add(await serve(OK, { preferredId: 'b' }));
    expect([...ids]).toEqual(['b']);
  });

  test('when the preferred identity is busy another one serves at once: the request does not wait for it', async () => {
    const { acquire, pool } = makePool([identity('a'), identity('b')]);
    await acquire({ preferredId: 'b' });
    const other = await acquire({ preferredId: 'b' });
    expect(other.member.id).toBe('a');
    expect(pool.queueDepth).toBe(0);
  });

  test('excluded identities are never picked; when only they could serve, NoCandidateError at once', async () => {
    const { serve, acquire, pool } = makePool([identity('a'), identity('b')]);
    const ids = new Set<string>();
    for (let i = 0; i < 50; i++) ids.add(await serve(OK, { exclude: new Set(['a']) }));
    expect([...ids]).toEqual(['b']);
    expect(await rejection(acquire({ exclude: new Set(['a', 'b']) }))).toBeInstanceOf(NoCandidateError);
    expect(pool.queueDepth).toBe(0);
  });
});

describe('the queue', () => {
  test('waiters are served first come, first served', async () => {
    const { acquire, release } = makePool([identity('a')]);
    const held = await acquire();
    const waiters = [track(acquire()), track(acquire()), track(acquire())];
    const served = () => waiters.map((w) => w.state === 'resolved');
    release(held);
    await settle();
    expect(served()).toEqual([true, false, false]);
    release(waiters[0]!.value!);
    await settle();
    expect(served()).toEqual([true, true, false]);
    release(waiters[1]!.value!);
    await settle();
    expect(served()).toEqual([true, true, true]);
  });

  test('a waiter that cannot take the freed identity does not block the one behind it', async () => {
    const { acquire, release } = makePool([identity('a'), identity('b')]);
    await acquire({ preferredId: 'a' });
    const b = await acquire({ preferredId: 'b' });
    const notB = track(acquire({ exclude: new Set(['b']) }));
    const anyone = track(acquire());
    release(b);
    await settle();
    expect(notB.state).toBe('pending');
    expect(anyone.state).toBe('resolved');
    expect(anyone.value!.member.id).toBe('b');
  });

  test('a full queue refuses at once: identities_busy with a Retry-After of the soonest recovery', async () => {
    const { acquire, release } = makePool([identity('a')], { queueMax: 1 });
    release(await acquire(), limited(42_000));
    void acquire().catch(() => {});
    const error = await rejection(acquire());
    expect(error).toBeInstanceOf(GatewayError);
    expect(error).toMatchObject({ errorCode: 'identities_busy', retryAfterSeconds: 42 });
    expect((error as GatewayError).message).toStartWith('The request queue is full');
  });

  test('a waiter gives up after QUEUE_TIMEOUT_MS with identities_busy and leaves the queue', async () => {
    const { acquire, clock, pool } = makePool([identity('a')]);
    await acquire();
    const waiting = track(acquire());
    clock.advance(QUEUE_TIMEOUT_MS - 1);
    await settle();
    expect(waiting.state).toBe('pending');
    clock.advance(1);
    await settle();
    expect(waiting.state).toBe('rejected');
    expect(waiting.error).toMatchObject({ errorCode: 'identities_busy', retryAfterSeconds: 1 });
    expect((waiting.error as GatewayError).message).toStartWith('No identity freed up in time');
    expect(pool.queueDepth).toBe(0);
  });

  test("a waiter gives up at the request's deadline when that comes before QUEUE_TIMEOUT_MS", async () => {
    const { acquire, clock } = makePool([identity('a')]);
    await acquire();
    const waiting = track(acquire({ deadline: clock.now() + 5_000 }));
    clock.advance(4_999);
    await settle();
    expect(waiting.state).toBe('pending');
    clock.advance(1);
    await settle();
    expect(waiting.state).toBe('rejected');
  });

  test('a waiter whose client leaves is dropped from the queue with ClientGoneError; the next waiter gets the identity', async () => {
    const { acquire, release, pool, clock } = makePool([identity('a')]);
    const held = await acquire();
    const leaving = new AbortController();
    const quitter = track(acquire({ signal: leaving.signal }));
    const patient = track(acquire());
    const timersBefore = clock.pending;
    leaving.abort();
    await settle();
    expect(quitter.state).toBe('rejected');
    expect(quitter.error).toBeInstanceOf(ClientGoneError);
    expect(pool.queueDepth).toBe(1);
    expect(clock.pending).toBe(timersBefore - 1); // its timeout is cleared
    release(held);
    await settle();
    expect(patient.value!.member.id).toBe('a');
  });

  test('a release wakes the first waiter; the wait shows in the picked event', async () => {
    const { acquire, release, clock, picked } = makePool([identity('a')]);
    const held = await acquire();
    const waiting = track(acquire());
    clock.advance(2_500);
    release(held);
    await settle();
    expect(waiting.state).toBe('resolved');
    expect(picked().at(-1)).toEqual({ type: 'picked', id: 'a', probe: false, waitedMs: 2_500 });
  });

  test("a cooldown's end wakes a waiter through the pool's own timer, with no release", async () => {
    const { acquire, release, clock } = makePool([identity('a', { maxConcurrent: 4 })]);
    release(await acquire(), limited(10_000));
    const waiting = track(acquire());
    clock.advance(9_999);
    await settle();
    expect(waiting.state).toBe('pending');
    clock.advance(2);
    await settle();
    expect(waiting.state).toBe('resolved');
  });
});

describe('health through outcomes', () => {
  test('a 429 cools the identity until its Retry-After; then exactly one probe goes out until it answers', async () => {
    const { acquire, release, clock, member, picked } = makePool([identity('a', { maxConcurrent: 4 })]);
    release(await acquire(), limited(5_000));
    expect(member('a').health.state).toMatchObject({ kind: 'cooling', until: clock.now() + 5_000 });
    const probe = track(acquire());
    clock.advance(5_001);
    await settle();
    expect(probe.state).toBe('resolved');
    expect(picked().at(-1)).toMatchObject({ id: 'a', probe: true });
    const next = track(acquire());
    await settle();
    expect(next.state).toBe('pending');
    release(probe.value!);
    await settle();
    expect(member('a').health.state.kind).toBe('ready');
    expect(next.state).toBe('resolved');
    expect(picked().at(-1)).toMatchObject({ id: 'a', probe: false });
  });

  test('a challenge takes the identity out: with nobody else, NoCandidateError and no_identity_available at once', async () => {
    const { acquire, release, member, pool } = makePool([identity('a')]);
    release(await acquire(), CHALLENGED);
    expect(member('a').health.state).toMatchObject({ kind: 'challenged', reason: 'Cloudflare challenge' });
    expect(await rejection(acquire())).toBeInstanceOf(NoCandidateError);
    expect(pool.admissionError()?.errorCode).toBe('no_identity_available');
    expect(pool.unavailableError().errorCode).toBe('no_identity_available');
  });

  test('a challenged identity gets one probe after the challenge cooldown', async () => {
    const { acquire, release, clock, member, picked } = makePool([identity('a')]);
    release(await acquire(), CHALLENGED);
    clock.advance(policy.challengeCooldownMs);
    const probe = await acquire();
    expect(picked().at(-1)).toMatchObject({ id: 'a', probe: true });
    release(probe);
    expect(member('a').health.state).toMatchObject({ kind: 'ready', reason: 'recovered from challenged' });
  });

  test('three faults in a row eject the identity for ejectBaseMs', async () => {
    const { serve, member, clock } = makePool([identity('a')]);
    await serve(FAULT);
    await serve(FAULT);
    expect(member('a').health.state.kind).toBe('ready');
    await serve(FAULT);
    expect(member('a').health.state).toMatchObject({ kind: 'ejected', until: clock.now() + policy.ejectBaseMs });
  });

  test('a success between faults starts the count again', async () => {
    const { serve, member } = makePool([identity('a')]);
    for (const outcome of [FAULT, FAULT, OK, FAULT, FAULT]) await serve(outcome);
    expect(member('a').health.state.kind).toBe('ready');
    expect(member('a').health.snapshot().consecutiveFaults).toBe(2);
  });

  test('a nonce rejected right after a refresh is a fault; a plain nonce rejection is not', async () => {
    const { serve, member } = makePool([identity('plain'), identity('fresh')]);
    for (let i = 0; i < 5; i++) await serve({ kind: 'nonce_rejected', detail: 'stale nonce' }, { exclude: new Set(['fresh']) });
    expect(member('plain').health.snapshot()).toMatchObject({ state: { kind: 'ready' }, consecutiveFaults: 0 });
    for (let i = 0; i < 3; i++) await serve({ kind: 'nonce_rejected', detail: 'rejected again', afterRefresh: true }, { exclude: new Set(['plain']) });
    expect(member('fresh').health.state.kind).toBe('ejected');
  });

  test('refused, protocol and cancelled outcomes neither count as faults nor clear the count', async () => {
    const { serve, member } = makePool([identity('a')]);
    await serve(FAULT);
    await serve(FAULT);
    const harmless: UpstreamOutcome[] = [
      { kind: 'refused', reason: 'too long', about: 'too_long' },
      { kind: 'protocol', detail: 'redirect away' },
      { kind: 'protocol', detail: 'too big', tooLarge: true },
      { kind: 'cancelled' },
    ];
    for (let i = 0; i < 5; i++) for (const outcome of harmless) await serve(outcome);
    expect(member('a').health.snapshot()).toMatchObject({ state: { kind: 'ready' }, consecutiveFaults: 2 });
    await serve(FAULT);
    expect(member('a').health.state.kind).toBe('ejected');
  });

  test("a timeout counts as a fault only when it was the identity's (timeoutCounts)", async () => {
    const { acquire, release, member } = makePool([identity('a')]);
    for (let i = 0; i < 5; i++) release(await acquire(), TIMED_OUT, { timeoutCounts: false });
    expect(member('a').health.snapshot()).toMatchObject({ state: { kind: 'ready' }, consecutiveFaults: 0 });
    for (let i = 0; i < 3; i++) release(await acquire(), TIMED_OUT, { timeoutCounts: true });
    expect(member('a').health.state.kind).toBe('ejected');
  });

  test('every state change is reported once, with its reason', async () => {
    const { serve, events } = makePool([identity('a')]);
    await serve(OK);
    await serve(CHALLENGED);
    expect(events.filter((e) => e.type === 'state')).toEqual([
      { type: 'state', id: 'a', from: 'ready', to: 'challenged', reason: 'Cloudflare challenge' },
    ]);
  });
});

describe('admissionError', () => {
  test('null while an identity is free, and while the queue has room', async () => {
    const { acquire, pool } = makePool([identity('a')], { queueMax: 1 });
    expect(pool.admissionError()).toBeNull();
    await acquire();
    expect(pool.admissionError()).toBeNull();
  });

  test('identities_busy when the queue is full, no_identity_available when every identity is challenged or disabled', async () => {
    const { acquire, release, pool } = makePool([identity('a'), identity('b')], { queueMax: 1 });
    const a = await acquire();
    const b = await acquire();
    void acquire().catch(() => {});
    expect(pool.admissionError()).toMatchObject({ errorCode: 'identities_busy', retryAfterSeconds: 1 });
    release(a, CHALLENGED);
    pool.disable(b.member.id);
    await settle();
    expect(pool.queueDepth).toBe(0); // nobody left who could serve it: the waiter was refused
    expect(pool.admissionError()?.errorCode).toBe('no_identity_available');
  });
});

describe('reload', () => {
  test('identities kept by id keep their state and counters; new ones join; removed ones go', async () => {
    const { serve, pool, member, provider } = makePool([identity('a'), identity('b')]);
    await serve(limited(60_000), { preferredId: 'a' });
    const before = member('a');
    const state = before.state;
    const result = pool.reload([identity('a'), identity('c')]);
    expect(result).toEqual({ added: ['c'], removed: ['b'], kept: ['a'] });
    expect(member('a')).toBe(before);
    expect(member('a').state).toBe(state);
    expect(member('a').health.state.kind).toBe('cooling');
    expect(member('a').counters.requests).toBe(1);
    expect(pool.list().map((m) => m.id)).toEqual(['a', 'c']);
    expect(provider.identities.get('c')).toBe(member('c').state);
  });

  test('a removed identity with requests in flight finishes them, takes no new ones, then is dropped', async () => {
    const { acquire, release, serve, pool } = makePool([identity('a', { maxConcurrent: 4 }), identity('b', { maxConcurrent: 4 })]);
    const onB = await acquire({ preferredId: 'b' });
    pool.reload([identity('a', { maxConcurrent: 4 })]);
    expect(pool.list().map((m) => [m.id, m.removed])).toEqual([
      ['a', false],
      ['b', true],
    ]);
    for (let i = 0; i < 20; i++) expect(await serve(OK, { preferredId: 'b' })).toBe('a');
    expect(pool.leaseForProbe('b')).toBeNull();
    release(onB);
    expect(pool.list().map((m) => m.id)).toEqual(['a']);
  });

  test('new cookies: a fresh provider state, and a challenged identity is back in rotation', async () => {
    const { serve, pool, member } = makePool([identity('a')]);
    await serve(CHALLENGED);
    const old = member('a').state;
    pool.reload([identity('a', { cookies: 'visitor=pasted-again' })]);
    expect(member('a').state).not.toBe(old);
    expect(member('a').state.transport.cookies).toBe('visitor=pasted-again');
    expect(member('a').health.state).toMatchObject({ kind: 'ready', reason: 'new cookies in the account file' });
  });

  test('the same cookies keep a challenged identity out', async () => {
    const { serve, pool, member } = makePool([identity('a')]);
    await serve(CHALLENGED);
    pool.reload([identity('a', { weight: 5 })]);
    expect(member('a').health.state.kind).toBe('challenged');
  });

  test('enabled: false in the file disables; enabled: true again brings it back', async () => {
    const { pool, member } = makePool([identity('a')]);
    pool.reload([identity('a', { enabled: false })]);
    expect(member('a').health.state).toMatchObject({ kind: 'disabled', reason: 'disabled in the account file' });
    pool.reload([identity('a')]);
    expect(member('a').health.state).toMatchObject({ kind: 'ready', reason: 'enabled in the account file' });
  });

  test('a lower rpm applies to the calls already made', async () => {
    const { serve, pool, acquire } = makePool([identity('a', { maxConcurrent: 4, rpm: 5 })]);
    for (let i = 0; i < 3; i++) await serve();
    pool.reload([identity('a', { maxConcurrent: 4, rpm: 2 })]);
    void acquire().catch(() => {});
    expect(pool.queueDepth).toBe(1);
  });

  test('a waiter is served at once by an identity the reload adds', async () => {
    const { acquire, pool } = makePool([identity('a')]);
    await acquire();
    const waiting = track(acquire());
    pool.reload([identity('a'), identity('b')]);
    await settle();
    expect(waiting.value?.member.id).toBe('b');
  });
});

describe('operator actions', () => {
  test('disable takes an identity out of rotation at once; unknown ids are refused', async () => {
    const { serve, pool, member } = makePool([identity('a'), identity('b')]);
    expect(pool.disable('a')).toBe(true);
    expect(member('a').health.state).toMatchObject({ kind: 'disabled', reason: 'disabled by operator' });
    for (let i = 0; i < 20; i++) expect(await serve()).toBe('b');
    expect(pool.disable('nobody')).toBe(false);
    expect(pool.enable('nobody')).toBe(false);
  });

  test('an identity disabled while a request is out stays disabled when the answer comes', async () => {
    const { acquire, release, pool, member } = makePool([identity('a')]);
    const lease = await acquire();
    pool.disable('a');
    release(lease, OK);
    expect(member('a').health.state.kind).toBe('disabled');
  });

  test('enable brings an identity back with its history forgotten, and serves a waiter', async () => {
    const { acquire, serve, pool, member } = makePool([identity('a'), identity('b')]);
    await serve(FAULT, { preferredId: 'a' });
    await serve(FAULT, { preferredId: 'a' });
    pool.disable('a');
    await acquire({ preferredId: 'b' });
    const waiting = track(acquire());
    await settle();
    expect(waiting.state).toBe('pending');
    pool.enable('a');
    await settle();
    expect(waiting.value?.member.id).toBe('a');
    expect(member('a').health.snapshot()).toMatchObject({ state: { kind: 'ready', reason: 'enabled by operator' }, consecutiveFaults: 0 });
  });
});

/** A real IdentityStateRepo that also counts what is written. */
class CountingRepo extends IdentityStateRepo {
  readonly writes: StoredIdentityState[][] = [];
  override saveMany(states: readonly StoredIdentityState[]): void {
    this.writes.push([...states]);
    super.saveMany(states);
  }
}

describe('persistence', () => {
  const storedState = (repo: IdentityStateRepo, id: string) => JSON.parse(repo.load(id)!.state) as { credential: number };

  test("identity state is saved when the provider's version changes, not after every request", async () => {
    const repo = new CountingRepo(openDatabase(':memory:'));
    const { acquire, release, serve } = makePool([identity('a')], { repo });
    for (let i = 0; i < 3; i++) await serve();
    expect(repo.writes).toHaveLength(0);
    const lease = await acquire();
    lease.member.state.credential = 7; // what a refresh during the call does
    release(lease);
    expect(repo.writes).toHaveLength(1);
    expect(storedState(repo, 'a').credential).toBe(7);
    await serve();
    expect(repo.writes).toHaveLength(1);
  });

  test('a health change is saved at once, even with the same provider version', async () => {
    const repo = new CountingRepo(openDatabase(':memory:'));
    const { serve } = makePool([identity('a')], { repo });
    await serve(limited(60_000));
    expect(repo.writes).toHaveLength(1);
    expect(JSON.parse(repo.load('a')!.health).state.kind).toBe('cooling');
  });

  test('a new pool on the same database restores provider state and health', async () => {
    const repo = new IdentityStateRepo(openDatabase(':memory:'));
    const clock = new FakeClock();
    const first = makePool([identity('a')], { repo, clock });
    const lease = await first.acquire();
    lease.member.state.credential = 7;
    first.release(lease, limited(60_000));
    const coolingUntil = clock.now() + 60_000;
    first.pool.close();

    clock.advance(10_000);
    const second = makePool([identity('a')], { repo, clock });
    expect(second.member('a').state.restored).toEqual({ credential: 7 });
    expect(second.member('a').state.credential).toBe(7);
    expect(second.member('a').health.state).toMatchObject({ kind: 'cooling', until: coolingUntil });
  });

  test('a challenged identity stays challenged across a restart with the same cookies', async () => {
    const repo = new IdentityStateRepo(openDatabase(':memory:'));
    const first = makePool([identity('a')], { repo });
    await first.serve(CHALLENGED);
    first.pool.close();
    const second = makePool([identity('a')], { repo });
    expect(second.member('a').health.state.kind).toBe('challenged');
  });

  test('new cookies in the file at start-up: provider state starts afresh, a challenged identity is re-enabled', async () => {
    const repo = new IdentityStateRepo(openDatabase(':memory:'));
    const first = makePool([identity('a')], { repo });
    const lease = await first.acquire();
    lease.member.state.credential = 7;
    first.release(lease, CHALLENGED);
    first.pool.close();

    const second = makePool([identity('a', { cookies: 'visitor=pasted-again' })], { repo });
    expect(second.member('a').state.restored).toBeNull();
    expect(second.member('a').state.credential).toBe(0);
    expect(second.member('a').health.state).toMatchObject({ kind: 'ready', reason: 'new cookies in the account file' });
  });
});

describe('leaseForProbe', () => {
  test('leases a challenged identity outside the scheduler; a success brings it back to ready', async () => {
    const { serve, pool, member } = makePool([identity('a')]);
    await serve(CHALLENGED);
    const lease = pool.leaseForProbe('a');
    expect(lease?.member.id).toBe('a');
    expect(member('a').inFlight).toBe(1);
    pool.release(lease!, { outcome: OK, latencyMs: 5, timeoutCounts: true });
    expect(member('a').health.state).toMatchObject({ kind: 'ready', reason: 'recovered from challenged' });
  });

  test('ignores maxConcurrent and rpm', async () => {
    const { acquire, pool, member } = makePool([identity('a', { maxConcurrent: 1, rpm: 1 })]);
    await acquire();
    expect(pool.leaseForProbe('a')).not.toBeNull();
    expect(member('a').inFlight).toBe(2);
  });

  test('a probe of a disabled identity does not enable it', async () => {
    const { pool, member } = makePool([identity('a')]);
    pool.disable('a');
    pool.release(pool.leaseForProbe('a')!, { outcome: OK, latencyMs: 5, timeoutCounts: true });
    expect(member('a').health.state.kind).toBe('disabled');
  });

  test('null for an id the pool does not have', () => {
    const { pool } = makePool([identity('a')]);
    expect(pool.leaseForProbe('b')).toBeNull();
  });
});

describe('the wake-up timer', () => {
  // The wake-up is for time alone freeing an identity (a cooldown's end, the rpm window).
  // An identity only a release can free must not arm it: release() wakes the queue itself.
  const wakeUpsDuring = (clock: FakeClock, ms: number) => {
    const before = clock.delays.length;
    clock.advance(ms);
    return clock.delays.length - before;
  };

  test('while the only identity has its probe out, a waiter arms no wake-ups (no 1 ms spin)', async () => {
    const { acquire, release, clock } = makePool([identity('a', { maxConcurrent: 4 })]);
    release(await acquire(), limited(5_000));
    clock.advance(5_000);
    const probe = await acquire();
    const waiting = track(acquire());
    expect(wakeUpsDuring(clock, 1_000)).toBe(0);
    release(probe);
    await settle();
    expect(waiting.state).toBe('resolved');
  });

  test('a waiter that excludes the only idle identity arms no wake-ups for it (no 1 ms spin)', async () => {
    const { acquire, release, clock } = makePool([identity('a'), identity('b')]);
    const b = await acquire({ preferredId: 'b' });
    const waiting = track(acquire({ exclude: new Set(['a']) }));
    expect(wakeUpsDuring(clock, 1_000)).toBe(0);
    release(b);
    await settle();
    expect(waiting.value?.member.id).toBe('b');
  });
});
