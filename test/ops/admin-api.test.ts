// The admin API over HTTP against the real gateway and emulator.

import { afterEach, describe, expect, test } from 'bun:test';
import { writeFileSync } from 'node:fs';
import { eventually, poolOf, startHarness, TEST_KEY, type Harness } from '../helpers/harness.ts';

const ADMIN_KEY = 'admin-key-for-tests-5f2c9a';
const PROXY_PASSWORD = 'proxy-pass-7d1e';
const COOKIE_SECRET = 'cookie-secret-93ab';

let h: Harness | null = null;
afterEach(async () => {
  await h?.stop();
  h = null;
});

function accounts() {
  const pool = poolOf(['a', 'b']);
  return {
    ...pool,
    identities: [
      ...pool.identities.map((i) => ({ ...i, cookies: `${i.cookies}; session_token=${COOKIE_SECRET}` })),
      // Never used (disabled): its proxy would lead nowhere.
      { id: 'c', cookies: `kimi_visitor=c; other=${COOKIE_SECRET}`, proxy: `http://bob:${PROXY_PASSWORD}@127.0.0.1:9`, enabled: false },
    ],
  };
}

const admin = (path: string, init: RequestInit = {}, key = ADMIN_KEY) =>
  fetch(`${h!.gateway.url}${path}`, { ...init, headers: { authorization: `Bearer ${key}`, ...init.headers } });

type IdentityJson = { id: string; state: string; reason: string; enabled: boolean; proxy: string | null; requests: number; successes: number; lastError: { kind: string } | null; nonceAgeMs: number | null; latencyAvgMs: number | null };
const identities = async () => ((await (await admin('/admin/identities')).json()) as { identities: IdentityJson[] }).identities;
const stateOf = async (id: string) => (await identities()).find((i) => i.id === id)!;

