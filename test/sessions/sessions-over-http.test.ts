// Sessions end to end: the real gateway, the real emulator, a real SQLite file.

import { Database } from 'bun:sqlite';
import { afterEach, describe, expect, test } from 'bun:test';
import OpenAI from 'openai';
import { startEmulator } from '../../emulator/emulator.ts';
import type { Emulator } from '../../emulator/types.ts';
import { keyName } from '../../src/http/auth.ts';
import { TEST_KEY, eventually, readSse, rejection, startHarness, tempDbPath, upstreamTotals, type Harness } from '../helpers/harness.ts';

let harnesses: Harness[] = [];
let emulators: Emulator[] = [];
afterEach(async () => {
  for (const h of harnesses) await h.stop();
  for (const e of emulators) await e.stop();
  harnesses = [];
  emulators = [];
});

async function harness(options: Parameters<typeof startHarness>[0] = {}): Promise<Harness> {
  const h = await startHarness({ emulator: { replyLength: 60 }, ...options });
  harnesses.push(h);
  return h;
}

type Msg = { role: 'system' | 'user' | 'assistant'; content: string };

async function ask(h: Harness, messages: Msg[], extra: { user?: string; headers?: Record<string, string> } = {}) {
  const { data, response } = await h.openai.chat.completions
    .create({ model: 'kimi-k2-instruct', messages, ...(extra.user ? { user: extra.user } : {}) }, { headers: extra.headers })
    .withResponse();
  return { text: data.choices[0]!.message.content!, sessionId: response.headers.get('x-session-id') };
}

const lastReceived = (e: Emulator) => e.received.at(-1)!;

