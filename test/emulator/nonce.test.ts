import { afterEach, describe, expect, test } from 'bun:test';
import { emulatorHarness, sendMessage, visitPage } from './helpers.ts';
import type { Emulator } from '../../emulator/types.ts';

const harness = emulatorHarness();
afterEach(() => harness.stopAll());

const STALE = { success: false, data: 'Invalid security token' };

async function succeeds(emulator: Emulator, nonce: string, cookie: string): Promise<boolean> {
  const body = (await (await sendMessage(emulator, { nonce, cookie })).json()) as { success: boolean };
  return body.success;
}

describe('nonce', () => {
  test('is bound to the visitor cookie it was issued to', async () => {
    const emulator = harness.start();
    const { nonce } = await visitPage(emulator, 'kimi_visitor=alice');
    const response = await sendMessage(emulator, { nonce, cookie: 'kimi_visitor=bob' });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual(STALE);
    expect(emulator.received[0]?.outcome).toBe('stale_nonce');
    expect(await succeeds(emulator, nonce, 'kimi_visitor=alice')).toBe(true);
  });

  test('binds to the cookie the page set on a first visit', async () => {
    const emulator = harness.start();
    const page = await visitPage(emulator);
    expect(await succeeds(emulator, page.nonce, page.cookie)).toBe(true);
  });

  test('works with any cookie when bindNonceToCookie is false', async () => {
    const emulator = harness.start({ bindNonceToCookie: false });
    const { nonce } = await visitPage(emulator, 'kimi_visitor=alice');
    expect(await succeeds(emulator, nonce, 'kimi_visitor=bob')).toBe(true);
  });

  test('an unknown nonce gets the stale-nonce answer', async () => {
    const emulator = harness.start();
    await visitPage(emulator, 'kimi_visitor=a');
    const response = await sendMessage(emulator, { nonce: '0123456789', cookie: 'kimi_visitor=a' });
    expect(await response.json()).toEqual(STALE);
  });

  test('goes stale once older than nonceTtlMs', async () => {
    const emulator = harness.start({ nonceTtlMs: 0 });
    const { nonce } = await visitPage(emulator, 'kimi_visitor=a');
    const response = await sendMessage(emulator, { nonce, cookie: 'kimi_visitor=a' });
    expect(await response.json()).toEqual(STALE);
  });

  test('staleness follows the configured TTL, by age', async () => {
    const emulator = harness.start();
    const { nonce } = await visitPage(emulator, 'kimi_visitor=a');
    emulator.configure({ nonceTtlMs: 0 });
    expect(await succeeds(emulator, nonce, 'kimi_visitor=a')).toBe(false);
    emulator.configure({ nonceTtlMs: 60_000 });
    expect(await succeeds(emulator, nonce, 'kimi_visitor=a')).toBe(true);
  });

  test('expireNonces makes every nonce issued so far stale, not later ones', async () => {
    const emulator = harness.start();
    const old = await visitPage(emulator, 'kimi_visitor=a');
    emulator.expireNonces();
    expect(await succeeds(emulator, old.nonce, 'kimi_visitor=a')).toBe(false);
    const fresh = await visitPage(emulator, 'kimi_visitor=a');
    expect(await succeeds(emulator, fresh.nonce, 'kimi_visitor=a')).toBe(true);
  });

  test("staleNonceStyle '403' answers a stale nonce with 403 and body -1", async () => {
    const emulator = harness.start({ staleNonceStyle: '403' });
    await visitPage(emulator, 'kimi_visitor=a');
    const response = await sendMessage(emulator, { nonce: 'nope', cookie: 'kimi_visitor=a' });
    expect(response.status).toBe(403);
    expect(response.headers.get('content-type')).toContain('text/html');
    expect(await response.text()).toBe('-1');
  });

  test('an older nonce of the same visitor stays valid after a newer one is issued', async () => {
    const emulator = harness.start();
    const first = await visitPage(emulator, 'kimi_visitor=a');
    await visitPage(emulator, 'kimi_visitor=a');
    expect(await succeeds(emulator, first.nonce, 'kimi_visitor=a')).toBe(true);
  });
});
