// The OpenAI surface end to end: openai SDK → gateway → emulator, over loopback HTTP.

import { afterAll, afterEach, beforeAll, describe, expect, test } from 'bun:test';
import OpenAI from 'openai';
import { buildReply } from '../../emulator/emulator.ts';
import { eventually, readSse, rejection, startHarness, TEST_KEY, upstreamTotals, type Harness } from '../helpers/harness.ts';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ emulator: { replyLength: 200 } });
});
afterAll(() => h.stop());
afterEach(async () => {
  // Some tests cool, challenge or eject the single identity on purpose: bring it back.
  await h.admin.enable('anonymous');
  h.emulator.clearFaults();
  h.emulator.configure({ latencyMs: 0 });
});

const lastReceived = () => h.emulator.received[h.emulator.received.length - 1]!;

describe('non-streamed completions', () => {
  test('openai SDK gets a chat.completion with the upstream answer and a usage estimate', async () => {
    const res = await h.openai.chat.completions.create({ model: 'kimi-k2-instruct', messages: [{ role: 'user', content: 'Hello Kimi' }] });
    expect(res.object).toBe('chat.completion');
    expect(res.model).toBe('kimi-k2-instruct');
    expect(res.id).toMatch(/^chatcmpl-/);
    expect(res.choices[0]!.message).toMatchObject({ role: 'assistant', content: buildReply('Hello Kimi', 'moonshotai/Kimi-K2-Instruct', 200) });
    expect(res.choices[0]!.finish_reason).toBe('stop');
    expect(res.usage!.prompt_tokens).toBe(3); // "Hello Kimi": 10 ASCII chars / 4, rounded up
    expect(res.usage!.total_tokens).toBe(res.usage!.prompt_tokens + res.usage!.completion_tokens);
    expect(lastReceived()).toMatchObject({ message: 'Hello Kimi', model: 'moonshotai/Kimi-K2-Instruct', outcome: 'ok' });
    expect(lastReceived().sessionId).toMatch(/^session_\d{13}_[a-z0-9]{9}$/);
  });

  test('the default model is kimi-k2-instruct-0905', async () => {
    const res = await h.call('/v1/chat/completions', { json: { messages: [{ role: 'user', content: 'x' }] } });
    expect(res.status).toBe(200);
    expect((await res.json()).model).toBe('kimi-k2-instruct-0905');
    expect(lastReceived().model).toBe('moonshotai/Kimi-K2-Instruct-0905');
  });

  test('the upstream prompt is built from the whole conversation, text parts joined', async () => {
    await h.openai.chat.completions.create({
      model: 'kimi-k2-instruct-0905',
      messages: [
        { role: 'developer', content: 'Answer in French.' },
        { role: 'user', content: [{ type: 'text', text: 'What is' }, { type: 'text', text: 'the capital?' }] },
        { role: 'assistant', content: 'Of which country?' },
        { role: 'user', content: 'Italy' },
      ],
    });
    expect(lastReceived().message).toBe('System: Answer in French.\n\nUser: What is\nthe capital?\n\nAssistant: Of which country?\n\nUser: Italy');
  });

  test('old turns are dropped to fit CONTEXT_MAX_LENGTH and the count is in a header', async () => {
    const messages = [
      { role: 'user', content: 'a'.repeat(700) },
      { role: 'assistant', content: 'b'.repeat(300) },
      { role: 'user', content: 'the question' },
    ];
    const res = await h.call('/v1/chat/completions', { json: { messages } });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-context-dropped-messages')).toBe('1');
    expect(lastReceived().message).toBe(`Assistant: ${'b'.repeat(300)}\n\nUser: the question`);
  });

  test('sampling parameters the upstream cannot honour are accepted and ignored', async () => {
    const res = await h.openai.chat.completions.create({
      model: 'kimi-k2-instruct',
      messages: [{ role: 'user', content: 'hi' }],
      temperature: 0.2,
      top_p: 0.9,
      max_tokens: 50,
      presence_penalty: 1,
      stop: ['\n'],
      n: 1,
    });
    expect(res.choices).toHaveLength(1);
  });

  test('a nonce that expired is refreshed invisibly', async () => {
    const pagesBefore = upstreamTotals(h.emulator).pages;
    h.emulator.expireNonces();
    const res = await h.openai.chat.completions.create({ model: 'kimi-k2-instruct', messages: [{ role: 'user', content: 'after expiry' }] });
    expect(res.choices[0]!.message.content).toStartWith('Echo[12]: after expiry');
    const outcomes = h.emulator.received.slice(-2).map((r) => r.outcome);
    expect(outcomes).toEqual(['stale_nonce', 'ok']);
    expect(upstreamTotals(h.emulator).pages).toBe(pagesBefore + 1);
  });

  test('a 403 "-1" nonce failure is retried once with a fresh nonce', async () => {
    h.emulator.addFault({ kind: 'nonce_403', times: 1 });
    const res = await h.openai.chat.completions.create({ model: 'kimi-k2-instruct', messages: [{ role: 'user', content: 'retry me' }] });
    expect(res.choices[0]!.message.content).toStartWith('Echo[8]: retry me');
  });

  test('concurrent requests after expiry share one page fetch', async () => {
    h.emulator.expireNonces();
    const pagesBefore = upstreamTotals(h.emulator).pages;
    h.emulator.configure({ latencyMs: 20 });
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) => h.openai.chat.completions.create({ model: 'kimi-k2-instruct', messages: [{ role: 'user', content: `c${i}` }] })),
    );
    expect(results.every((r) => r.choices[0]!.message.content!.startsWith('Echo'))).toBe(true);
    expect(upstreamTotals(h.emulator).pages).toBe(pagesBefore + 1);
  });
});

