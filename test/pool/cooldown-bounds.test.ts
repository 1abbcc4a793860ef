// Bounds on every wait the pool can be told about (issue 9, defect 5): Retry-After values,
// cooldowns, states restored from an old database, and the pool's own timers. Fake clock
// and fake timers: nothing here waits for real time.

import { describe, expect, test } from 'bun:test';
import type { GatewayError } from '../../src/errors.ts';
import { DEFAULT_HEALTH_POLICY, IdentityHealth, type HealthSnapshot } from '../../src/pool/health.ts';
import type { IdentityConfig } from '../../src/pool/identity-config.ts';
import { IdentityPool, MAX_WAKE_MS, type Lease } from '../../src/pool/identity-pool.ts';
import { MAX_TIMER_MS } from '../../src/pool/pool-timers.ts';
import { openDatabase } from '../../src/store/database.ts';
import { FakeClock } from '../support/fake-clock.ts';
import { FakeProvider } from '../support/fake-provider.ts';
import { IdentityStateRepo } from '../../src/store/identity-state-repo.ts';
import { MAX_RETRY_AFTER_MS, parseRetryAfter, retryAfterSeconds } from '../../src/providers/retry-after.ts';

const HOUR = 3_600_000;
const NOW = Date.parse('2026-12-01T12:00:00Z');
const policy = { ...DEFAULT_HEALTH_POLICY, random: () => 0.5 };

describe('parseRetryAfter', () => {
  test('the cap is one hour, as documented', () => {
    expect(MAX_RETRY_AFTER_MS).toBe(HOUR);
  });

  test('delay-seconds: taken as given up to the cap, clamped beyond it', () => {
    expect(parseRetryAfter('30', NOW)).toBe(30_000);
    expect(parseRetryAfter(' 0 ', NOW)).toBe(0);
    expect(parseRetryAfter('3600', NOW)).toBe(HOUR);
    expect(parseRetryAfter('3601', NOW)).toBe(HOUR);
    expect(parseRetryAfter('99999999999', NOW)).toBe(HOUR);
    expect(parseRetryAfter('9'.repeat(400), NOW)).toBe(HOUR); // Number() says Infinity
  });

  test('an HTTP date: the time left until it, clamped; one in the past is 0', () => {
    expect(parseRetryAfter(new Date(NOW + 90_000).toUTCString(), NOW)).toBe(90_000);
    expect(parseRetryAfter('Wed, 01 Dec 2027 12:00:00 GMT', NOW)).toBe(HOUR);
    expect(parseRetryAfter('Fri, 31 Dec 9999 23:59:59 GMT', NOW)).toBe(HOUR);
    expect(parseRetryAfter('Sunday, 06-Nov-94 08:49:37 GMT', NOW)).toBe(0);
    expect(parseRetryAfter('Sun Nov  6 08:49:37 1994', NOW)).toBe(0);
  });

  test('negative numbers and garbage are no value at all', () => {
    for (const value of ['-5', '-99999999999', '1.5', '12 13', '1e9', '', 'soon', 'Wed, not a date', '0x10', 'NaN', 'Infinity']) {
      expect([value, parseRetryAfter(value, NOW)]).toEqual([value, null]);
    }
    expect(parseRetryAfter(null, NOW)).toBeNull();
  });

  test('what clients are told: whole seconds, at least 1, at most the cap', () => {
    expect(retryAfterSeconds(0)).toBe(1);
    expect(retryAfterSeconds(1_001)).toBe(2);
    expect(retryAfterSeconds(99999999999_000)).toBe(3600);
    expect(retryAfterSeconds(Number.POSITIVE_INFINITY)).toBe(3600);
    expect(retryAfterSeconds(-5_000)).toBe(1);
    expect(retryAfterSeconds(Number.NaN)).toBe(1);
  });
});

describe('IdentityHealth bounds', () => {
  test('a 429 with an absurd Retry-After cools for at most maxCooldownMs', () => {
    const h = new IdentityHealth(policy, NOW);
    h.record({ kind: 'rate_limited', retryAfterMs: 99999999999_000, detail: 'HTTP 429' }, NOW);
    expect(h.state.kind).toBe('cooling');
    expect((h.state as { until: number }).until).toBe(NOW + policy.maxCooldownMs);
    expect(policy.maxCooldownMs).toBe(HOUR);
  });

  test('states restored from an old file with absurd ends are bounded by their policy', () => {
    const restore = (state: HealthSnapshot['state']) =>
      new IdentityHealth(policy, NOW, { state, consecutiveFaults: 0, rateLimitStreak: 1, ejections: 1 }).state as { kind: string; until: number };
    const farAway = NOW + 99999999999_000;
    expect(restore({ kind: 'cooling', since: NOW - 1, until: farAway, reason: 'x' }).until).toBe(NOW + policy.maxCooldownMs);
    expect(restore({ kind: 'ejected', since: NOW - 1, until: farAway, reason: 'x' }).until).toBe(NOW + policy.ejectMaxMs);
    expect(restore({ kind: 'challenged', since: NOW - 1, until: farAway, reason: 'x' }).until).toBe(NOW + policy.challengeCooldownMs);
    // A sane stored end is kept as it is; a missing or broken one means "now" (one probe decides).
    expect(restore({ kind: 'cooling', since: NOW - 1, until: NOW + 5_000, reason: 'x' }).until).toBe(NOW + 5_000);
    expect(restore({ kind: 'cooling', since: NOW - 1, until: null as unknown as number, reason: 'x' }).until).toBe(NOW);
  });
});

