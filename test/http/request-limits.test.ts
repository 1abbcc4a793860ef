// Oversize bodies and headers get the gateway's own answer (OpenAI's envelope, CORS,
// X-Request-Id), not Bun's empty 413/431, without the gateway waiting for (or buffering)
// the whole body. What Bun's parser rejects before any JavaScript runs is pinned here
// too, so a Bun upgrade that changes it shows up (docs/BUILD.md describes it).

import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { startHarness, TEST_KEY, type Harness } from '../helpers/harness.ts';
import { rawRequest, streamBodyUntilAnswered, type RawResponse } from './raw-http.ts';

const MAX_BODY = 65_536;
let h: Harness;
beforeAll(async () => {
  h = await startHarness({ env: { MAX_BODY_BYTES: String(MAX_BODY) } });
});
afterAll(() => h.stop());

const chatHead = (extra: string[], auth = true) =>
  [
    'POST /v1/chat/completions HTTP/1.1',
    'Host: 127.0.0.1',
    ...(auth ? [`Authorization: Bearer ${TEST_KEY}`] : []),
    'Content-Type: application/json',
    'Origin: https://chat.example',
    ...extra,
  ].join('\r\n');

function expectShaped(response: RawResponse, status: number, code: string): void {
  expect(response.status).toBe(status);
  const body = JSON.parse(response.body);
  expect(body.error).toMatchObject({ type: expect.any(String), code });
  expect(typeof body.error.message).toBe('string');
  expect(response.headers.get('x-request-id')).toBe(body.error.request_id);
  expect(response.headers.get('access-control-allow-origin')).toBe('*');
  expect(response.headers.get('content-type')).toStartWith('application/json');
}

const messagesOfSize = (bytes: number) => {
  const body = JSON.stringify({ messages: [{ role: 'user', content: 'x'.repeat(bytes) }] });
  return body;
};

describe('request bodies over MAX_BODY_BYTES', () => {
  test('a sized body over twice the limit gets the gateway\'s 413, not Bun\'s empty one', async () => {
    const body = messagesOfSize(3 * MAX_BODY);
    const res = await rawRequest(h.gateway.url, chatHead([`Content-Length: ${body.length}`, 'Connection: close']), body);
    expectShaped(res, 413, 'request_too_large');
    expect(JSON.parse(res.body).error.message).toContain('MAX_BODY_BYTES');
  });

  test('a declared 10 GB body is refused from its Content-Length, before it is sent', async () => {
    const { response, sentBytes } = await streamBodyUntilAnswered(h.gateway.url, chatHead(['Content-Length: 10737418240']), {
      chunked: false,
      maxBytes: 256 * 1_048_576,
    });
    expectShaped(response, 413, 'request_too_large');
    expect(sentBytes).toBeLessThan(64 * 1_048_576);
  });

  test('a chunked body is counted while read: 413 past the limit, without waiting for the rest', async () => {
    const { response, sentBytes } = await streamBodyUntilAnswered(h.gateway.url, chatHead(['Transfer-Encoding: chunked']), {
      chunked: true,
      maxBytes: 256 * 1_048_576,
    });
    expectShaped(response, 413, 'request_too_large');
    expect(sentBytes).toBeLessThan(64 * 1_048_576);
  });

  test('a chunked body within the limit is served', async () => {
    const body = JSON.stringify({ messages: [{ role: 'user', content: 'chunked hello' }] });
    const chunked = `${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n`;
    const res = await rawRequest(h.gateway.url, chatHead(['Transfer-Encoding: chunked', 'Connection: close']), chunked);
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body).choices[0].message.content).toStartWith('Echo[13]: chunked hello');
  });

  test('without a key, an oversize body still gets 401 first', async () => {
    const body = messagesOfSize(3 * MAX_BODY);
    const res = await rawRequest(h.gateway.url, chatHead([`Content-Length: ${body.length}`, 'Connection: close'], false), body);
    expectShaped(res, 401, 'invalid_api_key');
  });
});

describe('request headers', () => {
  const withHeader = (name: string, value: string) =>
    `GET /v1/models HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${TEST_KEY}\r\nOrigin: https://chat.example\r\n${name}: ${value}\r\nConnection: close`;

  test('headers just under 16 KiB are served', async () => {
    const res = await rawRequest(h.gateway.url, withHeader('X-Padding', 'p'.repeat(15_000)));
    expect(res.status).toBe(200);
  });

  test('headers over 16 KiB get the gateway\'s 431 in OpenAI\'s shape', async () => {
    for (const size of [17_000, 40_000, 60_000]) {
      const res = await rawRequest(h.gateway.url, withHeader('Cookie', `big=${'c'.repeat(size)}`));
      expectShaped(res, 431, 'request_headers_too_large');
    }
  });

  test('a URL over 16 KiB gets the gateway\'s 431 too', async () => {
    const res = await rawRequest(h.gateway.url, `GET /v1/models?${'q'.repeat(20_000)} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close`);
    expectShaped(res, 431, 'request_headers_too_large');
  });

  // Below: Bun's parser answers before any JavaScript runs (measured on bun 1.4.5, see docs/BUILD.md).
  test('Bun still answers heads over 64 KiB itself: an empty 431', async () => {
    const res = await rawRequest(h.gateway.url, withHeader('Cookie', `big=${'c'.repeat(70_000)}`));
    expect(res.status).toBe(431);
    expect(res.body).toBe('');
  });

  test('Bun refuses control characters in a header value with an empty 400; DEL and bytes ≥ 0x80 reach the gateway', async () => {
    for (const ctl of ['\u0001', '\u0000', '\u001b']) {
      const res = await rawRequest(h.gateway.url, withHeader('X-Odd', `a${ctl}b`));
      expect({ ctl: ctl.charCodeAt(0), status: res.status, body: res.body }).toEqual({ ctl: ctl.charCodeAt(0), status: 400, body: '' });
    }
    for (const odd of ['\u007f', '\u00ff']) {
      const res = await rawRequest(h.gateway.url, withHeader('X-Odd', `a${odd}b`));
      expect(res.status).toBe(200);
    }
  });
});
