// The Anthropic Messages API with Anthropic's own SDK, unchanged, against the gateway:
// messages.create and messages.stream (text and tool_use), a tool loop on the emulator's
// tool-playing model, tool_choice, stop_sequences, countTokens, and the SDK's error classes.
// The same turn as chat completions serves it: sessions, aliases and the prompt budget included.

import { afterAll, afterEach, beforeAll, describe, expect, test } from 'bun:test';
import Anthropic from '@anthropic-ai/sdk';
import { buildReply } from '../../emulator/emulator.ts';
import { estimateTokens } from '../../src/conversation/tokens.ts';
import { rejection, startHarness, TEST_KEY, type Harness } from '../helpers/harness.ts';

const MODEL = 'claude-sonnet-5-5';
const UPSTREAM_MODEL = 'moonshotai/Kimi-K2-Instruct-0905';

let h: Harness;
let client: Anthropic;
beforeAll(async () => {
  h = await startHarness({ env: { MODEL_ALIASES: 'claude-*=kimi-k2-instruct-0905' } });
  client = new Anthropic({ apiKey: TEST_KEY, baseURL: h.gateway.url, maxRetries: 0 });
});
afterAll(() => h.stop());
afterEach(() => h.emulator.clearFaults());

const lastReceived = () => h.emulator.received.at(-1)!;
const lastPrompt = () => lastReceived().message;

const weatherTool: Anthropic.Tool = {
  name: 'get_weather',
  description: 'Get the current weather for a city.',
  input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
};
const timeTool: Anthropic.Tool = {
  name: 'get_time',
  description: 'The time in a time zone.',
  input_schema: { type: 'object', properties: { zone: { type: 'string' } }, required: ['zone'] },
};

const textOf = (message: Anthropic.Message): string =>
  message.content
    .filter((b): b is Anthropic.TextBlock => b.type === 'text')
    .map((b) => b.text)
    .join('');
const toolUses = (message: Anthropic.Message): Anthropic.ToolUseBlock[] => message.content.filter((b): b is Anthropic.ToolUseBlock => b.type === 'tool_use');

describe('messages.create', () => {
  test('a text answer: the message shape, the asked model name, usage estimated from the prompt sent', async () => {
    const message = await client.messages.create({ model: MODEL, max_tokens: 256, system: 'Be brief.', messages: [{ role: 'user', content: 'Hello there' }] });
    const prompt = lastPrompt();
    expect(prompt).toBe('System: Be brief.\n\nUser: Hello there');
    expect(lastReceived().model).toBe(UPSTREAM_MODEL);
    expect(message).toEqual({
      id: expect.stringMatching(/^msg_[A-Za-z0-9]{24}$/),
      type: 'message',
      role: 'assistant',
      model: MODEL,
      content: [{ type: 'text', text: buildReply(prompt, UPSTREAM_MODEL, 200) }],
      stop_reason: 'end_turn',
      stop_sequence: null,
      usage: { input_tokens: estimateTokens(prompt), output_tokens: estimateTokens(buildReply(prompt, UPSTREAM_MODEL, 200)) },
    } as unknown as Anthropic.Message);
  });

  test('system as text blocks (cache_control ignored), user content as blocks, a real model name', async () => {
    const message = await client.messages.create({
      model: 'kimi-k2-instruct',
      max_tokens: 64,
      system: [
        { type: 'text', text: 'You are terse.', cache_control: { type: 'ephemeral' } },
        { type: 'text', text: 'Answer in English.' },
      ],
      messages: [
        { role: 'user', content: 'First question' },
        { role: 'assistant', content: [{ type: 'text', text: 'First answer' }] },
        { role: 'user', content: [{ type: 'text', text: 'Second' }, { type: 'text', text: 'question', cache_control: { type: 'ephemeral' } }] },
      ],
    });
    expect(lastPrompt()).toBe('System: You are terse.\nAnswer in English.\n\nUser: First question\n\nAssistant: First answer\n\nUser: Second\nquestion');
    expect(lastReceived().model).toBe('moonshotai/Kimi-K2-Instruct');
    expect(message.model).toBe('kimi-k2-instruct');
  });

  test('the conversation is recognised from the resent history: the same upstream session continues', async () => {
    const first = await client.messages.create({ model: MODEL, max_tokens: 64, messages: [{ role: 'user', content: 'Remember the number 7' }] });
    const upstreamSession = lastReceived().sessionId;
    await client.messages.create({
      model: MODEL,
      max_tokens: 64,
      messages: [
        { role: 'user', content: 'Remember the number 7' },
        { role: 'assistant', content: first.content as Anthropic.ContentBlockParam[] },
        { role: 'user', content: 'Which number?' },
      ],
    });
    expect(lastReceived().sessionId).toBe(upstreamSession);
  });

  test('X-Session-Id names the conversation; metadata.user_id does not', async () => {
    const { response } = await client.messages
      .create({ model: MODEL, max_tokens: 64, metadata: { user_id: 'user-1' }, messages: [{ role: 'user', content: 'Named one' }] }, { headers: { 'X-Session-Id': 'anthropic-named' } })
      .withResponse();
    expect(response.headers.get('x-session-id')).toBe('anthropic-named');
    const session = lastReceived().sessionId;
    await client.messages.create({ model: MODEL, max_tokens: 64, messages: [{ role: 'user', content: 'And again' }] }, { headers: { 'X-Session-Id': 'anthropic-named' } });
    expect(lastReceived().sessionId).toBe(session);
    expect(lastPrompt()).toStartWith('User: Named one\n\nAssistant: Echo[');
    // The same metadata.user_id without the header is a new conversation.
    await client.messages.create({ model: MODEL, max_tokens: 64, metadata: { user_id: 'user-1' }, messages: [{ role: 'user', content: 'And again' }] });
    expect(lastReceived().sessionId).not.toBe(session);
    expect(lastPrompt()).toBe('And again');
  });
});

