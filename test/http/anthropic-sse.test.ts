// The Messages API's stream over raw HTTP: Anthropic's exact event framing (message_start at
// once, `event: ping` while the upstream works, content blocks, message_delta, message_stop),
// an error event after the start, real statuses for refusals known before it, and a client
// that leaves cancelling the upstream call.

import { afterAll, afterEach, beforeAll, describe, expect, test } from 'bun:test';
import { buildReply } from '../../emulator/emulator.ts';
import { estimateTokens } from '../../src/conversation/tokens.ts';
import { eventually, readSseFrames, startHarness, TEST_KEY, upstreamTotals, type Harness } from '../helpers/harness.ts';

const KEEPALIVE_MS = 100;

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ env: { KEEPALIVE_INTERVAL_MS: String(KEEPALIVE_MS) } });
});
afterAll(() => h.stop());
afterEach(() => {
  h.emulator.clearFaults();
  h.emulator.configure({ latencyMs: 0 });
});

interface Event {
  event: string;
  data: Record<string, unknown>;
  at: number;
}

/** Reads Anthropic's SSE: every frame is exactly "event: <type>\ndata: <json>\n\n", with the type also in the JSON. */
async function readEvents(response: Response, t0 = performance.now()): Promise<{ events: Event[]; raw: string }> {
  const events: Event[] = [];
  const raw = await readSseFrames(response, (frame) => {
    const match = /^event: ([a-z_]+)\ndata: (\{.*\})$/.exec(frame);
    if (!match) throw new Error(`not an Anthropic SSE frame: ${JSON.stringify(frame)}`);
    const data = JSON.parse(match[2]!) as Record<string, unknown>;
    expect(data.type).toBe(match[1]!);
    events.push({ event: match[1]!, data, at: performance.now() - t0 });
  });
  return { events, raw };
}

const streamRequest = (body: Record<string, unknown>, headers: Record<string, string> = {}) =>
  fetch(`${h.gateway.url}/v1/messages`, {
    method: 'POST',
    headers: { 'x-api-key': TEST_KEY, 'anthropic-version': '2023-06-01', 'anthropic-beta': 'tools-2024-04-04', 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ model: 'kimi-k2-instruct', max_tokens: 128, stream: true, ...body }),
  });

