// An absurd Retry-After from the site (99999999999 s, ~3,170 years) through the real gateway:
// clients get a Retry-After within the one-hour cap, the identity's cooldown is bounded, and
// no timer overflows (Node/Bun warn with TimeoutOverflowWarning and fire such a timer at once).

import { afterAll, afterEach, beforeAll, expect, test } from 'bun:test';
import { poolOf, startHarness, type Harness } from '../helpers/harness.ts';

/** README: a cooldown, and a Retry-After sent to clients, is at most one hour. */
const CAP_SECONDS = 3600;
const ADMIN_KEY = 'admin-key-0123456789';

const warnings: string[] = [];
const onWarning = (warning: Error) => warnings.push(`${warning.name}: ${warning.message}`);
beforeAll(() => process.on('warning', onWarning));
afterAll(() => process.off('warning', onWarning));

let h: Harness | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

const ask = (harness: Harness, content: string) => harness.call('/v1/chat/completions', { json: { messages: [{ role: 'user', content }] } });

function retryAfterSeconds(response: Response): number {
  const value = response.headers.get('retry-after');
  expect(value).toMatch(/^\d+$/);
  return Number(value);
}

test('Retry-After: 99999999999 from the site: clients get at most the cap, the cooldown is bounded, no timer overflows', async () => {
  h = await startHarness({
    accounts: poolOf(['a']),
    env: { ADMIN_KEY, QUEUE_TIMEOUT_MS: '300' },
    emulator: { faults: [{ kind: 'rate_limited', identity: 'a', times: 1, retryAfter: '99999999999' }] },
  });

  // The site's 429 reaches the client (no other identity to move to).
  const limited = await ask(h, 'first');
  expect(limited.status).toBe(429);
  expect(((await limited.json()) as { error: { code: string } }).error.code).toBe('upstream_rate_limited');
  const first = retryAfterSeconds(limited);
  expect(first).toBeGreaterThanOrEqual(1);
  expect(first).toBeLessThanOrEqual(CAP_SECONDS);

  // The next request waits in the queue for the cooling identity (the wake timer runs), then gives up.
  const busy = await ask(h, 'second');
  expect(busy.status).toBe(429);
  expect(((await busy.json()) as { error: { code: string } }).error.code).toBe('identities_busy');
  const second = retryAfterSeconds(busy);
  expect(second).toBeGreaterThanOrEqual(1);
  expect(second).toBeLessThanOrEqual(CAP_SECONDS);

  const admin = await fetch(`${h.gateway.url}/admin/identities`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } });
  expect(admin.status).toBe(200);
  const { identities } = (await admin.json()) as { identities: Array<{ id: string; state: string; cooldownRemainingMs: number | null }> };
  const a = identities.find((i) => i.id === 'a')!;
  expect(a.state).toBe('cooling');
  expect(a.cooldownRemainingMs).toBeGreaterThan(0);
  expect(a.cooldownRemainingMs!).toBeLessThanOrEqual(CAP_SECONDS * 1000);

  expect(warnings.filter((w) => w.startsWith('TimeoutOverflowWarning'))).toEqual([]);
});