describe('named sessions (user field, X-Session-Id)', () => {
  test('multi-turn with `user`: the client sends only the new message, the upstream gets the history', async () => {
    const h = await harness();
    const first = await ask(h, [{ role: 'user', content: 'My name is Zed.' }], { user: 'alice' });
    expect(first.sessionId).toBe('alice');
    const firstUpstream = lastReceived(h.emulator);
    expect(firstUpstream.message).toBe('My name is Zed.');

    await ask(h, [{ role: 'user', content: 'What is my name?' }], { user: 'alice' });
    const second = lastReceived(h.emulator);
    expect(second.message).toBe(`User: My name is Zed.\n\nAssistant: ${first.text}\n\nUser: What is my name?`);
    expect(second.sessionId).toBe(firstUpstream.sessionId);

    // Another user starts clean, on another upstream session.
    await ask(h, [{ role: 'user', content: 'Hello there' }], { user: 'bob' });
    expect(lastReceived(h.emulator).message).toBe('Hello there');
    expect(lastReceived(h.emulator).sessionId).not.toBe(firstUpstream.sessionId);
  });

  test('X-Session-Id names a conversation too, and wins over `user`; system messages sent later replace stored ones', async () => {
    const h = await harness();
    await ask(h, [{ role: 'system', content: 'Be terse.' }, { role: 'user', content: 'one' }], { headers: { 'X-Session-Id': 'conv-7' }, user: 'ignored' });
    expect(lastReceived(h.emulator).message).toBe('System: Be terse.\n\nUser: one');
    await ask(h, [{ role: 'user', content: 'two' }], { headers: { 'X-Session-Id': 'conv-7' } });
    expect(lastReceived(h.emulator).message).toStartWith('System: Be terse.\n\nUser: one\n\nAssistant: Echo[');
    await ask(h, [{ role: 'system', content: 'Be kind.' }, { role: 'user', content: 'three' }], { headers: { 'X-Session-Id': 'conv-7' } });
    const third = lastReceived(h.emulator).message;
    expect(third).toStartWith('System: Be kind.\n\nUser: one\n\n');
    expect(third.split('\n\n').filter((part) => part.startsWith('System: '))).toEqual(['System: Be kind.']);
    expect(third).toContain('\n\nUser: two\n\nAssistant: Echo[');
    expect(third).toEndWith('\n\nUser: three');
    // `user` was not used: its session does not exist.
    const res = await h.call('/v1/sessions/ignored', { method: 'DELETE' });
    expect(res.status).toBe(404);
  });

  test('a client that sends its own history (assistant messages) is taken as it is, not doubled', async () => {
    const h = await harness();
    const a1 = await ask(h, [{ role: 'user', content: 'first' }], { user: 'carol' });
    await ask(h, [{ role: 'user', content: 'first' }, { role: 'assistant', content: a1.text }, { role: 'user', content: 'second' }], { user: 'carol' });
    expect(lastReceived(h.emulator).message).toBe(`User: first\n\nAssistant: ${a1.text}\n\nUser: second`);
  });

  test('history beyond the prompt budget is dropped oldest first and counted in X-Context-Dropped-Messages', async () => {
    const h = await harness({ env: { CONTEXT_MAX_LENGTH: '300' } });
    for (let i = 1; i <= 6; i++) await ask(h, [{ role: 'user', content: `turn number ${i}` }], { user: 'dan' });
    const sent = lastReceived(h.emulator).message;
    expect(sent.length).toBeLessThanOrEqual(300);
    expect(sent).toEndWith('User: turn number 6');
    expect(sent).toContain('turn number 5');
    expect(sent).not.toContain('turn number 1');
  });

  test('a failed turn leaves the session as it was; the next turn does not see it', async () => {
    const h = await harness();
    await ask(h, [{ role: 'user', content: 'kept turn' }], { user: 'erin' });
    h.emulator.addFault({ kind: 'refused', text: 'Message is too long', times: 1 });
    const error = await rejection(ask(h, [{ role: 'user', content: 'failed turn' }], { user: 'erin' }));
    expect((error as InstanceType<typeof OpenAI.APIError>).status).toBe(400);
    await h.admin.enable('anonymous');
    h.emulator.addFault({ kind: 'server_error', times: 1 });
    const error2 = await rejection(ask(h, [{ role: 'user', content: 'failed again' }], { user: 'erin' }));
    expect((error2 as InstanceType<typeof OpenAI.APIError>).status).toBe(502);
    await h.admin.enable('anonymous');

    await ask(h, [{ role: 'user', content: 'third' }], { user: 'erin' });
    const sent = lastReceived(h.emulator).message;
    expect(sent).toStartWith('User: kept turn\n\nAssistant: Echo[');
    expect(sent).toEndWith('User: third');
    expect(sent).not.toContain('failed');
  });

  test('a stream the client abandons before the answer does not enter the history', async () => {
    const h = await harness({ emulator: { replyLength: 60, latencyMs: 300 } });
    const controller = new AbortController();
    const res = await h.call('/v1/chat/completions', {
      json: { model: 'kimi-k2-instruct', stream: true, user: 'fay', messages: [{ role: 'user', content: 'abandoned' }] },
      signal: controller.signal,
    });
    expect(res.headers.get('x-session-id')).toBe('fay');
    expect(await eventually(() => upstreamTotals(h.emulator).inFlight === 1)).toBe(true);
    controller.abort();
    expect(await eventually(() => upstreamTotals(h.emulator).inFlight === 0)).toBe(true);
    h.emulator.configure({ latencyMs: 0 });
    await ask(h, [{ role: 'user', content: 'after' }], { user: 'fay' });
    expect(lastReceived(h.emulator).message).toBe('after');
  });

  test('streamed turns are stored too, before the first content chunk reaches the client', async () => {
    const h = await harness();
    const res = await h.call('/v1/chat/completions', {
      json: { model: 'kimi-k2-instruct', stream: true, user: 'gus', messages: [{ role: 'user', content: 'streamed' }] },
    });
    const { events } = await readSse(res);
    const text = events
      .filter((e) => e.data !== '[DONE]')
      .map((e) => (JSON.parse(e.data) as { choices: { delta: { content?: string } }[] }).choices[0]?.delta.content ?? '')
      .join('');
    await ask(h, [{ role: 'user', content: 'next' }], { user: 'gus' });
    expect(lastReceived(h.emulator).message).toBe(`User: streamed\n\nAssistant: ${text}\n\nUser: next`);
  });

  test('two requests on one session at once are served one after the other, in order', async () => {
    const h = await harness({ emulator: { replyLength: 60, latencyMs: 150 } });
    const first = ask(h, [{ role: 'user', content: 'first of two' }], { user: 'hal' });
    expect(await eventually(() => h.emulator.received.length === 1)).toBe(true);
    const second = ask(h, [{ role: 'user', content: 'second of two' }], { user: 'hal' });
    const [a1] = await Promise.all([first, second]);
    expect(h.emulator.received).toHaveLength(2);
    expect(Math.max(...Object.values(h.emulator.stats()).map((s) => s.maxInFlight))).toBe(1);
    expect(h.emulator.received[1]!.message).toBe(`User: first of two\n\nAssistant: ${a1.text}\n\nUser: second of two`);
    // Meanwhile another session was not held up.
    expect(h.emulator.received[0]!.sessionId).toBe(h.emulator.received[1]!.sessionId);
  });

  test('a turn waiting for its session does not block other sessions', async () => {
    const h = await harness({ emulator: { replyLength: 60, latencyMs: 200 } });
    const slow = ask(h, [{ role: 'user', content: 'slow one' }], { user: 'ivy' });
    expect(await eventually(() => h.emulator.received.length === 1)).toBe(true);
    const queued = ask(h, [{ role: 'user', content: 'queued' }], { user: 'ivy' });
    const t0 = performance.now();
    await ask(h, [{ role: 'user', content: 'other session' }], { user: 'jon' });
    const otherMs = performance.now() - t0;
    await Promise.all([slow, queued]);
    // The other session needed one upstream round trip, not the two queued on ivy.
    expect(otherMs).toBeLessThan(390);
  });

  test('DELETE /v1/sessions/{id} ends a conversation; ids are per API key', async () => {
    const otherKey = 'sk-other-key-987654321';
    const h = await harness({ env: { API_KEYS: `${TEST_KEY},${otherKey}` } });
    await ask(h, [{ role: 'user', content: 'remember me' }], { user: 'kim' });

    // The other key sees no session called "kim" and starts its own.
    const other = new OpenAI({ apiKey: otherKey, baseURL: `${h.gateway.url}/v1`, maxRetries: 0 });
    await other.chat.completions.create({ model: 'kimi-k2-instruct', user: 'kim', messages: [{ role: 'user', content: 'other key' }] });
    expect(lastReceived(h.emulator).message).toBe('other key');
    const foreign = await fetch(`${h.gateway.url}/v1/sessions/kim`, { method: 'DELETE', headers: { authorization: `Bearer ${otherKey}` } });
    expect(foreign.status).toBe(200);

    const deleted = await h.call('/v1/sessions/kim', { method: 'DELETE' });
    expect(deleted.status).toBe(200);
    expect(await deleted.json()).toEqual({ id: 'kim', object: 'session.deleted', deleted: true });
    const again = await h.call('/v1/sessions/kim', { method: 'DELETE' });
    expect(again.status).toBe(404);
    expect(((await again.json()) as { error: { code: string } }).error.code).toBe('session_not_found');
    const unauth = await fetch(`${h.gateway.url}/v1/sessions/kim`, { method: 'DELETE' });
    expect(unauth.status).toBe(401);

    await ask(h, [{ role: 'user', content: 'fresh start' }], { user: 'kim' });
    expect(lastReceived(h.emulator).message).toBe('fresh start');
  });

  test('ids with spaces and slashes round-trip through the DELETE path', async () => {
    const h = await harness();
    await ask(h, [{ role: 'user', content: 'x' }], { headers: { 'X-Session-Id': 'team a/chat 1' } });
    const res = await h.call(`/v1/sessions/${encodeURIComponent('team a/chat 1')}`, { method: 'DELETE' });
    expect(res.status).toBe(200);
  });

  test('SESSION_USER_FIELD=off ignores `user` (clients that send an end-user id)', async () => {
    const h = await harness({ env: { SESSION_USER_FIELD: 'off' } });
    await ask(h, [{ role: 'user', content: 'conversation one' }], { user: 'end-user-1' });
    await ask(h, [{ role: 'user', content: 'conversation two' }], { user: 'end-user-1' });
    expect(lastReceived(h.emulator).message).toBe('conversation two');
  });

  test('bad session names are a 400 naming the field', async () => {
    const h = await harness();
    const res = await h.call('/v1/chat/completions', { json: { messages: [{ role: 'user', content: 'x' }], user: 'a\nb' } });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { param: string } }).error.param).toBe('user');
    const long = await h.call('/v1/chat/completions', { json: { messages: [{ role: 'user', content: 'x' }] }, headers: { 'X-Session-Id': 'x'.repeat(300) } });
    expect(long.status).toBe(400);
  });
});

