// The identity pool through the real gateway and the emulator, several identities.
// Each identity's cookie is kimi_visitor=<id>, so the emulator counts calls per id.

import { afterEach, describe, expect, test } from 'bun:test';
import { startEmulator } from '../../emulator/emulator.ts';
import { eventually, poolOf, readSse, rejection, startHarness, tempDbPath, writeAccountsFile, type Harness } from '../helpers/harness.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

const ask = (harness: Harness, content = 'hello') => harness.call('/v1/chat/completions', { json: { messages: [{ role: 'user', content }] } });
const messagesTo = (harness: Harness, id: string) => harness.emulator.received.filter((r) => r.identity === id);
const member = (harness: Harness, id: string) => harness.admin.identity(id);

describe('failover and health', () => {
  test('traffic leaves an identity that returns 429; nothing reaches it before its Retry-After', async () => {
    h = await startHarness({ accounts: poolOf(['a', 'b', 'c']), emulator: { faults: [{ kind: 'rate_limited', identity: 'a', times: 1, retryAfter: '30' }] } });
    const statuses: number[] = [];
    for (let i = 0; i < 40; i++) statuses.push((await ask(h, `q${i}`)).status);
    expect(statuses.every((s) => s === 200)).toBe(true);
    const limited = h.emulator.received.find((r) => r.outcome === 'rate_limited');
    expect(limited?.identity).toBe('a');
    expect(messagesTo(h, 'a').filter((r) => r.at > limited!.at)).toEqual([]);
    const a = await member(h, 'a');
    expect(a.state).toBe('cooling');
    expect(a.until! - limited!.at).toBeGreaterThanOrEqual(29_900);
  });

  test('a challenged identity is taken out of rotation and reported', async () => {
    h = await startHarness({ accounts: poolOf(['a', 'b', 'c']), emulator: { faults: [{ kind: 'challenge', identity: 'b' }] } });
    for (let i = 0; i < 30; i++) expect((await ask(h, `q${i}`)).status).toBe(200);
    expect(messagesTo(h, 'b').length).toBeLessThanOrEqual(1);
    // (bun 1.4.5's toMatchObject writes asymmetric matchers into the received object: read first)
    const { state, reason } = await member(h, 'b');
    expect({ state, reason }).toMatchObject({ state: 'challenged', reason: expect.stringContaining('Cloudflare') });
    if (messagesTo(h, 'b').length === 1) {
      expect(await eventually(() => h!.logs.some((l) => l.includes('"identity challenged"') && l.includes('"identity":"b"')))).toBe(true);
    }
  });

  test('with one of three identities failing every call, clients see no error and it is ejected', async () => {
    h = await startHarness({ accounts: poolOf(['a', 'b', 'c']), emulator: { faults: [{ kind: 'server_error', identity: 'c' }] } });
    const results = await Promise.all(Array.from({ length: 30 }, (_, i) => ask(h!, `q${i}`).then((r) => r.status)));
    expect(results.every((s) => s === 200)).toBe(true);
    expect((await member(h, 'c')).state).toBe('ejected');
    // Calls leased before the ejection may still reach the site after it (under load, late); once
    // the burst is answered none is out, and no request after it goes to c.
    const sentToC = messagesTo(h, 'c').length;
    expect(sentToC).toBeGreaterThan(0);
    for (let i = 0; i < 10; i++) expect((await ask(h, `more${i}`)).status).toBe(200);
    expect(messagesTo(h, 'c')).toHaveLength(sentToC);
    expect((await member(h, 'c')).state).toBe('ejected');
  });

  test('nonce expiry is invisible to clients', async () => {
    h = await startHarness({ accounts: poolOf(['a', 'b']) });
    for (let i = 0; i < 5; i++) expect((await ask(h, `before${i}`)).status).toBe(200);
    h.emulator.expireNonces();
    const after = await Promise.all(Array.from({ length: 10 }, (_, i) => ask(h!, `after${i}`).then((r) => r.status)));
    expect(after.every((s) => s === 200)).toBe(true);
    expect(h.emulator.received.some((r) => r.outcome === 'stale_nonce')).toBe(true);
  });

  test('every identity challenged: 503 at once, without queueing', async () => {
    h = await startHarness({ accounts: poolOf(['a', 'b']), emulator: { faults: [{ kind: 'challenge' }] } });
    const first = await ask(h);
    expect(first.status).toBe(503);
    expect((await first.json()).error.code).toBe('upstream_challenged');
    const t0 = performance.now();
    const second = await ask(h);
    expect(second.status).toBe(503);
    const body = await second.json();
    expect(body.error.code).toBe('no_identity_available');
    expect(body.error.message).toContain('2 challenged');
    expect(performance.now() - t0).toBeLessThan(500);
  });
});

