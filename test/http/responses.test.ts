// The Responses API (POST /v1/responses) end to end with the openai SDK: responses.create with
// a string, input items and instructions; streams (responses.stream and stream: true) with
// their exact event sequence; function tools (a call, the loop with function_call_output
// items, tool_choice); text.format json_schema through responses.parse; and every 400 in
// OpenAI's shape naming its field. Stored responses and previous_response_id are in
// responses-stored.test.ts.

import { afterAll, afterEach, beforeAll, describe, expect, test } from 'bun:test';
import OpenAI from 'openai';
import { zodTextFormat } from 'openai/helpers/zod';
import { z } from 'zod';
import { buildReply } from '../../emulator/emulator.ts';
import type { OpenApiDocument, SchemaObject } from '../../src/http/docs/openapi.ts';
import { RESPONSES_IGNORED_PARAMETERS } from '../../src/http/openai/responses-request.ts';
import { eventually, rejection, startHarness, TEST_KEY, upstreamTotals, type Harness } from '../helpers/harness.ts';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ emulator: { replyLength: 200 }, env: { KEEPALIVE_INTERVAL_MS: '100' } });
});
afterAll(() => h.stop());
afterEach(async () => {
  await h.admin.enable('anonymous');
  h.emulator.clearFaults();
  h.emulator.configure({ latencyMs: 0 });
});

const MODEL = 'moonshotai/Kimi-K2-Instruct';
const lastPrompt = () => h.emulator.received.at(-1)!.message;

interface EventFrame {
  event: string;
  data: { type: string; sequence_number: number; [key: string]: unknown };
}

/** Reads a Responses stream: each frame is `event: <type>` + `data: <json>` with the same type; ':' frames are comments. */
async function readEvents(res: Response): Promise<{ frames: EventFrame[]; comments: number; raw: string }> {
  const raw = await res.text();
  expect(raw.endsWith('\n\n')).toBe(true);
  const frames: EventFrame[] = [];
  let comments = 0;
  for (const block of raw.slice(0, -2).split('\n\n')) {
    if (block.startsWith(':')) {
      comments++;
      continue;
    }
    const match = /^event: ([a-z_.]+)\ndata: (\{.*\})$/s.exec(block);
    if (!match) throw new Error(`unexpected frame: ${JSON.stringify(block.slice(0, 200))}`);
    const data = JSON.parse(match[2]!) as EventFrame['data'];
    expect(data.type).toBe(match[1]!);
    frames.push({ event: match[1]!, data });
  }
  return { frames, comments, raw };
}

const weather = {
  type: 'function' as const,
  name: 'get_weather',
  description: 'Get the current weather for a city.',
  parameters: { type: 'object', properties: { city: { type: 'string' }, unit: { type: 'string', enum: ['c', 'f'] } }, required: ['city'] },
  strict: false,
};
const time = {
  type: 'function' as const,
  name: 'get_time',
  description: 'The time in a time zone.',
  parameters: { type: 'object', properties: { zone: { type: 'string' } }, required: ['zone'] },
  strict: false,
};

