// Whose fault a finished request was (requestResult) and how the activity feed counts it:
// client errors apart from failures, so the dashboard says "failed" only for what the
// gateway or the site failed. Also what a request record keeps of a refused request's model
// name and of an unmatched path (bounded), from RequestTraces.

import { describe, expect, test } from 'bun:test';
import { RequestTraces } from '../../src/http/request-trace.ts';
import { ActivityFeed } from '../../src/ops/activity-feed.ts';
import { requestResult, type RequestRecord } from '../../src/ops/request-record.ts';

const T0 = 1_763_750_000_000; // a multiple of 10 s

let seq = 0;
function rec(status: number, outcome: string, extra: Partial<RequestRecord> = {}): RequestRecord {
  seq++;
  return {
    id: `req-${seq}`,
    at: T0,
    method: 'POST',
    route: '/v1/chat/completions',
    status,
    keyName: null,
    model: null,
    stream: false,
    identity: null,
    attempts: 0,
    outcome,
    durationMs: 3,
    upstreamMs: null,
    firstContentMs: null,
    queueWaitMs: null,
    ...extra,
  };
}

/** What the gateway records for these answers (status, outcome) and the class each belongs to. */
const CASES: [number, string, string][] = [
  [200, 'ok', 'ok'],
  [400, 'invalid_request_error', 'client_error'],
  [400, 'context_length_exceeded', 'client_error'],
  [401, 'invalid_api_key', 'client_error'],
  [404, 'model_not_found', 'client_error'],
  [404, 'unknown_url', 'client_error'],
  [413, 'request_too_large', 'client_error'],
  [431, 'request_headers_too_large', 'client_error'],
  [400, 'upstream_refused', 'client_error'],
  [499, 'client_closed', 'client_error'],
  [200, 'client_closed', 'client_error'], // a stream whose client left
  [429, 'identities_busy', 'failed'],
  [429, 'rate_limited', 'failed'],
  [500, 'internal_error', 'failed'],
  [502, 'transient', 'failed'],
  [503, 'challenged', 'failed'],
  [504, 'upstream_timeout', 'failed'],
  [504, 'session_busy', 'failed'],
  [200, 'upstream_timeout', 'failed'], // a stream that broke after its 200
];

describe('requestResult', () => {
  test.each(CASES)('%d %s → %s', (status, outcome, result) => {
    expect(requestResult({ status, outcome })).toBe(result as ReturnType<typeof requestResult>);
  });
});

describe('the activity feed counts client errors apart from failures', () => {
  test('per bucket: ok, clientErrors and failed add up to the requests; outcomes by kind; recent entries carry their class', () => {
    const feed = new ActivityFeed({ now: () => T0 + 1_000 });
    for (const [status, outcome] of CASES) feed.record(rec(status, outcome));
    const bucket = feed.snapshot().buckets.at(-1)!;
    const expected = { ok: 0, client_error: 0, failed: 0 };
    for (const [, , result] of CASES) expected[result as keyof typeof expected]++;
    expect({ ok: bucket.ok, clientErrors: bucket.clientErrors, failed: bucket.failed }).toEqual({
      ok: expected.ok,
      clientErrors: expected.client_error,
      failed: expected.failed,
    });
    expect(bucket.ok + bucket.clientErrors + bucket.failed).toBe(CASES.length);
    expect(bucket.outcomes.client_closed).toBe(2);
    const recent = feed.snapshot().recent;
    expect(recent.map((r) => [r.status, r.outcome, r.result])).toEqual(CASES.toReversed());
  });

  test('a bucket of only client errors shows no failure', () => {
    const feed = new ActivityFeed({ now: () => T0 });
    feed.record(rec(401, 'invalid_api_key'));
    feed.record(rec(404, 'unknown_url', { route: 'unmatched', path: '/v2/chat' }));
    expect(feed.snapshot().buckets.at(-1)).toEqual({ t: T0, ok: 0, clientErrors: 2, failed: 0, outcomes: { invalid_api_key: 1, unknown_url: 1 } });
    expect(feed.snapshot().recent[0]).toMatchObject({ route: 'unmatched', path: '/v2/chat', result: 'client_error' });
  });
});

describe('request records of refused and unmatched requests', () => {
  function finished(url: string, route: string, status: number, body?: unknown): RequestRecord {
    const records: RequestRecord[] = [];
    const traces = new RequestTraces((r) => records.push(r));
    const trace = traces.begin(new Request(url, { method: 'POST' }));
    if (body !== undefined) trace.requested(body);
    trace.route = route;
    traces.finish(trace, status);
    expect(records).toHaveLength(1);
    return records[0]!;
  }

  test('the model the client sent is kept when nothing replaced it (refused before its model was accepted)', () => {
    expect(finished('http://gw/v1/chat/completions', '/v1/chat/completions', 404, { model: 'gpt-4o-mini', messages: [] }).model).toBe('gpt-4o-mini');
    expect(finished('http://gw/v1/chat/completions', '/v1/chat/completions', 400, { messages: [] }).model).toBeNull();
    expect(finished('http://gw/v1/chat/completions', '/v1/chat/completions', 400, { model: 42 }).model).toBeNull();
    expect(finished('http://gw/v1/chat/completions', '/v1/chat/completions', 400, ['model']).model).toBeNull();
  });

  test('a long or odd model name is bounded, control characters replaced, no half surrogate pair', () => {
    const long = finished('http://gw/v1/chat/completions', '/v1/chat/completions', 404, { model: `m-${'x'.repeat(5_000)}` }).model!;
    expect(long.length).toBe(100);
    expect(long).toStartWith('m-xxx');
    expect(long.endsWith('\u2026')).toBe(true);
    expect(finished('http://gw/v1/chat/completions', '/v1/chat/completions', 404, { model: 'a\nb\u0000c' }).model).toBe('a\ufffdb\ufffdc');
    const emoji = finished('http://gw/v1/chat/completions', '/v1/chat/completions', 404, { model: `${'y'.repeat(98)}\u{1f600}tail` }).model!;
    expect(emoji).toBe(`${'y'.repeat(98)}\u2026`);
  });

  test('an unmatched route keeps its path (no query, bounded); a matched one has none', () => {
    const unmatched = finished('http://gw/v1/chat/complete?access_token=sk-secret', 'unmatched', 404);
    expect(unmatched).toMatchObject({ route: 'unmatched', path: '/v1/chat/complete' });
    expect(JSON.stringify(unmatched)).not.toContain('sk-secret');
    const long = finished(`http://gw/${'p'.repeat(3_000)}`, 'unmatched', 404).path!;
    expect(long.length).toBe(200);
    expect(long).toStartWith('/ppp');
    expect('path' in finished('http://gw/v1/models', '/v1/models', 200)).toBe(false);
  });
});
