// The scale section's pure parts (scripts/bench/scale-summary.ts): the rolling 60 s count agrees
// with the gateway's own rpm window, pairs are compared without their noisy cells, and the
// PASS/FAIL lines fail when a limit is exceeded, when the pool under-serves, or when a
// target is missed. The account files it writes are ones the gateway accepts.

import { describe, expect, test } from 'bun:test';
import { distribution, type CellStats } from '../../scripts/bench/load.ts';
import {
  comparePairs,
  evaluateScaleTargets,
  LIMIT_POOL,
  limitAccountsFile,
  limitIdentityIds,
  limitRows,
  mostInWindow,
  OVERHEAD_CONCURRENCY,
  overheadAccountsFile,
  scalePlan,
  SPREAD_CONCURRENCY,
  type Comparison,
  type IdentityLimitRow,
  type LimitRun,
  type PairedCell,
  type ScaleMeasurements,
} from '../../scripts/bench/scale-summary.ts';
import { renderTargets, type TargetCheck } from '../../scripts/bench/report.ts';
import { expandCpuList } from '../../scripts/bench/cpu-pinning.ts';
import type { BenchOptions } from '../../scripts/bench/types.ts';
import { parseAccounts } from '../../src/pool/accounts-file.ts';
import { RateWindow, WINDOW_MS } from '../../src/pool/rate-window.ts';

function stats(rps: number, p50: number, errors = 0, errorKinds: Record<string, number> = {}): CellStats {
  return {
    concurrency: 16,
    requests: 100,
    ok: 100 - errors,
    errors,
    errorKinds,
    throughputRps: rps,
    steadyRps: rps,
    windowMs: 1_000,
    warmupRequests: 0,
    warmupErrors: 0,
    capped: false,
    abortedAtEnd: 0,
    latencyMs: distribution([p50]),
    ttfbMs: null,
    ttfcMs: null,
  };
}

const cell = (pair: number, label: string, rps: number, p50: number, noisy = false): PairedCell => ({ pair, label, stats: stats(rps, p50), noisy });

describe('mostInWindow', () => {
  test('counts calls in (t − window, t]: one exactly a window later does not share the first one', () => {
    expect(mostInWindow([], 60_000)).toBe(0);
    expect(mostInWindow([2, 0, 59_999, 1], 60_000)).toBe(4);
    expect(mostInWindow([2, 0, 60_000, 1], 60_000)).toBe(3);
    expect(mostInWindow([0, 100_000, 100_001, 100_002, 200_000], 60_000)).toBe(3);
  });

  test("never exceeds the limit of calls the gateway's RateWindow admits, and reaches it when the window is kept full", () => {
    let seed = 7;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (const limit of [1, 5, 30]) {
      const window = new RateWindow(limit);
      const admitted: number[] = [];
      let now = 0;
      for (let i = 0; i < 2_000; i++) {
        now += Math.floor(random() * 3_000);
        if (!window.hasRoom(now)) continue;
        window.record(now);
        admitted.push(now);
      }
      expect(admitted.length).toBeGreaterThan(limit);
      expect(mostInWindow(admitted, WINDOW_MS)).toBe(limit);
    }
  });
});

describe('comparePairs', () => {
  test('the median of per-pair ratios and p50 differences, leaving noisy pairs out when enough clean ones remain', () => {
    const cells = [
      cell(1, 'SQLite', 1000, 3),
      cell(1, 'Redis', 900, 4),
      cell(2, 'Redis', 100, 40, true),
      cell(2, 'SQLite', 1000, 3),
      cell(3, 'SQLite', 1000, 3),
      cell(3, 'Redis', 800, 5),
      cell(4, 'Redis', 850, 4.5),
      cell(4, 'SQLite', 1000, 3),
    ];
    const c = comparePairs(cells, 'SQLite', 'Redis', 3);
    expect(c.pairs.map((p) => p.counted)).toEqual([true, false, true, true]);
    expect(c.ratio).toBeCloseTo(0.85, 6);
    expect(c.p50DeltaMs).toBeCloseTo(1.5, 6);
    expect(c.baseRps).toBe(1000);
    expect(c.otherRps).toBe(850);
  });

  test('every pair counts when too few are clean, and errors of every cell are summed', () => {
    const cells = [cell(1, 'SQLite', 1000, 3, true), cell(1, 'Redis', 500, 6), cell(2, 'Redis', 700, 5), cell(2, 'SQLite', 1000, 3, true)];
    cells[1] = { ...cells[1]!, stats: { ...stats(500, 6, 2, { 'http 503': 2 }), warmupErrors: 1 } };
    const c = comparePairs(cells, 'SQLite', 'Redis', 2);
    expect(c.pairs.every((p) => p.counted && p.noisy)).toBe(true);
    expect(c.ratio).toBeCloseTo(0.5, 6);
    expect(c.otherErrors).toBe(3);
    expect(c.baseErrors).toBe(0);
  });
});