describe('responses.create', () => {
  test('a string input: a completed response whose one message holds the answer, output_text and usage', async () => {
    const res = await h.openai.responses.create({ model: 'kimi-k2-instruct', input: 'Hello Kimi' });
    const answer = buildReply('Hello Kimi', MODEL, 200);
    expect(res).toMatchObject({ object: 'response', status: 'completed', model: 'kimi-k2-instruct', error: null, incomplete_details: null, store: true });
    expect(res.id).toMatch(/^resp_[0-9a-f]{48}$/);
    expect(Math.abs(res.created_at - Date.now() / 1000)).toBeLessThan(60);
    expect(res.output).toHaveLength(1);
    const message = res.output[0]!;
    expect(message).toMatchObject({ type: 'message', role: 'assistant', status: 'completed', content: [{ type: 'output_text', text: answer, annotations: [] }] });
    expect((message as { id: string }).id).toMatch(/^msg_[0-9a-f]{48}$/);
    // The SDK adds output_text from the output items.
    expect(res.output_text).toBe(answer);
    expect(res.usage).toMatchObject({ input_tokens: 3, input_tokens_details: { cached_tokens: 0 }, output_tokens_details: { reasoning_tokens: 0 } });
    expect(res.usage!.output_tokens).toBeGreaterThan(0);
    expect(res.usage!.total_tokens).toBe(res.usage!.input_tokens + res.usage!.output_tokens);
    expect(lastPrompt()).toBe('Hello Kimi');
    expect(h.emulator.received.at(-1)!.model).toBe(MODEL);
  });

  test('input items: roles, text parts and an assistant turn become the transcript; instructions go first', async () => {
    const res = await h.openai.responses.create({
      model: 'kimi-k2-instruct-0905',
      instructions: 'Be brief.',
      input: [
        { role: 'developer', content: 'Answer in French.' },
        { role: 'user', content: [{ type: 'input_text', text: 'What is' }, { type: 'input_text', text: 'the capital?' }] },
        { type: 'message', role: 'assistant', id: 'msg_earlier', status: 'completed', content: [{ type: 'output_text', text: 'Of which country?', annotations: [] }] },
        { type: 'message', role: 'user', content: 'Italy' },
      ],
    });
    expect(lastPrompt()).toBe('System: Be brief.\n\nSystem: Answer in French.\n\nUser: What is\nthe capital?\n\nAssistant: Of which country?\n\nUser: Italy');
    expect(res.instructions).toBe('Be brief.');
    expect(res.model).toBe('kimi-k2-instruct-0905');
  });

  test('the request fields the SDK reads back are echoed', async () => {
    const res = await h.openai.responses.create({
      model: 'kimi-k2-instruct',
      input: 'echo check',
      temperature: 0.3,
      top_p: 0.8,
      max_output_tokens: 64,
      metadata: { ticket: 'T-1' },
      user: 'end-user-7',
      parallel_tool_calls: false,
      tools: [weather],
      tool_choice: 'none',
      text: { format: { type: 'text' } },
    });
    expect(res).toMatchObject({
      temperature: 0.3,
      top_p: 0.8,
      max_output_tokens: 64,
      metadata: { ticket: 'T-1' },
      user: 'end-user-7',
      parallel_tool_calls: false,
      tool_choice: 'none',
      tools: [weather],
      text: { format: { type: 'text' } },
      previous_response_id: null,
      instructions: null,
    });
    // tool_choice none: no tools block in the prompt.
    expect(lastPrompt()).toBe('echo check');
  });

  test('a MODEL_ALIASES name is served by its model and answered under the name asked for, streamed too', async () => {
    const aliased = await startHarness({ env: { MODEL_ALIASES: 'gpt-4o*=kimi-k2-instruct' } });
    try {
      const res = await aliased.openai.responses.create({ model: 'gpt-4o-mini', input: 'alias me' });
      expect(res.model).toBe('gpt-4o-mini');
      expect(aliased.emulator.received.at(-1)!.model).toBe(MODEL);
      const streamed = await aliased.openai.responses.stream({ model: 'gpt-4o', input: 'alias me' }).finalResponse();
      expect(streamed.model).toBe('gpt-4o');
      expect((await aliased.openai.responses.retrieve(streamed.id)).model).toBe('gpt-4o');
    } finally {
      await aliased.stop();
    }
  });

  test('also without /v1; no model means the default model', async () => {
    const res = await h.call('/responses', { json: { input: 'no prefix' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-context-dropped-messages')).toBe('0');
    const body = (await res.json()) as { model: string; output: unknown[] };
    expect(body.model).toBe('kimi-k2-instruct-0905');
    // The wire object has no output_text: the SDKs compute it.
    expect(Object.keys(body)).not.toContain('output_text');
  });
});

describe('streams', () => {
  test('responses.stream: the event sequence, increasing sequence numbers, finalResponse and output_text', async () => {
    const stream = h.openai.responses.stream({ model: 'kimi-k2-instruct', input: 'Stream this' });
    const events: OpenAI.Responses.ResponseStreamEvent[] = [];
    stream.on('event', (event) => events.push(event));
    const final = await stream.finalResponse();
    const answer = buildReply('Stream this', MODEL, 200);
    expect(final.output_text).toBe(answer);
    expect(final.status).toBe('completed');

    const types: string[] = events.map((e) => e.type);
    const deltas = events.filter((e) => e.type === 'response.output_text.delta');
    expect(deltas.length).toBeGreaterThan(3);
    expect(types).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
      ...deltas.map(() => 'response.output_text.delta'),
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.completed',
    ]);
    expect(events.map((e) => e.sequence_number)).toEqual(events.map((_, i) => i));
    expect(deltas.map((d) => (d as { delta: string }).delta).join('')).toBe(answer);
    const created = events[0] as OpenAI.Responses.ResponseCreatedEvent;
    expect(created.response).toMatchObject({ id: final.id, status: 'in_progress', output: [] });
    const completed = events.at(-1) as OpenAI.Responses.ResponseCompletedEvent;
    expect(completed.response.usage!.total_tokens).toBeGreaterThan(0);
    // Every item event names the message the response ends with.
    const messageId = final.output[0]!.id;
    for (const e of events.filter((e) => 'item_id' in e)) expect((e as { item_id: string }).item_id).toBe(messageId!);
  });

  test('stream: true through responses.create: the same events, iterated (keep-alives in between are skipped)', async () => {
    h.emulator.configure({ latencyMs: 350 });
    const stream = await h.openai.responses.create({ model: 'kimi-k2-instruct', input: 'iterate me', stream: true });
    let text = '';
    const types: string[] = [];
    for await (const event of stream) {
      types.push(event.type);
      if (event.type === 'response.output_text.delta') text += event.delta;
    }
    expect(text).toBe(buildReply('iterate me', MODEL, 200));
    expect(types.at(0)).toBe('response.created');
    expect(types.at(-1)).toBe('response.completed');
  });

  test('exact framing: created and in_progress before the upstream answers, keep-alives while waiting, completed last', async () => {
    const latencyMs = 600;
    h.emulator.configure({ latencyMs });
    const res = await h.call('/v1/responses', { json: { input: 'wait for it', stream: true } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    const reader = res.body!.getReader();
    const t0 = performance.now();
    const first = new TextDecoder().decode((await reader.read()).value);
    expect(performance.now() - t0).toBeLessThan(latencyMs / 2);
    expect(first).toStartWith('event: response.created\ndata: {"type":"response.created","response":{');
    expect(first).toContain('\n\nevent: response.in_progress\ndata: {"type":"response.in_progress",');
    let rest = '';
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) rest += new TextDecoder().decode(chunk.value);
    const { frames, comments } = await readEvents(new Response(first + rest));
    expect(comments).toBeGreaterThanOrEqual(2); // 100 ms keep-alives during a 600 ms wait
    expect(frames.at(-1)!.event).toBe('response.completed');
    expect(frames.map((f) => f.data.sequence_number)).toEqual(frames.map((_, i) => i));
    expect((rest.match(/: keep-alive\n\n/g) ?? []).length).toBe(comments);
  });

  test('a streamed function call: output_item.added, arguments deltas, .done, output_item.done', async () => {
    const res = await h.call('/v1/responses', { json: { input: 'Weather in Paris? use get_weather.', tools: [weather], stream: true } });
    const { frames } = await readEvents(res);
    const types = frames.map((f) => f.event);
    const argDeltas = frames.filter((f) => f.event === 'response.function_call_arguments.delta');
    expect(types).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      ...argDeltas.map(() => 'response.function_call_arguments.delta'),
      'response.function_call_arguments.done',
      'response.output_item.done',
      'response.completed',
    ]);
    expect(frames[2]!.data.item).toMatchObject({ type: 'function_call', name: 'get_weather', arguments: '', status: 'in_progress' });
    const done = frames.find((f) => f.event === 'response.output_item.done')!.data.item as { id: string; call_id: string; arguments: string; status: string };
    expect(argDeltas.map((f) => f.data.delta).join('')).toBe(done.arguments);
    expect(JSON.parse(done.arguments)).toEqual({ city: 'Paris' });
    expect(done.status).toBe('completed');
    expect(done.call_id).toMatch(/^call_/);
    for (const f of argDeltas) expect(f.data.item_id).toBe(done.id);
  });

  test('an upstream failure after the start: response.failed, then an error event the SDK raises', async () => {
    h.emulator.addFault({ kind: 'server_error', status: 502 });
    const res = await h.call('/v1/responses', { json: { input: 'x', stream: true } });
    expect(res.status).toBe(200);
    const { frames } = await readEvents(res);
    expect(frames.map((f) => f.event)).toEqual(['response.created', 'response.in_progress', 'response.failed', 'error']);
    expect(frames[2]!.data.response).toMatchObject({ status: 'failed', output: [], error: { code: 'upstream_unavailable' } });
    expect(frames[3]!.data).toMatchObject({ type: 'error', code: 'upstream_unavailable', param: null, sequence_number: 3 });
    expect(frames[3]!.data.message).toContain('kimi-ai.chat is failing');

    // responses.stream rejects; iterating stream: true throws at the error event.
    const caught = await rejection(h.openai.responses.stream({ model: 'kimi-k2-instruct', input: 'x' }).finalResponse());
    expect(caught).toBeInstanceOf(OpenAI.APIError);
    expect((caught as Error).message).toContain('kimi-ai.chat is failing');
    const seen: string[] = [];
    const iterated = await rejection(
      (async () => {
        for await (const event of await h.openai.responses.create({ model: 'kimi-k2-instruct', input: 'x', stream: true })) seen.push(event.type);
      })(),
    );
    expect(iterated).toBeInstanceOf(OpenAI.APIError);
    expect(seen).toEqual(['response.created', 'response.in_progress', 'response.failed']);
  });

  test('refusals known before the start get a real status, not a stream', async () => {
    const long = await h.call('/v1/responses', { json: { input: 'x'.repeat(5_000), stream: true } });
    expect(long.status).toBe(400);
    expect(long.headers.get('content-type')).toStartWith('application/json');
    expect(((await long.json()) as { error: unknown }).error).toMatchObject({ code: 'context_length_exceeded', param: 'input' });

    await h.admin.disable('anonymous');
    const nobody = await h.call('/v1/responses', { json: { input: 'x', stream: true } });
    expect(nobody.status).toBe(503);
    expect(((await nobody.json()) as { error: unknown }).error).toMatchObject({ code: 'no_identity_available' });
  });

  test('a client that disconnects cancels the upstream request', async () => {
    h.emulator.configure({ latencyMs: 5_000 });
    const controller = new AbortController();
    const res = await h.call('/v1/responses', { json: { stream: true, input: 'never mind' }, signal: controller.signal });
    const reader = res.body!.getReader();
    await reader.read(); // response.created: sent before the upstream call starts
    expect(await eventually(() => upstreamTotals(h.emulator).inFlight === 1)).toBe(true);
    const t0 = performance.now();
    controller.abort();
    expect(await eventually(() => upstreamTotals(h.emulator).inFlight === 0)).toBe(true);
    expect(performance.now() - t0).toBeLessThan(2_000); // well before the 5 s answer
  });
});

