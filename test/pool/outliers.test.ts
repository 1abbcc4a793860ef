// Success-rate outlier detection: the rule on its own (pure), then in the pool with the fake
// clock: volume minimums, the cap, never the last ready identity, recovery through one
// probe, growing ejections, persistence across a restart.

import { describe, expect, test } from 'bun:test';
import { DEFAULT_OUTLIER_POLICY, judgeOutlier, mayEjectOutlier, type OutlierPolicy, type OutlierSample } from '../../src/pool/outliers.ts';
import type { UpstreamOutcome } from '../../src/providers/outcome.ts';
import { openDatabase } from '../../src/store/database.ts';
import { IdentityStateRepo } from '../../src/store/identity-state-repo.ts';
import { FakeClock, settle, track } from '../support/fake-clock.ts';
import { FAULT, identity, limited, makePool, OK, policy } from './pool-fixture.ts';

const P = DEFAULT_OUTLIER_POLICY;
const sample = (id: string, attempts: number, successRate: number): OutlierSample => ({
  id,
  attempts,
  failures: Math.round(attempts * (1 - successRate)),
});

describe('the rule', () => {
  test('far below its peers: ejected, with a reason that gives the figures', () => {
    const verdict = judgeOutlier(sample('bad', 30, 0.7), [sample('a', 30, 1), sample('b', 30, 0.97), sample('c', 30, 1)], P);
    expect(verdict).toEqual({ outlier: true, reason: 'outlier: 70 % of 30 attempts succeeded in the last 5 min, its 3 peers 99 %' });
  });

  test('compared with its peers only: one bad identity of three is found (Envoy’s all-hosts σ could not below five)', () => {
    expect(judgeOutlier(sample('bad', 40, 0.7), [sample('a', 40, 1), sample('b', 40, 1)], P).outlier).toBe(true);
  });

  test('too few attempts of its own, or too few peers with enough attempts: no verdict', () => {
    const peers = [sample('a', 30, 1), sample('b', 30, 1), sample('c', 30, 1)];
    expect(judgeOutlier(sample('bad', P.minVolume - 1, 0.5), peers, P).outlier).toBe(false);
    expect(judgeOutlier(sample('bad', P.minVolume, 0.5), peers, P).outlier).toBe(true);
    const thin = [sample('a', 30, 1), sample('b', P.minVolume - 1, 1), sample('c', 5, 1)];
    expect(judgeOutlier(sample('bad', 30, 0.5), thin, P).outlier).toBe(false);
    expect(judgeOutlier(sample('bad', 30, 0.5), [sample('a', 30, 1)], P).outlier).toBe(false);
  });

  test('the gap must exceed both stdevFactor·σ of the peers and minGap', () => {
    // peers 100/80/60 %: mean 80 %, σ 16.3 points, 1.9 σ = 31 points → threshold 49 %
    const spread = [sample('a', 100, 1), sample('b', 100, 0.8), sample('c', 100, 0.6)];
    expect(judgeOutlier(sample('x', 100, 0.5), spread, P).outlier).toBe(false);
    expect(judgeOutlier(sample('x', 100, 0.48), spread, P).outlier).toBe(true);
    // peers all at 100 %: σ = 0, minGap (15 points) decides
    const perfect = [sample('a', 100, 1), sample('b', 100, 1), sample('c', 100, 1)];
    expect(judgeOutlier(sample('x', 100, 0.86), perfect, P).outlier).toBe(false);
    expect(judgeOutlier(sample('x', 100, 0.84), perfect, P).outlier).toBe(true);
  });

  test('chance is not a verdict: the same rates on a few dozen attempts are noise, on hundreds evidence', () => {
    // a site failing 10 % for everyone: 77 % against 96 % happens by luck on 26 and 25 attempts
    const few = judgeOutlier({ id: 'x', attempts: 26, failures: 6 }, [
      { id: 'a', attempts: 25, failures: 1 },
      { id: 'b', attempts: 25, failures: 1 },
    ], P);
    expect(few.outlier).toBe(false);
    const many = judgeOutlier({ id: 'x', attempts: 260, failures: 60 }, [
      { id: 'a', attempts: 250, failures: 10 },
      { id: 'b', attempts: 250, failures: 10 },
    ], P);
    expect(many.outlier).toBe(true);
  });

  test('its own entry among the others is left out', () => {
    const bad = sample('bad', 30, 0.6);
    expect(judgeOutlier(bad, [bad, sample('a', 30, 1)], P).outlier).toBe(false);
  });

  test('the cap: at most maxEjectedShare of the pool, and never without another ready identity', () => {
    expect(mayEjectOutlier({ live: 4, outlierEjected: 1, otherReady: 2 }, P)).toBe(true);
    expect(mayEjectOutlier({ live: 4, outlierEjected: 2, otherReady: 1 }, P)).toBe(false);
    expect(mayEjectOutlier({ live: 3, outlierEjected: 0, otherReady: 2 }, P)).toBe(true);
    expect(mayEjectOutlier({ live: 3, outlierEjected: 1, otherReady: 1 }, P)).toBe(false);
    expect(mayEjectOutlier({ live: 10, outlierEjected: 0, otherReady: 0 }, P)).toBe(false);
    expect(mayEjectOutlier({ live: 10, outlierEjected: 0, otherReady: 9 }, { ...P, maxEjectedShare: 0.1 })).toBe(true);
    expect(mayEjectOutlier({ live: 10, outlierEjected: 1, otherReady: 8 }, { ...P, maxEjectedShare: 0.1 })).toBe(false);
  });
});

