import { expect, test } from 'bun:test';
import { RateWindow } from '../../src/pool/rate-window.ts';

test('never more than `limit` calls in any rolling 60 s', () => {
  const w = new RateWindow(3);
  const starts: number[] = [];
  for (let now = 0; now < 300_000; now += 700) {
    if (w.hasRoom(now)) {
      w.record(now);
      starts.push(now);
    }
  }
  for (const t of starts) expect(starts.filter((s) => s >= t && s < t + 60_000).length).toBeLessThanOrEqual(3);
  expect(starts.length).toBeGreaterThanOrEqual(15); // 3 per minute over 5 minutes
});

test('nextFreeAt is when the oldest call leaves the window', () => {
  const w = new RateWindow(2);
  w.record(1_000);
  w.record(2_000);
  expect(w.nextFreeAt(5_000)).toBe(61_000);
  expect(new RateWindow(0).hasRoom(0)).toBe(true); // 0 = no limit
});

test('lowering the limit keeps the most recent calls', () => {
  const w = new RateWindow(5);
  for (const t of [0, 10, 20, 30]) w.record(t);
  w.setLimit(2);
  expect(w.nextFreeAt(40)).toBe(60_020);
});