describe('limitRows', () => {
  test("reads each identity's calls, most in flight and most in any 60 s; a truncated log is flagged; a silent identity is zero", () => {
    const [a, b, c] = limitIdentityIds(3);
    const rows = limitRows([a!, b!, c!], {
      [a!]: { messages: 3, maxInFlight: 2, messageTimes: [0, 10, 70_000] },
      [b!]: { messages: 12_000, maxInFlight: 2, messageTimes: [1, 2] },
    });
    expect(rows.map((r) => [r.messages, r.maxInFlight, r.mostInWindow, r.complete])).toEqual([
      [3, 2, 2, true],
      [12_000, 2, 2, false],
      [0, 0, 0, true],
    ]);
  });
});

function comparison(ratio: number, p50DeltaMs: number, errors = 0): Comparison {
  return {
    pairs: [{ pair: 1, ratio, p50DeltaMs, noisy: false, counted: true }],
    ratio,
    p50DeltaMs,
    baseRps: 1000,
    otherRps: 1000 * ratio,
    baseP50Ms: 3,
    otherP50Ms: 3 + p50DeltaMs,
    baseErrors: 0,
    otherErrors: errors,
  };
}

function limitRun(instances: number, rows: Partial<IdentityLimitRow>[], errorKinds: Record<string, number> = {}): LimitRun {
  const errors = Object.values(errorKinds).reduce((a, b) => a + b, 0);
  return {
    instances,
    windowMs: 8_000,
    concurrency: 12,
    stats: stats(10, 200, errors, errorKinds),
    answeredPerInstance: [90],
    rows: rows.map((r, i) => ({
      id: `id-${i}`,
      maxConcurrent: LIMIT_POOL.maxConcurrent,
      rpm: LIMIT_POOL.rpm,
      messages: LIMIT_POOL.rpm,
      maxInFlight: LIMIT_POOL.maxConcurrent,
      mostInWindow: LIMIT_POOL.rpm,
      complete: true,
      ...r,
    })),
  };
}