/** 30 % failures, never three in a row (so health's own ejection after faults stays out of it). */
const thirtyPercent = (n: number) => (n % 10 === 1 || n % 10 === 4 || n % 10 === 7 ? FAULT : OK);
/** 40 % failures: F, ok, F, ok, ok. */
const fortyPercent = (n: number) => (n % 5 === 0 || n % 5 === 2 ? FAULT : OK);

type Pool = ReturnType<typeof makePool>;

/** Each identity's answers so far, so its pattern goes on across calls of rounds(). */
const answered = new WeakMap<Pool, Map<string, number>>();

/**
 * Round-robin traffic, one request per identity per round, 100 ms apart (a round of ten takes
 * a second, well inside an ejection): each identity's n-th answer comes from its pattern
 * (default: always ok). Identities out of rotation are skipped. Stops early once `until` holds.
 */
async function rounds(p: Pool, count: number, patterns: Record<string, (n: number) => UpstreamOutcome>, only?: string[], until?: () => boolean) {
  const served = answered.get(p) ?? new Map<string, number>();
  answered.set(p, served);
  for (let r = 0; r < count; r++) {
    for (const m of p.pool.list()) {
      if (only && !only.includes(m.id)) continue;
      if (!m.isEligible(p.clock.now())) continue;
      const lease = await p.acquire({ preferredId: m.id });
      const id = lease.member.id;
      const n = served.get(id) ?? 0;
      served.set(id, n + 1);
      p.release(lease, patterns[id]?.(n) ?? OK);
      p.clock.advance(100);
      if (until?.()) return;
    }
  }
}

const ejections = (p: Pool, id: string) => p.stateEvents().filter((e) => e.id === id && e.to === 'ejected').length;

const ids = (n: number) => Array.from({ length: n }, (_, i) => `good-${i + 1}`);

