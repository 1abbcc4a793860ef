// Sessions shared on Redis, end to end: two gateways in front of one emulator with the same
// REDIS_URL and KEY_PREFIX (two instances behind a load balancer). A conversation started
// on one continues on the other (named, recognised, previous_response_id), a delete on one
// is gone on the other, one turn at a time holds across instances, and a Redis that stops
// answering is a fast 503 that ends by itself when it is back (with the data kept).

import { afterAll, afterEach, beforeAll, describe, expect, test } from 'bun:test';
import { startEmulator } from '../../emulator/emulator.ts';
import type { Emulator } from '../../emulator/types.ts';
import { eventually, poolOf, startHarness, type Harness } from '../helpers/harness.ts';
import { startRedis, type RedisServer } from '../helpers/redis-server.ts';

const MODEL = 'kimi-k2-instruct';
let redis: RedisServer;
let harnesses: Harness[] = [];
let emulators: Emulator[] = [];
let prefixes = 0;

beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis.stop();
});
afterEach(async () => {
  for (const h of harnesses) await h.stop();
  for (const e of emulators) await e.stop();
  harnesses = [];
  emulators = [];
});

/** Two gateways sharing one Redis (a key prefix of this test's own) and one emulator; B may reach it by another URL. */
async function twoInstances(env: Record<string, string> = {}, emulatorOptions: Parameters<typeof startEmulator>[0] = {}, bRedisUrl = redis.url) {
  const emulator = startEmulator({ replyLength: 60, ...emulatorOptions });
  emulators.push(emulator);
  const shared = { REDIS_URL: redis.url, KEY_PREFIX: `http${++prefixes}:`, ...env };
  // The same account file on both, as instances behind one load balancer have.
  const accounts = poolOf(['a', 'b', 'c', 'd']);
  const a = await startHarness({ emulatorInstance: emulator, env: shared, accounts });
  harnesses.push(a);
  const b = await startHarness({ emulatorInstance: emulator, env: { ...shared, REDIS_URL: bRedisUrl }, accounts });
  harnesses.push(b);
  return { a, b, emulator };
}

type Msg = { role: 'system' | 'user' | 'assistant'; content: string };

async function ask(h: Harness, messages: Msg[], user?: string) {
  const { data, response } = await h.openai.chat.completions.create({ model: MODEL, messages, ...(user ? { user } : {}) }).withResponse();
  return { text: data.choices[0]!.message.content!, sessionId: response.headers.get('x-session-id') };
}

const last = (e: Emulator) => e.received.at(-1)!;
type ErrorBody = { error: { message: string; type: string; param: string | null; code: string } };
const errorOf = async (res: Response) => ((await res.json()) as ErrorBody).error;

