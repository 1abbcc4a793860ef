// Identities added, changed and removed over the admin API, against the real gateway (source
// or binary) and the emulator: the account file on disk after each change (comments, order
// and mode kept; a restart on it gives the same pool), validation naming fields, the 409s,
// concurrent changes, a removal with a request in flight, new cookies clearing a challenge,
// the probe of an unsaved identity, the cross-site rule, and no secret in any answer or log.

import { afterEach, describe, expect, test } from 'bun:test';
import { chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { startEmulator, type Emulator } from '../../emulator/emulator.ts';
import { eventually, HARNESS_ADMIN_KEY, startHarness, tempDbPath, writeAccountsFile, type Harness, type HarnessOptions } from '../helpers/harness.ts';

const COOKIE_SECRET = 'cookie-secret-5b8e1f07';
const PROXY_PASSWORD = 'proxy-pw-29c4d6aa';

let h: Harness | null = null;
let emulator: Emulator | null = null;
afterEach(async () => {
  await h?.stop();
  h = null;
  await emulator?.stop();
  emulator = null;
});

/** Every answer body any test read, to search for secrets. */
const answers: string[] = [];

interface Answer {
  status: number;
  body: Record<string, any>;
}

async function api(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  const init: RequestInit = { method, headers: { authorization: `Bearer ${HARNESS_ADMIN_KEY}`, 'content-type': 'application/json', ...headers } };
  if (body !== undefined) init.body = typeof body === 'string' ? body : JSON.stringify(body);
  const res = await fetch(`${h!.gateway.url}${path}`, init);
  const text = await res.text();
  answers.push(text);
  return { status: res.status, body: JSON.parse(text) as Record<string, any> };
}

const ask = (content = 'hello') => h!.call('/v1/chat/completions', { json: { messages: [{ role: 'user', content }] } });
const poolIds = async () => ((await api('GET', '/admin/identities')).body.identities as { id: string }[]).map((i) => i.id);
const readJson = (path: string) => JSON.parse(readFileSync(path, 'utf8')) as Record<string, any> & { identities: Record<string, any>[] };
const modeOf = (path: string) => (statSync(path).mode & 0o777).toString(8);

/** An account file as an operator writes it: comments at the top and in an identity, defaults, mode 0600. */
function handWrittenFile(): string {
  const path = writeAccountsFile(
    JSON.stringify(
      {
        _comment: ['kimi-gateway pool', 'edited by hand and by the admin API'],
        defaults: { maxConcurrent: 8, rpm: 0 },
        identities: [
          { id: 'a', _note: 'main', cookies: 'kimi_visitor=a', maxConcurrent: 2 },
          { id: 'b', cookies: 'kimi_visitor=b' },
          { id: 'spare', cookies: `kimi_visitor=spare; token=${COOKIE_SECRET}`, proxy: `http://bob:${PROXY_PASSWORD}@127.0.0.1:9`, enabled: false },
        ],
        $footer: 'end',
      },
      null,
      2,
    ),
  );
  chmodSync(path, 0o600);
  return path;
}

async function start(file: string | null, options: HarnessOptions = {}): Promise<Harness> {
  emulator ??= startEmulator();
  h = await startHarness({ ...options, emulatorInstance: emulator, env: { ...(file ? { ACCOUNTS_FILE: file } : {}), ...options.env } });
  return h;
}

/** No secret in anything the gateway answered or logged (logs read after stop: a binary's arrive through a pipe). */
async function expectNoSecrets(harness: Harness): Promise<void> {
  await harness.stop();
  for (const secret of [COOKIE_SECRET, PROXY_PASSWORD]) {
    expect({ secret, inAnswers: answers.some((a) => a.includes(secret)) }).toEqual({ secret, inAnswers: false });
    expect({ secret, inLogs: harness.logs.some((l) => l.includes(secret)) }).toEqual({ secret, inLogs: false });
  }
  expect(harness.logs.length).toBeGreaterThan(0);
}

describe('identities over the admin API', () => {
  test('add, change, remove: the file keeps its comments, order and mode, the pool follows, and a restart on the file and database gives the same pool', async () => {
    const file = handWrittenFile();
    const dbPath = tempDbPath();
    await start(file, { dbPath });

    const added = await api('POST', '/admin/identities', { id: 'c', cookies: `kimi_visitor=c; session=${COOKIE_SECRET}`, weight: 3, _added: 'over the API' });
    expect(added.status).toBe(201);
    expect(added.body.identity).toMatchObject({ id: 'c', state: 'ready', enabled: true, maxConcurrent: 8 });
    expect(added.body.settings).toEqual({
      id: 'c',
      hasCookies: true,
      proxy: null,
      userAgent: null,
      weight: 3,
      maxConcurrent: 8,
      rpm: 0,
      minIntervalMs: 0,
      jitterMs: 0,
      enabled: true,
      inherited: ['userAgent', 'maxConcurrent', 'rpm', 'enabled', 'minIntervalMs', 'jitterMs'],
    });
    let onDisk = readJson(file);
    expect(Object.keys(onDisk)).toEqual(['_comment', 'defaults', 'identities', '$footer']);
    expect(onDisk.identities.map((e) => e.id)).toEqual(['a', 'b', 'spare', 'c']);
    expect(Object.keys(onDisk.identities[3]!)).toEqual(['id', 'cookies', 'weight', '_added']);
    expect(modeOf(file)).toBe('600');
    // The new identity serves traffic with its own cookies.
    for (let i = 0; i < 40 && !h!.emulator.received.some((r) => r.identity === 'c'); i++) expect((await ask(`q${i}`)).status).toBe(200);
    expect(h!.emulator.received.some((r) => r.identity === 'c')).toBe(true);

    const patched = await api('PATCH', '/admin/identities/a', { rpm: 7, maxConcurrent: null });
    expect(patched.status).toBe(200);
    expect(patched.body.identity).toMatchObject({ id: 'a', rpm: 7, maxConcurrent: 8 });
    expect(patched.body.settings).toMatchObject({ rpm: 7, maxConcurrent: 8, hasCookies: true, inherited: ['userAgent', 'weight', 'maxConcurrent', 'enabled', 'minIntervalMs', 'jitterMs'] });
    onDisk = readJson(file);
    expect(onDisk.identities[0]).toEqual({ id: 'a', _note: 'main', cookies: 'kimi_visitor=a', rpm: 7 });

    const deleted = await api('DELETE', '/admin/identities/b');
    expect(deleted).toEqual({ status: 200, body: { id: 'b', deleted: true, inFlight: 0 } });
    expect(await poolIds()).toEqual(['a', 'spare', 'c']);
    onDisk = readJson(file);
    expect(onDisk.identities.map((e) => e.id)).toEqual(['a', 'spare', 'c']);
    expect(onDisk._comment).toEqual(['kimi-gateway pool', 'edited by hand and by the admin API']);
    expect(onDisk.defaults).toEqual({ maxConcurrent: 8, rpm: 0 });
    expect(onDisk.$footer).toBe('end');
    expect(onDisk.identities[1]).toEqual({ id: 'spare', cookies: `kimi_visitor=spare; token=${COOKIE_SECRET}`, proxy: `http://bob:${PROXY_PASSWORD}@127.0.0.1:9`, enabled: false });
    expect(modeOf(file)).toBe('600');

    // The file is the pool: reloading it changes nothing.
    expect((await api('POST', '/admin/reload')).body).toEqual({ ok: true, added: [], removed: [], kept: ['a', 'spare', 'c'] });
    const settingsBefore = await Promise.all(['a', 'spare', 'c'].map(async (id) => (await api('GET', `/admin/identities/${id}`)).body.settings));
    const c = (await api('GET', '/admin/identities/c')).body.identity;
    await expectNoSecrets(h!);

    await start(file, { dbPath });
    expect(await poolIds()).toEqual(['a', 'spare', 'c']);
    const settingsAfter = await Promise.all(['a', 'spare', 'c'].map(async (id) => (await api('GET', `/admin/identities/${id}`)).body.settings));
    expect(settingsAfter).toEqual(settingsBefore);
    const cAfter = (await api('GET', '/admin/identities/c')).body.identity;
    expect([cAfter.state, cAfter.since]).toEqual([c.state, c.since]);
    await expectNoSecrets(h!);
  });

  test('bad fields get a 400 naming the field, and nothing is written', async () => {
    const file = handWrittenFile();
    await start(file);
    const before = readFileSync(file, 'utf8');
    const cases: [string, string, unknown, string | null][] = [
      ['POST', '/admin/identities', { id: 'd', weight: 0 }, 'weight'],
      ['POST', '/admin/identities', { id: 'd', rpm: 1.5 }, 'rpm'],
      ['POST', '/admin/identities', { id: 'd', maxConcurrent: '4' }, 'maxConcurrent'],
      ['POST', '/admin/identities', { id: 'd', enabled: 'yes' }, 'enabled'],
      ['POST', '/admin/identities', { id: 'd', cookies: `no equals sign ${COOKIE_SECRET}` }, 'cookies'],
      ['POST', '/admin/identities', { id: 'd', proxy: `socks5://bob:${PROXY_PASSWORD}@127.0.0.1:1080` }, 'proxy'],
      ['POST', '/admin/identities', { id: 'd', userAgent: 'Mozilla\r\nX-Injected: 1' }, 'userAgent'],
      ['POST', '/admin/identities', { id: 'd', colour: 'red' }, 'colour'],
      ['POST', '/admin/identities', { id: '' }, 'id'],
      ['POST', '/admin/identities', { id: 'tab\there' }, 'id'],
      ['POST', '/admin/identities', { weight: 2 }, 'id'],
      ['POST', '/admin/identities', [{ id: 'd' }], null],
      ['POST', '/admin/identities', 'not json', null],
      ['POST', '/admin/identities', '', null],
      ['PATCH', '/admin/identities/a', { colour: null }, 'colour'],
      ['PATCH', '/admin/identities/a', { id: 'renamed' }, 'id'],
      ['PATCH', '/admin/identities/a', { rpm: -1 }, 'rpm'],
      ['PATCH', '/admin/identities/a', {}, null],
    ];
    for (const [method, path, body, param] of cases) {
      const { status, body: answer } = await api(method, path, body);
      expect({ method, body, status, param: answer.error?.param, code: answer.error?.code }).toEqual({ method, body, status: 400, param, code: null });
      if (param && param !== 'id') expect(answer.error.message).toContain(`"${param}"`);
    }
    expect(readFileSync(file, 'utf8')).toBe(before);
    expect(await poolIds()).toEqual(['a', 'b', 'spare']);
    await expectNoSecrets(h!);
  });

  test('409: the id exists, the file was edited by hand (reload first), the last identity; 404 for an unknown id', async () => {
    const file = writeAccountsFile({ _comment: 'two', identities: [{ id: 'a', cookies: 'kimi_visitor=a' }, { id: 'b', cookies: 'kimi_visitor=b' }] });
    await start(file);
    const exists = await api('POST', '/admin/identities', { id: 'a' });
    expect([exists.status, exists.body.error.code, exists.body.error.param]).toEqual([409, 'identity_exists', 'id']);
    for (const [method, path, body] of [['PATCH', '/admin/identities/ghost', { rpm: 1 }], ['DELETE', '/admin/identities/ghost', undefined], ['GET', '/admin/identities/ghost', undefined]] as const) {
      const missing = await api(method, path, body);
      expect({ method, status: missing.status, code: missing.body.error.code }).toEqual({ method, status: 404, code: 'identity_not_found' });
    }

    // An operator edits the file and has not reloaded: the API does not overwrite their edit.
    const handEdit = JSON.stringify({ _comment: 'two', identities: [{ id: 'a', cookies: 'kimi_visitor=a' }, { id: 'b', cookies: 'kimi_visitor=b' }, { id: 'x' }] });
    writeFileSync(file, handEdit);
    for (const [method, path, body] of [['PATCH', '/admin/identities/a', { rpm: 3 }], ['POST', '/admin/identities', { id: 'y' }], ['DELETE', '/admin/identities/b', undefined]] as const) {
      const conflict = await api(method, path, body);
      expect({ method, status: conflict.status, code: conflict.body.error.code }).toEqual({ method, status: 409, code: 'accounts_file_changed' });
      expect(conflict.body.error.message).toContain('POST /admin/reload');
    }
    expect(readFileSync(file, 'utf8')).toBe(handEdit);
    expect(await poolIds()).toEqual(['a', 'b']);
    expect((await api('POST', '/admin/reload')).body).toMatchObject({ ok: true, added: ['x'] });
    expect((await api('PATCH', '/admin/identities/a', { rpm: 3 })).status).toBe(200);
    expect(readJson(file).identities).toEqual([{ id: 'a', cookies: 'kimi_visitor=a', rpm: 3 }, { id: 'b', cookies: 'kimi_visitor=b' }, { id: 'x' }]);

    expect((await api('DELETE', '/admin/identities/x')).status).toBe(200);
    expect((await api('DELETE', '/admin/identities/b')).status).toBe(200);
    const last = await api('DELETE', '/admin/identities/a');
    expect([last.status, last.body.error.code]).toEqual([409, 'last_identity']);
    expect(readJson(file).identities.map((e) => e.id)).toEqual(['a']);
  });

  test('without an account file: 409 saying how to start with one; reading and probing still work', async () => {
    await start(null);
    for (const [method, path, body] of [['POST', '/admin/identities', { id: 'a' }], ['PATCH', '/admin/identities/anonymous', { rpm: 1 }], ['DELETE', '/admin/identities/anonymous', undefined]] as const) {
      const refused = await api(method, path, body);
      expect({ method, status: refused.status, code: refused.body.error.code }).toEqual({ method, status: 409, code: 'no_accounts_file' });
      expect(refused.body.error.message).toContain('ACCOUNTS_FILE');
      expect(refused.body.error.message).toContain('--accounts');
      expect(refused.body.error.message).toContain('accounts.example.json');
    }
    const anonymous = await api('GET', '/admin/identities/anonymous');
    expect(anonymous.status).toBe(200);
    expect(anonymous.body.settings).toMatchObject({ id: 'anonymous', hasCookies: false, maxConcurrent: 4 });
    const probe = await api('POST', '/admin/identities/probe', { id: 'trial', cookies: 'kimi_visitor=trial' });
    expect([probe.status, probe.body.ok]).toEqual([200, true]);
    expect(await poolIds()).toEqual(['anonymous']);
  });

  test('concurrent PATCHes are applied one after another: none is lost', async () => {
    const ids = ['i0', 'i1', 'i2', 'i3', 'i4', 'i5'];
    const file = writeAccountsFile({ identities: ids.map((id) => ({ id, cookies: `kimi_visitor=${id}` })) });
    await start(file);
    const results = await Promise.all(
      ids.flatMap((id, i) => [api('PATCH', `/admin/identities/${id}`, { rpm: 10 + i }), api('PATCH', `/admin/identities/${id}`, { weight: 1 + i }), api('PATCH', `/admin/identities/${id}`, { _touched: true })]),
    );
    expect(results.map((r) => r.status)).toEqual(Array(ids.length * 3).fill(200));
    expect(readJson(file).identities).toEqual(ids.map((id, i) => ({ id, cookies: `kimi_visitor=${id}`, rpm: 10 + i, weight: 1 + i, _touched: true })));
    for (const [i, id] of ids.entries()) expect((await api('GET', `/admin/identities/${id}`)).body.settings).toMatchObject({ rpm: 10 + i, weight: 1 + i });
  });

  test('DELETE lets the request in flight on the identity finish; nothing new reaches it', async () => {
    const file = writeAccountsFile({ defaults: { maxConcurrent: 1 }, identities: [{ id: 'a', cookies: 'kimi_visitor=a' }, { id: 'b', cookies: 'kimi_visitor=b' }] });
    emulator = startEmulator({ latencyMs: 1_500 });
    await start(file);
    const inFlight = [ask('one'), ask('two')];
    expect(await eventually(async () => ((await api('GET', '/admin/identities')).body.identities as { inFlight: number }[]).every((i) => i.inFlight === 1), 5_000)).toBe(true);
    const deleted = await api('DELETE', '/admin/identities/b');
    expect(deleted).toEqual({ status: 200, body: { id: 'b', deleted: true, inFlight: 1 } });
    expect(await poolIds()).toEqual(['a']);
    const statuses = await Promise.all(inFlight.map(async (p) => (await p).status));
    expect(statuses).toEqual([200, 200]);
    expect(h!.emulator.received.filter((r) => r.identity === 'b').map((r) => r.outcome)).toEqual(['ok']);
    h!.emulator.configure({ latencyMs: 0 });
    for (let i = 0; i < 3; i++) expect((await ask(`after ${i}`)).status).toBe(200);
    expect(h!.emulator.received.filter((r) => r.identity === 'b')).toHaveLength(1);
    expect(readJson(file).identities.map((e) => e.id)).toEqual(['a']);
  });

  test('new cookies clear a challenge, as a reload with new cookies does', async () => {
    const file = writeAccountsFile({ identities: [{ id: 'a', cookies: 'kimi_visitor=a' }, { id: 'b', cookies: 'kimi_visitor=b' }] });
    emulator = startEmulator({ faults: [{ kind: 'challenge', identity: 'a' }] });
    await start(file);
    for (let i = 0; i < 30 && !h!.emulator.received.some((r) => r.identity === 'a'); i++) expect((await ask(`q${i}`)).status).toBe(200);
    expect((await api('GET', '/admin/identities/a')).body.identity.state).toBe('challenged');

    const patched = await api('PATCH', '/admin/identities/a', { cookies: `kimi_visitor=a-fresh; session=${COOKIE_SECRET}` });
    expect(patched.status).toBe(200);
    expect(patched.body.identity.state).toBe('ready');
    for (let i = 0; i < 30 && !h!.emulator.received.some((r) => r.identity === 'a-fresh'); i++) expect((await ask(`r${i}`)).status).toBe(200);
    expect(h!.emulator.received.filter((r) => r.identity === 'a-fresh').every((r) => r.outcome === 'ok')).toBe(true);
    expect(h!.emulator.received.some((r) => r.identity === 'a-fresh')).toBe(true);
    expect((await api('GET', '/admin/identities/a')).body.identity.state).toBe('ready');
    await expectNoSecrets(h!);
  });

  test('PATCH enabled: false takes an identity out of rotation; true brings it back, also after an operator disable', async () => {
    const file = writeAccountsFile({ identities: [{ id: 'a', cookies: 'kimi_visitor=a' }, { id: 'b', cookies: 'kimi_visitor=b' }] });
    await start(file);
    expect((await api('PATCH', '/admin/identities/a', { enabled: false })).body.identity).toMatchObject({ state: 'disabled', enabled: false });
    expect(readJson(file).identities[0]).toEqual({ id: 'a', cookies: 'kimi_visitor=a', enabled: false });
    expect((await api('PATCH', '/admin/identities/a', { enabled: true })).body.identity).toMatchObject({ state: 'ready', enabled: true });
    expect((await api('POST', '/admin/identities/b/disable')).status).toBe(200);
    expect((await api('PATCH', '/admin/identities/b', { enabled: true })).body.identity).toMatchObject({ state: 'ready', enabled: true });
  });
});

describe('probe before saving', () => {
  test('an unsaved identity is checked against the site (page, nonce, one message, no retry) and never joins the pool', async () => {
    const file = handWrittenFile();
    emulator = startEmulator({
      faults: [{ kind: 'challenge', identity: 'blocked' }, { kind: 'challenge', on: 'page', identity: 'no-page' }, { kind: 'echo', identity: 'echoed' }],
    });
    await start(file);
    const before = readFileSync(file, 'utf8');

    const works = await api('POST', '/admin/identities/probe', { id: 'trial', cookies: `kimi_visitor=trial; token=${COOKIE_SECRET}`, rpm: 3 });
    expect(works.status).toBe(200);
    expect(works.body).toMatchObject({ id: 'trial', saved: false, ok: true, proxy: null, page: { ok: true }, message: { ok: true } });
    expect(works.body.summary).toStartWith('works');
    expect(h!.emulator.received.filter((r) => r.identity === 'trial')).toHaveLength(1);

    const blocked = await api('POST', '/admin/identities/probe', { id: 'blocked', cookies: 'kimi_visitor=blocked' });
    expect(blocked.body).toMatchObject({ ok: false, page: { ok: true }, message: { ok: false, kind: 'challenged' } });
    expect(h!.emulator.received.filter((r) => r.identity === 'blocked')).toHaveLength(1);

    const noPage = await api('POST', '/admin/identities/probe', { id: 'np', cookies: 'kimi_visitor=no-page' });
    expect(noPage.body).toMatchObject({ ok: false, page: { ok: false, kind: 'challenged' }, message: { ok: null, why: 'skipped (no nonce)' } });
    expect(h!.emulator.received.filter((r) => r.identity === 'no-page')).toHaveLength(0);

    // A site that prints the request's cookies back: the answer quotes them masked.
    const echoed = await api('POST', '/admin/identities/probe', { id: 'e', cookies: `kimi_visitor=echoed; token=${COOKIE_SECRET}` });
    expect(echoed.body).toMatchObject({ ok: false, page: { ok: true }, message: { ok: false } });
    expect(h!.emulator.received.filter((r) => r.identity === 'echoed')).toHaveLength(1);

    // With base: the changes as PATCH would make them, the identity's other settings kept; the pool's own state untouched.
    const edited = await api('POST', '/admin/identities/probe?base=a', { cookies: 'kimi_visitor=a-next' });
    expect(edited.body).toMatchObject({ id: 'a', saved: false, ok: true });
    expect(h!.emulator.received.filter((r) => r.identity === 'a-next')).toHaveLength(1);
    const proxied = await api('POST', '/admin/identities/probe?base=spare', { cookies: 'kimi_visitor=spare-next' });
    expect(proxied.body.proxy).toBe('http://***:***@127.0.0.1:9/');
    expect(proxied.body.ok).toBe(false); // its proxy leads nowhere
    expect((await api('GET', '/admin/identities/a')).body.identity).toMatchObject({ requests: 0, state: 'ready' });

    const invalid = await api('POST', '/admin/identities/probe', { id: 'x', weight: -2 });
    expect([invalid.status, invalid.body.error.param]).toEqual([400, 'weight']);
    const unknownBase = await api('POST', '/admin/identities/probe?base=ghost', {});
    expect([unknownBase.status, unknownBase.body.error.code]).toEqual([404, 'identity_not_found']);

    expect(await poolIds()).toEqual(['a', 'b', 'spare']);
    expect(readFileSync(file, 'utf8')).toBe(before);
    await expectNoSecrets(h!);
  });
});

describe('the cross-site rule', () => {
  test('changes sent with browser (Basic) credentials from another site are refused; from the dashboard they work', async () => {
    const file = handWrittenFile();
    await start(file);
    const before = readFileSync(file, 'utf8');
    const basic = { authorization: `Basic ${btoa(`admin:${HARNESS_ADMIN_KEY}`)}` };
    const forged = [
      ['POST', '/admin/identities', { id: 'evil' }],
      ['PATCH', '/admin/identities/a', { cookies: 'kimi_visitor=evil' }],
      ['DELETE', '/admin/identities/a', undefined],
      ['POST', '/admin/identities/probe', { id: 'evil', cookies: 'kimi_visitor=evil' }],
    ] as const;
    for (const [method, path, body] of forged) {
      for (const site of [{ origin: 'https://evil.example' }, { 'sec-fetch-site': 'cross-site' }] as Record<string, string>[]) {
        const refused = await api(method, path, body, { ...basic, ...site });
        expect({ method, path, status: refused.status, code: refused.body.error.code }).toEqual({ method, path, status: 403, code: 'cross_site_request' });
      }
    }
    expect(readFileSync(file, 'utf8')).toBe(before);
    expect(h!.emulator.received.filter((r) => r.identity === 'evil')).toHaveLength(0);
    const own = await api('POST', '/admin/identities', { id: 'd' }, { ...basic, origin: h!.gateway.url, 'sec-fetch-site': 'same-origin' });
    expect(own.status).toBe(201);
  });

  test('a preflight allows PATCH (a tool on another origin sends the admin key as Bearer)', async () => {
    await start(handWrittenFile());
    const res = await fetch(`${h!.gateway.url}/admin/identities/a`, {
      method: 'OPTIONS',
      headers: { origin: 'https://tools.example', 'access-control-request-method': 'PATCH', 'access-control-request-headers': 'authorization, content-type' },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-methods')?.split(/,\s*/)).toContain('PATCH');
  });
});