describe('stateless clients (full history, no name)', () => {
  test('the same conversation keeps its upstream session and identity; a new one gets its own', async () => {
    const h = await harness({ accounts: { identities: ['a', 'b', 'c', 'd'].map((id) => ({ id, cookies: `kimi_visitor=${id}` })) } });
    const u1: Msg = { role: 'user', content: 'Tell me about owls.' };
    const a1 = await ask(h, [{ role: 'system', content: 'time: 10:00' }, u1]);
    const first = lastReceived(h.emulator);
    expect(a1.sessionId).toStartWith('conv_');

    const history: Msg[] = [u1, { role: 'assistant', content: a1.text }];
    for (let turn = 2; turn <= 5; turn++) {
      const u: Msg = { role: 'user', content: `follow-up ${turn}` };
      // Chat UIs rewrite the system prompt per request (current time): still the same conversation.
      const answer = await ask(h, [{ role: 'system', content: `time: 10:0${turn}` }, ...history, u]);
      expect(answer.sessionId).toBe(a1.sessionId);
      expect(lastReceived(h.emulator).sessionId).toBe(first.sessionId);
      expect(lastReceived(h.emulator).identity).toBe(first.identity);
      history.push(u, { role: 'assistant', content: answer.text });
    }

    const other = await ask(h, [{ role: 'user', content: 'Tell me about cats.' }]);
    expect(other.sessionId).not.toBe(a1.sessionId);
    expect(lastReceived(h.emulator).sessionId).not.toBe(first.sessionId);
  });

  test('answers echoed back with trimmed edges or CRLF still match', async () => {
    const h = await harness();
    const u1: Msg = { role: 'user', content: 'line one\nline two' };
    const a1 = await ask(h, [u1]);
    const again = await ask(h, [{ role: 'user', content: 'line one\r\nline two  ' }, { role: 'assistant', content: `  ${a1.text}\n` }, { role: 'user', content: 'more' }]);
    expect(again.sessionId).toBe(a1.sessionId);
  });

  test('identical conversations never share a session, even when they start alike', async () => {
    const h = await harness();
    const start = await ask(h, [{ role: 'user', content: 'hi' }]);
    const twin = await ask(h, [{ role: 'user', content: 'hi' }]);
    expect(twin.text).toBe(start.text);
    expect(twin.sessionId).not.toBe(start.sessionId);

    const prefix: Msg[] = [{ role: 'user', content: 'hi' }, { role: 'assistant', content: start.text }];
    const a = await ask(h, [...prefix, { role: 'user', content: 'branch A' }]);
    const upstreamA = lastReceived(h.emulator).sessionId;
    const b = await ask(h, [...prefix, { role: 'user', content: 'branch B' }]);
    const upstreamB = lastReceived(h.emulator).sessionId;
    expect(new Set([start.sessionId, twin.sessionId])).toEqual(new Set([a.sessionId, b.sessionId]));
    expect(upstreamA).not.toBe(upstreamB);
  });

  test('regenerating a turn branches off: a new upstream session, so the discarded answer cannot leak', async () => {
    const h = await harness();
    const a1 = await ask(h, [{ role: 'user', content: 'q1' }]);
    const prefix: Msg[] = [{ role: 'user', content: 'q1' }, { role: 'assistant', content: a1.text }, { role: 'user', content: 'q2' }];
    const a2 = await ask(h, prefix);
    const upstream2 = lastReceived(h.emulator).sessionId;
    expect(a2.sessionId).toBe(a1.sessionId);
    const regenerated = await ask(h, prefix);
    expect(regenerated.sessionId).not.toBe(a1.sessionId);
    expect(lastReceived(h.emulator).sessionId).not.toBe(upstream2);
  });

  test('recognised conversations store a fingerprint, never their content', async () => {
    const dbPath = tempDbPath();
    const h = await harness({ dbPath });
    await ask(h, [{ role: 'user', content: 'secret recipe: 3 eggs' }]);
    const db = new Database(dbPath, { readonly: true });
    const rows = db.query<{ history: string; tip: string | null }, []>('SELECT history, tip FROM sessions').all();
    db.close();
    expect(rows).toHaveLength(1);
    expect(rows[0]!.history).toBe('[]');
    expect(rows[0]!.tip).toMatch(/^[0-9a-f]{32}$/);
  });
});

