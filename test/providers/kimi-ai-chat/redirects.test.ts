// Redirects from the site, over HTTP against the real gateway and emulator: the chat page
// follows them only within the configured origin, the message POST never, and the
// identity's cookies never leave for another host or a file: URL.

import { afterAll, afterEach, beforeAll, describe, expect, test } from 'bun:test';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Server } from 'bun';
import { startHarness, type Harness } from '../../helpers/harness.ts';

const SECRET = 'wp-login-secret-7f3a9c2e11';
const ADMIN_KEY = 'admin-key-for-redirect-tests';
const accounts = { identities: [{ id: 'alice', cookies: `kimi_visitor=alice; wordpress_logged_in_abc=${SECRET}` }] };

/** A foreign host on another loopback port: it answers like a chat page and records every request. */
interface Recorder {
  url: string;
  seen: Array<{ method: string; path: string; cookie: string | null; body: string }>;
  server: Server<unknown>;
}

function startRecorder(): Recorder {
  const seen: Recorder['seen'] = [];
  const server = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    async fetch(req) {
      seen.push({ method: req.method, path: new URL(req.url).pathname, cookie: req.headers.get('cookie'), body: await req.text() });
      return new Response('<html><body><script>var kimi_ajax = {"nonce":"foreign0001"};</script></body></html>', {
        headers: { 'content-type': 'text/html' },
      });
    },
  });
  return { url: `http://127.0.0.1:${server.port}`, seen, server };
}

let recorder: Recorder;
let h: Harness | undefined;
beforeAll(() => {
  recorder = startRecorder();
});
afterAll(async () => {
  await recorder.server.stop(true);
});
afterEach(async () => {
  await h?.stop();
  h = undefined;
  recorder.seen.length = 0;
});

const ask = (harness: Harness, content = 'hello') => harness.call('/v1/chat/completions', { json: { messages: [{ role: 'user', content }] } });

async function errorOf(res: Response): Promise<{ status: number; message: string; code: string | null }> {
  const body = (await res.json()) as { error: { message: string; code: string | null } };
  return { status: res.status, message: body.error.message, code: body.error.code };
}

async function lastErrorOf(harness: Harness, id: string): Promise<{ kind: string; detail: string } | null> {
  const res = await harness.call('/admin/identities', { headers: { authorization: `Bearer ${ADMIN_KEY}` } });
  const body = (await res.json()) as { identities: Array<{ id: string; lastError: { kind: string; detail: string } | null }> };
  return body.identities.find((i) => i.id === id)?.lastError ?? null;
}

describe('chat page redirects', () => {
  test('to another host: not followed, no cookie leaves, 502 protocol error naming the host', async () => {
    const target = `${recorder.url}/login?token=abc123&next=%2Fchat%2F`;
    h = await startHarness({ accounts, env: { ADMIN_KEY }, emulator: { faults: [{ kind: 'redirect', on: 'page', location: target }] } });
    const error = await errorOf(await ask(h));
    expect(error).toMatchObject({ status: 502, code: 'upstream_protocol_error' });
    expect(recorder.seen).toEqual([]);
    expect(h.emulator.received).toEqual([]);
    const lastError = await lastErrorOf(h, 'alice');
    expect(lastError?.kind).toBe('protocol');
    expect(lastError?.detail).toContain(new URL(recorder.url).host);
    // The host is named, the rest of the URL (which may carry tokens) is not.
    expect(lastError?.detail).not.toContain('token=abc123');
    expect(JSON.stringify(h.logs)).not.toContain(SECRET);
  });

  test('to a file: URL: never read, even when the file looks like a chat page', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kimi-redirect-'));
    const file = join(dir, 'page.html');
    writeFileSync(file, '<html><body><script>var kimi_ajax = {"nonce":"fromfile123"};</script></body></html>');
    h = await startHarness({ accounts, env: { ADMIN_KEY }, emulator: { faults: [{ kind: 'redirect', on: 'page', location: `file://${file}` }] } });
    const error = await errorOf(await ask(h));
    expect(error).toMatchObject({ status: 502, code: 'upstream_protocol_error' });
    expect(h.emulator.received.some((r) => r.nonce === 'fromfile123')).toBe(false);
    expect(h.emulator.received).toEqual([]);
    expect((await lastErrorOf(h, 'alice'))?.detail).toContain('file:');
  });

  test('to a scheme-relative URL of another host: not followed', async () => {
    const hostAndPort = new URL(recorder.url).host;
    h = await startHarness({ accounts, emulator: { faults: [{ kind: 'redirect', on: 'page', location: `//${hostAndPort}/chat/` }] } });
    expect((await errorOf(await ask(h))).code).toBe('upstream_protocol_error');
    expect(recorder.seen).toEqual([]);
  });

  test('within the same origin: followed, with the cookies, and the request is answered', async () => {
    h = await startHarness({ accounts });
    // The start-up nonce fetch is done once a request has been answered; the faults are for the next page.
    expect((await ask(h)).status).toBe(200);
    h.emulator.addFault({ kind: 'redirect', on: 'page', location: '/chat/?lang=en', times: 1 });
    h.emulator.addFault({ kind: 'redirect', on: 'page', location: `${h.emulator.url}/chat`, status: 301, times: 1 });
    h.emulator.expireNonces();
    const pagesBefore = h.emulator.stats().alice?.pages ?? 0;
    const res = await ask(h, 'after a redirect');
    expect(res.status).toBe(200);
    // Both redirects and the page itself were fetched as alice (the visitor cookie went along).
    expect((h.emulator.stats().alice?.pages ?? 0) - pagesBefore).toBe(3);
    expect(h.emulator.received.at(-1)?.outcome).toBe('ok');
  });

  test('a redirect loop ends after a few hops with a protocol error', async () => {
    h = await startHarness({ accounts, emulator: { faults: [{ kind: 'redirect', on: 'page', location: '/chat/' }] } });
    const pages = h.emulator.stats().alice?.pages ?? 0;
    expect((await errorOf(await ask(h))).code).toBe('upstream_protocol_error');
    expect((h.emulator.stats().alice?.pages ?? 0) - pages).toBeLessThanOrEqual(6);
  });
});

describe('message redirects', () => {
  test('a 307 from admin-ajax.php is never followed: the nonce and cookies stay home', async () => {
    h = await startHarness({ accounts, env: { ADMIN_KEY } });
    h.emulator.addFault({ kind: 'redirect', location: `${recorder.url}/steal?x=1`, status: 307 });
    const error = await errorOf(await ask(h));
    expect(error).toMatchObject({ status: 502, code: 'upstream_protocol_error' });
    expect(recorder.seen).toEqual([]);
    const lastError = await lastErrorOf(h, 'alice');
    expect(lastError?.detail).toContain(new URL(recorder.url).host);
    expect(lastError?.detail).not.toContain('steal?x=1');
  });
});
