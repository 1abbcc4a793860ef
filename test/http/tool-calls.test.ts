// Tool calls and JSON output over the site's one-text-message API, end to end with real
// clients: the openai SDK's tool loop (runTools, streamed and not) and chat.completions.parse
// with a zod schema, LangChain's bindTools and withStructuredOutput; the emulator plays a
// tool-using model (emulator/tool-play.ts).

import { afterAll, afterEach, beforeAll, describe, expect, test } from 'bun:test';
import { ChatOpenAI } from '@langchain/openai';
import OpenAI from 'openai';
import { zodResponseFormat } from 'openai/helpers/zod';
import { z } from 'zod';
import { readSse, startHarness, TEST_KEY, type Harness } from '../helpers/harness.ts';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.stop());
afterEach(() => h.emulator.clearFaults());

const lastPrompt = () => h.emulator.received.at(-1)!.message;

const weatherTool = {
  type: 'function' as const,
  function: {
    name: 'get_weather',
    description: 'Get the current weather for a city.',
    parameters: { type: 'object', properties: { city: { type: 'string' }, unit: { type: 'string', enum: ['c', 'f'] } }, required: ['city'] },
  },
};
const timeTool = {
  type: 'function' as const,
  function: { name: 'get_time', description: 'The time in a time zone.', parameters: { type: 'object', properties: { zone: { type: 'string' } }, required: ['zone'] } },
};

describe('the openai SDK', () => {
  test('a tool call comes back as message.tool_calls; the tool result turn gets the final answer', async () => {
    const first = await h.openai.chat.completions.create({
      model: 'kimi-k2-instruct',
      messages: [{ role: 'user', content: 'What is the weather in Paris? use get_weather.' }],
      tools: [weatherTool],
    });
    const choice = first.choices[0]!;
    expect(choice.finish_reason).toBe('tool_calls');
    expect(choice.message.content).toBeNull();
    const call = choice.message.tool_calls![0]!;
    expect(call).toMatchObject({ type: 'function', function: { name: 'get_weather' } });
    expect(call.id).toMatch(/^call_[A-Za-z0-9]{24}$/);
    expect(JSON.parse((call as { function: { arguments: string } }).function.arguments)).toEqual({ city: 'Paris' });
    // The prompt described the tool compactly and said how to call it.
    expect(lastPrompt()).toContain('Tools:\nget_weather(city: string, unit?: "c"|"f") - Get the current weather for a city.');
    expect(lastPrompt()).toContain('<tool_call>');

    const second = await h.openai.chat.completions.create({
      model: 'kimi-k2-instruct',
      messages: [
        { role: 'user', content: 'What is the weather in Paris? use get_weather.' },
        choice.message,
        { role: 'tool', tool_call_id: call.id, content: '{"temp":21}' },
      ],
      tools: [weatherTool],
    });
    expect(second.choices[0]!.finish_reason).toBe('stop');
    expect(second.choices[0]!.message.content).toBe('Result of get_weather: {"temp":21}');
    // The history went upstream: the call as the model wrote it, the result under the function's name.
    expect(lastPrompt()).toContain('Assistant: <tool_call>{"name":"get_weather","arguments":{"city":"Paris"}}</tool_call>');
    expect(lastPrompt()).toEndWith('Tool (get_weather): {"temp":21}');
  });

  for (const stream of [false, true]) {
    test(`runTools runs the whole loop (${stream ? 'streamed' : 'not streamed'})`, async () => {
      const seen: unknown[] = [];
      const tools = [
        {
          type: 'function' as const,
          function: {
            ...weatherTool.function,
            parse: JSON.parse,
            function: (args: { city: string }) => {
              seen.push(args);
              return { city: args.city, temp: 21 };
            },
          },
        },
      ];
      const params = { model: 'kimi-k2-instruct', messages: [{ role: 'user' as const, content: 'Use get_weather for Lisbon please' }], tools };
      const runner = stream ? h.openai.chat.completions.runTools({ ...params, stream: true }) : h.openai.chat.completions.runTools(params);
      const answer = await runner.finalContent();
      expect(seen).toEqual([{ city: 'Lisbon' }]);
      expect(answer).toBe('Result of get_weather: {"city":"Lisbon","temp":21}');
    });
  }

  test('chat.completions.parse with a zod schema gets the parsed object', async () => {
    const Weather = z.object({ city: z.string(), temp: z.number(), sunny: z.boolean() });
    const completion = await h.openai.chat.completions.parse({
      model: 'kimi-k2-instruct',
      messages: [{ role: 'user', content: 'the weather in Rome as json' }],
      response_format: zodResponseFormat(Weather, 'weather'),
    });
    expect(completion.choices[0]!.message.parsed).toEqual({ city: 'Rome', temp: 1, sunny: true });
    expect(lastPrompt()).toContain('Reply with only JSON matching: {city: string, temp: number, sunny: boolean}');
  });
});