describe('persistence and expiry', () => {
  test('a conversation continues across a gateway restart', async () => {
    const emulator = startEmulator({ replyLength: 60 });
    emulators.push(emulator);
    const dbPath = tempDbPath();
    const before = await startHarness({ dbPath, emulatorInstance: emulator });
    const a1 = await ask(before, [{ role: 'user', content: 'before restart' }], { user: 'lee' });
    const upstreamSession = lastReceived(emulator).sessionId;
    await before.stop();

    const after = await harness({ dbPath, emulatorInstance: emulator });
    await ask(after, [{ role: 'user', content: 'after restart' }], { user: 'lee' });
    expect(lastReceived(emulator).message).toBe(`User: before restart\n\nAssistant: ${a1.text}\n\nUser: after restart`);
    expect(lastReceived(emulator).sessionId).toBe(upstreamSession);
  });

  // TTL sliding on use, expiry to the millisecond and pruning on a fake clock are unit tests
  // (session-expiry.test.ts); here the real gateway with a 1 s TTL, on the real clock.
  test('SESSION_TTL: an unused conversation expires, and the running pruner deletes it from the file', async () => {
    const dbPath = tempDbPath();
    const h = await harness({ dbPath, env: { SESSION_TTL: '1', SESSION_PRUNE_INTERVAL_MS: '100' } });
    await ask(h, [{ role: 'user', content: 'turn one' }], { user: 'max' });
    const rows = () => {
      const db = new Database(dbPath, { readonly: true });
      const n = db.query<{ n: number }, []>('SELECT count(*) AS n FROM sessions').get()!.n;
      db.close();
      return n;
    };
    expect(rows()).toBe(1);
    expect(await eventually(async () => (await h.admin.sessions()).total === 0, 5_000)).toBe(true);
    expect(await eventually(() => rows() === 0, 2_000)).toBe(true);
    await ask(h, [{ role: 'user', content: 'turn two' }], { user: 'max' });
    expect(lastReceived(h.emulator).message).toBe('turn two');
  });

  test('SESSION_CACHE_TTL (the seed name) is accepted', async () => {
    const h = await harness({ env: { SESSION_CACHE_TTL: '1' } });
    expect(h.config.sessionTtlSeconds).toBe(1);
    await ask(h, [{ role: 'user', content: 'one' }], { user: 'oz' });
    expect((await h.admin.sessions()).total).toBe(1);
    expect(await eventually(async () => (await h.admin.sessions()).total === 0, 5_000)).toBe(true);
    await ask(h, [{ role: 'user', content: 'two' }], { user: 'oz' });
    expect(lastReceived(h.emulator).message).toBe('two');
  });

  test('SESSION_MAX evicts the least recently used conversation', async () => {
    const h = await harness({ env: { SESSION_MAX: '2' } });
    // Last use is stored in milliseconds: start each turn on a later one than the turn before.
    const turn = async (content: string, user: string) => {
      const previousTurnEnded = Date.now();
      await eventually(() => Date.now() > previousTurnEnded);
      await ask(h, [{ role: 'user', content }], { user });
    };
    for (const user of ['p1', 'p2']) await turn(`hello from ${user}`, user);
    await turn('again', 'p1'); // p1 is now the most recent
    await turn('hello from p3', 'p3');
    expect((await h.admin.sessions()).total).toBe(2);
    await ask(h, [{ role: 'user', content: 'still there?' }], { user: 'p1' });
    expect(lastReceived(h.emulator).message).toStartWith('User: hello from p1');
    await ask(h, [{ role: 'user', content: 'still there?' }], { user: 'p2' });
    expect(lastReceived(h.emulator).message).toBe('still there?');
  });

  test('owners are key names, never keys', async () => {
    const dbPath = tempDbPath();
    const h = await harness({ dbPath });
    await ask(h, [{ role: 'user', content: 'x' }], { user: 'q' });
    const db = new Database(dbPath, { readonly: true });
    const owners = db.query<{ owner: string }, []>('SELECT owner FROM sessions').all();
    db.close();
    expect(owners).toEqual([{ owner: keyName(TEST_KEY) }]);
    expect(keyName(TEST_KEY)).not.toContain(TEST_KEY.slice(3, 11));
  });
});
