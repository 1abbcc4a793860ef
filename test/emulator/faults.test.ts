import { afterEach, describe, expect, test } from 'bun:test';
import { emulatorHarness, sendAs, sendMessage, settle, visitPage, waitFor } from './helpers.ts';
import type { Emulator, FaultRule } from '../../emulator/types.ts';

const harness = emulatorHarness();
afterEach(() => harness.stopAll());

function withFault(rule: FaultRule): Emulator {
  return harness.start({ faults: [rule] });
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

describe('message faults', () => {
  test('nonce_invalid: 200 success:false "Invalid security token"', async () => {
    const emulator = withFault({ kind: 'nonce_invalid' });
    const response = await sendAs(emulator, 'a');
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ success: false, data: 'Invalid security token' });
    expect(emulator.received[0]?.outcome).toBe('nonce_invalid');
  });

  test('nonce_403: 403, text/html, body exactly "-1"', async () => {
    const response = await sendAs(withFault({ kind: 'nonce_403' }), 'a');
    expect(response.status).toBe(403);
    expect(response.headers.get('content-type')).toStartWith('text/html');
    expect(await response.text()).toBe('-1');
  });

  test('bad_request: 400, body exactly "0"', async () => {
    const response = await sendAs(withFault({ kind: 'bad_request' }), 'a');
    expect(response.status).toBe(400);
    expect(await response.text()).toBe('0');
  });

  test('refused: 200 success:false with the default text', async () => {
    const response = await sendAs(withFault({ kind: 'refused' }), 'a');
    expect(await response.json()).toEqual({ success: false, data: 'Message is too long' });
  });

  test('refused: 200 success:false with the rule text', async () => {
    const response = await sendAs(withFault({ kind: 'refused', text: 'Content policy violation' }), 'a');
    expect(await response.json()).toEqual({ success: false, data: 'Content policy violation' });
  });

  test('rate_limited: 429 with Retry-After in seconds and a JSON body', async () => {
    const response = await sendAs(withFault({ kind: 'rate_limited', retryAfter: '30' }), 'a');
    expect(response.status).toBe(429);
    expect(response.headers.get('retry-after')).toBe('30');
    expect((await response.json()) as unknown).toMatchObject({ success: false });
  });

  test('rate_limited: Retry-After as an HTTP date, or absent when not given', async () => {
    const date = 'Wed, 21 Oct 2026 07:28:00 GMT';
    const emulator = harness.start({ faults: [{ kind: 'rate_limited', retryAfter: date, times: 1 }, { kind: 'rate_limited' }] });
    expect((await sendAs(emulator, 'a')).headers.get('retry-after')).toBe(date);
    const bare = await sendAs(emulator, 'a');
    expect(bare.status).toBe(429);
    expect(bare.headers.has('retry-after')).toBe(false);
  });

  test('challenge: 403 with cf-mitigated: challenge and a "Just a moment..." page', async () => {
    const response = await sendAs(withFault({ kind: 'challenge' }), 'a');
    expect(response.status).toBe(403);
    expect(response.headers.get('cf-mitigated')).toBe('challenge');
    expect(response.headers.get('content-type')).toStartWith('text/html');
    expect(await response.text()).toContain('<title>Just a moment...</title>');
  });

  test('challenge: the rule status (503) is used', async () => {
    const response = await sendAs(withFault({ kind: 'challenge', status: 503 }), 'a');
    expect(response.status).toBe(503);
    expect(response.headers.get('cf-mitigated')).toBe('challenge');
  });

  test('challenge_html: 200 "Just a moment..." page without cf-mitigated', async () => {
    const response = await sendAs(withFault({ kind: 'challenge_html' }), 'a');
    expect(response.status).toBe(200);
    expect(response.headers.has('cf-mitigated')).toBe(false);
    expect(await response.text()).toContain('<title>Just a moment...</title>');
  });

  test('challenge_html: the rule status (403) is used', async () => {
    const response = await sendAs(withFault({ kind: 'challenge_html', status: 403 }), 'a');
    expect(response.status).toBe(403);
    expect(response.headers.has('cf-mitigated')).toBe(false);
  });

  test('server_error: nginx 502 Bad Gateway page', async () => {
    const response = await sendAs(withFault({ kind: 'server_error' }), 'a');
    expect(response.status).toBe(502);
    expect(response.headers.get('server')).toBe('nginx');
    expect(await response.text()).toStartWith('<html>\r\n<head><title>502 Bad Gateway</title>');
  });

  test('server_error: the rule status (504) is used, with nginx wording', async () => {
    const response = await sendAs(withFault({ kind: 'server_error', status: 504 }), 'a');
    expect(response.status).toBe(504);
    expect(await response.text()).toContain('<title>504 Gateway Time-out</title>');
  });

  test('not_json: 200 text/html with a body that is not JSON', async () => {
    const response = await sendAs(withFault({ kind: 'not_json' }), 'a');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toStartWith('text/html');
    const text = await response.text();
    expect(text.length).toBeGreaterThan(0);
    expect(isJson(text)).toBe(false);
  });

  test('reset: fetch itself rejects with ECONNRESET (no response, no status)', async () => {
    const emulator = withFault({ kind: 'reset', times: 1 });
    const outcome = await settle(sendAs(emulator, 'a'));
    expect(outcome.kind).toBe('fetch_rejected');
    const error = outcome.kind === 'fetch_rejected' ? outcome.error : undefined;
    expect(error).toBeInstanceOf(TypeError);
    expect((error as { code?: string }).code).toBe('ECONNRESET');
    expect(emulator.received[0]?.outcome).toBe('reset');
    // The dropped connection does not poison the next request.
    expect((await sendAs(emulator, 'a')).status).toBe(200);
  });

  test('slow: delays the normal answer by delayMs', async () => {
    const emulator = withFault({ kind: 'slow', delayMs: 120 });
    const { nonce } = await visitPage(emulator, 'kimi_visitor=a');
    const started = performance.now();
    const response = await sendMessage(emulator, { nonce, cookie: 'kimi_visitor=a' });
    expect(performance.now() - started).toBeGreaterThanOrEqual(110);
    expect(((await response.json()) as { success: boolean }).success).toBe(true);
    expect(emulator.received[0]?.outcome).toBe('slow');
  });

  test('slow: a request that fails its checks is delayed too and keeps its real outcome', async () => {
    const emulator = withFault({ kind: 'slow', delayMs: 60 });
    const started = performance.now();
    const response = await sendMessage(emulator, { nonce: 'unknown', cookie: 'kimi_visitor=a' });
    expect(performance.now() - started).toBeGreaterThanOrEqual(50);
    expect(await response.json()).toEqual({ success: false, data: 'Invalid security token' });
    expect(emulator.received[0]?.outcome).toBe('stale_nonce');
  });

  test('slow: a client abort ends the wait (default 30 s) at once', async () => {
    const emulator = withFault({ kind: 'slow' });
    const started = performance.now();
    const outcome = await settle(sendAs(emulator, 'a', { signal: AbortSignal.timeout(100) }));
    expect(outcome.kind).toBe('fetch_rejected');
    expect(performance.now() - started).toBeLessThan(2_000);
    await waitFor(() => emulator.stats().a?.inFlight === 0);
  });
});