describe('messages.stream', () => {
  test('text events add up to the final message', async () => {
    const stream = client.messages.stream({ model: MODEL, max_tokens: 256, messages: [{ role: 'user', content: 'Stream this please' }] });
    const pieces: string[] = [];
    stream.on('text', (text) => pieces.push(text));
    const final = await stream.finalMessage();
    const expected = buildReply(lastPrompt(), UPSTREAM_MODEL, 200);
    expect(pieces.length).toBeGreaterThan(3);
    expect(pieces.join('')).toBe(expected);
    expect(textOf(final)).toBe(expected);
    expect(final.model).toBe(MODEL);
    expect(final.id).toMatch(/^msg_[A-Za-z0-9]{24}$/);
    expect(final.stop_reason).toBe('end_turn');
    expect(final.stop_sequence).toBeNull();
    expect(final.usage).toMatchObject({ input_tokens: estimateTokens(lastPrompt()), output_tokens: estimateTokens(expected) });
  });

  test('a tool_use block arrives as input_json_delta pieces and is parsed into input', async () => {
    const stream = client.messages.stream({
      model: MODEL,
      max_tokens: 256,
      tools: [weatherTool],
      messages: [{ role: 'user', content: 'What is the weather in Paris? use get_weather.' }],
    });
    const partials: string[] = [];
    stream.on('inputJson', (partial) => partials.push(partial));
    const final = await stream.finalMessage();
    expect(partials.join('')).toBe('{"city":"Paris"}');
    expect(final.stop_reason).toBe('tool_use');
    expect(final.content).toEqual([{ type: 'tool_use', id: expect.stringMatching(/^toolu_[A-Za-z0-9]{24}$/), name: 'get_weather', input: { city: 'Paris' } }] as never);
  });
});