describe('streaming', () => {
  test("tool calls use OpenAI's delta framing; no tag reaches the client, even from a fenced answer", async () => {
    h.emulator.addFault({ kind: 'tool_fenced', times: 1 });
    const res = await h.call('/v1/chat/completions', {
      json: { stream: true, messages: [{ role: 'user', content: 'get_weather for Oslo' }], tools: [weatherTool] },
    });
    const { events, raw } = await readSse(res);
    expect(raw).not.toContain('tool_call>');
    expect(raw).not.toContain('```');
    const chunks = events.filter((e) => e.data !== '[DONE]').map((e) => JSON.parse(e.data) as { choices: Array<{ delta: Record<string, unknown>; finish_reason: string | null }> });
    const deltas = chunks.map((c) => c.choices[0]!.delta);
    const named = deltas.find((d) => Array.isArray(d.tool_calls) && (d.tool_calls as Array<{ id?: string }>)[0]!.id !== undefined) as { tool_calls: Array<Record<string, unknown>> };
    expect(named.tool_calls[0]).toMatchObject({ index: 0, type: 'function', function: { name: 'get_weather', arguments: '' } });
    const args = deltas.flatMap((d) => (d.tool_calls as Array<{ function?: { arguments?: string } }> | undefined) ?? []).map((t) => t.function?.arguments ?? '').join('');
    expect(JSON.parse(args)).toEqual({ city: 'Oslo' });
    expect(chunks.at(-1)!.choices[0]!.finish_reason).toBe('tool_calls');
  });
});

