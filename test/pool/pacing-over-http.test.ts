// Pacing through the real gateway (source or binary) and the emulator: a burst of requests
// against two identities with minIntervalMs and jitterMs in the account file. The gaps are
// measured where they matter, at the site: the emulator's arrival time of every message per
// identity. The gateway is reached over HTTP only.

import { afterEach, expect, test } from 'bun:test';
import { poolOf, startHarness, type Harness } from '../helpers/harness.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

const MIN_INTERVAL_MS = 400;
const JITTER_MS = 200;
/** Loopback and a busy machine may shift one arrival against the gateway's start by a few ms. */
const ARRIVAL_SLACK_MS = 60;

test('a burst through two paced identities: at the site, starts of each identity are at least minIntervalMs apart', async () => {
  h = await startHarness({ accounts: poolOf(['a', 'b'], { minIntervalMs: MIN_INTERVAL_MS, jitterMs: JITTER_MS }) });
  const ask = (content: string) => h!.call('/v1/chat/completions', { json: { messages: [{ role: 'user', content }] } }).then((r) => r.status);
  const statuses = await Promise.all(Array.from({ length: 10 }, (_, i) => ask(`burst ${i}`)));
  expect(statuses).toEqual(Array.from({ length: 10 }, () => 200));
  const stats = h.emulator.stats();
  const gaps: number[] = [];
  for (const id of ['a', 'b']) {
    const times = stats[id]!.messageTimes;
    // queued requests went to whichever identity's slot opened first: both took a share
    expect(times.length).toBeGreaterThanOrEqual(3);
    for (let i = 1; i < times.length; i++) gaps.push(times[i]! - times[i - 1]!);
  }
  expect(gaps).toHaveLength(8);
  for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(MIN_INTERVAL_MS - ARRIVAL_SLACK_MS);
});

test('a bad pacing value in the account file stops the start with the field named', async () => {
  const error = await startHarness({ accounts: poolOf(['a'], { minIntervalMs: -5 }) }).then(
    (started) => {
      h = started;
      return null;
    },
    (e: unknown) => e as Error,
  );
  expect(error?.message).toContain('identity "a": "minIntervalMs": must be a whole number from 0 to 3600000 (got -5)');
});
