// What the Messages API refuses, over HTTP: every problem is a 4xx in Anthropic's error shape
// whose message names the field to fix (the shape has no `param`), the key is checked before
// the body, and no input — malformed, hostile or merely unsupported — produces a 500.

import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { startHarness, TEST_KEY, type Harness } from '../helpers/harness.ts';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.stop());

interface AnthropicError {
  type: 'error';
  error: { type: string; message: string };
  request_id: string;
}

const post = (path: string, body: unknown, headers: Record<string, string> = { 'x-api-key': TEST_KEY }) =>
  fetch(`${h.gateway.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });

async function refusal(res: Response, status: number, type: string): Promise<string> {
  const text = await res.text();
  expect({ status: res.status, text }).toEqual({ status, text: expect.any(String) });
  const body = JSON.parse(text) as AnthropicError;
  expect(Object.keys(body).sort()).toEqual(['error', 'request_id', 'type']);
  expect(body).toEqual({ type: 'error', error: { type, message: expect.any(String) }, request_id: res.headers.get('x-request-id')! });
  return body.error.message;
}

const user = [{ role: 'user', content: 'hi' }];
const ok = { model: 'kimi-k2-instruct', max_tokens: 64, messages: user };

describe('keys first', () => {
  test('no key or a wrong key is 401 authentication_error before the body is read', async () => {
    expect(await refusal(await post('/v1/messages', '{not json', {}), 401, 'authentication_error')).toContain('Missing API key');
    expect(await refusal(await post('/v1/messages/count_tokens', ok, { 'x-api-key': 'sk-wrong' }), 401, 'authentication_error')).toContain('Invalid API key');
    expect(await refusal(await post('/messages', ok, { authorization: 'Basic abc' }), 401, 'authentication_error')).toContain('Bearer');
  });
});

describe('400s name what to fix', () => {
  const cases: Array<[string, unknown, string]> = [
    ['not JSON', '{"messages": [', 'not valid JSON'],
    ['an array body', [ok], 'must be a JSON object'],
    ['no max_tokens', { messages: user }, '"max_tokens" is required'],
    ['max_tokens 0', { ...ok, max_tokens: 0 }, '"max_tokens" must be a positive whole number (got 0)'],
    ['max_tokens as text', { ...ok, max_tokens: '100' }, '"max_tokens" must be a positive whole number'],
    ['no messages', { max_tokens: 8 }, '"messages" is required'],
    ['empty messages', { ...ok, messages: [] }, '"messages" must contain at least one message'],
    ['a bad role', { ...ok, messages: [{ role: 'wizard', content: 'x' }] }, 'messages[0].role must be "user" or "assistant"'],
    ['content a number', { ...ok, messages: [{ role: 'user', content: 5 }] }, 'messages[0].content must be a string or an array of content blocks'],
    ['a block without type', { ...ok, messages: [{ role: 'user', content: [{ text: 'x' }] }] }, 'messages[0].content[0] must be a content block'],
    ['an empty latest user message', { ...ok, messages: [{ role: 'user', content: '  ' }] }, 'latest user message is empty'],
    ['a prefill', { ...ok, messages: [...user, { role: 'assistant', content: 'The answer is (' }] }, 'messages[1] is an assistant message at the end of the conversation'],
    ['tool_use without input', { ...ok, messages: [...user, { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'f' }] }, ...user] }, 'messages[1].content[0].input must be an object'],
    ['tool_result without its id', { ...ok, messages: [{ role: 'user', content: [{ type: 'tool_result', content: 'x' }] }] }, 'messages[0].content[0].tool_use_id must be the id'],
    ['a tool_use in a user message', { ...ok, messages: [{ role: 'user', content: [{ type: 'tool_use', id: 'a', name: 'f', input: {} }] }] }, 'messages[0].content[0] has type "tool_use"; expected text or tool_result'],
    ['a server tool', { ...ok, tools: [{ type: 'web_search_20250305', name: 'web_search', max_uses: 5 }] }, 'tools[0] is a server or built-in tool (type "web_search_20250305")'],
    ['a tool without input_schema', { ...ok, tools: [{ name: 'f' }] }, 'tools[0].input_schema is required'],
    ['a tool name with spaces', { ...ok, tools: [{ name: 'get weather', input_schema: {} }] }, 'tools[0].name must be 1-128 letters'],
    ['a tool declared twice', { ...ok, tools: [{ name: 'f', input_schema: {} }, { name: 'f', input_schema: {} }] }, 'tools[1].name "f" is declared twice'],
    ['tool_choice naming no tool', { ...ok, tools: [{ name: 'f', input_schema: {} }], tool_choice: { type: 'tool', name: 'g' } }, '"tool_choice.name" is "g", which is not among the declared tools'],
    ['tool_choice any without tools', { ...ok, tool_choice: { type: 'any' } }, 'no "tools" are declared'],
    ['tool_choice as OpenAI writes it', { ...ok, tool_choice: 'required' }, '"tool_choice" must be {"type":"auto"}'],
    ['stop_sequences a string', { ...ok, stop_sequences: 'END' }, '"stop_sequences" must be an array of strings'],
    ['an empty stop sequence', { ...ok, stop_sequences: ['END', ''] }, 'stop_sequences[1] must be a non-empty string'],
    ['too many stop sequences', { ...ok, stop_sequences: Array.from({ length: 17 }, (_, i) => `s${i}`) }, 'at most 16 are accepted'],
    ['stream as text', { ...ok, stream: 'yes' }, '"stream" must be true or false'],
    ['mcp_servers', { ...ok, mcp_servers: [{ type: 'url', url: 'https://mcp.example', name: 'x' }] }, '"mcp_servers"'],
    ['metadata as text', { ...ok, metadata: 'user-1' }, '"metadata" must be an object'],
    ['system as an object', { ...ok, system: { text: 'x' } }, 'system must be a string or an array of text blocks'],
    ['an image in system', { ...ok, system: [{ type: 'image', source: {} }] }, 'system[0] is an "image" block, but the site takes text only'],
  ];
  for (const [what, body, message] of cases) {
    test(what, async () => {
      expect(await refusal(await post('/v1/messages', body), 400, 'invalid_request_error')).toContain(message);
    });
  }

  test('images and documents are refused as text-only, in messages and in tool results', async () => {
    const image = { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'AAAA' } };
    const document = { type: 'document', source: { type: 'text', media_type: 'text/plain', data: 'x' } };
    expect(await refusal(await post('/v1/messages', { ...ok, messages: [{ role: 'user', content: [document] }] }), 400, 'invalid_request_error')).toContain(
      'messages[0].content[0] is an "document" block, but the site takes text only',
    );
    const inResult = { ...ok, messages: [{ role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: [image] }] }] };
    expect(await refusal(await post('/v1/messages', inResult), 400, 'invalid_request_error')).toContain('messages[0].content[0].content[0] is an "image" block');
  });

  test('an unknown model is 404 not_found_error listing the models; a long name is quoted short', async () => {
    const message = await refusal(await post('/v1/messages', { ...ok, model: `claude-${'x'.repeat(5_000)}` }), 404, 'not_found_error');
    expect(message).toContain('Available models: kimi-k2-instruct-0905, kimi-k2-instruct');
    expect(message).toContain('(5007 characters)');
    expect(message.length).toBeLessThan(300);
  });

  test('a system prompt the size a coding agent sends is 400 naming the limit and CONTEXT_MAX_LENGTH', async () => {
    const system = [{ type: 'text', text: 'You are an interactive CLI tool that helps users with software engineering tasks. '.repeat(60) }];
    const message = await refusal(await post('/v1/messages', { ...ok, system, messages: [{ role: 'user', content: 'Fix the failing test' }] }), 400, 'invalid_request_error');
    expect(message).toBe(
      `The conversation does not fit the upstream limit of 1000 characters (CONTEXT_MAX_LENGTH): the system messages and the latest user message alone take ${
        'System: '.length + system[0]!.text.length + '\n\nUser: Fix the failing test'.length
      } characters once formatted. Shorten them, or raise CONTEXT_MAX_LENGTH if the upstream accepts more.`,
    );
  });
});

describe('never a 500', () => {
  const hostile: unknown[] = [
    null,
    'a string',
    42,
    { ...ok, messages: {} },
    { ...ok, messages: [null] },
    { ...ok, messages: ['hi'] },
    { ...ok, messages: [{ role: 'user' }] },
    { ...ok, messages: [{ role: 'user', content: [null] }] },
    { ...ok, messages: [{ role: 'user', content: [{ type: 'text' }] }] },
    { ...ok, messages: [{ role: 'user', content: [{ type: 'text', text: 5 }] }] },
    { ...ok, messages: [{ role: 'user', content: [{ type: 'tool_result', tool_use_id: 'x', content: 5 }] }] },
    { ...ok, messages: [{ role: 'user', content: [{ type: 'tool_result', tool_use_id: 'x', is_error: 'yes' }] }] },
    { ...ok, messages: [{ role: 'constructor', content: 'x' }] },
    { ...ok, messages: [{ role: '__proto__', content: 'x' }] },
    { ...ok, messages: [{ role: 'system', content: 'only system' }] },
    { ...ok, messages: [{ role: 'assistant', content: [{ type: 'server_tool_use', id: 'x', name: 'web_search', input: {} }] }, ...user] },
    { ...ok, tools: {} },
    { ...ok, tools: [null] },
    { ...ok, tools: [{ name: '__proto__', input_schema: [] }] },
    { ...ok, tools: Array.from({ length: 200 }, (_, i) => ({ name: `t${i}`, input_schema: {} })) },
    { ...ok, tool_choice: { type: 'tool' } },
    { ...ok, tool_choice: { type: 'auto', disable_parallel_tool_use: 'no' } },
    { ...ok, stop_sequences: [null] },
    { ...ok, model: 7 },
    { ...ok, max_tokens: 1.5 },
    { ...ok, max_tokens: -1 },
  ];
  test('hostile bodies get 4xx in Anthropic\'s shape, on both routes', async () => {
    for (const [i, body] of hostile.entries()) {
      for (const path of ['/v1/messages', '/v1/messages/count_tokens']) {
        const res = await post(path, body);
        const text = await res.text();
        // count_tokens has no max_tokens: those bodies are fine there.
        if (res.status === 200) {
          expect({ i, path, body: JSON.parse(text) }).toEqual({ i, path, body: { input_tokens: expect.any(Number) } });
          continue;
        }
        expect({ i, path, status: res.status }).toEqual({ i, path, status: expect.any(Number) });
        expect(res.status >= 400 && res.status < 500).toBe(true);
        expect(JSON.parse(text)).toMatchObject({ type: 'error', error: { type: expect.any(String), message: expect.any(String) } });
      }
    }
  });

  test('thinking blocks sent back in assistant turns are skipped; unknown fields and sampling parameters are accepted', async () => {
    const res = await post('/v1/messages', {
      ...ok,
      temperature: 0.2,
      top_p: 0.9,
      top_k: 5,
      thinking: { type: 'enabled', budget_tokens: 1024 },
      service_tier: 'auto',
      some_future_field: { x: 1 },
      messages: [
        { role: 'user', content: 'Think first' },
        { role: 'assistant', content: [{ type: 'thinking', thinking: 'hmm', signature: 'sig' }, { type: 'text', text: 'Done.' }] },
        { role: 'user', content: 'And now?' },
      ],
    });
    expect(res.status).toBe(200);
    expect(h.emulator.received.at(-1)!.message).toBe('User: Think first\n\nAssistant: Done.\n\nUser: And now?');
  });
});