describe('limits, weights and queueing', () => {
  test('maxConcurrent and rpm are never exceeded; past the rpm budget a request waits, then gets 429 with Retry-After', async () => {
    h = await startHarness({
      accounts: poolOf(['a', 'b', 'c'], {}, { maxConcurrent: 2, rpm: 5 }),
      emulator: { latencyMs: 100 },
      env: { QUEUE_TIMEOUT_MS: '800' },
    });
    const statuses = await Promise.all(Array.from({ length: 15 }, (_, i) => ask(h!, `q${i}`).then((r) => r.status)));
    expect(statuses.every((s) => s === 200)).toBe(true);
    const stats = h.emulator.stats();
    for (const id of ['a', 'b', 'c']) {
      expect(stats[id]!.maxInFlight).toBeLessThanOrEqual(2);
      expect(stats[id]!.messages).toBeLessThanOrEqual(5);
    }
    const t0 = performance.now();
    const over = await ask(h, 'one too many');
    expect(over.status).toBe(429);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(750); // it waited in the queue first
    const retryAfter = Number(over.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(50);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect((await over.json()).error.code).toBe('identities_busy');
    expect(h.emulator.received.length).toBe(15);
  });

  test('a queued request takes the first identity that frees up', async () => {
    h = await startHarness({ accounts: poolOf(['a'], {}, { maxConcurrent: 1 }), emulator: { latencyMs: 300 } });
    const t0 = performance.now();
    const [first, second] = await Promise.all([ask(h, 'first'), ask(h, 'second')]);
    expect([first.status, second.status]).toEqual([200, 200]);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(600);
    expect(h.emulator.stats().a!.maxInFlight).toBe(1);
  });

  test('all identities rate-limited: the request waits, then 429 with the soonest recovery', async () => {
    h = await startHarness({
      accounts: poolOf(['a', 'b']),
      emulator: { faults: [{ kind: 'rate_limited', identity: 'a', retryAfter: '20' }, { kind: 'rate_limited', identity: 'b', retryAfter: '9' }] },
      env: { QUEUE_TIMEOUT_MS: '300' },
    });
    const first = await ask(h);
    expect(first.status).toBe(429);
    expect(h.emulator.received.map((r) => r.identity).sort()).toEqual(['a', 'b']);
    const second = await ask(h);
    expect(second.status).toBe(429);
    const retryAfter = Number(second.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(8);
    expect(retryAfter).toBeLessThanOrEqual(9);
    expect((await second.json()).error.message).toContain('2 cooling');
    expect(h.emulator.received.length).toBe(2);
  });

  test('weights shape the split', async () => {
    h = await startHarness({ accounts: { identities: [{ id: 'heavy', cookies: 'kimi_visitor=heavy', weight: 4 }, { id: 'light', cookies: 'kimi_visitor=light', weight: 1 }] } });
    for (let i = 0; i < 100; i++) expect((await ask(h, `q${i}`)).status).toBe(200);
    const share = messagesTo(h, 'heavy').length / 100;
    expect(share).toBeGreaterThan(0.65);
    expect(share).toBeLessThan(0.95);
  });
});

describe('account file, reload and restart', () => {
  test('reload keeps the state of identities kept by id, adds new ones, drops removed ones; a broken file is refused', async () => {
    const accounts = poolOf(['a', 'b']);
    h = await startHarness({ accounts, emulator: { faults: [{ kind: 'rate_limited', identity: 'a', retryAfter: '120', times: 1 }] } });
    while (!h.emulator.received.some((r) => r.outcome === 'rate_limited')) expect((await ask(h)).status).toBe(200);
    const cooling = await member(h, 'a');
    writeAccountsFile(poolOf(['a', 'c']), h.config.accountsFile!);
    const result = await h.admin.reload();
    expect(result).toEqual({ ok: true, added: ['c'], removed: ['b'], kept: ['a'] });
    expect((await h.admin.identities()).map((m) => m.id)).toEqual(['a', 'c']);
    const kept = await member(h, 'a');
    expect([kept.state, kept.reason, kept.since, kept.until]).toEqual([cooling.state, cooling.reason, cooling.since, cooling.until]);
    const before = h.emulator.received.length;
    for (let i = 0; i < 5; i++) expect((await ask(h)).status).toBe(200);
    expect(h.emulator.received.slice(before).every((r) => r.identity === 'c')).toBe(true);

    writeAccountsFile('{"identities":[{"id":"a"},{"id":"a"}]}', h.config.accountsFile!);
    const refused = await h.admin.reload();
    expect(refused).toEqual({ ok: false, error: expect.stringContaining('identity "a": the id is used twice') });
    expect((await h.admin.identities()).map((m) => m.id)).toEqual(['a', 'c']);
  });

  test('cooldowns, cookies and nonces survive a restart', async () => {
    // The emulator names an identity by its kimi_visitor cookie: "anon" has none of its own
    // and gets one from the site, so the key its messages arrive under is that cookie.
    const emulator = startEmulator({ faults: [{ kind: 'rate_limited', identity: 'a', retryAfter: '300', times: 1 }] });
    const dbPath = tempDbPath();
    const accounts = { identities: [{ id: 'a', cookies: 'kimi_visitor=a' }, { id: 'anon' }] };
    try {
      h = await startHarness({ accounts, dbPath, emulatorInstance: emulator });
      while (!emulator.received.some((r) => r.outcome === 'rate_limited')) expect((await ask(h)).status).toBe(200);
      const { until } = await member(h, 'a');
      const anonVisitor = emulator.received.find((r) => r.identity !== 'a')!.identity;
      expect(anonVisitor).toMatch(/^[0-9a-f]{16}$/); // a visitor cookie the site set, not 'anonymous' (no cookie)
      await h.stop();

      h = await startHarness({ accounts, dbPath, emulatorInstance: emulator });
      const a = await member(h, 'a');
      expect({ state: a.state, until: a.until }).toEqual({ state: 'cooling', until });
      const pagesBefore = Object.values(emulator.stats()).reduce((n, s) => n + s.pages, 0);
      const before = emulator.received.length;
      for (let i = 0; i < 5; i++) expect((await ask(h)).status).toBe(200);
      // All to anon, with the cookie it had before the restart.
      expect(emulator.received.slice(before).map((r) => r.identity)).toEqual(Array(5).fill(anonVisitor));
      expect(Object.values(emulator.stats()).reduce((n, s) => n + s.pages, 0)).toBe(pagesBefore); // the stored nonce was reused
    } finally {
      await emulator.stop();
    }
  });

  test('a broken account file stops start-up with the identity, field and problem', async () => {
    // From source startGateway throws; the binary prints the message and exits 2 (the harness throws either way).
    const failed = await rejection(startHarness({ accounts: { identities: [{ id: 'a' }, { id: 'b', rpm: -1, proxy: 'http://u:pw@h:1' }] } }));
    expect((failed as Error).message).toContain('identity "b": "rpm": must be a whole number ≥ 0 (got -1)');
  });
});

describe('streams and admission', () => {
  test('a stream refused outright (queue full) gets a 429 status, not a 200 with an error frame', async () => {
    h = await startHarness({ accounts: poolOf(['a'], {}, { maxConcurrent: 1 }), emulator: { latencyMs: 400 }, env: { QUEUE_MAX: '0' } });
    const busy = ask(h, 'occupies the only slot');
    await eventually(async () => (await member(h!, 'a')).inFlight === 1);
    const res = await h.call('/v1/chat/completions', { json: { stream: true, messages: [{ role: 'user', content: 'x' }] } });
    expect(res.status).toBe(429);
    expect(res.headers.get('content-type')).toStartWith('application/json');
    expect((await res.json()).error.code).toBe('identities_busy');
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect((await busy).status).toBe(200);
  });

  test('a stream that waits in the queue keeps getting keep-alives, then its answer', async () => {
    h = await startHarness({ accounts: poolOf(['a'], {}, { maxConcurrent: 1 }), emulator: { latencyMs: 700 }, env: { KEEPALIVE_INTERVAL_MS: '100' } });
    const busy = ask(h, 'first');
    await eventually(async () => (await member(h!, 'a')).inFlight === 1);
    const { events, comments } = await readSse(await h.call('/v1/chat/completions', { json: { stream: true, messages: [{ role: 'user', content: 'queued' }] } }));
    expect(comments).toBeGreaterThanOrEqual(8); // ~0.7 s queued + 0.7 s upstream
    expect(events.map((e) => e.data).join('')).toContain('Echo[6]: queued');
    expect((await busy).status).toBe(200);
  });
});
