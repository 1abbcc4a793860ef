// Stored responses end to end: previous_response_id chains (the stored history reaches the
// prompt, the same upstream conversation and identity, branches of their own, one turn at a
// time per response), GET and DELETE /v1/responses/{id}, store: false, ownership by API
// key, expiry, and a restart. The real gateway, the real emulator, a real SQLite file.

import { afterEach, describe, expect, test } from 'bun:test';
import OpenAI from 'openai';
import { startEmulator } from '../../emulator/emulator.ts';
import type { Emulator } from '../../emulator/types.ts';
import { eventually, rejection, startHarness, tempDbPath, TEST_KEY, type Harness } from '../helpers/harness.ts';

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

const MODEL = 'kimi-k2-instruct';
const lastReceived = (h: Harness) => h.emulator.received.at(-1)!;
const errorOf = async (res: Response) => ((await res.json()) as { error: { code: string | null; param: string | null; message: string } }).error;

const weather = {
  type: 'function' as const,
  name: 'get_weather',
  description: 'Get the current weather for a city.',
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  strict: false,
};

describe('previous_response_id', () => {
  test('continues the stored conversation: history in the prompt, the same upstream session and identity; instructions are not carried', async () => {
    const h = await harness({ accounts: { identities: ['a', 'b', 'c', 'd'].map((id) => ({ id, cookies: `kimi_visitor=${id}` })) } });
    const first = await h.openai.responses.create({ model: MODEL, instructions: 'Be brief.', input: 'My name is Ada.' });
    const upstream = lastReceived(h);
    expect(upstream.message).toBe('System: Be brief.\n\nUser: My name is Ada.');

    let previous = first;
    const transcript = [`User: My name is Ada.`, `Assistant: ${first.output_text}`];
    for (let turn = 2; turn <= 5; turn++) {
      const next = await h.openai.responses.create({ model: MODEL, input: `Question ${turn}?`, previous_response_id: previous.id });
      expect(next.previous_response_id).toBe(previous.id);
      expect(next.id).not.toBe(previous.id);
      expect(next.instructions).toBeNull();
      transcript.push(`User: Question ${turn}?`);
      // OpenAI does not carry instructions to the next response; the conversation itself is kept.
      expect(lastReceived(h).message).toBe(transcript.join('\n\n'));
      expect(lastReceived(h).sessionId).toBe(upstream.sessionId);
      expect(lastReceived(h).identity).toBe(upstream.identity);
      transcript.push(`Assistant: ${next.output_text}`);
      previous = next;
    }

    // New instructions for one turn go first in its prompt only.
    await h.openai.responses.create({ model: MODEL, instructions: 'Answer in French.', input: 'Last one.', previous_response_id: previous.id });
    expect(lastReceived(h).message).toStartWith('System: Answer in French.\n\nUser: My name is Ada.');
  });

  test('a branch from a response that was already continued gets its own upstream session and none of the other branch', async () => {
    const h = await harness();
    const root = await h.openai.responses.create({ model: MODEL, input: 'Pick a colour.' });
    const rootSession = lastReceived(h).sessionId;
    const left = await h.openai.responses.create({ model: MODEL, input: 'Left branch', previous_response_id: root.id });
    expect(lastReceived(h).sessionId).toBe(rootSession);

    await h.openai.responses.create({ model: MODEL, input: 'Right branch', previous_response_id: root.id });
    const right = lastReceived(h);
    expect(right.message).toBe(`User: Pick a colour.\n\nAssistant: ${root.output_text}\n\nUser: Right branch`);
    expect(right.sessionId).not.toBe(rootSession);

    // The first branch goes on where it was.
    await h.openai.responses.create({ model: MODEL, input: 'Left again', previous_response_id: left.id });
    expect(lastReceived(h).sessionId).toBe(rootSession);
    expect(lastReceived(h).message).not.toContain('Right branch');
  });

  test('one turn at a time per stored response: two continuations of it at once are served in turn', async () => {
    const h = await harness({ emulator: { replyLength: 60, latencyMs: 150 } });
    const root = await h.openai.responses.create({ model: MODEL, input: 'Root' });
    const before = h.emulator.received.length;
    const one = h.openai.responses.create({ model: MODEL, input: 'one', previous_response_id: root.id });
    expect(await eventually(() => h.emulator.received.length === before + 1)).toBe(true);
    const two = h.openai.responses.create({ model: MODEL, input: 'two', previous_response_id: root.id });
    const answers = await Promise.all([one, two]);
    expect(answers.map((a) => a.previous_response_id)).toEqual([root.id, root.id]);
    expect(Math.max(...Object.values(h.emulator.stats()).map((s) => s.maxInFlight))).toBe(1);
    const [first, second] = h.emulator.received.slice(before);
    // Both continue the root; the second, a branch, on a session of its own.
    expect(first!.message).toEndWith('User: one');
    expect(second!.message).toBe(`User: Root\n\nAssistant: ${root.output_text}\n\nUser: two`);
    expect(second!.sessionId).not.toBe(first!.sessionId);
  });

  test('a tool loop through previous_response_id: only the function_call_output is sent', async () => {
    const h = await harness();
    const call = await h.openai.responses.create({ model: MODEL, input: 'Weather in Paris? use get_weather.', tools: [weather] });
    const fc = call.output[0] as OpenAI.Responses.ResponseFunctionToolCall;
    expect(fc.type).toBe('function_call');
    const done = await h.openai.responses.create({
      model: MODEL,
      previous_response_id: call.id,
      input: [{ type: 'function_call_output', call_id: fc.call_id, output: '{"temp":21}' }],
      tools: [weather],
    });
    expect(done.output_text).toBe('Result of get_weather: {"temp":21}');
    expect(lastReceived(h).message).toContain('User: Weather in Paris? use get_weather.\n\nAssistant: <tool_call>{"name":"get_weather","arguments":{"city":"Paris"}}</tool_call>');
    expect(lastReceived(h).message).toEndWith('Tool (get_weather): {"temp":21}');
  });

  test('an unknown id is 404 previous_response_not_found, streamed or not, before any upstream call', async () => {
    const h = await harness();
    const before = h.emulator.received.length;
    for (const stream of [false, true]) {
      const res = await h.call('/v1/responses', { json: { input: 'hi', previous_response_id: 'resp_nope', stream } });
      expect(res.status).toBe(404);
      expect(await errorOf(res)).toMatchObject({ code: 'previous_response_not_found', param: 'previous_response_id' });
    }
    expect(await rejection(h.openai.responses.create({ model: MODEL, input: 'hi', previous_response_id: 'resp_nope' }))).toBeInstanceOf(OpenAI.NotFoundError);
    expect(h.emulator.received.length).toBe(before);
  });

  test('a failed turn stores nothing: the response it continued is continued again as it was', async () => {
    const h = await harness();
    const root = await h.openai.responses.create({ model: MODEL, input: 'Root' });
    h.emulator.addFault({ kind: 'server_error', status: 502 });
    expect(await rejection(h.openai.responses.create({ model: MODEL, input: 'lost', previous_response_id: root.id }))).toBeInstanceOf(OpenAI.APIError);
    h.emulator.clearFaults();
    expect((await h.admin.sessions()).total).toBe(1);
    await h.openai.responses.create({ model: MODEL, input: 'kept', previous_response_id: root.id });
    expect(lastReceived(h).message).toBe(`User: Root\n\nAssistant: ${root.output_text}\n\nUser: kept`);
  });

  test('history beyond the prompt budget is dropped oldest first, and counted', async () => {
    const h = await harness({ env: { CONTEXT_MAX_LENGTH: '300' } });
    let previous = await h.openai.responses.create({ model: MODEL, input: 'turn 1' });
    const dropped: number[] = [];
    for (let turn = 2; turn <= 6; turn++) {
      const { data, response } = await h.openai.responses.create({ model: MODEL, input: `turn ${turn}`, previous_response_id: previous.id }).withResponse();
      dropped.push(Number(response.headers.get('x-context-dropped-messages')));
      const prompt = lastReceived(h).message;
      expect(prompt.length).toBeLessThanOrEqual(300);
      expect(prompt).toEndWith(`User: turn ${turn}`);
      // Whatever is kept is the newest part of the conversation, in order.
      expect(prompt).toContain(`Assistant: ${previous.output_text}\n\nUser: turn ${turn}`);
      previous = data;
    }
    // 60-character answers: five turns of history do not fit 300 characters, so the oldest
    // were not even kept; what was kept fits with a short question.
    expect(lastReceived(h).message).not.toContain('turn 1');
    expect(dropped).toEqual([0, 0, 0, 0, 0]);
    // A long question leaves out more of the stored history, and says how many messages.
    const long = `${'x'.repeat(150)} long question`;
    const { response } = await h.openai.responses.create({ model: MODEL, input: long, previous_response_id: previous.id }).withResponse();
    expect(Number(response.headers.get('x-context-dropped-messages'))).toBeGreaterThan(0);
    expect(lastReceived(h).message).toBe(`User: turn 6\n\nAssistant: ${previous.output_text}\n\nUser: ${long}`);
  });
});

