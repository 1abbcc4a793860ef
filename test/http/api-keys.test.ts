// Where a client key may come from (headers only), what a request without one gets (401,
// never 500, before any body is read), and that routing does not depend on the Host
// header's length: the behaviours a build or framework setting could silently change,
// so they run against the compiled binary too.

import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { startHarness, TEST_KEY, type Harness } from '../helpers/harness.ts';
import { rawRequest } from './raw-http.ts';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.stop());

const models = (headers: Record<string, string>, query = '') => fetch(`${h.gateway.url}/v1/models${query}`, { headers });
const chat = (headers: Record<string, string>, body: string) =>
  fetch(`${h.gateway.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
const hello = JSON.stringify({ messages: [{ role: 'user', content: 'hello' }] });

async function expect401(response: Response): Promise<string> {
  expect(response.status).toBe(401);
  const body = await response.json();
  expect(body.error).toMatchObject({ type: 'authentication_error', code: 'invalid_api_key' });
  expect(response.headers.get('x-request-id')).toBe(body.error.request_id);
  expect(response.headers.get('access-control-allow-origin')).toBe('*');
  return body.error.message as string;
}

describe('a request without a usable key gets 401, never 500', () => {
  const cases: Array<[string, Record<string, string>]> = [
    ['no Authorization header', {}],
    ['an empty Authorization header', { authorization: '' }],
    ['Basic credentials', { authorization: `Basic ${btoa(`user:${TEST_KEY}`)}` }],
    ['a bare "Bearer"', { authorization: 'Bearer' }],
    ['"Bearer" and spaces only', { authorization: 'Bearer    ' }],
    ['a wrong key', { authorization: 'Bearer sk-wrong' }],
    ['a wrong lowercase-scheme key', { authorization: 'bearer sk-wrong' }],
    ['a wrong x-api-key', { 'x-api-key': 'sk-wrong' }],
    ['the key glued to the scheme', { authorization: `Bearer${TEST_KEY}` }],
  ];
  for (const [name, headers] of cases) {
    test(`GET /v1/models with ${name}`, async () => {
      await expect401(await models(headers));
    });
  }

  test('the message says which headers carry the key', async () => {
    expect(await expect401(await models({}))).toContain('x-api-key');
    expect(await expect401(await models({ authorization: 'Basic abc' }))).toContain('Authorization: Bearer');
  });

  test('a chat POST without a key gets 401 even when its body is malformed or not JSON', async () => {
    await expect401(await chat({}, '{"messages": [ this is not json'));
    await expect401(await chat({ authorization: 'Basic x' }, 'plain text'));
    await expect401(await chat({}, ''));
  });
});

describe('keys come from headers only', () => {
  test('"Bearer <key>", any case of the scheme, surrounding spaces trimmed', async () => {
    for (const authorization of [`Bearer ${TEST_KEY}`, `bearer ${TEST_KEY}`, `BEARER ${TEST_KEY}`, `Bearer   ${TEST_KEY}`, `Bearer ${TEST_KEY}   `, `  bearer\t${TEST_KEY}`]) {
      const res = await models({ authorization });
      expect({ authorization, status: res.status }).toEqual({ authorization, status: 200 });
    }
  });

  test('x-api-key (Anthropic-style clients)', async () => {
    expect((await models({ 'x-api-key': TEST_KEY })).status).toBe(200);
    expect((await models({ 'x-api-key': `  ${TEST_KEY} ` })).status).toBe(200);
  });

  test('never from the query string, whatever the Authorization header says', async () => {
    await expect401(await models({}, `?access_token=${TEST_KEY}`));
    await expect401(await models({ authorization: 'Basic abc' }, `?access_token=${TEST_KEY}`));
    await expect401(await models({ authorization: 'Token x' }, `?access_token=${TEST_KEY}&api_key=${TEST_KEY}`));
  });

  test('never from the body', async () => {
    await expect401(await chat({}, JSON.stringify({ access_token: TEST_KEY, api_key: TEST_KEY, messages: [{ role: 'user', content: 'hi' }] })));
  });

  test('a chat POST with a key is served: the handler reads the body itself', async () => {
    const res = await chat({ authorization: `bearer ${TEST_KEY}` }, hello);
    expect(res.status).toBe(200);
    expect((await res.json()).choices[0].message.content).toStartWith('Echo[5]: hello');
  });
});

describe('routing does not depend on the Host header', () => {
  // Elysia's fallback router finds the path with url.indexOf('/', 11): a 1–3 character host misroutes it.
  for (const host of ['a', 'ab', 'abc', 'localhost']) {
    test(`Host: ${host}`, async () => {
      const list = await rawRequest(h.gateway.url, `GET /v1/models HTTP/1.1\r\nHost: ${host}\r\nAuthorization: Bearer ${TEST_KEY}\r\nConnection: close`);
      expect(list.status).toBe(200);
      expect(JSON.parse(list.body).object).toBe('list');

      const one = await rawRequest(h.gateway.url, `GET /v1/models/kimi-k2-instruct HTTP/1.1\r\nHost: ${host}\r\nAuthorization: Bearer ${TEST_KEY}\r\nConnection: close`);
      expect(one.status).toBe(200);
      expect(JSON.parse(one.body).id).toBe('kimi-k2-instruct');

      const answer = await rawRequest(
        h.gateway.url,
        `POST /v1/chat/completions HTTP/1.1\r\nHost: ${host}\r\nAuthorization: Bearer ${TEST_KEY}\r\nContent-Type: application/json\r\nContent-Length: ${hello.length}\r\nConnection: close`,
        hello,
      );
      expect(answer.status).toBe(200);
      expect(JSON.parse(answer.body).object).toBe('chat.completion');

      const missing = await rawRequest(h.gateway.url, `GET /v1/nothing-here HTTP/1.1\r\nHost: ${host}\r\nConnection: close`);
      expect(missing.status).toBe(404);
      expect(JSON.parse(missing.body).error.message).toContain('/v1/nothing-here');
    });
  }
});