describe('tools', () => {
  for (const streamed of [false, true]) {
    test(`a tool loop: tool_use → tool_result → the final text, in one upstream conversation (${streamed ? 'streamed' : 'not streamed'})`, async () => {
      const ask = (messages: Anthropic.MessageParam[]) =>
        streamed
          ? client.messages.stream({ model: MODEL, max_tokens: 256, tools: [weatherTool], messages }).finalMessage()
          : client.messages.create({ model: MODEL, max_tokens: 256, tools: [weatherTool], messages });
      const question: Anthropic.MessageParam = { role: 'user', content: `Use get_weather${streamed ? ' now' : ''}: how is the weather in Lyon?` };
      const first = await ask([question]);
      expect(first.stop_reason).toBe('tool_use');
      const [call] = toolUses(first);
      expect(call).toMatchObject({ name: 'get_weather', input: { city: 'Lyon' } });
      expect(lastPrompt()).toContain('Tools:\nget_weather(city: string) - Get the current weather for a city.');
      const session = lastReceived().sessionId;

      const second = await ask([
        question,
        { role: 'assistant', content: first.content as Anthropic.ContentBlockParam[] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: call!.id, content: '{"temp":21}' }] },
      ]);
      expect(second.stop_reason).toBe('end_turn');
      expect(textOf(second)).toBe('Result of get_weather: {"temp":21}');
      expect(lastPrompt()).toContain('Assistant: <tool_call>{"name":"get_weather","arguments":{"city":"Lyon"}}</tool_call>');
      expect(lastPrompt()).toEndWith('Tool (get_weather): {"temp":21}');
      // The tool_use id went back and forth: the conversation was recognised.
      expect(lastReceived().sessionId).toBe(session);
    });
  }

  test('a tool_result with is_error, as text blocks, says so; ids the client made pass through', async () => {
    const answer = await client.messages.create({
      model: MODEL,
      max_tokens: 64,
      tools: [weatherTool],
      messages: [
        { role: 'user', content: 'Weather in Oslo?' },
        { role: 'assistant', content: [{ type: 'text', text: 'Checking.' }, { type: 'tool_use', id: 'toolu_01A09q90qw90lq917835lq9', name: 'get_weather', input: { city: 'Oslo' } }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_01A09q90qw90lq917835lq9', is_error: true, content: [{ type: 'text', text: 'no such city' }] }] },
      ],
    });
    expect(lastPrompt()).toContain('Assistant: Checking.\n<tool_call>{"name":"get_weather","arguments":{"city":"Oslo"}}</tool_call>');
    expect(lastPrompt()).toEndWith('Tool (get_weather): Error: no such city');
    expect(textOf(answer)).toBe('Result of get_weather: Error: no such city');
  });

  test('in a named session the stored call is matched by its toolu_ id: a result sent alone with new text is shown under its tool', async () => {
    const headers = { 'X-Session-Id': 'anthropic-tools' };
    const first = await client.messages.create(
      { model: MODEL, max_tokens: 64, tools: [weatherTool], messages: [{ role: 'user', content: 'Use get_weather: how is it in Nice?' }] },
      { headers },
    );
    const [call] = toolUses(first);
    expect(call!.id).toMatch(/^toolu_/);
    await client.messages.create(
      {
        model: MODEL,
        max_tokens: 64,
        tools: [weatherTool],
        messages: [{ role: 'user', content: [{ type: 'tool_result', tool_use_id: call!.id, content: 'sunny' }, { type: 'text', text: 'Summarise it.' }] }],
      },
      { headers },
    );
    expect(lastPrompt()).toContain('User: Use get_weather: how is it in Nice?\n\nAssistant: <tool_call>{"name":"get_weather","arguments":{"city":"Nice"}}</tool_call>');
    expect(lastPrompt()).toEndWith('Tool (get_weather): sunny\n\nUser: Summarise it.');
  });

  test('tool_choice any, tool and none; disable_parallel_tool_use', async () => {
    const question: Anthropic.MessageParam = { role: 'user', content: 'Tell me something about Rome.' };
    const any = await client.messages.create({ model: MODEL, max_tokens: 64, tools: [weatherTool, timeTool], tool_choice: { type: 'any' }, messages: [question] });
    expect(lastPrompt()).toContain('You must call a tool.');
    expect(toolUses(any).map((c) => c.name)).toEqual(['get_weather']);

    const named = await client.messages.create({ model: MODEL, max_tokens: 64, tools: [weatherTool, timeTool], tool_choice: { type: 'tool', name: 'get_time' }, messages: [question] });
    expect(lastPrompt()).toContain('You must call get_time.');
    expect(toolUses(named)).toEqual([{ type: 'tool_use', id: expect.stringMatching(/^toolu_/), name: 'get_time', input: { zone: 'Rome' } }] as never);

    const none = await client.messages.create({
      model: MODEL,
      max_tokens: 64,
      tools: [weatherTool],
      tool_choice: { type: 'none' },
      messages: [{ role: 'user', content: 'Weather in Rome? use get_weather' }],
    });
    expect(lastPrompt()).not.toContain('Tools:');
    expect(none.stop_reason).toBe('end_turn');
    expect(toolUses(none)).toEqual([]);

    const both = 'Use get_weather and get_time for Rome.';
    const parallel = await client.messages.create({ model: MODEL, max_tokens: 64, tools: [weatherTool, timeTool], messages: [{ role: 'user', content: both }] });
    expect(toolUses(parallel).map((c) => c.name)).toEqual(['get_weather', 'get_time']);
    const single = await client.messages.create({
      model: MODEL,
      max_tokens: 64,
      tools: [weatherTool, timeTool],
      tool_choice: { type: 'auto', disable_parallel_tool_use: true },
      messages: [{ role: 'user', content: both }],
    });
    expect(lastPrompt()).toContain('Call at most one tool.');
    expect(toolUses(single).map((c) => c.name)).toEqual(['get_weather']);
  });
});

