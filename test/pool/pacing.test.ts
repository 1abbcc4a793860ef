// Pacing: minIntervalMs between the starts of two calls of one identity, plus a random
// extra up to jitterMs per gap. Driven by the fake clock: every lease's time is exact.

import { describe, expect, test } from 'bun:test';
import { GatewayError } from '../../src/errors.ts';
import { parseAccounts } from '../../src/pool/accounts-file.ts';
import { afterStart, nextStartAt, UNPACED } from '../../src/pool/pacing.ts';
import { settle, track } from '../support/fake-clock.ts';
import { seededRandom } from '../support/seeded-random.ts';
import { gaps, identity, makePool, OK, QUEUE_TIMEOUT_MS, rejection } from './pool-fixture.ts';

/** Delays of the pool's wake-ups (every timer but the waiters' own queue timeouts). */
const wakeDelays = (delays: readonly number[]) => delays.filter((d) => d !== QUEUE_TIMEOUT_MS);

describe('pacing state', () => {
  test('no start yet: the next call may start at once; after one, a gap of the interval plus the drawn extra', () => {
    expect(nextStartAt(UNPACED, { minIntervalMs: 1_000, jitterMs: 500 })).toBe(-Infinity);
    const state = afterStart({ minIntervalMs: 1_000, jitterMs: 500 }, 10_000, () => 0.5);
    expect(state).toEqual({ lastStartAt: 10_000, extraMs: 250 });
    expect(nextStartAt(state, { minIntervalMs: 1_000, jitterMs: 500 })).toBe(11_250);
  });

  test('the extra is within 0..jitterMs for any draw; without jitter none is drawn', () => {
    let draws = 0;
    const counting = () => {
      draws++;
      return 0.3;
    };
    expect(afterStart({ minIntervalMs: 1_000 }, 0, counting)).toEqual({ lastStartAt: 0, extraMs: 0 });
    expect(draws).toBe(0);
    expect(afterStart({ jitterMs: 400 }, 0, () => 0).extraMs).toBe(0);
    expect(afterStart({ jitterMs: 400 }, 0, () => 0.999_999_9).extraMs).toBe(400);
  });

  test('a lower interval or jitter (a reload) applies to the gap already running', () => {
    const state = afterStart({ minIntervalMs: 10_000, jitterMs: 4_000 }, 0, () => 0.75);
    expect(nextStartAt(state, { minIntervalMs: 10_000, jitterMs: 4_000 })).toBe(13_000);
    expect(nextStartAt(state, { minIntervalMs: 2_000, jitterMs: 1_000 })).toBe(3_000);
    expect(nextStartAt(state, {})).toBe(0);
  });
});

