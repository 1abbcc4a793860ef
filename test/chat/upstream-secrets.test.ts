// Upstream text never reaches clients, and reaches logs and the admin API only redacted:
// an upstream that echoes the request's Cookie header and nonce in its error pages.

import { afterEach, describe, expect, test } from 'bun:test';
import { eventually, readSse, startHarness, type Harness } from '../helpers/harness.ts';

const COOKIE_SECRET = 'wp-logged-in-5e1d0c7b9a8f';
const ADMIN_KEY = 'admin-key-for-secret-tests';
const accounts = { identities: [{ id: 'alice', cookies: `kimi_visitor=alice; wordpress_logged_in_abc=${COOKIE_SECRET}` }] };

let h: Harness | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

const ask = (harness: Harness, stream = false) =>
  harness.call('/v1/chat/completions', { json: { stream, messages: [{ role: 'user', content: 'hello' }] } });

/** Every secret the emulator saw: the identity's cookie value and each nonce it was sent. */
function secretsSeen(harness: Harness): string[] {
  const nonces = harness.emulator.received.map((r) => r.nonce).filter((n) => n !== '');
  expect(nonces.length).toBeGreaterThan(0);
  return [COOKIE_SECRET, ...new Set(nonces)];
}

function expectNoneOf(secrets: string[], where: string, text: string): void {
  for (const secret of secrets) expect({ where, leaks: text.includes(secret) }).toEqual({ where, leaks: false });
}

async function adminIdentities(harness: Harness): Promise<string> {
  return (await harness.call('/admin/identities', { headers: { authorization: `Bearer ${ADMIN_KEY}` } })).text();
}

describe('an upstream that echoes Cookie and nonce', () => {
  test('error page (HTTP 502): the client gets a fixed message; logs and lastError are redacted', async () => {
    h = await startHarness({ accounts, env: { ADMIN_KEY } });
    h.emulator.addFault({ kind: 'echo', status: 502 });
    const res = await ask(h);
    const body = await res.text();
    expect(res.status).toBe(502);
    expect(JSON.parse(body).error.code).toBe('upstream_unavailable');
    // The emulator really echoed them: the gateway had something to hide.
    expect(h.emulator.received.at(-1)?.outcome).toBe('echo');
    const secrets = secretsSeen(h);
    expectNoneOf(secrets, 'client body', body);
    expect(body).not.toContain('Request rejected');
    for (const line of h.logs) expectNoneOf(secrets, 'log line', line);
    const admin = await adminIdentities(h);
    expect(admin).toContain('Request rejected');
    expectNoneOf(secrets, 'admin identities', admin);
  });

  test('success:false with the echo: nonce retry, then fixed message; lastError redacted', async () => {
    h = await startHarness({ accounts, env: { ADMIN_KEY } });
    h.emulator.addFault({ kind: 'echo', status: 200 });
    const res = await ask(h);
    const body = await res.text();
    expect(res.status).toBe(502);
    const secrets = secretsSeen(h);
    expectNoneOf(secrets, 'client body', body);
    for (const line of h.logs) expectNoneOf(secrets, 'log line', line);
    expectNoneOf(secrets, 'admin identities', await adminIdentities(h));
  });

  test('stream: the error frame and the "stream failed after start" log carry no upstream text', async () => {
    h = await startHarness({ accounts, env: { ADMIN_KEY } });
    h.emulator.addFault({ kind: 'echo', status: 503 });
    const { raw } = await readSse(await ask(h, true));
    const secrets = secretsSeen(h);
    expectNoneOf(secrets, 'SSE stream', raw);
    expect(raw).not.toContain('Request rejected');
    // Log lines leave once per event-loop turn (and through a pipe from the binary): wait for it.
    expect(await eventually(() => h!.logs.some((l) => l.includes('stream failed after start')))).toBe(true);
    for (const line of h.logs) expectNoneOf(secrets, 'log line', line);
  });

  test('on the chat page too (the page fetch echoes the Cookie header)', async () => {
    h = await startHarness({ accounts, env: { ADMIN_KEY }, emulator: { faults: [{ kind: 'echo', on: 'page', status: 500 }] } });
    const body = await (await ask(h)).text();
    expectNoneOf([COOKIE_SECRET], 'client body', body);
    for (const line of h.logs) expectNoneOf([COOKIE_SECRET], 'log line', line);
    const admin = await adminIdentities(h);
    expect(admin).toContain('Request rejected');
    expectNoneOf([COOKIE_SECRET], 'admin identities', admin);
  });
});

describe('fixed client messages', () => {
  test('a refusal is not relayed: fixed text that says what to do', async () => {
    h = await startHarness({ accounts });
    h.emulator.addFault({ kind: 'refused', text: 'Message is too long; internal ref 0xDEADBEEF' });
    const res = await ask(h);
    const error = ((await res.json()) as { error: { message: string; code: string } }).error;
    expect(res.status).toBe(400);
    expect(error.code).toBe('upstream_refused');
    expect(error.message).not.toContain('0xDEADBEEF');
    expect(error.message).toMatch(/shorten/i);
  });

  test('a 502 page: the client message does not quote it', async () => {
    h = await startHarness({ accounts });
    h.emulator.addFault({ kind: 'server_error', status: 502 });
    const error = ((await (await ask(h)).json()) as { error: { message: string } }).error;
    expect(error.message).not.toContain('Bad Gateway');
  });
});