describe('stop_sequences', () => {
  test('the text ends before the earliest stop sequence, and the answer says which one', async () => {
    const reply = (prompt: string) => buildReply(prompt, UPSTREAM_MODEL, 200);
    const message = await client.messages.create({ model: MODEL, max_tokens: 64, stop_sequences: ['tempor', 'dolor', 'never there'], messages: [{ role: 'user', content: 'Cut me' }] });
    const full = reply(lastPrompt());
    expect(message.stop_reason).toBe('stop_sequence');
    expect(message.stop_sequence).toBe('dolor');
    expect(textOf(message)).toBe(full.slice(0, full.indexOf('dolor')));

    const untouched = await client.messages.create({ model: MODEL, max_tokens: 64, stop_sequences: ['never there'], messages: [{ role: 'user', content: 'Leave me' }] });
    expect(untouched.stop_reason).toBe('end_turn');
    expect(untouched.stop_sequence).toBeNull();
    expect(textOf(untouched)).toBe(reply(lastPrompt()));

    const streamed = await client.messages.stream({ model: MODEL, max_tokens: 64, stop_sequences: ['amet'], messages: [{ role: 'user', content: 'Cut me streamed' }] }).finalMessage();
    const streamedFull = reply(lastPrompt());
    expect(streamed.stop_reason).toBe('stop_sequence');
    expect(streamed.stop_sequence).toBe('amet');
    expect(textOf(streamed)).toBe(streamedFull.slice(0, streamedFull.indexOf('amet')));
  });

  test('the stored answer is the one the client saw: the cut text continues the conversation', async () => {
    const headers = { 'X-Session-Id': 'anthropic-stop' };
    const first = await client.messages.create({ model: MODEL, max_tokens: 64, stop_sequences: ['ipsum'], messages: [{ role: 'user', content: 'Start' }] }, { headers });
    expect(first.stop_reason).toBe('stop_sequence');
    await client.messages.create({ model: MODEL, max_tokens: 64, messages: [{ role: 'user', content: 'Go on' }] }, { headers });
    expect(lastPrompt()).toBe(`User: Start\n\nAssistant: ${textOf(first)}\n\nUser: Go on`);
    expect(lastPrompt()).not.toContain('ipsum');
  });
});

describe('messages.countTokens', () => {
  test('counts what usage.input_tokens reports for the same request, tools included', async () => {
    const request = { model: MODEL, system: 'Be brief.', messages: [{ role: 'user' as const, content: 'Count me' }], tools: [weatherTool] };
    const counted = await client.messages.countTokens(request);
    const answered = await client.messages.create({ ...request, max_tokens: 64 });
    expect(counted.input_tokens).toBe(answered.usage.input_tokens);
    expect(counted.input_tokens).toBe(estimateTokens(lastPrompt()));
    const withoutTools = await client.messages.countTokens({ model: MODEL, system: 'Be brief.', messages: [{ role: 'user', content: 'Count me' }] });
    expect(withoutTools.input_tokens).toBeLessThan(counted.input_tokens);
    expect(withoutTools.input_tokens).toBe(estimateTokens('System: Be brief.\n\nUser: Count me'));
  });

  test('a conversation that cannot fit is counted whole, where messages.create says why it cannot be sent', async () => {
    const system = 'You are a coding agent. '.repeat(200);
    const request = { model: MODEL, system, messages: [{ role: 'user' as const, content: 'Fix the bug' }] };
    const counted = await client.messages.countTokens(request);
    expect(counted.input_tokens).toBe(estimateTokens(`System: ${system}\n\nUser: Fix the bug`));
    const error = await rejection(client.messages.create({ ...request, max_tokens: 1024 }));
    expect(error).toBeInstanceOf(Anthropic.BadRequestError);
    const body = (error as InstanceType<typeof Anthropic.BadRequestError>).error as { type: string; error: { type: string; message: string } };
    expect(body.type).toBe('error');
    expect(body.error.type).toBe('invalid_request_error');
    expect(body.error.message).toContain('limit of 1000 characters (CONTEXT_MAX_LENGTH)');
    expect(body.error.message).toContain(`take ${system.length + 'System: '.length + '\n\nUser: Fix the bug'.length} characters`);
    expect(body.error.message).toContain('raise CONTEXT_MAX_LENGTH');
  });
});