describe('a conversation continues on another instance', () => {
  test('named (`user`): the turn on B carries the history stored by A, on the same upstream session', async () => {
    const { a, b, emulator } = await twoInstances();
    const first = await ask(a, [{ role: 'user', content: 'My name is Zed.' }], 'alice');
    const upstream = last(emulator).sessionId;
    await ask(b, [{ role: 'user', content: 'What is my name?' }], 'alice');
    expect(last(emulator).message).toBe(`User: My name is Zed.\n\nAssistant: ${first.text}\n\nUser: What is my name?`);
    expect(last(emulator).sessionId).toBe(upstream);
    // And back on A, with B's turn in it.
    await ask(a, [{ role: 'user', content: 'Third.' }], 'alice');
    expect(last(emulator).message).toStartWith(`User: My name is Zed.\n\nAssistant: ${first.text}\n\nUser: What is my name?\n\nAssistant: Echo[`);
    expect(last(emulator).sessionId).toBe(upstream);
    // Both instances list it.
    expect((await a.admin.sessions()).data.map((s) => [s.id, s.turns])).toEqual([['alice', 3]]);
    expect((await b.admin.sessions()).total).toBe(1);
  });

  test('B on the Unix socket (redis+unix://), A on TCP: the same shared state, and /readyz says so', async () => {
    const { a, b, emulator } = await twoInstances({}, {}, redis.unixUrl);
    const first = await ask(b, [{ role: 'user', content: 'My name is Ada.' }], 'ada');
    await ask(a, [{ role: 'user', content: 'What is my name?' }], 'ada');
    expect(last(emulator).message).toBe(`User: My name is Ada.\n\nAssistant: ${first.text}\n\nUser: What is my name?`);
    expect((await b.admin.sessions()).data.map((s) => [s.id, s.turns])).toEqual([['ada', 2]]);
    const ready = (await (await b.call('/readyz')).json()) as { shared?: { status: string } };
    expect(ready.shared).toEqual({ status: 'ok' });
  });

  test('recognised (resent history): B finds the session A stored, with its upstream session and identity', async () => {
    const { a, b, emulator } = await twoInstances();
    const u1: Msg = { role: 'user', content: 'Tell me about owls.' };
    const a1 = await ask(a, [u1]);
    const first = last(emulator);
    expect(a1.sessionId).toStartWith('conv_');
    const a2 = await ask(b, [u1, { role: 'assistant', content: a1.text }, { role: 'user', content: 'And their eyes?' }]);
    expect(a2.sessionId).toBe(a1.sessionId);
    expect(last(emulator).sessionId).toBe(first.sessionId);
    expect(last(emulator).identity).toBe(first.identity);
  });

  test('previous_response_id made on A continues on B; GET on B finds it; DELETE on B is gone on A', async () => {
    const { a, b, emulator } = await twoInstances();
    const first = await a.openai.responses.create({ model: MODEL, input: 'My name is Ada.' });
    const upstream = last(emulator).sessionId;
    const next = await b.openai.responses.create({ model: MODEL, input: 'What is my name?', previous_response_id: first.id });
    expect(next.previous_response_id).toBe(first.id);
    expect(last(emulator).message).toBe(`User: My name is Ada.\n\nAssistant: ${first.output_text}\n\nUser: What is my name?`);
    expect(last(emulator).sessionId).toBe(upstream);

    const fetched = await b.call(`/v1/responses/${first.id}`);
    expect(fetched.status).toBe(200);
    expect(((await fetched.json()) as { id: string }).id).toBe(first.id);
    expect((await b.call(`/v1/responses/${next.id}`, { method: 'DELETE' })).status).toBe(200);
    const gone = await a.call(`/v1/responses/${next.id}`);
    expect(gone.status).toBe(404);
  });

  test('DELETE /v1/sessions/{id} on one instance ends the conversation on the other; so does the operator', async () => {
    const { a, b, emulator } = await twoInstances();
    await ask(a, [{ role: 'user', content: 'remember me' }], 'kim');
    expect((await b.call('/v1/sessions/kim', { method: 'DELETE' })).status).toBe(200);
    expect((await a.call('/v1/sessions/kim', { method: 'DELETE' })).status).toBe(404);
    await ask(a, [{ role: 'user', content: 'fresh start' }], 'kim');
    expect(last(emulator).message).toBe('fresh start');

    const adminHeaders = { authorization: `Bearer ${b.config.adminKey}` };
    const removed = await fetch(`${b.gateway.url}/admin/sessions/kim`, { method: 'DELETE', headers: adminHeaders });
    expect(removed.status).toBe(200);
    expect((await a.admin.sessions()).total).toBe(0);
  });

  test('SESSION_MAX holds across instances: the least recently used goes, whichever instance served it', async () => {
    const { a, b, emulator } = await twoInstances({ SESSION_MAX: '2' });
    const turn = async (h: Harness, content: string, user: string) => {
      const previousTurnEnded = Date.now();
      await eventually(() => Date.now() > previousTurnEnded);
      await ask(h, [{ role: 'user', content }], user);
    };
    await turn(a, 'hello from p1', 'p1');
    await turn(b, 'hello from p2', 'p2');
    await turn(a, 'again', 'p1');
    await turn(b, 'hello from p3', 'p3');
    expect((await a.admin.sessions()).data.map((s) => s.id)).toEqual(['p3', 'p1']);
    await ask(b, [{ role: 'user', content: 'still there?' }], 'p1');
    expect(last(emulator).message).toStartWith('User: hello from p1');
    await ask(a, [{ role: 'user', content: 'still there?' }], 'p2');
    expect(last(emulator).message).toBe('still there?');
  });
});