describe('pacing in the pool', () => {
  test('under a backlog, gaps between starts are never below minIntervalMs and the extra stays within jitterMs', async () => {
    const minIntervalMs = 1_000;
    const jitterMs = 500;
    const { acquire, release, clock, startsOf } = makePool([identity('a', { maxConcurrent: 100, minIntervalMs, jitterMs })], {
      queueMax: 500,
      queueTimeoutMs: 3_600_000,
    });
    const requests = Array.from({ length: 200 }, () => track(acquire({ deadline: clock.now() + 3_600_000 })));
    for (let s = 0; s < 400; s++) {
      clock.advance(1_000);
      await settle();
      for (const r of requests) if (r.state === 'resolved' && r.value!.member.inFlight > 0) release(r.value!, OK);
    }
    expect(requests.every((r) => r.state === 'resolved')).toBe(true);
    const extras = gaps(startsOf.get('a')!).map((g) => g - minIntervalMs);
    expect(extras).toHaveLength(199);
    // (the pool's wake-up fires 1 ms after the slot opens)
    for (const extra of extras) {
      expect(extra).toBeGreaterThanOrEqual(0);
      expect(extra).toBeLessThanOrEqual(jitterMs + 1);
    }
    // Drawn per gap: spread over the whole range, not one fixed extra.
    const mean = extras.reduce((a, b) => a + b, 0) / extras.length;
    expect(mean).toBeGreaterThan(jitterMs * 0.4);
    expect(mean).toBeLessThan(jitterMs * 0.6);
    expect(Math.min(...extras)).toBeLessThan(jitterMs * 0.1);
    expect(Math.max(...extras)).toBeGreaterThan(jitterMs * 0.9);
  });

  test('an identity inside its interval is not eligible: another one serves at once, even for its own conversation', async () => {
    const { serve, pool } = makePool([identity('a', { minIntervalMs: 10_000 }), identity('b', { minIntervalMs: 10_000 })]);
    expect(await serve(OK, { preferredId: 'a' })).toBe('a');
    expect(await serve(OK, { preferredId: 'a' })).toBe('b');
    expect(pool.queueDepth).toBe(0);
  });

  test("queued requests go to whichever identity's slot opens first; the wake-up is set to that slot", async () => {
    const { acquire, release, clock, startsOf } = makePool(
      [identity('a', { maxConcurrent: 4, minIntervalMs: 6_000 }), identity('b', { maxConcurrent: 4, minIntervalMs: 10_000 })],
      { random: () => 0 },
    );
    const t0 = clock.now();
    release(await acquire({ preferredId: 'a' }));
    release(await acquire({ preferredId: 'b' }));
    const wakesBefore = clock.delays.length;
    const waiters = [track(acquire()), track(acquire()), track(acquire()), track(acquire())];
    // a opens at +6 s; the wake-up is set for it (1 ms after), not a poll
    expect(wakeDelays(clock.delays.slice(wakesBefore))).toEqual([6_001]);
    clock.advance(20_000);
    await settle();
    // (the leases stay out: maxConcurrent is not what holds anyone back here, and no release re-arms the wake-up)
    expect(waiters.map((w) => w.value?.member.id)).toEqual(['a', 'b', 'a', 'a']);
    // a at 6 s, b at 10 s, a again at 12 s, then a at 18 s: b's next slot is 20 s.
    expect(startsOf.get('a')!.map((t) => t - t0)).toEqual([0, 6_001, 12_002, 18_003]);
    expect(startsOf.get('b')!.map((t) => t - t0)).toEqual([0, 10_001]);
    // One wake-up per slot that opened, each set for it: no polling in between.
    expect(wakeDelays(clock.delays.slice(wakesBefore))).toEqual([6_001, 4_000, 2_001, 6_001]);
  });

  test('an extra call of the same attempt (a retry after a refresh) is a start: the next call waits a full gap from it', async () => {
    const { acquire, release, clock, startsOf } = makePool([identity('a', { maxConcurrent: 4, minIntervalMs: 5_000 })]);
    const t0 = clock.now();
    const lease = await acquire();
    clock.advance(800);
    expect(lease.takeExtraCall()).toBe(true); // not held back: it completes the same attempt
    release(lease);
    const next = track(acquire());
    clock.advance(t0 + 800 + 5_000 - clock.now() - 1);
    await settle();
    expect(next.state).toBe('pending');
    clock.advance(2);
    await settle();
    expect(next.state).toBe('resolved');
    expect(startsOf.get('a')).toEqual([t0, t0 + 800 + 5_001]);
  });

  test("an operator's probe is a start too", async () => {
    const { acquire, pool, release, clock } = makePool([identity('a', { maxConcurrent: 4, minIntervalMs: 5_000 })]);
    release(pool.leaseForProbe('a')!);
    clock.advance(1_000);
    const next = track(acquire());
    await settle();
    expect(next.state).toBe('pending');
  });

  test('a full queue while every identity is pacing: identities_busy naming pacing, Retry-After until the first slot', async () => {
    const paced = [identity('a', { minIntervalMs: 7_000 }), identity('b', { minIntervalMs: 9_000 })];
    const { acquire, release, clock } = makePool(paced, { queueMax: 1 });
    release(await acquire({ preferredId: 'a' }));
    release(await acquire({ preferredId: 'b' }));
    clock.advance(1_000);
    void acquire().catch(() => {});
    const error = await rejection(acquire());
    expect(error).toBeInstanceOf(GatewayError);
    expect(error).toMatchObject({ errorCode: 'identities_busy', retryAfterSeconds: 6 });
    expect((error as GatewayError).message).toContain('2 pacing');
  });

  test('defaults 0/0: back-to-back starts as before', async () => {
    const { serve, startsOf } = makePool([identity('a')]);
    for (let i = 0; i < 5; i++) await serve();
    expect(gaps(startsOf.get('a')!)).toEqual([0, 0, 0, 0]);
  });

  test('a reload that lowers minIntervalMs lets a waiter in at the new, earlier slot', async () => {
    const { acquire, release, pool, clock } = makePool([identity('a', { minIntervalMs: 60_000 })], { random: seededRandom(3) });
    release(await acquire());
    const waiting = track(acquire());
    clock.advance(5_000);
    await settle();
    expect(waiting.state).toBe('pending');
    pool.reload([identity('a', { minIntervalMs: 2_000 })]);
    await settle();
    expect(waiting.state).toBe('resolved');
  });
});

describe('pacing in the account file', () => {
  const parse = (json: unknown) => parseAccounts(json, 'accounts.json');

  test('minIntervalMs and jitterMs per identity and in defaults; 0/0 when absent', () => {
    const [a, b, c] = parse({
      defaults: { minIntervalMs: 3_000, jitterMs: 1_500 },
      identities: [{ id: 'a' }, { id: 'b', minIntervalMs: 0 }, { id: 'c', jitterMs: 250 }],
    });
    expect([a, b, c].map((i) => [i!.minIntervalMs, i!.jitterMs])).toEqual([
      [3_000, 1_500],
      [0, 1_500],
      [3_000, 250],
    ]);
    expect(parse({ identities: [{ id: 'x' }] })[0]).toMatchObject({ minIntervalMs: 0, jitterMs: 0 });
  });

  test('a bad value is refused with the field named', () => {
    const cases: Array<[unknown, string]> = [
      [{ identities: [{ id: 'a', minIntervalMs: -1 }] }, 'identity "a": "minIntervalMs": must be a whole number from 0 to 3600000 (got -1)'],
      [{ identities: [{ id: 'a', minIntervalMs: 1.5 }] }, 'identity "a": "minIntervalMs": must be a whole number'],
      [{ identities: [{ id: 'a', jitterMs: '500' }] }, 'identity "a": "jitterMs": must be a whole number from 0 to 3600000 (got "500")'],
      [{ identities: [{ id: 'a', jitterMs: 3_600_001 }] }, '"jitterMs": must be a whole number from 0 to 3600000'],
      [{ defaults: { minIntervalMs: null }, identities: [{ id: 'a' }] }, '"defaults.minIntervalMs": must be a whole number'],
      [{ defaults: { jitterMs: -5 }, identities: [{ id: 'a' }] }, '"defaults.jitterMs": must be a whole number'],
    ];
    for (const [json, message] of cases) expect(() => parse(json)).toThrow(message);
  });
});
