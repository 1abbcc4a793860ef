// Prometheus metrics for GET /metrics: request counters and latency histograms fed from
// RequestRecords, upstream outcomes and identity state changes fed from pool events,
// and gauges (identity state, in-flight, queue depth, sessions, process) read at scrape
// time. A small own text renderer (exposition format 0.0.4) rather than prom-client:
// prom-client works in the compiled binary but loads node:http/https/zlib/cluster and
// OpenTelemetry at import (+5 MiB RSS, +4 ms start-up in the gateway) and its default
// process metrics report bogus values under Bun. State is per instance: no global registry.

import { HEALTH_KINDS } from '../pool/health.ts';
import type { PoolEvent } from '../pool/pool-events.ts';
import type { RequestRecord } from './request-record.ts';

export interface MetricsSources {
  /** identity id → health state kind ('ready'|'cooling'|'challenged'|'ejected'|'disabled') and in-flight count, read at scrape time */
  identities(): Array<{ id: string; state: string; inFlight: number }>;
  queueDepth(): number;
  sessionCount(): number;
  /** The public id of a model the gateway serves (the provider's catalogue), by any of its names. */
  findModel(name: string): { id: string } | undefined;
  /** The site canary, read at scrape time: null when it is off; `success` null until its first run. */
  canary?(): { success: 0 | 1 | null } | null;
}

/** Results of a canary run, the counter's label values (all exported from the start). */
export const CANARY_RESULTS = ['ok', 'drift', 'down'] as const;
export type CanaryResult = (typeof CANARY_RESULTS)[number];

const PREFIX = 'kimi_gateway_';

/** Seconds. Covers a /v1/models answer (ms) up to a long streamed completion (minutes). */
const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300];
/** Seconds until the first content: the model's thinking time dominates. */
const FIRST_CONTENT_BUCKETS = [0.1, 0.25, 0.5, 1, 2, 3, 5, 7.5, 10, 15, 20, 30, 60, 120];
/** Seconds waiting for a free identity: usually ~0, seconds when the pool is saturated. */
const QUEUE_WAIT_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];


const START_TIME_SECONDS = performance.timeOrigin / 1000;

type Labels<L extends string> = Record<L, string>;

export class GatewayMetrics {
  readonly contentType = 'text/plain; version=0.0.4; charset=utf-8';

  private readonly requests = new Counter<'route' | 'model' | 'status'>('requests_total', 'Finished HTTP requests.', ['route', 'model', 'status']);
  private readonly requestDuration = new Histogram<'route' | 'stream'>(
    'request_duration_seconds',
    'Time from request arrival to the end of the response.',
    ['route', 'stream'],
    DURATION_BUCKETS,
  );
  private readonly upstreamDuration = new Histogram<never>('upstream_duration_seconds', 'Time spent in upstream calls per chat request.', [], DURATION_BUCKETS);
  private readonly firstContent = new Histogram<'stream'>(
    'time_to_first_content_seconds',
    'Time to the first content byte (stream) or to the answer (non-stream).',
    ['stream'],
    FIRST_CONTENT_BUCKETS,
  );
  private readonly queueWait = new Histogram<never>('queue_wait_seconds', 'Time spent waiting for a free identity.', [], QUEUE_WAIT_BUCKETS);
  private readonly retries = new Counter<never>('retries_total', 'Extra identities tried after the first one (failover).', []);
  private readonly outcomes = new Counter<'identity' | 'kind'>('upstream_outcomes_total', 'Upstream call outcomes per identity.', ['identity', 'kind']);
  private readonly stateChanges = new Counter<'identity' | 'to'>('identity_state_changes_total', 'Identity health transitions, by new state.', ['identity', 'to']);

  private readonly canaryRuns = new Counter<'result'>(
    'canary_runs_total',
    'Site canary runs by result: ok, drift (the page or an answer is not in the shape the gateway reads), down (unreachable).',
    ['result'],
  );

  constructor(private readonly sources: MetricsSources) {
    for (const result of CANARY_RESULTS) this.canaryRuns.inc({ result }, 0);
  }

  recordCanaryRun(result: CanaryResult): void {
    this.canaryRuns.inc({ result });
  }

  recordRequest(r: RequestRecord): void {
    const stream = String(r.stream);
    this.requests.inc({ route: r.route, model: this.modelLabel(r.model), status: String(r.status) });
    this.requestDuration.observe({ route: r.route, stream }, r.durationMs / 1000);
    if (r.upstreamMs !== null) this.upstreamDuration.observe({}, r.upstreamMs / 1000);
    if (r.firstContentMs !== null) this.firstContent.observe({ stream }, r.firstContentMs / 1000);
    if (r.queueWaitMs !== null) this.queueWait.observe({}, r.queueWaitMs / 1000);
    if (r.attempts > 1) this.retries.inc({}, r.attempts - 1);
  }

  /** Public model id, '' when none; anything not in the catalogue folds into 'other' so a label value never comes from a client. */
  private modelLabel(model: string | null): string {
    if (model === null) return '';
    return this.sources.findModel(model)?.id ?? 'other';
  }

  recordPoolEvent(e: PoolEvent): void {
    if (e.type === 'outcome') this.outcomes.inc({ identity: e.id, kind: e.kind });
    else if (e.type === 'state') this.stateChanges.inc({ identity: e.id, to: e.to });
  }