describe('the stream', () => {
  test('exact framing: message_start at once, pings while waiting, one text block, message_delta, message_stop', async () => {
    const latencyMs = 600;
    h.emulator.configure({ latencyMs });
    const t0 = performance.now();
    const res = await streamRequest({ messages: [{ role: 'user', content: 'wait for it' }] });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(res.headers.get('x-context-dropped-messages')).toBe('0');
    const { events, raw } = await readEvents(res, t0);

    const start = events[0]!;
    expect(start.event).toBe('message_start');
    expect(start.at).toBeLessThan(latencyMs / 2);
    expect(start.data.message).toEqual({
      id: expect.stringMatching(/^msg_[A-Za-z0-9]{24}$/),
      type: 'message',
      role: 'assistant',
      model: 'kimi-k2-instruct',
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: { input_tokens: estimateTokens('wait for it'), output_tokens: 0 },
    });
    const pings = events.filter((e) => e.event === 'ping');
    expect(pings.length).toBeGreaterThanOrEqual(3);
    expect(raw).toContain('event: ping\ndata: {"type":"ping"}\n\n');
    // Pings only while waiting: between message_start and the content.
    expect(events.slice(1, pings.length + 1).every((e) => e.event === 'ping')).toBe(true);

    const rest = events.slice(pings.length + 1);
    const deltas = rest.slice(1, -3);
    expect(rest.map((e) => e.event)).toEqual(['content_block_start', ...deltas.map(() => 'content_block_delta'), 'content_block_stop', 'message_delta', 'message_stop']);
    expect(rest[0]!.at).toBeGreaterThanOrEqual(latencyMs);
    expect(rest[0]!.data).toEqual({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } });
    expect(deltas.length).toBeGreaterThan(3);
    const text = deltas.map((e) => {
      expect(e.data).toEqual({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: expect.any(String) } });
      return (e.data.delta as { text: string }).text;
    });
    const reply = buildReply('wait for it', 'moonshotai/Kimi-K2-Instruct', 200);
    expect(text.join('')).toBe(reply);
    expect(rest.at(-3)!.data).toEqual({ type: 'content_block_stop', index: 0 });
    expect(rest.at(-2)!.data).toEqual({
      type: 'message_delta',
      delta: { stop_reason: 'end_turn', stop_sequence: null },
      usage: { input_tokens: estimateTokens('wait for it'), output_tokens: estimateTokens(reply) },
    });
    expect(raw.endsWith('event: message_delta\ndata: {"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},' +
      `"usage":{"input_tokens":${estimateTokens('wait for it')},"output_tokens":${estimateTokens(reply)}}}\n\nevent: message_stop\ndata: {"type":"message_stop"}\n\n`)).toBe(true);
  });

  test('text and tool_use blocks: each with its index, tool input as input_json_delta pieces', async () => {
    const tools = [{ name: 'get_weather', input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } }];
    // Bearer works as well as x-api-key.
    const res = await fetch(`${h.gateway.url}/v1/messages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TEST_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'kimi-k2-instruct',
        max_tokens: 128,
        stream: true,
        tools,
        messages: [{ role: 'user', content: 'Weather in Paris? use get_weather' }],
      }),
    });
    expect(res.status).toBe(200);
    const { events } = await readEvents(res);
    const blocks = events.filter((e) => e.event.startsWith('content_block'));
    expect(blocks[0]!.data).toEqual({ type: 'content_block_start', index: 0, content_block: { type: 'tool_use', id: expect.stringMatching(/^toolu_[A-Za-z0-9]{24}$/), name: 'get_weather', input: {} } });
    const json = blocks
      .filter((e) => e.event === 'content_block_delta')
      .map((e) => {
        expect(e.data).toMatchObject({ index: 0, delta: { type: 'input_json_delta' } });
        return (e.data.delta as { partial_json: string }).partial_json;
      })
      .join('');
    expect(JSON.parse(json)).toEqual({ city: 'Paris' });
    expect(blocks.at(-1)!.data).toEqual({ type: 'content_block_stop', index: 0 });
    expect(events.find((e) => e.event === 'message_delta')!.data.delta).toEqual({ stop_reason: 'tool_use', stop_sequence: null });
  });

  test('a stop sequence in a stream: the cut text, then message_delta names it', async () => {
    const res = await streamRequest({ stop_sequences: ['sit amet'], messages: [{ role: 'user', content: 'stop early' }] });
    const { events } = await readEvents(res);
    const reply = buildReply('stop early', 'moonshotai/Kimi-K2-Instruct', 200);
    const text = events.filter((e) => e.event === 'content_block_delta').map((e) => (e.data.delta as { text: string }).text).join('');
    expect(text).toBe(reply.slice(0, reply.indexOf('sit amet')));
    expect(events.find((e) => e.event === 'message_delta')!.data.delta).toEqual({ stop_reason: 'stop_sequence', stop_sequence: 'sit amet' });
  });

  test('the paths answer without /v1 too', async () => {
    const res = await fetch(`${h.gateway.url}/messages`, {
      method: 'POST',
      headers: { 'x-api-key': TEST_KEY, 'content-type': 'application/json' },
      body: JSON.stringify({ max_tokens: 16, messages: [{ role: 'user', content: 'no prefix' }] }),
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { type: string }).type).toBe('message');
    const count = await fetch(`${h.gateway.url}/messages/count_tokens`, {
      method: 'POST',
      headers: { 'x-api-key': TEST_KEY, 'content-type': 'application/json' },
      body: JSON.stringify({ messages: [{ role: 'user', content: 'no prefix' }] }),
    });
    expect(await count.json()).toEqual({ input_tokens: estimateTokens('no prefix') });
  });
});

describe('failures', () => {
  test('after the start, a failure is one error event with Anthropic\'s body, and no message_stop', async () => {
    h.emulator.addFault({ kind: 'server_error', status: 502 });
    const res = await streamRequest({ messages: [{ role: 'user', content: 'fail late' }] }, { 'x-request-id': 'req-anthropic-late' });
    expect(res.status).toBe(200);
    const { events, raw } = await readEvents(res);
    expect(events.map((e) => e.event).filter((e) => e !== 'ping')).toEqual(['message_start', 'error']);
    expect(events.at(-1)!.data).toEqual({ type: 'error', error: { type: 'api_error', message: expect.stringContaining('kimi-ai.chat is failing') }, request_id: 'req-anthropic-late' });
    expect(raw.endsWith('}\n\n')).toBe(true);
    await h.admin.enable('anonymous');

    h.emulator.clearFaults();
    h.emulator.addFault({ kind: 'rate_limited', retryAfter: '7' });
    const limited = await readEvents(await streamRequest({ messages: [{ role: 'user', content: 'limited late' }] }));
    expect(limited.events.at(-1)!.data.error).toMatchObject({ type: 'rate_limit_error' });
    await h.admin.enable('anonymous');
  });

  test('refusals known before the start get their status and Anthropic\'s JSON error, not a stream', async () => {
    const tooLong = await streamRequest({ system: 'x'.repeat(2_000), messages: [{ role: 'user', content: 'hi' }] });
    expect(tooLong.status).toBe(400);
    expect(tooLong.headers.get('content-type')).toStartWith('application/json');
    expect(await tooLong.json()).toEqual({
      type: 'error',
      error: { type: 'invalid_request_error', message: expect.stringContaining('CONTEXT_MAX_LENGTH') },
      request_id: expect.stringMatching(/^req_/),
    });

    await h.admin.disable('anonymous');
    try {
      const nobody = await streamRequest({ messages: [{ role: 'user', content: 'hi' }] });
      expect(nobody.status).toBe(503);
      expect(nobody.headers.get('content-type')).toStartWith('application/json');
      expect(((await nobody.json()) as { error: { type: string } }).error.type).toBe('overloaded_error');
    } finally {
      await h.admin.enable('anonymous');
    }
  });

  test('a client that leaves cancels the upstream call', async () => {
    h.emulator.configure({ latencyMs: 5_000 });
    const controller = new AbortController();
    const res = await fetch(`${h.gateway.url}/v1/messages`, {
      method: 'POST',
      headers: { 'x-api-key': TEST_KEY, 'content-type': 'application/json' },
      body: JSON.stringify({ max_tokens: 16, stream: true, messages: [{ role: 'user', content: 'never mind' }] }),
      signal: controller.signal,
    });
    const reader = res.body!.getReader();
    await reader.read(); // message_start: sent before the upstream call starts
    expect(await eventually(() => upstreamTotals(h.emulator).inFlight === 1)).toBe(true);
    const t0 = performance.now();
    controller.abort();
    expect(await eventually(() => upstreamTotals(h.emulator).inFlight === 0)).toBe(true);
    expect(performance.now() - t0).toBeLessThan(2_000);
  });
});
