// ActivityFeed on an injected clock: continuous buckets, ok vs failed, the sliding
// window, the recent ring, and bounded memory.

import { describe, expect, test } from 'bun:test';
import { ActivityFeed } from '../../src/ops/activity-feed.ts';
import type { RequestRecord } from '../../src/ops/request-record.ts';

const T0 = 1_763_750_000_000; // a multiple of 10 s
const MIN = 60_000;

function clock(start = T0) {
  const c = { t: start, now: () => c.t };
  return c;
}

let seq = 0;
function rec(outcome = 'ok', extra: Partial<RequestRecord> = {}): RequestRecord {
  seq++;
  return {
    id: `req-${seq}`,
    at: T0,
    method: 'POST',
    route: '/v1/chat/completions',
    status: outcome === 'ok' ? 200 : 502,
    keyName: 'key-1a2b3c4d',
    model: 'kimi-k2-instruct-0905',
    stream: false,
    identity: 'acct-1',
    attempts: 1,
    outcome,
    durationMs: 12,
    upstreamMs: 10,
    firstContentMs: 11,
    queueWaitMs: 0,
    ...extra,
  };
}

describe('buckets', () => {
  test('an empty feed covers the whole window with zero buckets, oldest first, continuous', () => {
    const c = clock(T0 + 3_000);
    const snap = new ActivityFeed({ now: c.now }).snapshot();
    expect(snap.bucketMs).toBe(10_000);
    expect(snap.buckets).toHaveLength(90);
    expect(snap.buckets.at(-1)!.t).toBe(T0);
    expect(snap.buckets[0]!.t).toBe(T0 - 89 * 10_000);
    for (let i = 1; i < snap.buckets.length; i++) expect(snap.buckets[i]!.t - snap.buckets[i - 1]!.t).toBe(10_000);
    expect(snap.buckets.every((b) => b.ok === 0 && b.failed === 0 && Object.keys(b.outcomes).length === 0)).toBe(true);
    expect(snap.recent).toEqual([]);
  });

  test('counts ok and failed per bucket, with outcomes by kind', () => {
    const c = clock();
    const feed = new ActivityFeed({ now: c.now });
    feed.record(rec('ok'));
    feed.record(rec('ok'));
    feed.record(rec('rate_limited'));
    c.t += 10_000;
    feed.record(rec('invalid_request_error'));
    feed.record(rec('ok'));
    c.t += 25_000; // two empty buckets, then the current one
    const b = feed.snapshot().buckets.slice(-4);
    expect(b.map((x) => x.t)).toEqual([T0, T0 + 10_000, T0 + 20_000, T0 + 30_000]);
    expect(b[0]).toEqual({ t: T0, ok: 2, clientErrors: 0, failed: 1, outcomes: { ok: 2, rate_limited: 1 } });
    expect(b[1]).toEqual({ t: T0 + 10_000, ok: 1, clientErrors: 0, failed: 1, outcomes: { invalid_request_error: 1, ok: 1 } });
    expect(b[2]).toEqual({ t: T0 + 20_000, ok: 0, clientErrors: 0, failed: 0, outcomes: {} });
    expect(b[3]).toEqual({ t: T0 + 30_000, ok: 0, clientErrors: 0, failed: 0, outcomes: {} });
  });

  test('a bucket runs from its start up to (not including) the next start', () => {
    const c = clock(T0 + 9_999);
    const feed = new ActivityFeed({ now: c.now });
    feed.record(rec());
    c.t = T0 + 10_000;
    feed.record(rec());
    const b = feed.snapshot().buckets.slice(-2);
    expect(b.map((x) => [x.t, x.ok])).toEqual([
      [T0, 1],
      [T0 + 10_000, 1],
    ]);
  });

  test('buckets leave the window, and a reused slot starts from zero', () => {
    const c = clock();
    const feed = new ActivityFeed({ now: c.now });
    feed.record(rec('ok'));
    feed.record(rec('transient'));
    c.t += 15 * MIN - 10_000; // the first bucket is now the oldest one shown
    expect(feed.snapshot().buckets[0]).toMatchObject({ t: T0, ok: 1, failed: 1 });
    c.t += 10_000; // its slot is the current bucket's now
    const snap = feed.snapshot();
    expect(snap.buckets[0]!.t).toBe(T0 + 10_000);
    expect(snap.buckets.every((b) => b.ok === 0 && b.failed === 0)).toBe(true);
    feed.record(rec('challenged'));
    expect(feed.snapshot().buckets.at(-1)).toEqual({ t: T0 + 15 * MIN, ok: 0, clientErrors: 0, failed: 1, outcomes: { challenged: 1 } });
  });

  test('a jump far past the window shows nothing old', () => {
    const c = clock();
    const feed = new ActivityFeed({ now: c.now });
    for (let i = 0; i < 90; i++) {
      feed.record(rec());
      c.t += 10_000;
    }
    c.t += 3 * 60 * MIN;
    const snap = feed.snapshot();
    expect(snap.buckets).toHaveLength(90);
    expect(snap.buckets.reduce((n, b) => n + b.ok + b.failed, 0)).toBe(0);
    expect(snap.recent).toHaveLength(50); // recent records are not time-bounded
  });

  test('minutes narrows the span; default and maximum are the window; at least one bucket', () => {
    const c = clock(T0 + 5_000);
    const feed = new ActivityFeed({ now: c.now });
    expect(feed.snapshot(5).buckets).toHaveLength(30);
    expect(feed.snapshot(5).buckets.at(-1)!.t).toBe(T0);
    expect(feed.snapshot(15).buckets).toHaveLength(90);
    expect(feed.snapshot(60).buckets).toHaveLength(90);
    expect(feed.snapshot(0.25).buckets).toHaveLength(2);
    expect(feed.snapshot(0).buckets).toHaveLength(1);
    expect(feed.snapshot(-3).buckets).toHaveLength(1);
    expect(feed.snapshot(Number.NaN).buckets).toHaveLength(90);
  });

  test('custom bucket width and window (window not a multiple of the width)', () => {
    const c = clock();
    const feed = new ActivityFeed({ now: c.now, bucketMs: 60_000, windowMs: 150_000 });
    feed.record(rec());
    const snap = feed.snapshot();
    expect(snap.bucketMs).toBe(60_000);
    expect(snap.buckets).toHaveLength(3);
    expect(snap.buckets.at(-1)!.t).toBe(Math.floor(T0 / 60_000) * 60_000);
    expect(snap.buckets.at(-1)!.ok).toBe(1);
  });

  test('a clock stepping back counts into the newest bucket instead of erasing it', () => {
    const c = clock(T0 + 15 * MIN);
    const feed = new ActivityFeed({ now: c.now });
    feed.record(rec());
    c.t = T0; // same ring slot, a whole window earlier
    feed.record(rec('transient'));
    c.t = T0 + 15 * MIN;
    expect(feed.snapshot().buckets.at(-1)).toMatchObject({ t: T0 + 15 * MIN, ok: 1, failed: 1 });
  });

  test('snapshots are copies', () => {
    const c = clock();
    const feed = new ActivityFeed({ now: c.now });
    feed.record(rec());
    const snap = feed.snapshot();
    snap.buckets.at(-1)!.outcomes.ok = 99;
    snap.buckets.at(-1)!.ok = 99;
    expect(feed.snapshot().buckets.at(-1)).toMatchObject({ ok: 1, outcomes: { ok: 1 } });
  });
});