describe('errors as the SDK raises them', () => {
  test('no key or a wrong key → AuthenticationError with Anthropic\'s body', async () => {
    const keyless = new Anthropic({ apiKey: null, authToken: null, baseURL: h.gateway.url, maxRetries: 0, defaultHeaders: { Authorization: null } });
    const missing = await rejection(keyless.messages.create({ model: MODEL, max_tokens: 8, messages: [{ role: 'user', content: 'hi' }] }));
    expect(missing).toBeInstanceOf(Anthropic.AuthenticationError);
    expect((missing as InstanceType<typeof Anthropic.AuthenticationError>).error).toMatchObject({ type: 'error', error: { type: 'authentication_error', message: expect.stringContaining('Missing API key') } });
    const wrong = new Anthropic({ apiKey: 'sk-wrong', baseURL: h.gateway.url, maxRetries: 0 });
    expect(await rejection(wrong.messages.countTokens({ model: MODEL, messages: [{ role: 'user', content: 'hi' }] }))).toBeInstanceOf(Anthropic.AuthenticationError);
  });

  test('a bad request → BadRequestError naming the field; an unknown model → NotFoundError', async () => {
    const noMaxTokens = await rejection(client.messages.create({ model: MODEL, messages: [{ role: 'user', content: 'hi' }] } as unknown as Anthropic.MessageCreateParamsNonStreaming));
    expect(noMaxTokens).toBeInstanceOf(Anthropic.BadRequestError);
    expect((noMaxTokens as InstanceType<typeof Anthropic.BadRequestError>).error).toEqual({
      type: 'error',
      error: { type: 'invalid_request_error', message: expect.stringContaining('"max_tokens" is required') },
      request_id: expect.stringMatching(/^req_/),
    });
    const image = await rejection(
      client.messages.create({
        model: MODEL,
        max_tokens: 8,
        messages: [{ role: 'user', content: [{ type: 'text', text: 'what is this' }, { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'AAAA' } }] }],
      }),
    );
    expect(image).toBeInstanceOf(Anthropic.BadRequestError);
    expect((image as InstanceType<typeof Anthropic.BadRequestError>).error).toMatchObject({
      error: { type: 'invalid_request_error', message: expect.stringContaining('messages[0].content[1] is an "image" block, but the site takes text only') },
    });
    const unknown = await rejection(client.messages.create({ model: 'llama-3', max_tokens: 8, messages: [{ role: 'user', content: 'hi' }] }));
    expect(unknown).toBeInstanceOf(Anthropic.NotFoundError);
    expect((unknown as InstanceType<typeof Anthropic.NotFoundError>).error).toMatchObject({ error: { type: 'not_found_error', message: expect.stringContaining('Available models') } });
  });

  test('an upstream 429 → RateLimitError; after the start of a stream, the error event raises an APIError', async () => {
    h.emulator.addFault({ kind: 'rate_limited', retryAfter: '42', times: 1 });
    const limited = await rejection(client.messages.create({ model: MODEL, max_tokens: 8, messages: [{ role: 'user', content: 'limited' }] }));
    expect(limited).toBeInstanceOf(Anthropic.RateLimitError);
    expect((limited as InstanceType<typeof Anthropic.RateLimitError>).headers?.get('retry-after')).toBe('42');
    expect((limited as InstanceType<typeof Anthropic.RateLimitError>).error).toMatchObject({ error: { type: 'rate_limit_error' } });
    await h.admin.enable('anonymous');

    h.emulator.addFault({ kind: 'server_error', status: 502, times: 1 });
    const stream = client.messages.stream({ model: MODEL, max_tokens: 8, messages: [{ role: 'user', content: 'fails late' }] });
    const texts: string[] = [];
    stream.on('text', (t) => texts.push(t));
    const late = await rejection(stream.finalMessage());
    expect(late).toBeInstanceOf(Anthropic.APIError);
    expect((late as InstanceType<typeof Anthropic.APIError>).error).toMatchObject({ type: 'error', error: { type: 'api_error', message: expect.stringContaining('kimi-ai.chat is failing') } });
    expect(texts).toEqual([]);
    await h.admin.enable('anonymous');
  });
});
