// Health, readiness, metrics, request ids and request logs over HTTP; and a proof that
// secrets never reach the logs, the admin API, the metrics or error bodies.

import { afterEach, describe, expect, test } from 'bun:test';
import { eventually, poolOf, readSse, rejection, startHarness, TEST_KEY, type Harness } from '../helpers/harness.ts';

let h: Harness | null = null;
afterEach(async () => {
  await h?.stop();
  h = null;
});

const ADMIN_KEY = 'admin-secret-key-1f9e3c';
const chat = (content: string, extra: Record<string, unknown> = {}) => ({ model: 'kimi-k2-instruct', messages: [{ role: 'user' as const, content }], ...extra });
type LogLine = Record<string, string | number | boolean | null>;
const requestLines = (harness: Harness): LogLine[] =>
  harness.logs.map((l) => JSON.parse(l) as LogLine).filter((l) => l.msg === 'request');

/** Parses Prometheus text into sample → value. */
function samples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    out.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return out;
}

describe('health and readiness', () => {
  test('/healthz answers; /readyz says ready only while some identity can serve, with counts per state', async () => {
    h = await startHarness({ accounts: poolOf(['a', 'b']) });
    expect((await fetch(`${h.gateway.url}/healthz`)).status).toBe(200);
    const ready = await fetch(`${h.gateway.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ready', identities: { ready: 2, disabled: 0 } });

    await h.admin.disable('a');
    await h.admin.disable('b');
    const down = await fetch(`${h.gateway.url}/readyz`);
    expect(down.status).toBe(503);
    expect(await down.json()).toMatchObject({ status: 'no_identity_available', identities: { ready: 0, disabled: 2 } });
    await h.admin.enable('b');
    expect((await fetch(`${h.gateway.url}/readyz`)).status).toBe(200);
  });
});

describe('metrics', () => {
  test('requests by route/model/status, latencies, outcomes per identity, state gauges, sessions', async () => {
    h = await startHarness({ accounts: poolOf(['a']) });
    await h.openai.chat.completions.create(chat('one', { user: 'm1' }));
    const stream = await h.call('/v1/chat/completions', { json: chat('two', { stream: true }) });
    await readSse(stream);
    await h.call('/v1/chat/completions', { json: { messages: [] } });
    h.emulator.addFault({ kind: 'rate_limited', retryAfter: '30', times: 1 });
    await rejection(h.openai.chat.completions.create(chat('three')));

    const res = await fetch(`${h.gateway.url}/metrics`);
    expect(res.headers.get('content-type')).toStartWith('text/plain');
    const m = samples(await res.text());
    expect(m.get('kimi_gateway_requests_total{route="/v1/chat/completions",model="kimi-k2-instruct",status="200"}')).toBe(2);
    expect(m.get('kimi_gateway_requests_total{route="/v1/chat/completions",model="",status="400"}')).toBe(1);
    expect(m.get('kimi_gateway_requests_total{route="/v1/chat/completions",model="kimi-k2-instruct",status="429"}')).toBe(1);
    expect(m.get('kimi_gateway_upstream_outcomes_total{identity="a",kind="ok"}')).toBe(2);
    expect(m.get('kimi_gateway_upstream_outcomes_total{identity="a",kind="rate_limited"}')).toBe(1);
    expect(m.get('kimi_gateway_identity_state{identity="a",state="cooling"}')).toBe(1);
    expect(m.get('kimi_gateway_identity_state{identity="a",state="ready"}')).toBe(0);
    expect(m.get('kimi_gateway_request_duration_seconds_count{route="/v1/chat/completions",stream="true"}')).toBe(1);
    expect(m.get('kimi_gateway_time_to_first_content_seconds_count{stream="true"}')).toBe(1);
    expect(m.get('kimi_gateway_sessions')).toBeGreaterThanOrEqual(2);
    expect(m.get('kimi_gateway_queue_depth')).toBe(0);
  });
});

describe('request ids and request logs', () => {
  test('X-Request-Id is generated, or taken from the client, on every kind of response', async () => {
    h = await startHarness();
    const ok = await h.call('/v1/models');
    expect(ok.headers.get('x-request-id')).toMatch(/^req_[0-9a-f]{32}$/);
    const mine = await h.call('/v1/chat/completions', { json: chat('hi'), headers: { 'X-Request-Id': 'trace-abc.123' } });
    expect(mine.headers.get('x-request-id')).toBe('trace-abc.123');
    const unsafe = await h.call('/v1/models', { headers: { 'X-Request-Id': 'bad id with spaces' } });
    expect(unsafe.headers.get('x-request-id')).toMatch(/^req_/);
    const notFound = await h.call('/nope');
    expect(notFound.headers.get('x-request-id')).toBe(((await notFound.json()) as { error: { request_id: string } }).error.request_id);
    const stream = await h.call('/v1/chat/completions', { json: chat('s', { stream: true }), headers: { 'X-Request-Id': 'stream-1' } });
    expect(stream.headers.get('x-request-id')).toBe('stream-1');
    await readSse(stream);
  });

  test('one line per request with id, key name, model, identity, attempts, outcome and timings; streams log when they end', async () => {
    h = await startHarness({ accounts: poolOf(['a', 'b']) });
    h.emulator.addFault({ kind: 'server_error', times: 1 });
    await h.openai.chat.completions.create(chat('failover'), { headers: { 'X-Request-Id': 'r-1' } });
    const stream = await h.call('/v1/chat/completions', { json: chat('streamed', { stream: true }), headers: { 'X-Request-Id': 'r-2' } });
    await readSse(stream);
    await h.call('/v1/chat/completions', { json: chat('x', { n: 3 }), headers: { 'X-Request-Id': 'r-3' } });

    // The line is written once the response has left, which may be just after the client has it.
    expect(await eventually(() => requestLines(h!).some((l) => l.request_id === 'r-3'))).toBe(true);
    const lines = requestLines(h);
    const byId = new Map(lines.map((l) => [l.request_id, l]));
    const first = byId.get('r-1')!;
    expect(first).toMatchObject({ level: 'info', method: 'POST', route: '/v1/chat/completions', status: 200, model: 'kimi-k2-instruct', attempts: 2, outcome: 'ok' });
    expect(first.key).toMatch(/^key-[0-9a-f]{8}$/);
    expect(['a', 'b']).toContain(first.identity as string);
    for (const field of ['ms', 'upstream_ms', 'first_content_ms', 'queue_ms']) expect(typeof first[field]).toBe('number');
    expect(byId.get('r-2')).toMatchObject({ stream: true, status: 200, outcome: 'ok', attempts: 1 });
    expect(byId.get('r-3')).toMatchObject({ status: 400, outcome: 'invalid_request_error', identity: null, upstream_ms: null });
    expect(byId.get('r-3')).not.toHaveProperty('attempts');
    expect(lines.filter((l) => l.request_id === 'r-2')).toHaveLength(1);
  });

  test('a stream that fails after its start is logged as failed', async () => {
    h = await startHarness();
    h.emulator.addFault({ kind: 'refused', text: 'Message is too long' });
    const stream = await h.call('/v1/chat/completions', { json: chat('doomed', { stream: true }), headers: { 'X-Request-Id': 'doomed-1' } });
    const { events } = await readSse(stream);
    expect(JSON.parse(events.at(-1)!.data).error.request_id).toBe('doomed-1');
    expect(await eventually(() => requestLines(h!).some((l) => l.request_id === 'doomed-1'))).toBe(true);
    const line = requestLines(h).find((l) => l.request_id === 'doomed-1')!;
    expect(line).toMatchObject({ status: 200, outcome: 'refused' });
  });
});

describe('secrets', () => {
  test('keys, cookies and proxy passwords never appear in logs, admin output, metrics or errors', async () => {
    const secrets = {
      apiKey: TEST_KEY,
      otherKey: 'sk-second-client-key-44d2e0',
      adminKey: ADMIN_KEY,
      cookie: 'cookie-value-s3cr3t-77aa',
      proxyPassword: 'proxy-p4ss-0c1b',
      wrongKey: 'sk-wrong-key-attempt-9f00',
    };
    h = await startHarness({
      env: { ADMIN_KEY, API_KEYS: `${TEST_KEY},${secrets.otherKey}`, LOG_LEVEL: 'debug' },
      accounts: {
        identities: [
          { id: 'a', cookies: `kimi_visitor=a; wp_session=${secrets.cookie}` },
          { id: 'b', cookies: `kimi_visitor=b; wp_session=${secrets.cookie}`, proxy: `http://user:${secrets.proxyPassword}@127.0.0.1:9`, enabled: false },
        ],
      },
    });
    const seen: string[] = [];
    const capture = async (res: Response) => {
      seen.push(JSON.stringify([...res.headers]), await res.text());
    };
    await capture(await h.call('/v1/chat/completions', { json: chat('hello') }));
    await capture(await h.call('/v1/chat/completions', { json: chat('hello', { stream: true }) }));
    await capture(await h.call('/v1/models', { headers: { authorization: `Bearer ${secrets.wrongKey}` } }));
    await capture(await h.call(`/v1/models?access_token=${secrets.wrongKey}`, { headers: { authorization: '' } }));
    h.emulator.addFault({ kind: 'challenge', status: 403, times: 1 });
    await capture(await h.call('/v1/chat/completions', { json: chat('challenged') }));
    h.emulator.addFault({ kind: 'server_error', times: 3 });
    await capture(await h.call('/v1/chat/completions', { json: chat('faulty') }));
    await h.admin.enable('a');
    const adminHeaders = { authorization: `Bearer ${ADMIN_KEY}` };
    for (const path of ['/admin/identities', '/admin/sessions', '/admin/activity', '/metrics', '/readyz', '/docs/openapi.json']) {
      await capture(await fetch(`${h.gateway.url}${path}`, { headers: adminHeaders }));
    }
    for (const action of ['probe', 'refresh', 'disable', 'enable']) {
      await capture(await fetch(`${h.gateway.url}/admin/identities/a/${action}`, { method: 'POST', headers: adminHeaders }));
    }
    await capture(await fetch(`${h.gateway.url}/admin/identities`, { headers: { authorization: `Basic ${btoa(`x:${secrets.wrongKey}`)}` } }));

    // Stopped first, so that every line it wrote is in h.logs (a binary's arrive through a pipe).
    await h.stop();
    const everything = [...h.logs, ...seen].join('\n');
    expect(h.logs.length).toBeGreaterThan(10);
    for (const [name, value] of Object.entries(secrets)) {
      expect({ name, found: everything.includes(value) }).toEqual({ name, found: false });
    }
  });
});