describe('streamed completions', () => {
  test('openai SDK stream: role first, the whole answer in several chunks, stop, usage', async () => {
    const stream = await h.openai.chat.completions.create({
      model: 'kimi-k2-instruct',
      messages: [{ role: 'user', content: 'Stream this' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks: OpenAI.Chat.Completions.ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks[0]!.choices[0]!.delta.role).toBe('assistant');
    const content = chunks.map((c) => c.choices[0]?.delta.content ?? '').join('');
    expect(content).toBe(buildReply('Stream this', 'moonshotai/Kimi-K2-Instruct', 200));
    expect(chunks.filter((c) => c.choices[0]?.delta.content).length).toBeGreaterThan(5);
    const finish = chunks.filter((c) => c.choices[0]?.finish_reason);
    expect(finish).toHaveLength(1);
    expect(finish[0]!.choices[0]!.finish_reason).toBe('stop');
    const last = chunks[chunks.length - 1]!;
    expect(last.choices).toEqual([]);
    expect(last.usage!.completion_tokens).toBeGreaterThan(0);
    expect(new Set(chunks.map((c) => c.id)).size).toBe(1);
  });

  test('exact framing: role chunk before the upstream answers, keep-alives while waiting, [DONE] last', async () => {
    const latencyMs = 600;
    h.emulator.configure({ latencyMs });
    const t0 = performance.now();
    const res = await h.call('/v1/chat/completions', { json: { model: 'kimi-k2-instruct', stream: true, messages: [{ role: 'user', content: 'wait for it' }] } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    const { events, comments, raw } = await readSse(res, t0);
    expect(raw.startsWith('data: {')).toBe(true);
    expect(JSON.parse(events[0]!.data).choices[0].delta).toEqual({ role: 'assistant', content: '' });
    expect(events[0]!.at).toBeLessThan(latencyMs / 2);
    expect(events[1]!.at).toBeGreaterThanOrEqual(latencyMs);
    expect(comments).toBe(0); // default interval is 5 s; see the keep-alive suite for the short one
    expect(events[events.length - 1]!.data).toBe('[DONE]');
    expect(raw.endsWith('data: [DONE]\n\n')).toBe(true);
  });

  test('without include_usage there is no usage chunk', async () => {
    const res = await h.call('/v1/chat/completions', { json: { stream: true, messages: [{ role: 'user', content: 'x' }] } });
    const { events } = await readSse(res);
    expect(events.some((e) => e.data.includes('"usage"'))).toBe(false);
  });

  test('an upstream failure after the stream started is an error frame, never assistant text', async () => {
    h.emulator.addFault({ kind: 'server_error', status: 502 });
    const stream = await h.openai.chat.completions.create({ model: 'kimi-k2-instruct', messages: [{ role: 'user', content: 'x' }], stream: true });
    const contents: string[] = [];
    let caught: unknown;
    try {
      for await (const chunk of stream) contents.push(chunk.choices[0]?.delta.content ?? '');
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(OpenAI.APIError);
    expect((caught as InstanceType<typeof OpenAI.APIError>).message).toContain('kimi-ai.chat is failing');
    expect(contents.join('')).toBe('');
  });

  test('a client that disconnects cancels the upstream request', async () => {
    h.emulator.configure({ latencyMs: 5_000 });
    const controller = new AbortController();
    const res = await h.call('/v1/chat/completions', { json: { stream: true, messages: [{ role: 'user', content: 'never mind' }] }, signal: controller.signal });
    const reader = res.body!.getReader();
    await reader.read(); // the role chunk: sent before the upstream call starts
    expect(await eventually(() => upstreamTotals(h.emulator).inFlight === 1)).toBe(true);
    const t0 = performance.now();
    controller.abort();
    expect(await eventually(() => upstreamTotals(h.emulator).inFlight === 0)).toBe(true);
    expect(performance.now() - t0).toBeLessThan(2_000); // well before the 5 s answer
  });
});

describe('stop', () => {
  const reply = (prompt: string) => buildReply(prompt, 'moonshotai/Kimi-K2-Instruct', 200);

  test('the content ends before the earliest stop sequence, streamed or not; none found leaves it whole', async () => {
    const cut = await h.openai.chat.completions.create({ model: 'kimi-k2-instruct', stop: ['tempor', 'dolor', 'never there'], messages: [{ role: 'user', content: 'Cut me' }] });
    const full = reply(lastReceived().message);
    expect(full).toContain('dolor');
    expect(cut.choices[0]!.message.content).toBe(full.slice(0, full.indexOf('dolor')));
    expect(cut.choices[0]!.finish_reason).toBe('stop');

    const whole = await h.openai.chat.completions.create({ model: 'kimi-k2-instruct', stop: ['never there'], messages: [{ role: 'user', content: 'Leave me' }] });
    expect(whole.choices[0]!.message.content).toBe(reply(lastReceived().message));

    // A bare string, streamed: the deltas add up to the cut text.
    const stream = await h.openai.chat.completions.create({ model: 'kimi-k2-instruct', stop: 'amet', stream: true, messages: [{ role: 'user', content: 'Cut me streamed' }] });
    let text = '';
    let finish: string | null = null;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    const streamedFull = reply(lastReceived().message);
    expect(text).toBe(streamedFull.slice(0, streamedFull.indexOf('amet')));
    expect(finish).toBe('stop');
  });

  test('the stored answer is the one the client saw: the cut text continues a named conversation', async () => {
    const headers = { 'X-Session-Id': 'openai-stop' };
    const first = await h.openai.chat.completions.create({ model: 'kimi-k2-instruct', stop: ['ipsum'], messages: [{ role: 'user', content: 'Start' }] }, { headers });
    const shown = first.choices[0]!.message.content!;
    expect(shown).not.toContain('ipsum');
    await h.openai.chat.completions.create({ model: 'kimi-k2-instruct', messages: [{ role: 'user', content: 'Go on' }] }, { headers });
    expect(lastReceived().message).toBe(`User: Start\n\nAssistant: ${shown}\n\nUser: Go on`);
  });

  test('a stop that is not a string or up to 4 strings is a 400 naming the field, before the upstream is called', async () => {
    const before = h.emulator.received.length;
    const ask = async (stop: unknown) => {
      const res = await h.call('/v1/chat/completions', { json: { model: 'kimi-k2-instruct', stop, messages: [{ role: 'user', content: 'x' }] } });
      expect(res.status).toBe(400);
      return (await res.json()).error as { param: string; message: string; type: string };
    };
    expect(await ask(['a', 'b', 'c', 'd', 'e'])).toMatchObject({ type: 'invalid_request_error', param: 'stop', message: '"stop" has 5 entries; at most 4 are accepted.' });
    expect(await ask(42)).toMatchObject({ param: 'stop', message: '"stop" must be a string or an array of up to 4 strings.' });
    expect((await ask(['fine', 7])).param).toBe('stop[1]');
    expect(h.emulator.received.length).toBe(before);
  });
});

describe('errors in OpenAI shape', () => {
  const expectError = async (res: Response, status: number, fields: Record<string, unknown>) => {
    expect(res.status).toBe(status);
    expect(res.headers.get('content-type')).toStartWith('application/json');
    const body = await res.json();
    expect(Object.keys(body.error).sort()).toEqual(['code', 'message', 'param', 'request_id', 'type']);
    // The request id is in the body and the header, the same one.
    expect(body.error.request_id).toMatch(/^req_[0-9a-f]{32}$/);
    expect(res.headers.get('x-request-id')).toBe(body.error.request_id);
    expect(body.error).toMatchObject(fields);
    return body.error as { message: string };
  };

  test('401 without a key, and with a wrong key, before the body is looked at', async () => {
    await expectError(await fetch(`${h.gateway.url}/v1/chat/completions`, { method: 'POST', body: '{not json' }), 401, { type: 'authentication_error' });
    await expectError(await h.call('/v1/models', { headers: { authorization: 'Bearer sk-wrong' } }), 401, { code: 'invalid_api_key' });
    const sdk = new OpenAI({ apiKey: 'sk-wrong', baseURL: `${h.gateway.url}/v1`, maxRetries: 0 });
    expect(await rejection(sdk.models.list())).toBeInstanceOf(OpenAI.AuthenticationError);
  });

  test('the scheme is case-insensitive and keys in the query string are not accepted', async () => {
    expect((await h.call('/v1/models', { headers: { authorization: `bearer ${TEST_KEY}` } })).status).toBe(200);
    expect((await fetch(`${h.gateway.url}/v1/models?access_token=${TEST_KEY}`)).status).toBe(401);
  });

  test('malformed JSON, empty body, missing/empty messages, bad roles', async () => {
    await expectError(await h.call('/v1/chat/completions', { method: 'POST', body: '{"messages": [' }), 400, { type: 'invalid_request_error' });
    await expectError(await h.call('/v1/chat/completions', { method: 'POST', body: '' }), 400, { type: 'invalid_request_error' });
    await expectError(await h.call('/v1/chat/completions', { json: { model: 'kimi-k2-instruct' } }), 400, { param: 'messages' });
    await expectError(await h.call('/v1/chat/completions', { json: { messages: [] } }), 400, { param: 'messages' });
    const e = await expectError(await h.call('/v1/chat/completions', { json: { messages: [{ role: 'wizard', content: 'x' }] } }), 400, { param: 'messages[0].role' });
    expect(e.message).toContain('"wizard"');
    await expectError(await h.call('/v1/chat/completions', { json: { messages: [{ role: 'user', content: '   ' }] } }), 400, { param: 'messages' });
  });

  test('image parts get a clear 400 saying the upstream takes text only', async () => {
    const messages = [{ role: 'user', content: [{ type: 'text', text: 'what is this' }, { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } }] }];
    const e = await expectError(await h.call('/v1/chat/completions', { json: { messages } }), 400, { param: 'messages[0].content[1]', code: 'unsupported_content_type' });
    expect(e.message).toContain('text only');
  });

  test('unknown model is 404 model_not_found, through the SDK too', async () => {
    await expectError(await h.call('/v1/chat/completions', { json: { model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] } }), 404, { code: 'model_not_found', param: 'model' });
    expect(await rejection(h.openai.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] }))).toBeInstanceOf(OpenAI.NotFoundError);
  });

  test('n > 1 is refused', async () => {
    await expectError(await h.call('/v1/chat/completions', { json: { n: 3, messages: [{ role: 'user', content: 'x' }] } }), 400, { param: 'n' });
  });

  test('oversized body is 413', async () => {
    const big = 'x'.repeat(h.config.maxBodyBytes + 10);
    await expectError(await h.call('/v1/chat/completions', { json: { messages: [{ role: 'user', content: big }] } }), 413, { code: 'request_too_large' });
  });

  test('a prompt that cannot fit is 400 context_length_exceeded naming the limit', async () => {
    const e = await expectError(
      await h.call('/v1/chat/completions', { json: { messages: [{ role: 'system', content: 's'.repeat(700) }, { role: 'user', content: 'q'.repeat(400) }] } }),
      400,
      { code: 'context_length_exceeded' },
    );
    expect(e.message).toContain('1000');
  });

  test('unknown endpoints are 404 in OpenAI shape', async () => {
    await expectError(await h.call('/v1/embeddings', { json: { input: 'x' } }), 404, { code: 'unknown_url' });
  });

  test('upstream 429 → 429 with Retry-After', async () => {
    h.emulator.addFault({ kind: 'rate_limited', retryAfter: '42' });
    const res = await h.call('/v1/chat/completions', { json: { messages: [{ role: 'user', content: 'x' }] } });
    await expectError(res, 429, { type: 'rate_limit_error', code: 'upstream_rate_limited' });
    expect(res.headers.get('retry-after')).toBe('42');
    await h.admin.enable('anonymous');
    expect(await rejection(h.openai.chat.completions.create({ model: 'kimi-k2-instruct', messages: [{ role: 'user', content: 'x' }] }))).toBeInstanceOf(OpenAI.RateLimitError);
  });

  test('Cloudflare challenge → 503 upstream_challenged', async () => {
    h.emulator.addFault({ kind: 'challenge', status: 403 });
    await expectError(await h.call('/v1/chat/completions', { json: { messages: [{ role: 'user', content: 'x' }] } }), 503, { code: 'upstream_challenged' });
    h.emulator.clearFaults();
    await h.admin.enable('anonymous');
    h.emulator.addFault({ kind: 'challenge_html' });
    await expectError(await h.call('/v1/chat/completions', { json: { messages: [{ role: 'user', content: 'x' }] } }), 503, { code: 'upstream_challenged' });
  });

  test('5xx, reset connections and non-JSON bodies → 502 with the reason', async () => {
    for (const kind of ['server_error', 'reset', 'not_json'] as const) {
      h.emulator.clearFaults();
      h.emulator.addFault({ kind });
      const e = await expectError(await h.call('/v1/chat/completions', { json: { messages: [{ role: 'user', content: kind } ] } }), 502, { code: 'upstream_unavailable' });
      expect(e.message.length).toBeGreaterThan(20);
    }
  });

  test('a refusal by the site → 400 upstream_refused with a fixed message that says what to do', async () => {
    h.emulator.addFault({ kind: 'refused', text: 'Message is too long' });
    const e = await expectError(await h.call('/v1/chat/completions', { json: { messages: [{ role: 'user', content: 'x' }] } }), 400, { code: 'upstream_refused' });
    expect(e.message).toContain('Shorten the conversation');
  });

  test('the site saying "0" (malformed request) → 502 upstream_protocol_error, no retry', async () => {
    const before = h.emulator.received.length;
    h.emulator.addFault({ kind: 'bad_request' });
    await expectError(await h.call('/v1/chat/completions', { json: { messages: [{ role: 'user', content: 'x' }] } }), 502, { code: 'upstream_protocol_error' });
    expect(h.emulator.received.length).toBe(before + 1);
  });

  test('CORS preflight lets browser clients call the API', async () => {
    const res = await fetch(`${h.gateway.url}/v1/chat/completions`, {
      method: 'OPTIONS',
      headers: { origin: 'https://chat.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('access-control-allow-headers')).toContain('authorization');
    const ok = await h.call('/v1/models', { headers: { origin: 'https://chat.example' } });
    expect(ok.headers.get('access-control-allow-origin')).toBe('*');
  });

  test('models list and lookup', async () => {
    const list = await h.openai.models.list();
    expect(list.data.map((m) => m.id)).toEqual(['kimi-k2-instruct-0905', 'kimi-k2-instruct']);
    expect((await h.openai.models.retrieve('kimi-k2-instruct')).id).toBe('kimi-k2-instruct');
    await expectError(await h.call('/v1/models/gpt-4'), 404, { code: 'model_not_found' });
  });
});