describe('function tools', () => {
  test('a call comes back as a function_call item; the loop with function_call_output items gets the answer', async () => {
    const input: OpenAI.Responses.ResponseInput = [{ role: 'user', content: 'What is the weather in Paris? use get_weather.' }];
    const first = await h.openai.responses.create({ model: 'kimi-k2-instruct', input, tools: [weather] });
    expect(first.output).toHaveLength(1);
    const call = first.output[0] as OpenAI.Responses.ResponseFunctionToolCall;
    expect(call).toMatchObject({ type: 'function_call', name: 'get_weather', status: 'completed' });
    expect(call.id).toMatch(/^fc_[0-9a-f]{48}$/);
    expect(call.call_id).toMatch(/^call_[A-Za-z0-9]{24}$/);
    expect(JSON.parse(call.arguments)).toEqual({ city: 'Paris' });
    expect(first.output_text).toBe('');
    expect(lastPrompt()).toContain('Tools:\nget_weather(city: string, unit?: "c"|"f") - Get the current weather for a city.');

    // The client's own loop: the whole conversation as items, the call echoed back as it came.
    input.push(...(first.output as OpenAI.Responses.ResponseInputItem[]), { type: 'function_call_output', call_id: call.call_id, output: '{"temp":21}' });
    const second = await h.openai.responses.create({ model: 'kimi-k2-instruct', input, tools: [weather] });
    expect(second.output_text).toBe('Result of get_weather: {"temp":21}');
    expect(lastPrompt()).toContain('Assistant: <tool_call>{"name":"get_weather","arguments":{"city":"Paris"}}</tool_call>');
    expect(lastPrompt()).toEndWith('Tool (get_weather): {"temp":21}');
  });

  test('parallel calls: one function_call item each; their outputs answer them in one turn', async () => {
    const first = await h.openai.responses.create({ model: 'kimi-k2-instruct', input: 'use get_weather for Rome and get_time for Europe', tools: [weather, time] });
    const calls = first.output as OpenAI.Responses.ResponseFunctionToolCall[];
    expect(calls.map((c) => c.name)).toEqual(['get_weather', 'get_time']);
    const input: OpenAI.Responses.ResponseInput = [
      { role: 'user', content: 'use get_weather for Rome and get_time for Europe' },
      ...calls,
      ...calls.map((c) => ({ type: 'function_call_output' as const, call_id: c.call_id, output: `${c.name} ok` })),
    ];
    await h.openai.responses.create({ model: 'kimi-k2-instruct', input, tools: [weather, time] });
    // Both calls are one assistant turn; each output is matched to its call by call_id.
    expect(lastPrompt()).toMatch(/Assistant: <tool_call>\{"name":"get_weather".*<\/tool_call>\n<tool_call>\{"name":"get_time".*<\/tool_call>\n\nTool \(get_weather\): get_weather ok\n\nTool \(get_time\): get_time ok$/s);
  });

  test('tool_choice "required" and a named function make the model call one', async () => {
    const required = await h.openai.responses.create({ model: 'kimi-k2-instruct', input: 'Tell me about Oslo', tools: [weather, time], tool_choice: 'required' });
    expect(required.tool_choice).toBe('required');
    expect(required.output.map((o) => o.type)).toEqual(['function_call']);
    expect(lastPrompt()).toContain('You must call a tool.');

    const named = await h.openai.responses.create({ model: 'kimi-k2-instruct', input: 'Tell me about Oslo', tools: [weather, time], tool_choice: { type: 'function', name: 'get_time' } });
    expect(named.tool_choice).toEqual({ type: 'function', name: 'get_time' });
    const call = named.output[0] as OpenAI.Responses.ResponseFunctionToolCall;
    expect(call.name).toBe('get_time');
    expect(JSON.parse(call.arguments)).toEqual({ zone: 'Oslo' });
  });

  test('a malformed call gets the one corrective retry of the shared turn', async () => {
    h.emulator.addFault({ kind: 'tool_bad_json', times: 1 });
    const before = h.emulator.received.length;
    const res = await h.openai.responses.create({ model: 'kimi-k2-instruct', input: 'Weather in Lima? use get_weather.', tools: [weather] });
    expect(h.emulator.received.length - before).toBe(2);
    expect(JSON.parse((res.output[0] as OpenAI.Responses.ResponseFunctionToolCall).arguments)).toEqual({ city: 'Lima' });
  });
});

describe('text.format', () => {
  test('json_schema through responses.parse with a zod schema', async () => {
    const City = z.object({ city: z.string(), population: z.number() });
    const res = await h.openai.responses.parse({ model: 'kimi-k2-instruct', input: 'Facts about Berlin', text: { format: zodTextFormat(City, 'city_facts') } });
    expect(res.output_parsed).toEqual({ city: 'Berlin', population: 1 });
    expect(res.text?.format).toMatchObject({ type: 'json_schema', name: 'city_facts', strict: true });
    expect(lastPrompt()).toContain('Reply with only JSON matching: {city: string, population: number}');
  });

  test('json_object: the JSON is the whole output text', async () => {
    const res = await h.openai.responses.create({ model: 'kimi-k2-instruct', input: 'say hi as JSON', text: { format: { type: 'json_object' } } });
    expect(JSON.parse(res.output_text)).toEqual({ answer: 'say hi as JSON' });
    expect(res.text).toEqual({ format: { type: 'json_object' } });
  });
});

describe('errors in OpenAI shape, naming the field', () => {
  const bad = async (body: unknown, status: number, fields: Record<string, unknown>) => {
    const res = await h.call('/v1/responses', { json: body });
    expect({ status: res.status, body: body }).toEqual({ status, body });
    const error = ((await res.json()) as { error: Record<string, unknown> }).error;
    expect(error).toMatchObject(fields);
    expect(typeof error.message).toBe('string');
    return error.message as string;
  };

  test('the body, input and its items', async () => {
    await bad([], 400, { type: 'invalid_request_error', param: null });
    expect(await bad({}, 400, { param: 'input' })).toContain('"input" is required');
    expect(await bad({ messages: [{ role: 'user', content: 'hi' }] }, 400, { param: 'input' })).toContain('not "messages"');
    await bad({ input: [] }, 400, { param: 'input' });
    await bad({ input: 42 }, 400, { param: 'input' });
    await bad({ input: '  ' }, 400, { param: 'input' });
    await bad({ input: [{ role: 'assistant', content: 'only me' }] }, 400, { param: 'input' });
    await bad({ input: ['hi'] }, 400, { param: 'input[0]' });
    await bad({ input: [{ role: 'robot', content: 'hi' }] }, 400, { param: 'input[0].role' });
    await bad({ input: [{ role: 'constructor', content: 'hi' }] }, 400, { param: 'input[0].role' });
    await bad({ input: [{ type: 'item_reference', id: 'msg_1' }] }, 400, { param: 'input[0].type' });
    await bad({ input: [{ role: 'user', content: [{ type: 'input_text', text: 'see' }, { type: 'input_image', image_url: 'x' }] }] }, 400, {
      param: 'input[0].content[1]',
      code: 'unsupported_content_type',
    });
    await bad({ input: [{ role: 'user', content: 'hi' }, { type: 'function_call', name: 'f', arguments: '{}' }] }, 400, { param: 'input[1].call_id' });
    await bad({ input: [{ role: 'user', content: 'hi' }, { type: 'function_call_output', call_id: 'call_1', output: 5 }] }, 400, { param: 'input[1].output' });
    // Another model's reasoning items are skipped, not refused.
    const ok = await h.call('/v1/responses', { json: { input: [{ type: 'reasoning', id: 'rs_1', summary: [] }, { role: 'user', content: 'after reasoning' }] } });
    expect(ok.status).toBe(200);
    expect(lastPrompt()).toBe('after reasoning');
  });

  test('tools, tool_choice and text.format', async () => {
    expect(await bad({ input: 'hi', tools: [{ type: 'web_search' }] }, 400, { param: 'tools[0].type' })).toContain('only "function" tools');
    expect(await bad({ input: 'hi', tools: [{ type: 'function', function: { name: 'f' } }] }, 400, { param: 'tools[0]' })).toContain('flat function tools');
    await bad({ input: 'hi', tools: [{ type: 'function', name: 'bad name' }] }, 400, { param: 'tools[0].name' });
    await bad({ input: 'hi', tools: [weather, weather] }, 400, { param: 'tools[1].name' });
    await bad({ input: 'hi', tools: [{ ...weather, strict: 'yes' }] }, 400, { param: 'tools[0].strict' });
    await bad({ input: 'hi', tools: [weather], tool_choice: { type: 'function', name: 'nope' } }, 400, { param: 'tool_choice' });
    await bad({ input: 'hi', tools: [weather], tool_choice: { type: 'web_search_preview' } }, 400, { param: 'tool_choice' });
    await bad({ input: 'hi', tool_choice: 'required' }, 400, { param: 'tool_choice' });
    await bad({ input: 'hi', parallel_tool_calls: 'no' }, 400, { param: 'parallel_tool_calls' });
    await bad({ input: 'hi', text: { format: { type: 'xml' } } }, 400, { param: 'text.format.type' });
    await bad({ input: 'hi', text: { format: { type: 'json_schema', name: 'x' } } }, 400, { param: 'text.format.schema' });
    expect(await bad({ input: 'hi', response_format: { type: 'json_object' } }, 400, { param: 'response_format' })).toContain('text.format');
  });

  test('the other fields', async () => {
    await bad({ input: 'hi', stream: 'yes' }, 400, { param: 'stream' });
    await bad({ input: 'hi', store: 1 }, 400, { param: 'store' });
    await bad({ input: 'hi', previous_response_id: 5 }, 400, { param: 'previous_response_id' });
    await bad({ input: 'hi', instructions: ['x'] }, 400, { param: 'instructions' });
    await bad({ input: 'hi', metadata: { n: 1 } }, 400, { param: 'metadata.n' });
    await bad({ input: 'hi', metadata: Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, 'v'])) }, 400, { param: 'metadata' });
    await bad({ input: 'hi', user: 7 }, 400, { param: 'user' });
    await bad({ input: 'hi', background: true }, 400, { param: 'background' });
    await bad({ input: 'hi', conversation: 'conv_1' }, 400, { param: 'conversation' });
    await bad({ input: 'hi', model: 'gpt-nope' }, 404, { code: 'model_not_found', param: 'model' });
    await bad({ input: 'x'.repeat(5_000) }, 400, { code: 'context_length_exceeded', param: 'input' });
    const unknown = await rejection(h.openai.responses.create({ model: 'gpt-nope', input: 'hi' }));
    expect(unknown).toBeInstanceOf(OpenAI.NotFoundError);
  });

  test('401 without a key, before the body is read', async () => {
    const res = await fetch(`${h.gateway.url}/v1/responses`, { method: 'POST', body: '{not json' });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: unknown }).error).toMatchObject({ code: 'invalid_api_key' });
    const wrong = new OpenAI({ apiKey: `${TEST_KEY}-wrong`, baseURL: `${h.gateway.url}/v1`, maxRetries: 0 });
    expect(await rejection(wrong.responses.create({ model: 'kimi-k2-instruct', input: 'hi' }))).toBeInstanceOf(OpenAI.AuthenticationError);
  });
});