describe('recent', () => {
  test('newest first, bounded by recentMax', () => {
    const c = clock();
    const feed = new ActivityFeed({ now: c.now, recentMax: 3 });
    const records = Array.from({ length: 5 }, () => rec());
    feed.record(records[0]!);
    expect(feed.snapshot().recent.map((r) => r.id)).toEqual([records[0]!.id]);
    for (const r of records.slice(1)) feed.record(r);
    expect(feed.snapshot().recent.map((r) => r.id)).toEqual([records[4]!.id, records[3]!.id, records[2]!.id]);
  });

  test('default keeps 50; recentMax 0 keeps none but still counts', () => {
    const c = clock();
    const feed = new ActivityFeed({ now: c.now });
    for (let i = 0; i < 120; i++) feed.record(rec());
    expect(feed.snapshot().recent).toHaveLength(50);
    const none = new ActivityFeed({ now: c.now, recentMax: 0 });
    none.record(rec());
    expect(none.snapshot().recent).toEqual([]);
    expect(none.snapshot().buckets.at(-1)!.ok).toBe(1);
  });
});

describe('bounds', () => {
  test('memory stays fixed under a long, heavy run; each record costs O(1)', () => {
    const c = clock();
    const feed = new ActivityFeed({ now: c.now });
    const kinds = ['ok', 'ok', 'ok', 'rate_limited', 'transient'];
    const started = performance.now();
    // Four hours of 100 requests per second, in simulated time.
    for (let i = 0; i < 1_440_000; i++) {
      c.t = T0 + i * 10;
      feed.record(rec(kinds[i % kinds.length]!));
    }
    const elapsed = performance.now() - started;
    const snap = feed.snapshot();
    expect(snap.buckets).toHaveLength(90);
    expect(snap.recent).toHaveLength(50);
    expect(snap.buckets.at(-1)!.ok + snap.buckets.at(-1)!.failed).toBe(1000);
    expect(snap.buckets[0]!.ok).toBe(600);
    expect(snap.buckets[0]!.outcomes).toEqual({ ok: 600, rate_limited: 200, transient: 200 });
    // Generous: ~0.1 µs per record here; a per-record scan of 90 buckets would be far slower.
    expect(elapsed).toBeLessThan(5_000);
  }, 30_000);

  test('rejects nonsense options', () => {
    expect(() => new ActivityFeed({ bucketMs: 0 })).toThrow(RangeError);
    expect(() => new ActivityFeed({ bucketMs: 1.5 })).toThrow(RangeError);
    expect(() => new ActivityFeed({ bucketMs: 10_000, windowMs: 5_000 })).toThrow(RangeError);
    expect(() => new ActivityFeed({ recentMax: -1 })).toThrow(RangeError);
  });
});