const identity = (id: string): IdentityConfig => ({ id, cookies: `kimi_visitor=${id}`, weight: 1, maxConcurrent: 1, rpm: 0, enabled: true });
const never = new AbortController().signal;

describe('IdentityPool timers', () => {
  test('a waiter behind an identity cooled "for 3,170 years" gets a wake-up within MAX_WAKE_MS, never an overflowing timer', async () => {
    const clock = new FakeClock(NOW);
    const pool = new IdentityPool({ identities: [identity('a')], states: new FakeProvider(), policy, queueMax: 10, queueTimeoutMs: 150_000, now: clock.now, timers: clock.timers });
    const lease = await pool.acquire({ signal: never, deadline: NOW + 600_000 });
    pool.release(lease, { outcome: { kind: 'rate_limited', retryAfterMs: 99999999999_000, detail: 'HTTP 429' }, latencyMs: 5, timeoutCounts: true });

    let settled: Lease<unknown> | Error | null = null;
    pool.acquire({ signal: never, deadline: NOW + 600_000 }).then((l) => (settled = l), (e: Error) => (settled = e));
    expect(pool.queueDepth).toBe(1);
    // The waiter's own timer (QUEUE_TIMEOUT_MS) and the wake-up, capped at MAX_WAKE_MS.
    expect(clock.delays).toEqual([150_000, MAX_WAKE_MS]);

    // Each wake-up re-checks and re-arms at most MAX_WAKE_MS out; the waiter gives up at
    // QUEUE_TIMEOUT_MS with a Retry-After within the cap.
    clock.advance(MAX_WAKE_MS);
    clock.advance(MAX_WAKE_MS);
    expect(settled).toBeNull();
    expect(clock.delays).toEqual([150_000, MAX_WAKE_MS, MAX_WAKE_MS, MAX_WAKE_MS]);
    clock.advance(30_000);
    await Promise.resolve();
    expect(settled).toBeInstanceOf(Error);
    const error = settled as unknown as GatewayError;
    expect(error.errorCode).toBe('identities_busy');
    expect(error.retryAfterSeconds).toBe(3600 - 150); // the cooldown's end, an hour after the 429
    expect(clock.delays.every((d) => d >= 0 && d <= MAX_TIMER_MS)).toBe(true);
    pool.close();
    expect(clock.pending).toBe(0);
  });

  test('the queue wait is clamped even for a deadline far away', async () => {
    const clock = new FakeClock(NOW);
    const pool = new IdentityPool({ identities: [identity('a')], states: new FakeProvider(), policy, queueMax: 10, queueTimeoutMs: 30_000, now: clock.now, timers: clock.timers });
    await pool.acquire({ signal: never, deadline: Number.MAX_SAFE_INTEGER });
    void pool.acquire({ signal: never, deadline: Number.MAX_SAFE_INTEGER }).catch(() => {});
    expect(clock.delays).toEqual([30_000]); // busy, not cooling: no wake-up, the wait is QUEUE_TIMEOUT_MS
    pool.close();
  });

  test('a cooldown stored with an absurd end by an older gateway is bounded when the pool starts', () => {
    const db = openDatabase(':memory:');
    const repo = new IdentityStateRepo(db);
    const health: HealthSnapshot = {
      state: { kind: 'cooling', since: NOW - 1_000, until: NOW + 99999999999_000, reason: 'rate limited: HTTP 429' },
      consecutiveFaults: 0,
      rateLimitStreak: 1,
      ejections: 0,
    };
    repo.saveMany([{ id: 'a', seedHash: 'x', state: '{}', health: JSON.stringify(health), updatedAt: NOW - 1_000 }]);
    const clock = new FakeClock(NOW);
    const pool = new IdentityPool({ identities: [identity('a')], states: new FakeProvider(), policy, queueMax: 10, queueTimeoutMs: 30_000, now: clock.now, timers: clock.timers, repo });
    const state = pool.list()[0]!.health.state as { kind: string; until: number };
    expect(state.kind).toBe('cooling');
    expect(state.until).toBe(NOW + HOUR);
    pool.close();
    db.close();
  });
});