describe('the OpenAPI document says what the route does', () => {
  const documentFor = async () => (await (await fetch(`${h.gateway.url}/docs/openapi.json`)).json()) as OpenApiDocument;
  const objectSchema = (doc: OpenApiDocument, name: string) => doc.components.schemas[name] as SchemaObject & { properties: Record<string, SchemaObject>; required: string[] };

  test('every field of a live response is documented, and every required one is there', async () => {
    const doc = await documentFor();
    const response = objectSchema(doc, 'Response');
    const live = (await (await h.call('/v1/responses', { json: { input: 'use get_weather for Quito', tools: [weather], metadata: { a: 'b' } } })).json()) as Record<string, unknown>;
    expect(Object.keys(live).filter((k) => !(k in response.properties))).toEqual([]);
    expect(response.required.filter((k) => !(k in live))).toEqual([]);
    expect(objectSchema(doc, 'ResponseFunctionCall').required.filter((k) => !(k in (live.output as Record<string, unknown>[])[0]!))).toEqual([]);
  });

  test('the event types documented are the ones streams send, success, calls and failure together', async () => {
    const doc = await documentFor();
    const documented = objectSchema(doc, 'ResponseStreamEvent').properties.type!.enum as string[];
    const seen = new Set<string>();
    for (const body of [{ input: 'plain' }, { input: 'use get_weather for Quito', tools: [weather] }]) {
      for (const f of (await readEvents(await h.call('/v1/responses', { json: { ...body, stream: true } }))).frames) seen.add(f.event);
    }
    h.emulator.addFault({ kind: 'server_error', status: 502 });
    for (const f of (await readEvents(await h.call('/v1/responses', { json: { input: 'fails', stream: true } }))).frames) seen.add(f.event);
    expect([...seen].sort()).toEqual([...documented].sort());
  });

  test('every ignored parameter is accepted and listed as ignored', async () => {
    const doc = await documentFor();
    const properties = objectSchema(doc, 'ResponsesRequest').properties;
    for (const name of RESPONSES_IGNORED_PARAMETERS) expect({ name, listed: properties[name]?.description }).toEqual({ name, listed: expect.stringContaining('ignored') });
    const res = await h.call('/v1/responses', { json: { input: 'all ignored', ...Object.fromEntries(RESPONSES_IGNORED_PARAMETERS.map((name) => [name, name === 'include' ? [] : 1])) } });
    expect(res.status).toBe(200);
  });
});