describe('admin API', () => {
  test('off without ADMIN_KEY: 404 saying how to turn it on', async () => {
    h = await startHarness({ env: { ADMIN_KEY: '' } });
    const res = await fetch(`${h.gateway.url}/admin/identities`);
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { message: string } }).error.message).toContain('ADMIN_KEY');
    expect((await fetch(`${h.gateway.url}/dashboard`)).status).toBe(404);
  });

  test('needs the admin key (Bearer or Basic); client keys do not open it', async () => {
    h = await startHarness({ env: { ADMIN_KEY }, accounts: accounts() });
    const none = await fetch(`${h.gateway.url}/admin/identities`);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toStartWith('Basic realm=');
    expect((await admin('/admin/identities', {}, TEST_KEY)).status).toBe(401);
    const basic = await fetch(`${h.gateway.url}/admin/identities`, { headers: { authorization: `Basic ${btoa(`anyone:${ADMIN_KEY}`)}` } });
    expect(basic.status).toBe(200);
    // And the admin key is no client key.
    const chat = await fetch(`${h.gateway.url}/v1/models`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } });
    expect(chat.status).toBe(401);
  });

  test('actions with browser (Basic) credentials from another site are refused', async () => {
    h = await startHarness({ env: { ADMIN_KEY }, accounts: accounts() });
    const basic = `Basic ${btoa(`admin:${ADMIN_KEY}`)}`;
    const post = (headers: Record<string, string>) => fetch(`${h!.gateway.url}/admin/identities/a/disable`, { method: 'POST', headers: { authorization: basic, ...headers } });
    const forged = await post({ origin: 'https://evil.example' });
    expect(forged.status).toBe(403);
    expect(((await forged.json()) as { error: { code: string } }).error.code).toBe('cross_site_request');
    expect((await post({ 'sec-fetch-site': 'cross-site' })).status).toBe(403);
    expect((await stateOf('a')).state).toBe('ready');
    expect((await post({ origin: h.gateway.url, 'sec-fetch-site': 'same-origin' })).status).toBe(200);
    expect((await stateOf('a')).state).toBe('disabled');
  });

  test('identities: state, counters, nonce age, latency; secrets redacted', async () => {
    h = await startHarness({ env: { ADMIN_KEY }, accounts: accounts() });
    for (let i = 0; i < 4; i++) await h.openai.chat.completions.create({ model: 'kimi-k2-instruct', messages: [{ role: 'user', content: `hi ${i}` }] });
    const res = await admin('/admin/identities');
    const text = await res.text();
    expect(text).not.toContain(PROXY_PASSWORD);
    expect(text).not.toContain(COOKIE_SECRET);
    const list = (JSON.parse(text) as { identities: IdentityJson[] }).identities;
    expect(list.map((i) => i.id)).toEqual(['a', 'b', 'c']);
    const served = list.filter((i) => i.id !== 'c');
    expect(served.reduce((n, i) => n + i.successes, 0)).toBe(4);
    for (const i of served) {
      expect(i.state).toBe('ready');
      if (i.successes > 0) expect(i.latencyAvgMs).toBeGreaterThanOrEqual(0);
      expect(i.nonceAgeMs).not.toBeNull();
    }
    const c = list.find((i) => i.id === 'c')!;
    expect(c.state).toBe('disabled');
    expect(c.proxy).toBe('http://***:***@127.0.0.1:9/');
  });

  test('disable takes an identity out of rotation, enable brings it back', async () => {
    h = await startHarness({ env: { ADMIN_KEY }, accounts: accounts() });
    const res = await admin('/admin/identities/a/disable', { method: 'POST' });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { ok: boolean; identity: IdentityJson };
    expect(body.ok).toBe(true);
    expect(body.identity.state).toBe('disabled');
    for (let i = 0; i < 6; i++) await h.openai.chat.completions.create({ model: 'kimi-k2-instruct', messages: [{ role: 'user', content: `x${i}` }] });
    expect(h.emulator.received.filter((m) => m.identity === 'a')).toHaveLength(0);

    await admin('/admin/identities/a/enable', { method: 'POST' });
    expect((await stateOf('a')).state).toBe('ready');
    expect((await admin('/admin/identities/nobody/enable', { method: 'POST' })).status).toBe(404);
    expect((await admin('/admin/identities/a/explode', { method: 'POST' })).status).toBe(404);
  });

  test('probe runs one message now and reports; a good probe brings a challenged identity back', async () => {
    h = await startHarness({ env: { ADMIN_KEY }, accounts: accounts() });
    h.emulator.addFault({ kind: 'challenge', status: 403, identity: 'b', times: 1 });
    // Route requests until b meets its challenge.
    for (let i = 0; i < 20 && (await stateOf('b')).state !== 'challenged'; i++) {
      await h.openai.chat.completions.create({ model: 'kimi-k2-instruct', messages: [{ role: 'user', content: `y${i}` }] });
    }
    expect((await stateOf('b')).state).toBe('challenged');

    const before = h.emulator.received.filter((m) => m.identity === 'b').length;
    const probe = (await (await admin('/admin/identities/b/probe', { method: 'POST' })).json()) as { ok: boolean; message: string; identity: IdentityJson };
    expect(probe.ok).toBe(true);
    expect(probe.message).toMatch(/^probe answered in \d+ ms$/);
    expect(probe.identity.state).toBe('ready');
    expect(h.emulator.received.filter((m) => m.identity === 'b').length).toBe(before + 1);

    h.emulator.addFault({ kind: 'server_error', identity: 'a', times: 1 });
    const failed = (await (await admin('/admin/identities/a/probe', { method: 'POST' })).json()) as { ok: boolean; message: string };
    expect(failed.ok).toBe(false);
    expect(failed.message).toStartWith('probe failed after');
    expect(failed.message).toContain('transient');
  });

  test('refresh fetches the chat page and a new nonce', async () => {
    h = await startHarness({ env: { ADMIN_KEY }, accounts: accounts() });
    const pages = () => h!.emulator.stats().a?.pages ?? 0;
    // Let the start-up nonce warm-up finish first.
    expect(await eventually(async () => (await stateOf('a')).nonceAgeMs !== null)).toBe(true);
    const before = pages();
    const body = (await (await admin('/admin/identities/a/refresh', { method: 'POST' })).json()) as { ok: boolean; identity: IdentityJson };
    expect(body.ok).toBe(true);
    expect(pages()).toBe(before + 1);
    expect(body.identity.nonceAgeMs).toBeLessThan(1000);
  });

  test('reload re-reads the account file; a broken file is refused and the pool kept', async () => {
    h = await startHarness({ env: { ADMIN_KEY }, accounts: accounts() });
    const file = h.config.accountsFile!;
    writeFileSync(file, JSON.stringify(poolOf(['a', 'd'])));
    const res = await admin('/admin/reload', { method: 'POST' });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ ok: true, added: ['d'], kept: ['a'] });
    expect((await identities()).map((i) => i.id).sort()).toEqual(['a', 'd']);

    writeFileSync(file, '{ not json');
    const broken = await admin('/admin/reload', { method: 'POST' });
    expect(broken.status).toBe(400);
    expect(((await broken.json()) as { error: { code: string } }).error.code).toBe('accounts_refused');
    expect((await identities()).map((i) => i.id).sort()).toEqual(['a', 'd']);
  });

  test('sessions: paged list without content, delete by id', async () => {
    h = await startHarness({ env: { ADMIN_KEY } });
    for (const user of ['u1', 'u2', 'u3']) {
      await h.openai.chat.completions.create({ model: 'kimi-k2-instruct', user, messages: [{ role: 'user', content: `private words of ${user}` }] });
    }
    const page1 = await admin('/admin/sessions?limit=2');
    const text = await page1.text();
    expect(text).not.toContain('private words');
    const body = JSON.parse(text) as { total: number; data: Array<{ id: string; turns: number; owner: string }>; has_more: boolean };
    expect(body.total).toBe(3);
    expect(body.data.map((s) => s.id)).toEqual(['u3', 'u2']);
    expect(body.has_more).toBe(true);
    const page2 = (await (await admin('/admin/sessions?limit=2&offset=2')).json()) as { data: Array<{ id: string }> };
    expect(page2.data.map((s) => s.id)).toEqual(['u1']);
    expect((await admin('/admin/sessions?limit=0')).status).toBe(400);

    expect((await admin('/admin/sessions/u2', { method: 'DELETE' })).status).toBe(200);
    expect((await admin('/admin/sessions/u2', { method: 'DELETE' })).status).toBe(404);
    const after = (await (await admin('/admin/sessions')).json()) as { total: number; data: Array<{ id: string }> };
    expect(after.data.map((s) => s.id)).toEqual(['u3', 'u1']);
    expect(after.total).toBe(2);
  });

  test('activity: per-bucket counts and the recent requests', async () => {
    h = await startHarness({ env: { ADMIN_KEY } });
    await h.openai.chat.completions.create({ model: 'kimi-k2-instruct', messages: [{ role: 'user', content: 'ok one' }] });
    await h.call('/v1/chat/completions', { json: { messages: [] } });
    const snap = (await (await admin('/admin/activity?minutes=5')).json()) as {
      buckets: Array<{ ok: number; clientErrors: number; failed: number }>;
      recent: Array<{ route: string; status: number; outcome: string; keyName: string | null }>;
    };
    expect(snap.buckets.reduce((n, b) => n + b.ok, 0)).toBe(1);
    // A 400 is the client's mistake, not a failure (issue 14).
    expect(snap.buckets.reduce((n, b) => n + b.clientErrors, 0)).toBe(1);
    expect(snap.buckets.reduce((n, b) => n + b.failed, 0)).toBe(0);
    const chats = snap.recent.filter((r) => r.route === '/v1/chat/completions');
    expect(chats.map((r) => r.status)).toEqual([400, 200]);
    expect(chats[0]!.outcome).toBe('invalid_request_error');
    expect(chats[1]!.keyName).toMatch(/^key-[0-9a-f]{8}$/);
  });
});