test('SESSION_TTL on Redis: Redis forgets an unused conversation on every instance', async () => {
  const { a, b, emulator } = await twoInstances({ SESSION_TTL: '1', SESSION_PRUNE_INTERVAL_MS: '100' });
  await ask(a, [{ role: 'user', content: 'turn one' }], 'max');
  expect((await b.admin.sessions()).total).toBe(1);
  expect(await eventually(async () => (await b.admin.sessions()).total === 0, 5_000)).toBe(true);
  await ask(b, [{ role: 'user', content: 'turn two' }], 'max');
  expect(last(emulator).message).toBe('turn two');
});

test('one turn at a time per session across instances: the turn on B waits for A, and sees its answer', async () => {
  const { a, b, emulator } = await twoInstances({}, { latencyMs: 300 });
  const first = ask(a, [{ role: 'user', content: 'first of two' }], 'hal');
  expect(await eventually(() => emulator.received.length === 1)).toBe(true);
  const second = ask(b, [{ role: 'user', content: 'second of two' }], 'hal');
  const [a1] = await Promise.all([first, second]);
  expect(emulator.received).toHaveLength(2);
  expect(Math.max(...Object.values(emulator.stats()).map((s) => s.maxInFlight))).toBe(1);
  expect(emulator.received[1]!.message).toBe(`User: first of two\n\nAssistant: ${a1.text}\n\nUser: second of two`);
  expect(emulator.received[1]!.sessionId).toBe(emulator.received[0]!.sessionId);
});

test('Redis stopped: a fast 503 shared_state_unavailable in OpenAI shape with Retry-After; back: the conversation is still there', async () => {
  const { a, emulator } = await twoInstances();
  const first = await ask(a, [{ role: 'user', content: 'before the outage' }], 'ned');
  const sent = emulator.received.length;
  await redis.stop();
  try {
    for (const body of [
      { model: MODEL, user: 'ned', messages: [{ role: 'user', content: 'during' }] },
      { model: MODEL, messages: [{ role: 'user', content: 'q' }, { role: 'assistant', content: 'a' }, { role: 'user', content: 'during' }] },
    ]) {
      const started = performance.now();
      const res = await a.call('/v1/chat/completions', { json: body });
      expect(performance.now() - started).toBeLessThan(3_000);
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('2');
      expect(await errorOf(res)).toMatchObject({ type: 'server_error', code: 'shared_state_unavailable', param: null });
    }
    const fetched = await a.call('/v1/responses/resp_whatever');
    expect(fetched.status).toBe(503);
    expect((await errorOf(fetched)).code).toBe('shared_state_unavailable');
    const listed = await fetch(`${a.gateway.url}/admin/sessions`, { headers: { authorization: `Bearer ${a.config.adminKey}` } });
    expect(listed.status).toBe(503);
  } finally {
    await redis.restart();
  }
  // No upstream call was spent on a turn that could not be stored.
  expect(emulator.received.length).toBe(sent);
  // The client's retry after Redis returns: the conversation was kept (append-only file).
  const answersAgain = async () => (await a.call('/v1/sessions/nobody', { method: 'DELETE' })).status === 404;
  expect(await eventually(answersAgain, 10_000)).toBe(true);
  await ask(a, [{ role: 'user', content: 'after the outage' }], 'ned');
  expect(last(emulator).message).toBe(`User: before the outage\n\nAssistant: ${first.text}\n\nUser: after the outage`);
});