describe('outlier ejection in the pool', () => {
  test('an identity failing 30 % among sound ones is ejected once it has the volume: state event, reason, no traffic', async () => {
    const p = makePool([...ids(3), 'bad'].map((id) => identity(id)));
    await rounds(p, P.minVolume - 1, { bad: thirtyPercent });
    expect(p.member('bad').health.state.kind).toBe('ready'); // 19 attempts: not judged yet
    await rounds(p, 10, { bad: thirtyPercent });
    const { state } = p.member('bad').health;
    expect(state).toMatchObject({ kind: 'ejected', outlier: true, until: state.since + policy.ejectBaseMs });
    expect(state.reason).toMatch(/^outlier: \d+ % of \d+ attempts succeeded in the last 5 min, its 3 peers 100 %$/);
    expect(p.stateEvents()).toEqual([{ type: 'state', id: 'bad', from: 'ready', to: 'ejected', reason: state.reason }]);
    const before = p.picked().length;
    for (let i = 0; i < 20; i++) expect(await p.serve(OK, { preferredId: 'bad' })).not.toBe('bad');
    expect(p.picked().length - before).toBe(20);
  });

  test('with a single peer no verdict is given, whatever the failure rate', async () => {
    const p = makePool([identity('good'), identity('bad')]);
    await rounds(p, 200, { bad: fortyPercent });
    expect(p.member('bad').health.state.kind).toBe('ready');
  });

  test('peers below the minimum volume do not count; once a second peer has it, the next fault ejects', async () => {
    const p = makePool([...ids(3), 'bad'].map((id) => identity(id)));
    await rounds(p, 60, { bad: fortyPercent }, ['good-1', 'bad']);
    await rounds(p, P.minVolume - 1, {}, ['good-2']);
    expect(p.member('bad').health.state.kind).toBe('ready');
    await rounds(p, 1, {}, ['good-2']);
    await rounds(p, 5, { bad: fortyPercent }, ['bad']);
    expect(p.member('bad').health.state).toMatchObject({ kind: 'ejected', outlier: true });
  });

  test('the cap: with maxEjectedShare 0.1 of ten, only one of two outliers is ejected; the other keeps serving', async () => {
    const run = async (outliers: OutlierPolicy) => {
      const p = makePool([...ids(8), 'bad-1', 'bad-2'].map((id) => identity(id)), { outliers });
      const bad = { 'bad-1': fortyPercent, 'bad-2': fortyPercent };
      await rounds(p, 100, bad, undefined, () => ejections(p, 'bad-1') + ejections(p, 'bad-2') > 0);
      // ten more seconds (an ejection lasts 30): both fail on at every round they serve
      await rounds(p, 10, bad);
      return p;
    };
    const capped = await run({ ...P, maxEjectedShare: 0.1 });
    expect(ejections(capped, 'bad-1') + ejections(capped, 'bad-2')).toBe(1);
    const serving = ['bad-1', 'bad-2'].find((id) => capped.member(id).health.state.kind === 'ready')!;
    expect(capped.member(serving).recent.counts(capped.clock.now()).failures).toBeGreaterThan(P.minVolume * 0.3);

    const uncapped = await run(P);
    expect([ejections(uncapped, 'bad-1'), ejections(uncapped, 'bad-2')]).toEqual([1, 1]);
  });

  test('never the last ready identity: while the others cool, the outlier serves on; it goes once one is back', async () => {
    const p = makePool([...ids(2), 'bad'].map((id) => identity(id)));
    await rounds(p, 25, {});
    for (const id of ids(2)) p.release(await p.acquire({ preferredId: id }), limited(60_000));
    await rounds(p, 20, { bad: (n) => (n % 2 === 0 ? FAULT : OK) }, ['bad']);
    expect(p.member('bad').health.state.kind).toBe('ready');
    p.clock.advance(60_000);
    await rounds(p, 1, {}, ['good-1']); // its probe succeeds: ready again
    expect(p.member('good-1').health.state.kind).toBe('ready');
    await rounds(p, 2, { bad: () => FAULT }, ['bad']);
    expect(p.member('bad').health.state).toMatchObject({ kind: 'ejected', outlier: true });
  });

  test('back through one probe; judged afresh after it; a second ejection lasts twice as long', async () => {
    const p = makePool([...ids(3), 'bad'].map((id) => identity(id, { maxConcurrent: id === 'bad' ? 4 : 1 })));
    await rounds(p, 40, { bad: thirtyPercent }, undefined, () => ejections(p, 'bad') > 0);
    const first = p.member('bad').health.state;
    expect(first).toMatchObject({ kind: 'ejected', outlier: true });
    if (first.kind !== 'ejected') throw new Error('unreachable');
    p.clock.advance(first.until - p.clock.now());
    const probe = await p.acquire({ preferredId: 'bad' });
    expect(p.picked().at(-1)).toMatchObject({ id: 'bad', probe: true });
    // only the probe is out, though maxConcurrent is 4
    expect((await p.acquire({ preferredId: 'bad' })).member.id).not.toBe('bad');
    p.release(probe, OK);
    expect(p.member('bad').health.state).toMatchObject({ kind: 'ready', reason: 'recovered from ejected' });
    // the evidence before the ejection is gone: the next faults are judged on new attempts only
    expect(p.member('bad').recent.counts(p.clock.now())).toEqual({ attempts: 1, failures: 0 });
    await rounds(p, 40, { bad: thirtyPercent }, undefined, () => ejections(p, 'bad') > 1);
    const second = p.member('bad').health.state;
    expect(second).toMatchObject({ kind: 'ejected', outlier: true });
    if (second.kind !== 'ejected') throw new Error('unreachable');
    expect(second.until - second.since).toBe(2 * policy.ejectBaseMs);
  });

  test('answers of calls already out when it was ejected neither bring it back nor count as evidence', async () => {
    const p = makePool([...ids(3), 'bad'].map((id) => identity(id, { maxConcurrent: id === 'bad' ? 4 : 1 })));
    const early = await p.acquire({ preferredId: 'bad' });
    await rounds(p, 40, { bad: thirtyPercent }, undefined, () => ejections(p, 'bad') > 0);
    expect(p.member('bad').health.state.kind).toBe('ejected');
    p.release(early, OK);
    expect(p.member('bad').health.state.kind).toBe('ejected');
    expect(p.member('bad').recent.counts(p.clock.now())).toEqual({ attempts: 0, failures: 0 });
  });

  test('rate limits are not failures here: an identity often cooled by 429s is never an outlier', async () => {
    const p = makePool([...ids(3), 'limited'].map((id) => identity(id)));
    let n = 0;
    for (let r = 0; r < 60; r++) {
      await rounds(p, 1, {});
      if (p.member('limited').isEligible(p.clock.now())) p.release(await p.acquire({ preferredId: 'limited' }), n++ % 2 ? limited(1_000) : OK);
    }
    expect(p.member('limited').health.outlierEjected).toBe(false);
    expect(p.member('limited').recent.counts(p.clock.now()).failures).toBe(0);
  });

  test('outliers: null turns detection off', async () => {
    const p = makePool([...ids(3), 'bad'].map((id) => identity(id)), { outliers: null });
    await rounds(p, 100, { bad: fortyPercent });
    expect(p.member('bad').health.state.kind).toBe('ready');
  });
});

