// KimiAiChatProvider.checkSite against the emulator: the chat page's contract as a fresh
// anonymous visitor finds it — ok, drift (kimi_ajax or its nonce missing, a redirect away),
// down (5xx, a closed port, a challenge, a page that never comes) — without using or
// changing any identity's cookies or nonce.

import { afterAll, afterEach, beforeAll, describe, expect, test } from 'bun:test';
import { startEmulator, type Emulator } from '../../../emulator/emulator.ts';
import { KimiAiChatProvider } from '../../../src/providers/kimi-ai-chat/provider.ts';
import type { KimiIdentity } from '../../../src/providers/kimi-ai-chat/identity.ts';

let emulator: Emulator;
beforeAll(() => {
  emulator = startEmulator({ pageFillerBytes: 5_000 });
});
afterAll(() => emulator.stop());
afterEach(() => emulator.clearFaults());

const provider = (baseUrl = emulator.url, pageTimeoutMs = 5_000) => new KimiAiChatProvider({ baseUrl, nonceMaxAgeMs: 3_600_000, pageTimeoutMs });
const check = (p = provider()) => p.checkSite(AbortSignal.timeout(10_000));

describe('checkSite', () => {
  test("ok on the normal page, fetched as a new anonymous visitor: no identity's cookies or nonce used or changed", async () => {
    const p = provider();
    const alice = p.createIdentity({ id: 'alice', cookies: 'kimi_visitor=alice' }, null) as KimiIdentity;
    expect((await p.refresh(alice)).ok).toBe(true);
    const before = { nonce: alice.nonce, cookies: alice.jar.header() };
    const alicePages = emulator.stats().alice!.pages;
    const anonymousPages = emulator.stats().anonymous?.pages ?? 0;
    expect(await p.checkSite(AbortSignal.timeout(10_000), { userAgent: 'Mozilla/5.0 canary' })).toEqual({ result: 'ok' });
    expect({ nonce: alice.nonce, cookies: alice.jar.header() }).toEqual(before);
    expect(emulator.stats().alice!.pages).toBe(alicePages);
    expect(emulator.stats().anonymous!.pages).toBe(anonymousPages + 1);
  });

  test('drift: the page without kimi_ajax, with what was missing and the page title as excerpt', async () => {
    emulator.addFault({ kind: 'page_no_ajax', on: 'page' });
    const result = await check();
    expect(result).toMatchObject({ result: 'drift', reason: expect.stringContaining('no <script> defining kimi_ajax') });
    expect(result.result === 'drift' && result.excerpt).toStartWith('Kimi AI Chat');
  });

  test('drift: kimi_ajax without its nonce', async () => {
    emulator.addFault({ kind: 'page_no_nonce', on: 'page' });
    expect(await check()).toMatchObject({ result: 'drift', reason: expect.stringContaining('no usable "nonce" (keys: ajax_url, strings)') });
  });

  test('drift: a redirect to another host is not followed', async () => {
    emulator.addFault({ kind: 'redirect', on: 'page', location: 'https://elsewhere.example/chat/' });
    expect(await check()).toMatchObject({ result: 'drift', reason: expect.stringContaining('elsewhere.example') });
  });

  test('down: a 502 page, a reset, a challenge', async () => {
    emulator.addFault({ kind: 'server_error', on: 'page', status: 502, times: 1 });
    expect(await check()).toMatchObject({ result: 'down', reason: expect.stringContaining('HTTP 502') });
    // fetch retries a GET whose kept-alive connection was reset: every page request is reset here.
    emulator.addFault({ kind: 'reset', on: 'page' });
    expect(await check()).toMatchObject({ result: 'down', reason: expect.stringContaining('network error on the chat page') });
    emulator.clearFaults();
    emulator.addFault({ kind: 'challenge', on: 'page', times: 1 });
    expect(await check()).toMatchObject({ result: 'down', reason: expect.stringContaining('challenges an anonymous visitor') });
    expect(await check()).toEqual({ result: 'ok' });
  });

  test('down: nothing listens at the address', async () => {
    const closed = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: () => new Response('') });
    const url = `http://127.0.0.1:${closed.port}`;
    await closed.stop(true);
    expect(await check(provider(url))).toMatchObject({ result: 'down', reason: expect.stringContaining('network error on the chat page') });
  });

  test('bounded: a page that never comes is down within the page timeout, and the caller can cancel sooner', async () => {
    emulator.addFault({ kind: 'slow', on: 'page', delayMs: 60_000 });
    const started = performance.now();
    expect(await check(provider(emulator.url, 300))).toMatchObject({ result: 'down', reason: expect.stringContaining('timed out') });
    const aborter = new AbortController();
    const pending = provider().checkSite(aborter.signal);
    aborter.abort();
    expect(await pending).toEqual({ result: 'down', reason: 'the check was cancelled' });
    expect(performance.now() - started).toBeLessThan(30_000);
  });
});
