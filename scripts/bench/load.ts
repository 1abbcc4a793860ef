// The closed-loop load generator and its statistics: C workers each send a request,
// wait for the whole answer, and send the next, for a warm-up plus a measured window.

/** What one request reports; times are milliseconds since the request was started. */
export type Outcome =
  | { ok: true; ttfbMs: number; ttfcMs: number; totalMs: number }
  | { ok: false; error: string; totalMs: number };

export interface ClosedLoopOptions<W> {
  concurrency: number;
  warmupMs: number;
  durationMs: number;
  /** Stop issuing requests after this many (warm-up included). */
  maxRequests?: number;
  /** One request is aborted (and counted as an error) after this long. */
  requestTimeoutMs?: number;
  /** After the window, in-flight requests get this long before they are aborted. */
  drainTimeoutMs?: number;
  /** Keep every successful request's latency and TTFB in the stats (for pooling cells). */
  keepSamples?: boolean;
  /** Awaited once every worker is set up, just before the first request (e.g. to read CPU counters). */
  onStart?(): void | Promise<void>;
  /** Per-worker preparation, not timed (e.g. fetching a page for a nonce). */
  setupWorker(index: number, signal: AbortSignal): Promise<W>;
  /** Must not throw for request-level failures; return { ok: false } instead. */
  request(worker: W, seq: number, signal: AbortSignal): Promise<Outcome>;
}

export interface Distribution {
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

export interface CellStats {
  concurrency: number;
  /** Requests started inside the measured window. */
  requests: number;
  ok: number;
  errors: number;
  errorKinds: Record<string, number>;
  /** Successful answers completed inside the measured window, per second. */
  throughputRps: number;
  /**
   * The same rate free of the quantisation of a short window (at 500 ms latency, completions
   * come in waves): per worker, successful requests that started and ended inside the window
   * ÷ the span from the first one's start to the last one's end, summed over workers.
   */
  steadyRps: number;
  windowMs: number;
  warmupRequests: number;
  warmupErrors: number;
  /** True when maxRequests cut the window short. */
  capped: boolean;
  /** Requests cut off by the drain timeout (also counted in errors). */
  abortedAtEnd: number;
  latencyMs: Distribution | null;
  ttfbMs: Distribution | null;
  ttfcMs: Distribution | null;
  /** With keepSamples: every successful measured request's latency and TTFB (ms). */
  samples?: { latencyMs: number[]; ttfbMs: number[] };
}

/** Nearest-rank percentile of an ascending array. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] ?? Number.NaN;
}

export function distribution(values: readonly number[]): Distribution | null {
  if (values.length === 0) return null;
  const sorted = Float64Array.from(values).sort();
  let sum = 0;
  for (const v of sorted) sum += v;
  return {
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    max: sorted[sorted.length - 1] ?? Number.NaN,
    mean: sum / sorted.length,
  };
}

export async function runClosedLoop<W>(options: ClosedLoopOptions<W>): Promise<CellStats> {
  const maxRequests = options.maxRequests ?? 1_000_000;
  const requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
  const drainTimeoutMs = options.drainTimeoutMs ?? 15_000;
  const hardStop = new AbortController();

  const workers = await Promise.all(Array.from({ length: options.concurrency }, (_, i) => options.setupWorker(i, hardStop.signal)));

  const latency: number[] = [];
  const ttfb: number[] = [];
  const ttfc: number[] = [];
  const errorKinds: Record<string, number> = {};
  let issued = 0;
  let requests = 0;
  let ok = 0;
  let errors = 0;
  let warmupRequests = 0;
  let warmupErrors = 0;
  let completedInWindow = 0;
  let abortedAtEnd = 0;
  let capped = false;

  await options.onStart?.();
  const t0 = performance.now();
  const warmEnd = t0 + options.warmupMs;
  const end = warmEnd + options.durationMs;
  let windowEnd = end;

  let steadyRps = 0;
  const worker = async (state: W): Promise<void> => {
    let firstStart = Number.NaN;
    let lastFinish = Number.NaN;
    let inside = 0;
    try {
      await loop(state, (start, finish, ok) => {
        if (start < warmEnd || finish > end) return;
        if (Number.isNaN(firstStart)) firstStart = start;
        lastFinish = finish;
        if (ok) inside++;
      });
    } finally {
      if (inside > 0 && lastFinish > firstStart) steadyRps += (inside * 1000) / (lastFinish - firstStart);
    }
  };

  const loop = async (state: W, onDone: (start: number, finish: number, ok: boolean) => void): Promise<void> => {
    while (performance.now() < end && !hardStop.signal.aborted) {
      if (issued >= maxRequests) {
        capped = true;
        return;
      }
      const seq = issued++;
      const start = performance.now();
      const signal = AbortSignal.any([hardStop.signal, AbortSignal.timeout(requestTimeoutMs)]);
      let outcome: Outcome;
      try {
        outcome = await options.request(state, seq, signal);
      } catch (error) {
        outcome = { ok: false, error: `threw: ${(error as Error).name}`, totalMs: performance.now() - start };
      }
      const finish = performance.now();
      onDone(start, finish, outcome.ok);
      if (outcome.ok && finish >= warmEnd && finish <= end) completedInWindow++;
      if (start < warmEnd) {
        warmupRequests++;
        if (!outcome.ok) warmupErrors++;
        continue;
      }
      requests++;
      if (outcome.ok) {
        ok++;
        latency.push(outcome.totalMs);
        ttfb.push(outcome.ttfbMs);
        ttfc.push(outcome.ttfcMs);
      } else {
        errors++;
        const kind = hardStop.signal.aborted ? 'aborted at end of cell' : outcome.error;
        if (hardStop.signal.aborted) abortedAtEnd++;
        errorKinds[kind] = (errorKinds[kind] ?? 0) + 1;
      }
    }
  };

  const running = Promise.all(workers.map(worker));
  // Bounded in time: whatever is still in flight long after the window is aborted.
  const drainTimer = setTimeout(() => hardStop.abort(new Error('cell drain timeout')), end - performance.now() + drainTimeoutMs);
  try {
    await running;
  } finally {
    clearTimeout(drainTimer);
  }
  if (capped) windowEnd = Math.min(end, performance.now());
  const windowMs = Math.max(1, windowEnd - warmEnd);

  return {
    concurrency: options.concurrency,
    requests,
    ok,
    errors,
    errorKinds,
    throughputRps: (completedInWindow * 1000) / windowMs,
    steadyRps,
    windowMs,
    warmupRequests,
    warmupErrors,
    capped,
    abortedAtEnd,
    latencyMs: distribution(latency),
    ttfbMs: distribution(ttfb),
    ttfcMs: distribution(ttfc),
    ...(options.keepSamples ? { samples: { latencyMs: latency, ttfbMs: ttfb } } : {}),
  };
}
