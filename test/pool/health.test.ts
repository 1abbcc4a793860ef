import { describe, expect, test } from 'bun:test';
import { DEFAULT_HEALTH_POLICY, IdentityHealth } from '../../src/pool/health.ts';

const policy = { ...DEFAULT_HEALTH_POLICY, random: () => 0.5 };

describe('IdentityHealth', () => {
  test('a 429 cools the identity until Retry-After, then it serves again', () => {
    const h = new IdentityHealth(policy, 0);
    expect(h.record({ kind: 'rate_limited', retryAfterMs: 5_000, detail: '429' }, 1_000)).toBe(true);
    expect(h.state).toMatchObject({ kind: 'cooling', since: 1_000, until: 6_000 });
    expect(h.isAvailable(5_999)).toBe(false);
    expect(h.isAvailable(6_000)).toBe(true);
    h.record({ kind: 'success' }, 6_500);
    expect(h.state.kind).toBe('ready');
  });

  test('a new limit never shortens an existing cooldown', () => {
    const h = new IdentityHealth(policy, 0);
    h.record({ kind: 'rate_limited', retryAfterMs: 60_000, detail: 'a' }, 0);
    h.record({ kind: 'rate_limited', retryAfterMs: 1_000, detail: 'b' }, 10_000);
    expect(h.state).toMatchObject({ kind: 'cooling', until: 60_000 });
  });

  test('without Retry-After the cooldown backs off exponentially', () => {
    const h = new IdentityHealth(policy, 0);
    const lengths: number[] = [];
    let now = 0;
    for (let i = 0; i < 4; i++) {
      h.record({ kind: 'rate_limited', retryAfterMs: null, detail: '429' }, now);
      const until = (h.state as { until: number }).until;
      lengths.push(until - now);
      now = until;
    }
    expect(lengths).toEqual([7_500, 15_000, 30_000, 60_000]); // base 10 s, jitter fixed at 0.75 of the ceiling
  });

  test('repeated transient faults eject; ejection grows; one probe decides', () => {
    const h = new IdentityHealth(policy, 0);
    h.record({ kind: 'fault', detail: '502' }, 0);
    h.record({ kind: 'fault', detail: '502' }, 1);
    expect(h.state.kind).toBe('ready');
    h.record({ kind: 'fault', detail: '502' }, 2);
    expect(h.state).toMatchObject({ kind: 'ejected', until: 30_002 });
    expect(h.isAvailable(30_001)).toBe(false);
    expect(h.needsProbe(30_002)).toBe(true);
    h.probing = true;
    expect(h.isAvailable(30_002)).toBe(false); // only one probe at a time
    h.record({ kind: 'fault', detail: 'reset' }, 30_010);
    expect(h.state).toMatchObject({ kind: 'ejected', until: 30_010 + 60_000 });
    h.record({ kind: 'success' }, 90_010);
    expect(h.state.kind).toBe('ready');
  });

  test('a challenge takes the identity out for the long cooldown, then one probe', () => {
    const h = new IdentityHealth({ ...policy, challengeCooldownMs: 600_000 }, 0);
    h.record({ kind: 'challenged', detail: 'cf' }, 100);
    expect(h.state).toMatchObject({ kind: 'challenged', reason: 'cf', since: 100 });
    expect(h.availableAt(200)).toBe(600_100);
    expect(h.needsProbe(600_100)).toBe(true);
  });

  test('disabled identities ignore outcomes until enabled; state round-trips through a snapshot', () => {
    const h = new IdentityHealth(policy, 0);
    h.disable('operator', 5);
    expect(h.record({ kind: 'success' }, 6)).toBe(false);
    expect(h.availableAt(10)).toBeNull();
    const restored = new IdentityHealth(policy, 99, JSON.parse(JSON.stringify(h.snapshot())));
    expect(restored.state).toEqual({ kind: 'disabled', since: 5, reason: 'operator' });
    restored.enable('back', 100);
    expect(restored.isAvailable(100)).toBe(true);
  });
});

test('after a cooldown only one probe goes out until it answers', () => {
  const h = new IdentityHealth(policy, 0);
  h.record({ kind: 'rate_limited', retryAfterMs: 1_000, detail: '429' }, 0);
  expect(h.needsProbe(1_000)).toBe(true);
  h.probing = true;
  expect(h.isAvailable(1_000)).toBe(false);
  h.record({ kind: 'rate_limited', retryAfterMs: 1_000, detail: 'still' }, 1_100);
  expect(h.state).toMatchObject({ kind: 'cooling', until: 2_100 });
  expect(h.isAvailable(2_100)).toBe(true);
});
