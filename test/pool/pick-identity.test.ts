import { describe, expect, test } from 'bun:test';
import { DEFAULT_HEALTH_POLICY, IdentityHealth } from '../../src/pool/health.ts';
import { pickIdentity, WeightedMembers } from '../../src/pool/pick-identity.ts';
import { PoolMember } from '../../src/pool/pool-member.ts';
import { KimiIdentity } from '../../src/providers/kimi-ai-chat/identity.ts';

const member = (id: string, extra: Partial<{ weight: number; maxConcurrent: number; rpm: number }> = {}) =>
  new PoolMember({ id, weight: 1, maxConcurrent: 2, rpm: 0, enabled: true, ...extra }, new KimiIdentity({ id }), new IdentityHealth(DEFAULT_HEALTH_POLICY, 0));

function seeded(seed: number) {
  let s = seed;
  return () => ((s = (s * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
}

describe('pickIdentity', () => {
  test('skips identities that are cooling, at maxConcurrent, excluded or over rpm', () => {
    const [a, b, c, d, e] = ['a', 'b', 'c', 'd', 'e'].map((id) => member(id, id === 'd' ? { rpm: 1 } : {}));
    a!.health.record({ kind: 'rate_limited', retryAfterMs: 10_000, detail: '' }, 0);
    b!.inFlight = 2;
    d!.window.record(0);
    const pool = new WeightedMembers([a!, b!, c!, d!, e!]);
    const picks = new Set<string>();
    for (let i = 0; i < 200; i++) picks.add(pickIdentity(pool, { now: 1, exclude: new Set(['e']), random: seeded(i) })!.id);
    expect([...picks]).toEqual(['c']);
  });

  test('returns null when nobody is eligible', () => {
    const a = member('a');
    a.health.disable('x', 0);
    expect(pickIdentity(new WeightedMembers([a]), { now: 1 })).toBeNull();
  });

  test('prefers the conversation identity while eligible', () => {
    const pool = new WeightedMembers(['a', 'b', 'c'].map((id) => member(id)));
    for (let i = 0; i < 50; i++) expect(pickIdentity(pool, { now: 0, preferredId: 'b', random: seeded(i) })!.id).toBe('b');
    pool.members[1]!.inFlight = 2;
    expect(pickIdentity(pool, { now: 0, preferredId: 'b', random: seeded(1) })!.id).not.toBe('b');
  });

  test('of the two drawn, a clearly less loaded one wins', () => {
    const [a, b] = [member('a', { maxConcurrent: 10 }), member('b', { maxConcurrent: 10 })];
    a!.inFlight = 5;
    const pool = new WeightedMembers([a!, b!]);
    const random = seeded(3);
    let bWins = 0;
    for (let i = 0; i < 4_000; i++) if (pickIdentity(pool, { now: 0, random })!.id === 'b') bWins++;
    // 'a' is kept only when drawn twice (1/4); every mixed draw goes to 'b'
    expect(bWins / 4_000).toBeGreaterThan(0.72);
    expect(bWins / 4_000).toBeLessThan(0.78);
  });

  test('an identity with recent errors loses against a healthy one', () => {
    const [a, b] = [member('a'), member('b')];
    for (let t = 0; t < 5; t++) a!.load.observeResult(true, t);
    const pool = new WeightedMembers([a!, b!]);
    const random = seeded(5);
    let bWins = 0;
    for (let i = 0; i < 1_000; i++) if (pickIdentity(pool, { now: 0, random })!.id === 'b') bWins++;
    expect(bWins / 1_000).toBeGreaterThan(0.7);
  });

  test('weights shape the split when load is equal', () => {
    const pool = new WeightedMembers([member('heavy', { weight: 3 }), member('light', { weight: 1 })]);
    const random = seeded(7);
    let heavy = 0;
    for (let i = 0; i < 4_000; i++) if (pickIdentity(pool, { now: 0, random })!.id === 'heavy') heavy++;
    expect(heavy / 4_000).toBeGreaterThan(0.7);
    expect(heavy / 4_000).toBeLessThan(0.8);
  });
});