describe('GET and DELETE /v1/responses/{id}', () => {
  test('retrieve gives the stored object, also as a replayed stream; delete removes it', async () => {
    const h = await harness();
    const created = await h.openai.responses.create({ model: MODEL, input: 'Keep this', metadata: { tag: 'a' } });
    const fetched = await h.openai.responses.retrieve(created.id);
    expect(fetched).toEqual(created);
    const raw = await h.call(`/v1/responses/${created.id}`);
    expect(raw.status).toBe(200);
    expect(raw.headers.get('content-type')).toStartWith('application/json');

    const replay = await h.openai.responses.stream({ response_id: created.id }).finalResponse();
    expect(replay.output_text).toBe(created.output_text);
    expect(replay.id).toBe(created.id);

    const deleted = await h.call(`/v1/responses/${created.id}`, { method: 'DELETE' });
    expect(deleted.status).toBe(200);
    expect(await deleted.json()).toEqual({ id: created.id, object: 'response.deleted', deleted: true });
    for (const res of [await h.call(`/v1/responses/${created.id}`), await h.call(`/v1/responses/${created.id}`, { method: 'DELETE' })]) {
      expect(res.status).toBe(404);
      expect(await errorOf(res)).toMatchObject({ code: 'response_not_found', param: null });
    }
    const cont = await h.call('/v1/responses', { json: { input: 'more', previous_response_id: created.id } });
    expect(cont.status).toBe(404);
    expect(await rejection(h.openai.responses.retrieve(created.id))).toBeInstanceOf(OpenAI.NotFoundError);
  });

  test('the SDK deletes too, and the paths work without /v1', async () => {
    const h = await harness();
    const created = await h.openai.responses.create({ model: MODEL, input: 'short-lived' });
    expect((await h.call(`/responses/${created.id}`)).status).toBe(200);
    await h.openai.responses.delete(created.id);
    expect((await h.call(`/responses/${created.id}`)).status).toBe(404);
    expect((await h.call(`/responses/${created.id}`, { method: 'DELETE' })).status).toBe(404);
  });

  test('a streamed response is stored as its response.completed event shows it', async () => {
    const h = await harness();
    const stream = h.openai.responses.stream({ model: MODEL, input: 'streamed and stored', tools: [weather] });
    let completed: OpenAI.Responses.Response | null = null;
    stream.on('response.completed', (event) => (completed = event.response));
    const final = await stream.finalResponse();
    const stored = await (await h.call(`/v1/responses/${final.id}`)).json();
    const { output_text: _derived, ...wire } = completed! as OpenAI.Responses.Response & { output_text?: string };
    expect(stored).toEqual(wire);
  });

  test('another API key can neither fetch, delete nor continue a response', async () => {
    const otherKey = 'sk-other-key-987654321';
    const h = await harness({ env: { API_KEYS: `${TEST_KEY},${otherKey}` } });
    const mine = await h.openai.responses.create({ model: MODEL, input: 'private' });
    const other = new OpenAI({ apiKey: otherKey, baseURL: `${h.gateway.url}/v1`, maxRetries: 0 });
    expect(await rejection(other.responses.retrieve(mine.id))).toBeInstanceOf(OpenAI.NotFoundError);
    expect(await rejection(other.responses.delete(mine.id))).toBeInstanceOf(OpenAI.NotFoundError);
    const before = h.emulator.received.length;
    const cont = await rejection(other.responses.create({ model: MODEL, input: 'steal', previous_response_id: mine.id }));
    expect(cont).toBeInstanceOf(OpenAI.NotFoundError);
    expect((cont as InstanceType<typeof OpenAI.APIError>).code).toBe('previous_response_not_found');
    expect(h.emulator.received.length).toBe(before);
    // The owner still has it.
    expect((await h.openai.responses.retrieve(mine.id)).id).toBe(mine.id);
    const unauth = await fetch(`${h.gateway.url}/v1/responses/${mine.id}`);
    expect(unauth.status).toBe(401);
  });

  test('a chat session of the same name is not a response', async () => {
    const h = await harness();
    await h.openai.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'hi' }] }, { headers: { 'X-Session-Id': 'resp_lookalike' } });
    expect((await h.call('/v1/responses/resp_lookalike')).status).toBe(404);
    expect((await h.call('/v1/responses/resp_lookalike', { method: 'DELETE' })).status).toBe(404);
    expect((await h.call('/v1/responses', { json: { input: 'x', previous_response_id: 'resp_lookalike' } })).status).toBe(404);
    // ...and it is still there as a session.
    expect((await h.call('/v1/sessions/resp_lookalike', { method: 'DELETE' })).status).toBe(200);
  });
});

