// A client that hangs up is not a server error: logged as 499 client_closed at info, and
// never counted as a 500, whether it leaves mid-body or while its answer is being made.

import { afterAll, beforeAll, expect, test } from 'bun:test';
import { eventually, startHarness, TEST_KEY, type Harness } from '../helpers/harness.ts';
import { hangUpMidBody } from './raw-http.ts';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.stop());

interface LogLine {
  level: string;
  msg: string;
  request_id?: string;
  status?: number;
  outcome?: string;
  route?: string;
}
const logLines = (): LogLine[] => h.logs.map((line) => JSON.parse(line) as LogLine);

async function metricsText(): Promise<string> {
  return (await fetch(`${h.gateway.url}/metrics`)).text();
}

async function requestLogOf(requestId: string): Promise<LogLine> {
  const found = () => logLines().find((l) => l.msg === 'request' && l.request_id === requestId);
  expect(await eventually(() => found() !== undefined, 5_000)).toBe(true);
  return found()!;
}

test('a client that hangs up mid-body is logged as 499 client_closed at info, not an error, and never counted as a 500', async () => {
  const requestId = 'req-hangs-up-mid-body';
  const head = [
    'POST /v1/chat/completions HTTP/1.1',
    'Host: 127.0.0.1',
    `Authorization: Bearer ${TEST_KEY}`,
    'Content-Type: application/json',
    'Content-Length: 5000',
    `X-Request-Id: ${requestId}`,
  ].join('\r\n');
  await hangUpMidBody(h.gateway.url, head, '{"messages":[{"role":"user","content":"this body is cut');

  const line = await requestLogOf(requestId);
  expect(line).toMatchObject({ level: 'info', status: 499, outcome: 'client_closed', route: '/v1/chat/completions' });
  expect(logLines().filter((l) => l.level === 'error')).toEqual([]);

  const metrics = await metricsText();
  expect(metrics).toContain('kimi_gateway_requests_total{route="/v1/chat/completions",model="",status="499"} 1');
  expect(metrics).not.toMatch(/requests_total\{[^}]*status="5\d\d"/);
});

test('a client that leaves while a non-streamed answer is being made is client_closed too', async () => {
  h.emulator.configure({ latencyMs: 2_000 });
  try {
    const requestId = 'req-leaves-while-waiting';
    const controller = new AbortController();
    const pending = fetch(`${h.gateway.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TEST_KEY}`, 'content-type': 'application/json', 'x-request-id': requestId },
      body: JSON.stringify({ messages: [{ role: 'user', content: 'slow one' }] }),
      signal: controller.signal,
    }).catch((error: unknown) => error);
    expect(await eventually(() => h.emulator.received.some((r) => r.message === 'slow one'), 5_000)).toBe(true);
    controller.abort();
    await pending;

    const line = await requestLogOf(requestId);
    expect(line).toMatchObject({ status: 499, outcome: 'client_closed' });
    expect(line.level === 'info' || line.level === 'warn').toBe(true);
    expect(logLines().filter((l) => l.level === 'error')).toEqual([]);
    expect(await metricsText()).not.toMatch(/requests_total\{[^}]*status="5\d\d"/);
  } finally {
    h.emulator.configure({ latencyMs: 0 });
  }
});
