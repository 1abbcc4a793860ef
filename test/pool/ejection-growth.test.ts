// Ejections grow while an identity keeps failing (base · 2^n up to ejectMaxMs) and start
// over only after a healthy spell longer than ejectMaxMs. That spell runs from the end of
// the last ejection, not its start (an ejection of ejectMaxMs would otherwise reset the
// growth at the first success after its probe), and it survives a restart with the health.

import { describe, expect, test } from 'bun:test';
import { DEFAULT_HEALTH_POLICY, IdentityHealth, type HealthPolicy } from '../../src/pool/health.ts';

const policy: HealthPolicy = { ...DEFAULT_HEALTH_POLICY, ejectAfter: 1, ejectBaseMs: 1_000, ejectMaxMs: 4_000, random: () => 0.5 };
const fault = { kind: 'fault', detail: 'HTTP 502' } as const;
const success = { kind: 'success' } as const;

/** Faults it out, waits the ejection out, lets its probe succeed; returns how long the ejection was. */
function ejectAndRecover(h: IdentityHealth, now: number): { length: number; now: number } {
  h.record(fault, now);
  const s = h.state;
  if (s.kind !== 'ejected') throw new Error(`expected ejected, got ${s.kind}`);
  h.record(success, s.until);
  return { length: s.until - s.since, now: s.until };
}

describe('ejection growth', () => {
  test('an ejection that reached ejectMaxMs does not fall back to the base at the next success', () => {
    const h = new IdentityHealth(policy, 0);
    let now = 0;
    const lengths: number[] = [];
    for (let i = 0; i < 4; i++) {
      const r = ejectAndRecover(h, now);
      lengths.push(r.length);
      now = r.now;
      h.record(success, now + 1); // one more answer right after the probe
      now += 1;
    }
    expect(lengths).toEqual([1_000, 2_000, 4_000, 4_000]);
  });

  test('a healthy spell longer than ejectMaxMs after the last ejection starts the growth over', () => {
    const h = new IdentityHealth(policy, 0);
    let { now } = ejectAndRecover(h, 0);
    ({ now } = ejectAndRecover(h, now));
    h.record(success, now + policy.ejectMaxMs + 1);
    expect(ejectAndRecover(h, now + policy.ejectMaxMs + 2).length).toBe(1_000);
  });

  test('the growth survives a restart (the snapshot keeps when the last ejection ended)', () => {
    const h = new IdentityHealth(policy, 0);
    let { now } = ejectAndRecover(h, 0);
    ({ now } = ejectAndRecover(h, now));
    const restored = new IdentityHealth(policy, now + 10, JSON.parse(JSON.stringify(h.snapshot())));
    restored.record(success, now + 20);
    expect(ejectAndRecover(restored, now + 30).length).toBe(4_000);
  });
});