describe('store: false', () => {
  test('nothing is stored: it cannot be fetched or continued; a stored response can still be continued with it', async () => {
    const h = await harness();
    const unstored = await h.openai.responses.create({ model: MODEL, input: 'forget me', store: false });
    // Echoed (the SDK's Response type does not declare it).
    expect((unstored as unknown as { store: boolean }).store).toBe(false);
    expect((await h.admin.sessions()).total).toBe(0);
    expect((await h.call(`/v1/responses/${unstored.id}`)).status).toBe(404);
    const cont = await h.call('/v1/responses', { json: { input: 'more', previous_response_id: unstored.id } });
    expect(cont.status).toBe(404);
    expect(await errorOf(cont)).toMatchObject({ code: 'previous_response_not_found' });

    const root = await h.openai.responses.create({ model: MODEL, input: 'Stored root' });
    const side = await h.openai.responses.create({ model: MODEL, input: 'side question', previous_response_id: root.id, store: false });
    expect(lastReceived(h).message).toBe(`User: Stored root\n\nAssistant: ${root.output_text}\n\nUser: side question`);
    expect((await h.call(`/v1/responses/${side.id}`)).status).toBe(404);
    expect((await h.admin.sessions()).total).toBe(1);
    const streamed = await h.openai.responses.stream({ model: MODEL, input: 'streamed, unstored', store: false }).finalResponse();
    expect((await h.call(`/v1/responses/${streamed.id}`)).status).toBe(404);
    expect((await h.admin.sessions()).total).toBe(1);
  });
});

