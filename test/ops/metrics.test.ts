import { describe, expect, test } from 'bun:test';
import { GatewayMetrics, type MetricsSources } from '../../src/ops/metrics.ts';
import type { RequestRecord } from '../../src/ops/request-record.ts';
import { findModel } from '../../src/providers/kimi-ai-chat/models.ts';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

interface Exposition {
  types: Map<string, string>;
  helps: Map<string, string>;
  samples: Sample[];
}

const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
const SAMPLE_LINE = new RegExp(`^(${NAME})(?:\\{(.*)\\})? (\\S+)$`);
const LABEL_PAIR = /^([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"(?:,|$)/;

/** A strict parser for the text format 0.0.4: throws on any line it does not understand. */
function parseExposition(text: string): Exposition {
  expect(text.endsWith('\n')).toBe(true);
  const out: Exposition = { types: new Map(), helps: new Map(), samples: [] };
  const finished = new Set<string>();
  let current = '';
  for (const line of text.slice(0, -1).split('\n')) {
    const meta = /^# (HELP|TYPE) (\S+) (.*)$/.exec(line);
    if (meta) {
      const [, kind, name, rest] = meta as unknown as [string, string, string, string];
      if (kind === 'HELP') {
        expect(out.helps.has(name)).toBe(false);
        out.helps.set(name, rest);
      } else {
        expect(['counter', 'gauge', 'histogram', 'summary', 'untyped']).toContain(rest);
        expect(out.types.has(name)).toBe(false);
        out.types.set(name, rest);
      }
      if (name !== current) {
        if (current) finished.add(current);
        expect(finished.has(name)).toBe(false); // a family's lines are contiguous
        current = name;
      }
      continue;
    }
    const m = SAMPLE_LINE.exec(line);
    if (!m) throw new Error(`not a valid exposition line: ${JSON.stringify(line)}`);
    const [, name, rawLabels = '', rawValue] = m as unknown as [string, string, string | undefined, string];
    const familyName = out.types.get(name) ? name : name.replace(/_(bucket|sum|count)$/, '');
    if (!out.types.has(familyName) || !out.helps.has(familyName)) throw new Error(`sample before its HELP/TYPE: ${line}`);
    expect(familyName).toBe(current);
    if (familyName !== name) expect(out.types.get(familyName)).toBe('histogram');
    const labels: Record<string, string> = {};
    let rest = rawLabels;
    while (rest.length > 0) {
      const pair = LABEL_PAIR.exec(rest);
      if (!pair) throw new Error(`bad labels in: ${line}`);
      const [whole, key, escaped] = pair as unknown as [string, string, string];
      expect(labels[key]).toBeUndefined();
      labels[key] = escaped.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
      rest = rest.slice(whole.length);
    }
    const value = rawValue === '+Inf' ? Infinity : rawValue === '-Inf' ? -Infinity : rawValue === 'NaN' ? NaN : Number(rawValue);
    if (rawValue !== 'NaN' && Number.isNaN(value)) throw new Error(`bad value in: ${line}`);
    out.samples.push({ name, labels, value });
  }
  return out;
}

/** The one sample with exactly this name and these labels. */
function valueOf(exp: Exposition, name: string, labels: Record<string, string> = {}): number {
  const found = exp.samples.filter((s) => s.name === name && sameLabels(s.labels, labels));
  if (found.length !== 1) throw new Error(`${found.length} samples for ${name}${JSON.stringify(labels)}`);
  return found[0]!.value;
}

function samplesOf(exp: Exposition, name: string): Sample[] {
  return exp.samples.filter((s) => s.name === name);
}

function sameLabels(a: Record<string, string>, b: Record<string, string>): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
}

function record(overrides: Partial<RequestRecord> = {}): RequestRecord {
  return {
    id: 'req-1',
    at: 0,
    method: 'POST',
    route: '/v1/chat/completions',
    status: 200,
    keyName: null,
    model: 'kimi-k2-instruct',
    stream: false,
    identity: 'acc-1',
    attempts: 1,
    outcome: 'ok',
    durationMs: 1_200,
    upstreamMs: 1_100,
    firstContentMs: 1_150,
    queueWaitMs: 0,
    ...overrides,
  };
}

function fakeSources(init: { identities?: ReturnType<MetricsSources['identities']>; queue?: number; sessions?: number } = {}) {
  const state = { identities: init.identities ?? [], queue: init.queue ?? 0, sessions: init.sessions ?? 0 };
  const sources: MetricsSources = {
    identities: () => state.identities,
    queueDepth: () => state.queue,
    sessionCount: () => state.sessions,
    findModel,
  };
  return { state, sources };
}

async function scrape(metrics: GatewayMetrics): Promise<Exposition> {
  return parseExposition(await metrics.render());
}

describe('GatewayMetrics', () => {
  test('counts requests by route, model and status; a null model is ""; an unknown one is "other"', async () => {
    const metrics = new GatewayMetrics(fakeSources().sources);
    metrics.recordRequest(record());
    metrics.recordRequest(record());
    metrics.recordRequest(record({ status: 429 }));
    metrics.recordRequest(record({ route: '/v1/models', method: 'GET', model: null }));
    metrics.recordRequest(record({ model: 'MoonshotAI/Kimi-K2-Instruct-0905' })); // upstream name → public id
    metrics.recordRequest(record({ model: 'gpt-4o', status: 404 }));
    const exp = await scrape(metrics);
    const name = 'kimi_gateway_requests_total';
    expect(exp.types.get(name)).toBe('counter');
    expect(valueOf(exp, name, { route: '/v1/chat/completions', model: 'kimi-k2-instruct', status: '200' })).toBe(2);
    expect(valueOf(exp, name, { route: '/v1/chat/completions', model: 'kimi-k2-instruct', status: '429' })).toBe(1);
    expect(valueOf(exp, name, { route: '/v1/models', model: '', status: '200' })).toBe(1);
    expect(valueOf(exp, name, { route: '/v1/chat/completions', model: 'kimi-k2-instruct-0905', status: '200' })).toBe(1);
    expect(valueOf(exp, name, { route: '/v1/chat/completions', model: 'other', status: '404' })).toBe(1);
    expect(samplesOf(exp, name)).toHaveLength(5);
  });

  test('request duration histogram: cumulative buckets, sum and count in seconds, per route and stream', async () => {
    const metrics = new GatewayMetrics(fakeSources().sources);
    metrics.recordRequest(record({ durationMs: 80 }));
    metrics.recordRequest(record({ durationMs: 250 })); // exactly on a bound: counted in le="0.25"
    metrics.recordRequest(record({ durationMs: 45_000 }));
    metrics.recordRequest(record({ durationMs: 900_000 })); // above every bound: only +Inf
    metrics.recordRequest(record({ durationMs: 3_000, stream: true }));
    const exp = await scrape(metrics);
    const labels = { route: '/v1/chat/completions', stream: 'false' };
    const bucket = (le: string) => valueOf(exp, 'kimi_gateway_request_duration_seconds_bucket', { ...labels, le });
    expect(exp.types.get('kimi_gateway_request_duration_seconds')).toBe('histogram');
    expect(bucket('0.05')).toBe(0);
    expect(bucket('0.1')).toBe(1);
    expect(bucket('0.25')).toBe(2);
    expect(bucket('30')).toBe(2);
    expect(bucket('60')).toBe(3);
    expect(bucket('300')).toBe(3);
    expect(bucket('+Inf')).toBe(4);
    expect(valueOf(exp, 'kimi_gateway_request_duration_seconds_count', labels)).toBe(4);
    expect(valueOf(exp, 'kimi_gateway_request_duration_seconds_sum', labels)).toBeCloseTo(945.33, 6);
    const streamed = { route: '/v1/chat/completions', stream: 'true' };
    expect(valueOf(exp, 'kimi_gateway_request_duration_seconds_count', streamed)).toBe(1);
    expect(valueOf(exp, 'kimi_gateway_request_duration_seconds_bucket', { ...streamed, le: '2.5' })).toBe(0);
    expect(valueOf(exp, 'kimi_gateway_request_duration_seconds_bucket', { ...streamed, le: '5' })).toBe(1);
  });

  test('upstream, first-content and queue-wait histograms skip null timings', async () => {
    const metrics = new GatewayMetrics(fakeSources().sources);
    metrics.recordRequest(record({ upstreamMs: 2_000, firstContentMs: 700, queueWaitMs: 30, stream: true }));
    metrics.recordRequest(record({ upstreamMs: null, firstContentMs: null, queueWaitMs: null }));
    metrics.recordRequest(record({ upstreamMs: 500, firstContentMs: 400, queueWaitMs: null }));
    const exp = await scrape(metrics);
    expect(valueOf(exp, 'kimi_gateway_upstream_duration_seconds_count')).toBe(2);
    expect(valueOf(exp, 'kimi_gateway_upstream_duration_seconds_sum')).toBeCloseTo(2.5, 9);
    expect(valueOf(exp, 'kimi_gateway_upstream_duration_seconds_bucket', { le: '1' })).toBe(1);
    expect(valueOf(exp, 'kimi_gateway_time_to_first_content_seconds_count', { stream: 'true' })).toBe(1);
    expect(valueOf(exp, 'kimi_gateway_time_to_first_content_seconds_sum', { stream: 'true' })).toBeCloseTo(0.7, 9);
    expect(valueOf(exp, 'kimi_gateway_time_to_first_content_seconds_count', { stream: 'false' })).toBe(1);
    expect(valueOf(exp, 'kimi_gateway_time_to_first_content_seconds_bucket', { stream: 'false', le: '0.5' })).toBe(1);
    expect(valueOf(exp, 'kimi_gateway_queue_wait_seconds_count')).toBe(1);
    expect(valueOf(exp, 'kimi_gateway_queue_wait_seconds_bucket', { le: '0.025' })).toBe(0);
    expect(valueOf(exp, 'kimi_gateway_queue_wait_seconds_bucket', { le: '0.05' })).toBe(1);
  });

  test('unlabelled series exist at zero before anything happens', async () => {
    const exp = await scrape(new GatewayMetrics(fakeSources().sources));
    expect(valueOf(exp, 'kimi_gateway_retries_total')).toBe(0);
    expect(valueOf(exp, 'kimi_gateway_upstream_duration_seconds_count')).toBe(0);
    expect(valueOf(exp, 'kimi_gateway_upstream_duration_seconds_bucket', { le: '+Inf' })).toBe(0);
    expect(valueOf(exp, 'kimi_gateway_queue_wait_seconds_sum')).toBe(0);
    expect(samplesOf(exp, 'kimi_gateway_requests_total')).toEqual([]);
    expect(exp.types.get('kimi_gateway_requests_total')).toBe('counter'); // declared even when empty
  });

  test('retries count the identities tried after the first', async () => {
    const metrics = new GatewayMetrics(fakeSources().sources);
    metrics.recordRequest(record({ attempts: 0 }));
    metrics.recordRequest(record({ attempts: 1 }));
    metrics.recordRequest(record({ attempts: 3 }));
    metrics.recordRequest(record({ attempts: 2 }));
    expect(valueOf(await scrape(metrics), 'kimi_gateway_retries_total')).toBe(3);
  });

  test('pool events: outcomes per identity and kind, state changes per identity and target state', async () => {
    const metrics = new GatewayMetrics(fakeSources().sources);
    metrics.recordPoolEvent({ type: 'outcome', id: 'acc-1', kind: 'ok', latencyMs: 900 });
    metrics.recordPoolEvent({ type: 'outcome', id: 'acc-1', kind: 'ok', latencyMs: 800 });
    metrics.recordPoolEvent({ type: 'outcome', id: 'acc-1', kind: 'rate_limited', latencyMs: 50 });
    metrics.recordPoolEvent({ type: 'outcome', id: 'acc-2', kind: 'challenged', latencyMs: 60 });
    metrics.recordPoolEvent({ type: 'state', id: 'acc-1', from: 'ready', to: 'cooling', reason: '429' });
    metrics.recordPoolEvent({ type: 'state', id: 'acc-1', from: 'cooling', to: 'ready', reason: 'cooldown over' });
    metrics.recordPoolEvent({ type: 'state', id: 'acc-2', from: 'ready', to: 'challenged', reason: 'cloudflare' });
    metrics.recordPoolEvent({ type: 'picked', id: 'acc-1', probe: false, waitedMs: 0 });
    metrics.recordPoolEvent({ type: 'reloaded', added: ['acc-3'], removed: [], kept: ['acc-1', 'acc-2'] });
    const exp = await scrape(metrics);
    const outcomes = 'kimi_gateway_upstream_outcomes_total';
    expect(valueOf(exp, outcomes, { identity: 'acc-1', kind: 'ok' })).toBe(2);
    expect(valueOf(exp, outcomes, { identity: 'acc-1', kind: 'rate_limited' })).toBe(1);
    expect(valueOf(exp, outcomes, { identity: 'acc-2', kind: 'challenged' })).toBe(1);
    expect(samplesOf(exp, outcomes)).toHaveLength(3);
    const changes = 'kimi_gateway_identity_state_changes_total';
    expect(valueOf(exp, changes, { identity: 'acc-1', to: 'cooling' })).toBe(1);
    expect(valueOf(exp, changes, { identity: 'acc-1', to: 'ready' })).toBe(1);
    expect(valueOf(exp, changes, { identity: 'acc-2', to: 'challenged' })).toBe(1);
    expect(samplesOf(exp, changes)).toHaveLength(3);
  });

  test('scrape-time gauges: one-hot state over all five states, in-flight, queue depth, sessions', async () => {
    const { sources } = fakeSources({
      identities: [
        { id: 'acc-1', state: 'ready', inFlight: 2 },
        { id: 'acc-2', state: 'ejected', inFlight: 0 },
      ],
      queue: 7,
      sessions: 42,
    });
    const exp = await scrape(new GatewayMetrics(sources));
    expect(exp.types.get('kimi_gateway_identity_state')).toBe('gauge');
    const states = ['ready', 'cooling', 'challenged', 'ejected', 'disabled'];
    for (const state of states) {
      expect(valueOf(exp, 'kimi_gateway_identity_state', { identity: 'acc-1', state })).toBe(state === 'ready' ? 1 : 0);
      expect(valueOf(exp, 'kimi_gateway_identity_state', { identity: 'acc-2', state })).toBe(state === 'ejected' ? 1 : 0);
    }
    expect(samplesOf(exp, 'kimi_gateway_identity_state')).toHaveLength(10);
    expect(valueOf(exp, 'kimi_gateway_identity_in_flight', { identity: 'acc-1' })).toBe(2);
    expect(valueOf(exp, 'kimi_gateway_identity_in_flight', { identity: 'acc-2' })).toBe(0);
    expect(valueOf(exp, 'kimi_gateway_queue_depth')).toBe(7);
    expect(valueOf(exp, 'kimi_gateway_sessions')).toBe(42);
  });

  test('gauges follow the sources at each scrape; a removed identity disappears', async () => {
    const { state, sources } = fakeSources({
      identities: [
        { id: 'acc-1', state: 'ready', inFlight: 1 },
        { id: 'acc-2', state: 'cooling', inFlight: 0 },
      ],
      queue: 3,
    });
    const metrics = new GatewayMetrics(sources);
    metrics.recordPoolEvent({ type: 'outcome', id: 'acc-2', kind: 'rate_limited', latencyMs: 10 });
    const before = await scrape(metrics);
    expect(samplesOf(before, 'kimi_gateway_identity_in_flight').map((s) => s.labels.identity)).toEqual(['acc-1', 'acc-2']);

    state.identities = [{ id: 'acc-1', state: 'disabled', inFlight: 0 }];
    state.queue = 0;
    const after = await scrape(metrics);
    const gaugeIds = (name: string) => [...new Set(samplesOf(after, name).map((s) => s.labels.identity))];
    expect(gaugeIds('kimi_gateway_identity_state')).toEqual(['acc-1']);
    expect(gaugeIds('kimi_gateway_identity_in_flight')).toEqual(['acc-1']);
    expect(valueOf(after, 'kimi_gateway_identity_state', { identity: 'acc-1', state: 'disabled' })).toBe(1);
    expect(valueOf(after, 'kimi_gateway_identity_state', { identity: 'acc-1', state: 'ready' })).toBe(0);
    expect(valueOf(after, 'kimi_gateway_queue_depth')).toBe(0);
    // Counters are cumulative: what acc-2 did stays counted.
    expect(valueOf(after, 'kimi_gateway_upstream_outcomes_total', { identity: 'acc-2', kind: 'rate_limited' })).toBe(1);
  });

  test('label values are escaped and round-trip through the parser', async () => {
    const odd = 'we"ird\\id\nx';
    const metrics = new GatewayMetrics(fakeSources({ identities: [{ id: odd, state: 'ready', inFlight: 1 }] }).sources);
    metrics.recordPoolEvent({ type: 'outcome', id: odd, kind: 'ok', latencyMs: 1 });
    const text = await metrics.render();
    expect(text).toContain('identity="we\\"ird\\\\id\\nx"');
    const exp = parseExposition(text);
    expect(valueOf(exp, 'kimi_gateway_identity_in_flight', { identity: odd })).toBe(1);
    expect(valueOf(exp, 'kimi_gateway_upstream_outcomes_total', { identity: odd, kind: 'ok' })).toBe(1);
  });

  test('the whole exposition is valid: HELP and TYPE for every family, sane histograms, process metrics', async () => {
    const metrics = new GatewayMetrics(fakeSources({ identities: [{ id: 'acc-1', state: 'cooling', inFlight: 0 }], queue: 1, sessions: 2 }).sources);
    for (let i = 0; i < 50; i++) metrics.recordRequest(record({ durationMs: i * 997, stream: i % 2 === 0, attempts: (i % 3) + 1 }));
    metrics.recordPoolEvent({ type: 'outcome', id: 'acc-1', kind: 'transient', latencyMs: 5 });
    const exp = await scrape(metrics);
    expect([...exp.types.keys()].sort()).toEqual(
      [
        'requests_total',
        'request_duration_seconds',
        'upstream_duration_seconds',
        'time_to_first_content_seconds',
        'queue_wait_seconds',
        'retries_total',
        'upstream_outcomes_total',
        'identity_state_changes_total',
        'identity_state',
        'identity_in_flight',
        'queue_depth',
        'sessions',
        'process_resident_memory_bytes',
        'process_heap_used_bytes',
        'process_cpu_seconds_total',
        'process_start_time_seconds',
      ]
        .map((n) => `kimi_gateway_${n}`)
        .sort(),
    );
    expect([...exp.helps.keys()].sort()).toEqual([...exp.types.keys()].sort());
    for (const help of exp.helps.values()) expect(help.length).toBeGreaterThan(0);
    for (const [name, type] of exp.types) if (type === 'counter') expect(name.endsWith('_total')).toBe(true);

    // Each histogram series: buckets ascending in le, cumulative counts non-decreasing, +Inf = _count.
    for (const [name, type] of exp.types) {
      if (type !== 'histogram') continue;
      const counts = samplesOf(exp, `${name}_count`);
      expect(counts.length).toBeGreaterThan(0);
      for (const count of counts) {
        const buckets = samplesOf(exp, `${name}_bucket`).filter((b) => sameLabels({ ...b.labels, le: '' }, { ...count.labels, le: '' }));
        const les = buckets.map((b) => (b.labels.le === '+Inf' ? Infinity : Number(b.labels.le)));
        expect(les.at(-1)).toBe(Infinity);
        expect(les).toEqual([...les].sort((a, b) => a - b));
        for (let i = 1; i < buckets.length; i++) expect(buckets[i]!.value).toBeGreaterThanOrEqual(buckets[i - 1]!.value);
        expect(buckets.at(-1)!.value).toBe(count.value);
        expect(samplesOf(exp, `${name}_sum`).filter((s) => sameLabels(s.labels, count.labels))).toHaveLength(1);
      }
    }
    expect(valueOf(exp, 'kimi_gateway_request_duration_seconds_count', { route: '/v1/chat/completions', stream: 'true' })).toBe(25);
    expect(valueOf(exp, 'kimi_gateway_retries_total')).toBe(49); // extra attempts i % 3 for i = 0..49: 16 cycles of 0+1+2, then 0 and 1

    expect(valueOf(exp, 'kimi_gateway_process_resident_memory_bytes')).toBeGreaterThan(1_000_000);
    expect(valueOf(exp, 'kimi_gateway_process_heap_used_bytes')).toBeGreaterThan(0);
    expect(valueOf(exp, 'kimi_gateway_process_cpu_seconds_total')).toBeGreaterThan(0);
    const start = valueOf(exp, 'kimi_gateway_process_start_time_seconds');
    expect(start).toBeLessThanOrEqual(Date.now() / 1000);
    expect(start).toBeGreaterThan(Date.now() / 1000 - 3600);
  });

  test('instances do not share state', async () => {
    const a = new GatewayMetrics(fakeSources().sources);
    const b = new GatewayMetrics(fakeSources().sources);
    a.recordRequest(record({ attempts: 4 }));
    expect(valueOf(await scrape(a), 'kimi_gateway_retries_total')).toBe(3);
    expect(valueOf(await scrape(b), 'kimi_gateway_retries_total')).toBe(0);
    expect(samplesOf(await scrape(b), 'kimi_gateway_requests_total')).toEqual([]);
  });

  test('content type is the Prometheus text format', () => {
    expect(new GatewayMetrics(fakeSources().sources).contentType).toBe('text/plain; version=0.0.4; charset=utf-8');
  });
});