describe('evaluateScaleTargets', () => {
  const slowOk = comparison(0.995, 1);
  const byName = (checks: TargetCheck[], prefix: string) => checks.find((c) => c.name.startsWith(prefix))!;
  const measured = (m: Partial<ScaleMeasurements>): ScaleMeasurements => ({
    zero: comparison(0.7, 2),
    zeroUnix: comparison(0.8, 1.5),
    zeroOwnCpu: comparison(0.9, 1),
    ownCpuSkipped: null,
    slow: slowOk,
    limits: [],
    ...m,
  });

  test('a1b, the target (redis-server on its own CPU): at most 15 % throughput cost at 0 ms, and no errors', () => {
    expect(byName(evaluateScaleTargets(measured({ zeroOwnCpu: comparison(0.86, 2) })), 'a1b.').pass).toBe(true);
    expect(byName(evaluateScaleTargets(measured({ zeroOwnCpu: comparison(0.84, 2) })), 'a1b.').pass).toBe(false);
    expect(byName(evaluateScaleTargets(measured({ zeroOwnCpu: comparison(0.95, 2, 1) })), 'a1b.').pass).toBe(false);
  });

  test('a1b is a FAIL, saying why, when the machine could not pin redis-server (never a PASS without a measurement)', () => {
    const check = byName(evaluateScaleTargets(measured({ zeroOwnCpu: null, ownCpuSkipped: 'taskset (util-linux) was not found' })), 'a1b.');
    expect(check.pass).toBe(false);
    expect(check.detail).toBe('not measured: taskset (util-linux) was not found');
  });

  test('a1 (every process on the same CPUs) and a1c (the Unix socket) are shown as INFO beside the targets, with their ratios and the line', () => {
    const checks = evaluateScaleTargets(measured({ zero: comparison(0.7, 2), zeroUnix: comparison(0.81, 1) }));
    const unix = byName(checks, 'a1c.');
    expect(unix.informational).toBe(true);
    expect(unix.detail).toStartWith('0.810 (cost 19.0 %');
    const shared = byName(checks, 'a1.');
    expect(shared.informational).toBe(true);
    expect(shared.detail).toStartWith('0.700 (cost 30.0 %');
    expect(shared.detail).toEndWith('≥ 0.85: no');
    expect(byName(evaluateScaleTargets(measured({ zero: comparison(0.86, 2) })), 'a1.').detail).toEndWith('≥ 0.85: yes');
    const lines = renderTargets(checks).split('\n');
    expect(lines.filter((l) => l.startsWith('INFO  '))).toEqual([expect.stringContaining('a1. '), expect.stringContaining('a1c.')]);
    expect(lines.find((l) => l.includes('a1b. '))).toStartWith('PASS  ');
  });

  test('a2: nothing measurable at 500 ms means both the rate and the p50 lines', () => {
    expect(byName(evaluateScaleTargets(measured({ slow: comparison(0.99, 2.5) })), 'a2').pass).toBe(true);
    expect(byName(evaluateScaleTargets(measured({ slow: comparison(0.97, 0) })), 'a2').pass).toBe(false);
    expect(byName(evaluateScaleTargets(measured({ slow: comparison(1, 3.5) })), 'a2').pass).toBe(false);
  });

  test('b: limits reached and held pass; exceeded, under-served, unreached or an incomplete log fail, saying which', () => {
    const run = (rows: Partial<IdentityLimitRow>[], kinds: Record<string, number> = {}) =>
      byName(evaluateScaleTargets(measured({ limits: [limitRun(3, rows, kinds)] })), 'b');
    const held = run([{}, {}, {}], { 'http 429': 30 });
    expect(held.pass).toBe(true);
    expect(held.name).toStartWith('b2. 3 instances');

    const exceeded = run([{}, { maxInFlight: LIMIT_POOL.maxConcurrent + 1 }, {}]);
    expect(exceeded.pass).toBe(false);
    expect(exceeded.detail).toContain('EXCEEDED');
    expect(run([{ mostInWindow: LIMIT_POOL.rpm + 1 }, {}, {}]).pass).toBe(false);
    expect(run([{ complete: false }, {}, {}]).pass).toBe(false);

    const underServed = run([{ mostInWindow: 2, messages: 2 }, {}, {}], { 'http 429': 60 });
    expect(underServed.pass).toBe(false);
    expect(underServed.detail).toContain('under its limits');
    const unreached = run([{ maxInFlight: 1 }, {}, {}]);
    expect(unreached.pass).toBe(false);
    expect(unreached.detail).toContain('never reached');
  });
});

describe('expandCpuList', () => {
  test("reads taskset's lists; anything else is no CPU at all", () => {
    expect(expandCpuList('0-1')).toEqual([0, 1]);
    expect(expandCpuList('0-2,5,7-8')).toEqual([0, 1, 2, 5, 7, 8]);
    expect(expandCpuList('3')).toEqual([3]);
    expect(expandCpuList('2-1')).toEqual([]);
    expect(expandCpuList('a')).toEqual([]);
  });
});

describe('set-up', () => {
  test("the limits pool is one the gateway accepts, with each identity's limits and its own visitor cookie", () => {
    const ids = limitIdentityIds(1);
    expect(new Set([...ids, ...limitIdentityIds(3)]).size).toBe(2 * LIMIT_POOL.identities);
    const parsed = parseAccounts(JSON.parse(limitAccountsFile(ids)), 'limits.json');
    expect(parsed.map((i) => [i.id, i.maxConcurrent, i.rpm, i.cookies])).toEqual(ids.map((id) => [id, LIMIT_POOL.maxConcurrent, LIMIT_POOL.rpm, `kimi_visitor=${id}`]));
  });

  test("the overhead pool's limits cannot bind: any one identity could take every client", () => {
    const parsed = parseAccounts(JSON.parse(overheadAccountsFile()), 'pool.json');
    expect(parsed.length).toBeGreaterThan(1);
    for (const identity of parsed) {
      expect(identity.maxConcurrent).toBeGreaterThanOrEqual(Math.max(OVERHEAD_CONCURRENCY, SPREAD_CONCURRENCY));
      expect(identity.rpm).toBeGreaterThan(0);
    }
  });

  test('--duration sets the measured cells but not the limits window, which must outlast the rpm budget', () => {
    const base: BenchOptions = { only: [], durationS: null, quick: false, outDir: 'x', gatewayBin: null };
    const plan = scalePlan({ ...base, durationS: 2 });
    expect([plan.zero.durationMs, plan.slow.durationMs, plan.spread.durationMs]).toEqual([2_000, 2_000, 2_000]);
    expect(plan.limitWindowMs).toBe(scalePlan(base).limitWindowMs);
    expect(scalePlan({ ...base, quick: true }).zero.durationMs).toBeLessThan(scalePlan(base).zero.durationMs);
  });
});