describe('outlier ejection across a restart', () => {
  test('the ejection, its reason and end survive; it still counts against the cap; then one probe brings it back', async () => {
    const repo = new IdentityStateRepo(openDatabase(':memory:'));
    const clock = new FakeClock();
    const capped: OutlierPolicy = { ...P, maxEjectedShare: 0.1 };
    const all = [...ids(8), 'bad-1', 'bad-2'].map((id) => identity(id, { maxConcurrent: 4 }));
    const first = makePool(all, { repo, clock, outliers: capped });
    await rounds(first, 40, { 'bad-1': fortyPercent }, [...ids(8), 'bad-1'], () => ejections(first, 'bad-1') > 0);
    const ejected = first.member('bad-1').health.state;
    expect(ejected).toMatchObject({ kind: 'ejected', outlier: true });
    expect(JSON.parse(repo.load('bad-1')!.health).state).toEqual(ejected);
    first.pool.close();

    clock.advance(1_000);
    const second = makePool(all, { repo, clock, outliers: capped });
    expect(second.member('bad-1').health.state).toEqual(ejected);
    expect(second.member('bad-1').health.outlierEjected).toBe(true);
    // bad-2 fails just as often, but the cap (one of ten) is taken by the restored ejection
    await rounds(second, 25, { 'bad-2': fortyPercent }, [...ids(8), 'bad-2']);
    expect(second.member('bad-2').recent.counts(clock.now()).attempts).toBeGreaterThanOrEqual(P.minVolume);
    expect(second.member('bad-2').health.state.kind).toBe('ready');

    if (ejected.kind !== 'ejected') throw new Error('unreachable');
    clock.advance(ejected.until - clock.now());
    const probe = track(second.acquire({ preferredId: 'bad-1' }));
    await settle();
    expect(probe.value?.member.id).toBe('bad-1');
    expect(second.picked().at(-1)).toMatchObject({ id: 'bad-1', probe: true });
    second.release(probe.value!, OK);
    expect(second.member('bad-1').health.state).toMatchObject({ kind: 'ready', reason: 'recovered from ejected' });
    expect(JSON.parse(repo.load('bad-1')!.health).state.kind).toBe('ready');
    // with the cap free again, bad-2 goes at its next fault
    await rounds(second, 3, { 'bad-2': () => FAULT }, ['bad-2']);
    expect(second.member('bad-2').health.state).toMatchObject({ kind: 'ejected', outlier: true });
  });
});