describe('lifetime', () => {
  test('SESSION_TTL: an expired response is 404 to fetch and to continue', async () => {
    const h = await harness({ env: { SESSION_TTL: '1' } });
    const created = await h.openai.responses.create({ model: MODEL, input: 'short life' });
    expect((await h.call(`/v1/responses/${created.id}`)).status).toBe(200);
    expect(await eventually(async () => (await h.call(`/v1/responses/${created.id}`)).status === 404, 5_000)).toBe(true);
    const cont = await h.call('/v1/responses', { json: { input: 'too late', previous_response_id: created.id } });
    expect(cont.status).toBe(404);
    expect(await errorOf(cont)).toMatchObject({ code: 'previous_response_not_found' });
    expect((await h.call(`/v1/responses/${created.id}`, { method: 'DELETE' })).status).toBe(404);
  });

  test('a response is continued across a gateway restart', async () => {
    const emulator = startEmulator({ replyLength: 60 });
    emulators.push(emulator);
    const dbPath = tempDbPath();
    const before = await startHarness({ dbPath, emulatorInstance: emulator });
    const created = await before.openai.responses.create({ model: MODEL, input: 'before restart' });
    const upstream = emulator.received.at(-1)!.sessionId;
    await before.stop();

    const after = await harness({ dbPath, emulatorInstance: emulator });
    expect(await after.openai.responses.retrieve(created.id)).toEqual(created);
    await after.openai.responses.create({ model: MODEL, input: 'after restart', previous_response_id: created.id });
    expect(emulator.received.at(-1)!.message).toBe(`User: before restart\n\nAssistant: ${created.output_text}\n\nUser: after restart`);
    expect(emulator.received.at(-1)!.sessionId).toBe(upstream);
  });
});