describe('tool_choice and parallel_tool_calls', () => {
  test('"none": no tools in the prompt, no tool_calls out', async () => {
    const res = await h.openai.chat.completions.create({ model: 'kimi-k2-instruct', messages: [{ role: 'user', content: 'get_weather for Paris' }], tools: [weatherTool], tool_choice: 'none' });
    expect(res.choices[0]!.message.tool_calls).toBeUndefined();
    expect(lastPrompt()).not.toContain('Tools:');
  });

  test('"required": the model is told to call, and calls even when the user did not name a tool', async () => {
    const res = await h.openai.chat.completions.create({ model: 'kimi-k2-instruct', messages: [{ role: 'user', content: 'Hello there, Madrid' }], tools: [weatherTool, timeTool], tool_choice: 'required' });
    expect(lastPrompt()).toContain('You must call a tool.');
    expect(res.choices[0]!.message.tool_calls?.[0]).toMatchObject({ function: { name: 'get_weather' } });
  });

  test('a named function is the one called', async () => {
    const res = await h.openai.chat.completions.create({
      model: 'kimi-k2-instruct',
      messages: [{ role: 'user', content: 'Hello, Tokyo' }],
      tools: [weatherTool, timeTool],
      tool_choice: { type: 'function', function: { name: 'get_time' } },
    });
    expect(res.choices[0]!.message.tool_calls?.map((c) => (c as { function: { name: string } }).function.name)).toEqual(['get_time']);
  });

  test('parallel calls by default; parallel_tool_calls false keeps one', async () => {
    const ask = (parallel?: boolean) =>
      h.openai.chat.completions.create({
        model: 'kimi-k2-instruct',
        messages: [{ role: 'user', content: 'Use get_weather and get_time for Berlin' }],
        tools: [weatherTool, timeTool],
        ...(parallel === undefined ? {} : { parallel_tool_calls: parallel }),
      });
    expect((await ask()).choices[0]!.message.tool_calls).toHaveLength(2);
    expect((await ask(false)).choices[0]!.message.tool_calls).toHaveLength(1);
  });

  test('a required call the model skips gets one corrective retry; a second miss is a 502 that says so', async () => {
    h.emulator.addFault({ kind: 'tool_none', times: 1 });
    const before = h.emulator.received.length;
    const res = await h.openai.chat.completions.create({ model: 'kimi-k2-instruct', messages: [{ role: 'user', content: 'Weather, Rome' }], tools: [weatherTool], tool_choice: 'required' });
    expect(res.choices[0]!.message.tool_calls?.[0]).toMatchObject({ function: { name: 'get_weather' } });
    expect(h.emulator.received.length - before).toBe(2);

    h.emulator.addFault({ kind: 'tool_none', times: 2 });
    const failed = await h.call('/v1/chat/completions', { json: { messages: [{ role: 'user', content: 'Weather, Rome' }], tools: [weatherTool], tool_choice: 'required' } });
    expect(failed.status).toBe(502);
    const body = (await failed.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('invalid_model_output');
    expect(body.error.message).toContain('did not call a tool');
  });

  test('an undeclared function or bad JSON from the model is never passed on', async () => {
    for (const kind of ['tool_undeclared', 'tool_bad_json'] as const) {
      h.emulator.addFault({ kind, times: 1 });
      const res = await h.openai.chat.completions.create({ model: 'kimi-k2-instruct', messages: [{ role: 'user', content: 'get_weather for Paris' }], tools: [weatherTool] });
      // The one corrective retry got a good call.
      expect(res.choices[0]!.message.tool_calls?.map((c) => (c as { function: { name: string } }).function.name)).toEqual(['get_weather']);
      expect(JSON.stringify(res)).not.toContain('undeclared_fn');
    }
  });
});

describe('response_format', () => {
  test('json_object: pure JSON content, extracted from fences and prose', async () => {
    h.emulator.addFault({ kind: 'json_fenced', times: 1 });
    const res = await h.openai.chat.completions.create({ model: 'kimi-k2-instruct', messages: [{ role: 'user', content: 'hello json' }], response_format: { type: 'json_object' } });
    expect(JSON.parse(res.choices[0]!.message.content!)).toEqual({ answer: 'hello json' });
  });

  test('invalid JSON gets one corrective retry, then a 502 invalid_model_output', async () => {
    h.emulator.addFault({ kind: 'json_invalid', times: 1 });
    const ok = await h.openai.chat.completions.create({ model: 'kimi-k2-instruct', messages: [{ role: 'user', content: 'hi' }], response_format: { type: 'json_object' } });
    expect(JSON.parse(ok.choices[0]!.message.content!)).toEqual({ answer: 'hi' });
    h.emulator.addFault({ kind: 'json_invalid', times: 2 });
    const res = await h.call('/v1/chat/completions', { json: { messages: [{ role: 'user', content: 'hi' }], response_format: { type: 'json_object' } } });
    expect(res.status).toBe(502);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('invalid_model_output');
  });
});

describe('bad requests and the prompt budget', () => {
  test('tools that cannot fit are a 400 context_length_exceeded saying what they need', async () => {
    const many = Array.from({ length: 60 }, (_, i) => ({
      type: 'function' as const,
      function: { name: `tool_number_${i}`, description: 'x'.repeat(50), parameters: { type: 'object', properties: { some_long_parameter_name: { type: 'string' } }, required: ['some_long_parameter_name'] } },
    }));
    const res = await h.call('/v1/chat/completions', { json: { messages: [{ role: 'user', content: 'hi' }], tools: many } });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('context_length_exceeded');
    expect(body.error.message).toMatch(/the tools alone take \d+ characters/);
    expect(body.error.message).toContain('limit of 1000 characters');
  });

  test('tool_choice naming an undeclared function, or a non-function tool, is a 400 naming the field', async () => {
    const named = await h.call('/v1/chat/completions', { json: { messages: [{ role: 'user', content: 'hi' }], tools: [weatherTool], tool_choice: { type: 'function', function: { name: 'nope' } } } });
    expect(named.status).toBe(400);
    expect(((await named.json()) as { error: { param: string } }).error.param).toBe('tool_choice');
    const web = await h.call('/v1/chat/completions', { json: { messages: [{ role: 'user', content: 'hi' }], tools: [{ type: 'web_search' }] } });
    expect(web.status).toBe(400);
    expect(((await web.json()) as { error: { param: string } }).error.param).toBe('tools[0].type');
  });
});

describe('LangChain JS', () => {
  const model = () => new ChatOpenAI({ model: 'kimi-k2-instruct', apiKey: TEST_KEY, configuration: { baseURL: `${h.gateway.url}/v1` }, maxRetries: 0 });

  test('bindTools: the AIMessage carries the tool call', async () => {
    const bound = model().bindTools([{ type: 'function', function: weatherTool.function }]);
    const message = await bound.invoke('Use get_weather for Vienna');
    expect(message.tool_calls?.map((c) => [c.name, c.args])).toEqual([['get_weather', { city: 'Vienna' }]]);
  });

  test('withStructuredOutput: a zod-typed object', async () => {
    const structured = model().withStructuredOutput(z.object({ city: z.string(), temp: z.number() }), { name: 'weather' });
    expect(await structured.invoke('weather in Prague as json')).toEqual({ city: 'Prague', temp: 1 });
  });
});

describe('conversations with tool use', () => {
  test('a stateless client resending the tool loop continues one upstream session', async () => {
    const openai = new OpenAI({ apiKey: TEST_KEY, baseURL: `${h.gateway.url}/v1`, maxRetries: 0 });
    const question = { role: 'user' as const, content: 'What is the weather in Seoul? get_weather' };
    const first = await openai.chat.completions.create({ model: 'kimi-k2-instruct', messages: [question], tools: [weatherTool] });
    const session = h.emulator.received.at(-1)!.sessionId;
    const call = first.choices[0]!.message.tool_calls![0]!;
    // The client re-serialises the arguments' JSON (with spaces), as some do.
    const resent = { ...first.choices[0]!.message, tool_calls: [{ ...call, function: { name: 'get_weather', arguments: '{ "city": "Seoul" }' } }] };
    await openai.chat.completions.create({ model: 'kimi-k2-instruct', messages: [question, resent, { role: 'tool', tool_call_id: call.id, content: 'sunny' }], tools: [weatherTool] });
    expect(h.emulator.received.at(-1)!.sessionId).toBe(session);
  });
});
