// The emulator's hostile faults: redirects anywhere, huge bodies (plain and gzip bomb),
// error pages echoing the request's secrets, a script-flooded page, oversized cookies.

import { afterEach, describe, expect, test } from 'bun:test';
import { parseFaultRule } from '../../emulator/faults.ts';
import { emulatorHarness, sendAs, sendMessage, visitPage } from './helpers.ts';

const harness = emulatorHarness();
afterEach(() => harness.stopAll());

const MiB = 1024 * 1024;

async function bodySize(response: Response): Promise<number> {
  const reader = response.body!.getReader();
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return total;
    total += value.byteLength;
  }
}

describe('redirect', () => {
  test('answers the rule status with the Location as given, on the page or a message', async () => {
    const emulator = harness.start({ faults: [{ kind: 'redirect', on: 'page', location: 'file:///etc/passwd', times: 1 }] });
    const page = await fetch(`${emulator.url}/chat/`, { redirect: 'manual' });
    expect(page.status).toBe(302);
    expect(page.headers.get('location')).toBe('file:///etc/passwd');
    emulator.addFault({ kind: 'redirect', location: 'http://127.0.0.1:9/steal', status: 307 });
    const raw = await fetch(`${emulator.url}/wp-admin/admin-ajax.php`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'action=kimi_send_message',
    });
    expect(raw.status).toBe(307);
    expect(raw.headers.get('location')).toBe('http://127.0.0.1:9/steal');
  });

  test('defaults to 302 /chat/', async () => {
    const emulator = harness.start({ faults: [{ kind: 'redirect', on: 'page', times: 1 }] });
    const page = await fetch(`${emulator.url}/chat/`, { redirect: 'manual' });
    expect([page.status, page.headers.get('location')]).toEqual([302, '/chat/']);
  });
});

describe('huge bodies', () => {
  test('huge_json: a valid success answer of `bytes` (to within one filler unit)', async () => {
    const emulator = harness.start({ faults: [{ kind: 'huge_json', bytes: 1 * MiB }] });
    const response = await sendAs(emulator, 'a');
    const text = await response.text();
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(1 * MiB);
    expect(Buffer.byteLength(text)).toBeGreaterThan(1 * MiB - 16);
    const parsed = JSON.parse(text) as { success: boolean; data: { message: string } };
    expect(parsed.success).toBe(true);
    expect(parsed.data.message.length).toBeGreaterThan(1_000_000);
  });

  test('huge_html: about `bytes` of HTML that is not JSON', async () => {
    const emulator = harness.start({ faults: [{ kind: 'huge_html', bytes: 3 * MiB }] });
    const response = await sendAs(emulator, 'a');
    expect(response.headers.get('content-type')).toStartWith('text/html');
    const size = await bodySize(response);
    expect(size).toBeGreaterThan(3 * MiB - 64);
    expect(size).toBeLessThanOrEqual(3 * MiB);
  });

  test('gzip_bomb: a few hundred KB on the wire that inflate to `bytes` of JSON', async () => {
    const emulator = harness.start({ faults: [{ kind: 'gzip_bomb', on: 'page', bytes: 32 * MiB }] });
    const raw = await fetch(`${emulator.url}/chat/`, { decompress: false } as RequestInit);
    expect(raw.headers.get('content-encoding')).toBe('gzip');
    const compressed = new Uint8Array(await raw.arrayBuffer());
    expect(compressed.byteLength).toBeLessThan(512 * 1024);
    const inflated = Bun.gunzipSync(compressed);
    expect(inflated.byteLength).toBeGreaterThan(32 * MiB - 16);
    expect(new TextDecoder().decode(inflated.subarray(0, 24))).toBe('{"success":true,"data":{');
  });

  test('bodies are made as they are read: a client that stops early stops the emulator', async () => {
    const emulator = harness.start({ faults: [{ kind: 'huge_html', on: 'page', bytes: 1024 * MiB }] });
    const response = await fetch(`${emulator.url}/chat/`);
    const reader = response.body!.getReader();
    let total = 0;
    while (total < 2 * MiB) total += (await reader.read()).value?.byteLength ?? Infinity;
    await reader.cancel();
    // A 1 GiB body was never built: the process did not grow by anything like it.
    expect(process.memoryUsage().rss).toBeLessThan(1024 * MiB);
  });
});

describe('echo', () => {
  test('prints the Cookie header and the nonce in an error page (status of the rule)', async () => {
    const emulator = harness.start({ faults: [{ kind: 'echo', status: 500 }] });
    const { nonce } = await visitPage(emulator, 'kimi_visitor=alice; secret_cookie=abc123');
    const response = await sendMessage(emulator, { nonce, cookie: 'kimi_visitor=alice; secret_cookie=abc123' });
    expect(response.status).toBe(500);
    const text = await response.text();
    expect(text).toContain('secret_cookie=abc123');
    expect(text).toContain(nonce);
  });

  test('status 200: as a success:false JSON answer', async () => {
    const emulator = harness.start({ faults: [{ kind: 'echo', status: 200 }] });
    const response = await sendAs(emulator, 'bob');
    const body = (await response.json()) as { success: boolean; data: string };
    expect(body.success).toBe(false);
    expect(body.data).toContain('kimi_visitor=bob');
  });
});

describe('script_flood and big_cookie', () => {
  test('script_flood: `count` empty scripts and no kimi_ajax', async () => {
    const emulator = harness.start({ faults: [{ kind: 'script_flood', on: 'page', count: 1000 }] });
    const html = await (await fetch(`${emulator.url}/chat/`)).text();
    expect(html.match(/<script><\/script>/g)?.length).toBe(1000);
    expect(html).not.toContain('kimi_ajax');
  });

  test('big_cookie: the normal page (fresh nonce) plus a cookie of `bytes`', async () => {
    const emulator = harness.start({ faults: [{ kind: 'big_cookie', on: 'page', bytes: 10_000 }] });
    const visit = await visitPage(emulator, 'kimi_visitor=carol');
    expect(visit.nonce).toMatch(/^[0-9a-f]{10}$/);
    const big = visit.setCookies.find((c) => c.startsWith('kimi_big='));
    expect(big?.split(';')[0]).toHaveLength('kimi_big='.length + 10_000);
  });

  test('big_cookie on a message: the normal answer plus the cookie', async () => {
    const emulator = harness.start({ faults: [{ kind: 'big_cookie', bytes: 5_000 }] });
    const response = await sendAs(emulator, 'dave');
    expect(((await response.json()) as { success: boolean }).success).toBe(true);
    expect(response.headers.getSetCookie().some((c) => c.startsWith('kimi_big='))).toBe(true);
    expect(emulator.received.at(-1)?.outcome).toBe('big_cookie');
  });
});

describe('rule validation', () => {
  test('location is a string; bytes and count are non-negative integers', () => {
    expect(parseFaultRule({ kind: 'redirect', location: '/x', bytes: 10, count: 3 })).toEqual({ kind: 'redirect', location: '/x', bytes: 10, count: 3 });
    expect(() => parseFaultRule({ kind: 'redirect', location: 5 })).toThrow(/location/);
    expect(() => parseFaultRule({ kind: 'huge_json', bytes: -1 })).toThrow(/bytes/);
    expect(() => parseFaultRule({ kind: 'script_flood', count: 1.5 })).toThrow(/count/);
  });
});