  async render(): Promise<string> {
    const identities = this.sources.identities();
    const memory = process.memoryUsage();
    const cpu = process.cpuUsage();
    const families = [
      this.requests.render(),
      this.requestDuration.render(),
      this.upstreamDuration.render(),
      this.firstContent.render(),
      this.queueWait.render(),
      this.retries.render(),
      this.outcomes.render(),
      this.stateChanges.render(),
      family(
        'identity_state',
        'gauge',
        'Current health state per identity: 1 for its state, 0 for the others.',
        identities.flatMap((i) => HEALTH_KINDS.map((state) => sample('identity_state', { identity: i.id, state }, i.state === state ? 1 : 0))),
      ),
      family(
        'identity_in_flight',
        'gauge',
        'Upstream requests in flight per identity.',
        identities.map((i) => sample('identity_in_flight', { identity: i.id }, i.inFlight)),
      ),
      ...this.renderCanary(),
      family('queue_depth', 'gauge', 'Requests waiting for a free identity.', [sample('queue_depth', {}, this.sources.queueDepth())]),
      family('sessions', 'gauge', 'Stored conversation sessions.', [sample('sessions', {}, this.sources.sessionCount())]),
      family('process_resident_memory_bytes', 'gauge', 'Resident memory size in bytes.', [sample('process_resident_memory_bytes', {}, memory.rss)]),
      family('process_heap_used_bytes', 'gauge', 'JavaScript heap in use in bytes.', [sample('process_heap_used_bytes', {}, memory.heapUsed)]),
      family('process_cpu_seconds_total', 'counter', 'User and system CPU time spent in seconds.', [
        sample('process_cpu_seconds_total', {}, (cpu.user + cpu.system) / 1e6),
      ]),
      family('process_start_time_seconds', 'gauge', 'Start time of the process since unix epoch in seconds.', [
        sample('process_start_time_seconds', {}, START_TIME_SECONDS),
      ]),
    ];
    return families.join('');
  }

  /** Nothing while the canary is off; the gauge has a sample once a run has ended. */
  private renderCanary(): string[] {
    const canary = this.sources.canary?.() ?? null;
    if (canary === null) return [];
    const success = canary.success === null ? [] : [sample('canary_success', {}, canary.success)];
    const help = '1 while the site canary finds the site usable, 0 once two runs in a row failed (drift or down).';
    return [family('canary_success', 'gauge', help, success), this.canaryRuns.render()];
  }
}



class Counter<L extends string> {
  private readonly series = new Map<string, { labels: Labels<L>; value: number }>();

  constructor(
    private readonly name: string,
    private readonly help: string,
    private readonly labelNames: readonly L[],
  ) {}

  inc(labels: Labels<L>, by = 1): void {
    const key = seriesKey(this.labelNames, labels);
    const entry = this.series.get(key);
    if (entry) entry.value += by;
    else this.series.set(key, { labels, value: by });
  }

  render(): string {
    const entries = [...this.series.values()];
    // An unlabelled counter exists from the start (0), so rate() works from the first scrape.
    if (this.labelNames.length === 0 && entries.length === 0) entries.push({ labels: {} as Labels<L>, value: 0 });
    return family(this.name, 'counter', this.help, entries.map((e) => sample(this.name, e.labels, e.value)));
  }
}

class Histogram<L extends string> {
  /** counts[i] = observations in (bounds[i-1], bounds[i]]; the last slot is above every bound. */
  private readonly series = new Map<string, { labels: Labels<L>; counts: number[]; sum: number }>();

  constructor(
    private readonly name: string,
    private readonly help: string,
    private readonly labelNames: readonly L[],
    private readonly bounds: readonly number[],
  ) {}

  observe(labels: Labels<L>, value: number): void {
    const key = seriesKey(this.labelNames, labels);
    let entry = this.series.get(key);
    if (!entry) {
      entry = { labels, counts: new Array<number>(this.bounds.length + 1).fill(0), sum: 0 };
      this.series.set(key, entry);
    }
    const slot = this.bounds.findIndex((bound) => value <= bound);
    entry.counts[slot === -1 ? this.bounds.length : slot]! += 1;
    entry.sum += value;
  }

  render(): string {
    const entries = [...this.series.values()];
    if (this.labelNames.length === 0 && entries.length === 0) entries.push({ labels: {} as Labels<L>, counts: new Array<number>(this.bounds.length + 1).fill(0), sum: 0 });
    const lines = entries.flatMap(({ labels, counts, sum }) => {
      let cumulative = 0;
      const buckets = counts.map((count, i) => {
        cumulative += count;
        const le = i < this.bounds.length ? formatNumber(this.bounds[i]!) : '+Inf';
        return sample(`${this.name}_bucket`, { ...labels, le }, cumulative);
      });
      return [...buckets, sample(`${this.name}_sum`, labels, sum), sample(`${this.name}_count`, labels, cumulative)];
    });
    return family(this.name, 'histogram', this.help, lines);
  }
}

function seriesKey<L extends string>(labelNames: readonly L[], labels: Labels<L>): string {
  return labelNames.map((n) => labels[n]).join('\u0000');
}

/** HELP and TYPE lines, then the samples; `name` is without the prefix. */
function family(name: string, type: 'counter' | 'gauge' | 'histogram', help: string, samples: string[]): string {
  const full = PREFIX + name;
  const head = `# HELP ${full} ${help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}\n# TYPE ${full} ${type}\n`;
  return head + samples.map((s) => `${s}\n`).join('');
}

function sample(name: string, labels: Record<string, string>, value: number): string {
  const pairs = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabelValue(v)}"`);
  return `${PREFIX}${name}${pairs.length > 0 ? `{${pairs.join(',')}}` : ''} ${formatNumber(value)}`;
}

function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function formatNumber(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}