describe('fault rule matching', () => {
  test('times: the rule is spent after N matching requests', async () => {
    const emulator = withFault({ kind: 'server_error', times: 2 });
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await sendAs(emulator, 'a')).status);
    expect(statuses).toEqual([502, 502, 200]);
  });

  test('identity: only that identity gets the fault', async () => {
    const emulator = withFault({ kind: 'rate_limited', identity: 'acc-bad' });
    expect((await sendAs(emulator, 'acc-bad')).status).toBe(429);
    expect((await sendAs(emulator, 'acc-good')).status).toBe(200);
  });

  test('the first matching unspent rule wins', async () => {
    const emulator = harness.start({
      faults: [{ kind: 'nonce_403', identity: 'x', times: 1 }, { kind: 'bad_request', times: 1 }],
    });
    expect((await sendAs(emulator, 'y')).status).toBe(400);
    expect((await sendAs(emulator, 'x')).status).toBe(403);
    expect((await sendAs(emulator, 'x')).status).toBe(200);
  });

  test("on: 'page' faults hit GET /chat/ and leave messages alone", async () => {
    const emulator = withFault({ kind: 'challenge', on: 'page', identity: 'a', times: 1 });
    const page = await fetch(`${emulator.url}/chat/`, { headers: { cookie: 'kimi_visitor=a' } });
    expect(page.status).toBe(403);
    expect(page.headers.get('cf-mitigated')).toBe('challenge');
    expect(page.headers.getSetCookie()).toEqual([]);
    expect((await sendAs(emulator, 'a')).status).toBe(200);
    expect(emulator.stats().a?.pages).toBe(2);
  });

  test("on: 'page' rate_limited answers a Cloudflare 1015 HTML page", async () => {
    const emulator = withFault({ kind: 'rate_limited', on: 'page', retryAfter: '60' });
    const page = await fetch(`${emulator.url}/chat/`);
    expect(page.status).toBe(429);
    expect(page.headers.get('retry-after')).toBe('60');
    expect(await page.text()).toContain('You are being rate limited');
  });

  test("on: 'page' reset drops the page request too", async () => {
    const emulator = withFault({ kind: 'reset', on: 'page' });
    expect((await settle(fetch(`${emulator.url}/chat/`))).kind).toBe('fetch_rejected');
  });

  test('a message rule does not touch the page', async () => {
    const emulator = withFault({ kind: 'server_error' });
    expect((await fetch(`${emulator.url}/chat/`)).status).toBe(200);
  });

  test('probability 0 never fires, 1 always fires', async () => {
    const never = harness.start({ faults: [{ kind: 'bad_request', probability: 0 }] });
    const always = harness.start({ faults: [{ kind: 'bad_request', probability: 1 }] });
    for (let i = 0; i < 5; i++) {
      expect((await sendAs(never, 'a')).status).toBe(200);
      expect((await sendAs(always, 'a')).status).toBe(400);
    }
  });

  test('probability draws are deterministic for a seed', async () => {
    const pattern = async (seed: number): Promise<number[]> => {
      const emulator = harness.start({ seed, faults: [{ kind: 'bad_request', probability: 0.5 }] });
      const statuses: number[] = [];
      for (let i = 0; i < 16; i++) statuses.push((await sendAs(emulator, 'a')).status);
      return statuses;
    };
    const first = await pattern(7);
    expect(await pattern(7)).toEqual(first);
    expect(first).toContain(200);
    expect(first).toContain(400);
  });

  test('addFault and clearFaults change the rules at runtime', async () => {
    const emulator = harness.start();
    emulator.addFault({ kind: 'not_json' });
    expect((await sendAs(emulator, 'a')).headers.get('content-type')).toStartWith('text/html');
    emulator.clearFaults();
    expect((await sendAs(emulator, 'a')).headers.get('content-type')).toStartWith('application/json');
  });

  test('addFault rejects an unknown kind', () => {
    const emulator = harness.start();
    expect(() => emulator.addFault({ kind: 'explode' } as unknown as FaultRule)).toThrow(/fault kind/);
  });

  test('addFault copies the rule, so spending it does not change the caller object', async () => {
    const emulator = harness.start();
    const rule: FaultRule = { kind: 'bad_request', times: 1 };
    emulator.addFault(rule);
    await sendAs(emulator, 'a');
    expect(rule).toEqual({ kind: 'bad_request', times: 1 });
  });
});
