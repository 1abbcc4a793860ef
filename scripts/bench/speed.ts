// Section "speed": the issue's speed targets measured side by side in one run, each with
// PASS/FAIL:
//  1. 0 ms upstream, c=16, non-stream: the gateway as deployed (4 identities × maxConcurrent 4,
//     sessions in a SQLite file, metrics, request logs at info to a drained pipe) reaches
//     ≥ 0.8 × the req/s of a minimal Bun.serve pass-through (passthrough.ts), in alternating
//     pairs of cells (A B, B A, …) so drift on the machine hits both alike;
//  2. 500 ms upstream, c=16, stream: gateway req/s ≥ 0.98 × the emulator alone, p50 ≤ its
//     p50 + 3 ms, first byte p50 ≤ 2 ms;
//  3. the gateway's RSS idle ≤ 50 MB, and with 1,000 open streams ≤ 150 MB.
// Every process runs on its own: emulator, pass-through, gateway, and the load generator
// (load-runner.ts, one process per cell), which also reads each process's CPU time.

import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { configureEmulator, readEmulatorStats } from './emulator-client.ts';
import { chatOnce, type ChatMode, type GatewayTarget } from './gateway-client.ts';
import {
  holdStreams,
  runLoadCell,
  type ClosedLoopResult,
  type ClosedLoopSpec,
  type HeldStreams,
  type HoldClosed,
  type HoldFirstBytes,
  type LoadClient,
  type WatchedProcess,
} from './load-process.ts';
import { distribution, percentile, type CellStats, type Distribution } from './load.ts';
import {
  ServiceGroup,
  startEmulatorProcess,
  startGatewayProcess,
  startPassthroughProcess,
  type ChildService,
  type MemoryReading,
} from './processes.ts';
import { describeEnvironment, fmtMs, fmtRate, renderTable, renderTargets, writeSectionResults, type Column, type TargetCheck } from './report.ts';
import type { BenchContext, BenchOptions } from './types.ts';

export const SPEED_API_KEY = 'bench-key';
export const SPEED_MODEL = 'kimi-k2-instruct-0905';
export const REPLY_LENGTH = 200;
const CONCURRENCY = 16;
const WARMUP_REQUESTS = 20;
/** Idle RSS is read this long after the warm-up requests. */
const IDLE_SETTLE_MS = 3_000;

// The issue's targets.
export const TARGETS = {
  throughputVsPassthrough: 0.8,
  streamRateVsUpstream: 0.98,
  streamP50OverheadMs: 3,
  firstByteMs: 2,
  idleRssMB: 50,
  openStreams: 1_000,
  openStreamsRssMB: 150,
} as const;
const STREAM_LATENCY_MS = 500;
/** Upstream latency while the 1,000 streams are held: long enough that none finishes first. */
const HOLD_LATENCY_MS = 30_000;

/** The pool of target 1: four anonymous visitors, four calls each. */
export function speedAccountsFile(maxConcurrent: number): string {
  const identities = [1, 2, 3, 4].map((n) => ({ id: `visitor-${n}`, maxConcurrent }));
  return `${JSON.stringify({ identities }, null, 2)}\n`;
}
const POOL_MAX_CONCURRENT = 4;
/** 4 × 250 = 1,000 upstream calls at once for the open-streams cell. */
const HOLD_MAX_CONCURRENT = 250;
/** Bun's fetch limit for that gateway: above 1,000 calls + 4 page fetches (README "Big pools"). */
const HOLD_FETCH_LIMIT = 2_048;

export interface SpeedPlan {
  /** Target 1: pass-through/gateway pairs. */
  pairs: number;
  zeroLatency: { warmupMs: number; durationMs: number };
  /** Target 2: emulator-alone/gateway pairs. */
  streamPairs: number;
  streamLatency: { warmupMs: number; durationMs: number };
}

export function speedPlan(options: BenchOptions): SpeedPlan {
  const plan: SpeedPlan = options.quick
    ? { pairs: 3, zeroLatency: { warmupMs: 500, durationMs: 1_500 }, streamPairs: 1, streamLatency: { warmupMs: 1_000, durationMs: 4_000 } }
    : { pairs: 5, zeroLatency: { warmupMs: 500, durationMs: 3_000 }, streamPairs: 2, streamLatency: { warmupMs: 1_000, durationMs: 8_000 } };
  if (options.durationS !== null) {
    plan.zeroLatency.durationMs = options.durationS * 1000;
    plan.streamLatency.durationMs = options.durationS * 1000;
  }
  return plan;
}

export type SpeedTarget = 'pass-through' | 'gateway' | 'upstream alone';

export interface SpeedCell {
  pair: number;
  target: SpeedTarget;
  stats: CellStats;
  cpu: ClosedLoopResult['cpu'];
}

export interface PairRatio {
  pair: number;
  ratio: number;
  /** Another process used more than NOISY_OTHERS_PCT of the machine during one of its cells. */
  noisy: boolean;
  /** In the median (see countedPairs). */
  counted: boolean;
}

export interface MemoryReadings {
  /** After start-up, the warm-up requests and IDLE_SETTLE_MS. */
  idle: MemoryReading | null;
  afterLoad?: MemoryReading | null;
}

export interface OpenStreamsResult {
  streams: number;
  firstBytes: HoldFirstBytes;
  /** Calls the emulator had in flight when RSS was read (all identities). */
  upstreamInFlight: number;
  idle: MemoryReading | null;
  /** Read once every stream had its first byte and the upstream had them all in flight. */
  open: MemoryReading | null;
  /** After the streams were closed and IDLE_SETTLE_MS. */
  afterClose: MemoryReading | null;
  closed: HoldClosed;
}

const mb = (kib: number): number => (kib * 1024) / 1e6;
const fmtKiBAsMB = (kib: number | null | undefined): string => (kib === null || kib === undefined ? '-' : `${mb(kib).toFixed(1)} MB`);
const fmtMB = (r: MemoryReading | null | undefined): string => fmtKiBAsMB(r?.rssKiB);

export async function runSpeedBench(ctx: BenchContext): Promise<void> {
  const plan = speedPlan(ctx.options);
  const gatewayCommand = ctx.options.gatewayBin ?? 'bun src/main.ts';
  const binary = ctx.options.gatewayBin === null ? null : resolve(ctx.root, ctx.options.gatewayBin);
  const group = new ServiceGroup();
  const tmp = await mkdtemp(join(tmpdir(), 'kimi-bench-speed-'));
  const loadBefore = loadavg();
  try {
    const emulator = await startEmulatorProcess(group, { cwd: ctx.root, latencyMs: 0, replyLength: REPLY_LENGTH });
    const passthrough = await startPassthroughProcess(group, { cwd: ctx.root, upstream: emulator.url, apiKey: SPEED_API_KEY });
    const accountsPath = join(tmp, 'accounts.json');
    await Bun.write(accountsPath, speedAccountsFile(POOL_MAX_CONCURRENT));
    const gateway = await startGatewayProcess(group, {
      cwd: ctx.root,
      upstream: emulator.url,
      apiKey: SPEED_API_KEY,
      dbPath: join(tmp, 'speed.sqlite'),
      binary,
      extraArgs: ['--accounts', accountsPath],
      env: { LOG_LEVEL: 'info' },
    });
    ctx.progress(
      `[speed] emulator ${emulator.url} (pid ${emulator.pid}), pass-through ${passthrough.url} (pid ${passthrough.pid}), ` +
        `gateway ${gateway.url} (pid ${gateway.pid}, ${gatewayCommand})`,
    );
    const watch: WatchedProcess[] = [
      { name: 'emulator', pid: emulator.pid },
      { name: 'pass-through', pid: passthrough.pid },
      { name: 'gateway', pid: gateway.pid },
      { name: 'bench', pid: process.pid },
    ];

    await warmUp(gateway, 'gateway');
    await warmUp(passthrough, 'pass-through');
    await Bun.sleep(IDLE_SETTLE_MS);
    const gatewayMemory: MemoryReadings = { idle: await gateway.readMemory() };
    const passthroughMemory: MemoryReadings = { idle: await passthrough.readMemory() };
    ctx.progress(`[speed] idle RSS: gateway ${fmtMB(gatewayMemory.idle)}, pass-through ${fmtMB(passthroughMemory.idle)}`);

    // Target 1.
    const zeroSpec = { kind: 'closed-loop', concurrency: CONCURRENCY, ...plan.zeroLatency, watch } as const;
    const raw = (service: ChildService, kind: 'raw-chat' | 'fetch-chat' = 'raw-chat'): LoadClient => ({
      kind,
      url: service.url,
      apiKey: SPEED_API_KEY,
      model: SPEED_MODEL,
      stream: false,
      replyLength: REPLY_LENGTH,
    });
    const zeroCells = await runPairs(ctx, '0 ms, non-stream', plan.pairs, [
      ['pass-through', (pair) => ({ ...zeroSpec, client: raw(passthrough), messagePrefix: `speed-0ms-${pair}-pt ` })],
      ['gateway', (pair) => ({ ...zeroSpec, client: raw(gateway), messagePrefix: `speed-0ms-${pair}-gw ` })],
    ]);

    // Diagnostic, not a target: the same pair through Bun's fetch as the client (the issue's earlier figures were taken so).
    const fetchCells = ctx.options.quick
      ? []
      : await runPairs(ctx, '0 ms, fetch client', 1, [
          ['pass-through', (pair) => ({ ...zeroSpec, client: raw(passthrough, 'fetch-chat'), messagePrefix: `speed-0ms-fetch-${pair}-pt ` })],
          ['gateway', (pair) => ({ ...zeroSpec, client: raw(gateway, 'fetch-chat'), messagePrefix: `speed-0ms-fetch-${pair}-gw ` })],
        ]);

    // Target 2.
    await configureEmulator(emulator.url, { latencyMs: STREAM_LATENCY_MS });
    const streamSpec = { kind: 'closed-loop', concurrency: CONCURRENCY, ...plan.streamLatency, keepSamples: true, watch } as const;
    const streamCells = await runPairs(ctx, `${STREAM_LATENCY_MS} ms, stream`, plan.streamPairs, [
      [
        'upstream alone',
        (pair) => ({
          ...streamSpec,
          client: { kind: 'fetch-direct', url: emulator.url, replyLength: REPLY_LENGTH },
          messagePrefix: `speed-500ms-${pair}-up `,
        }),
      ],
      [
        'gateway',
        (pair) => ({
          ...streamSpec,
          client: { kind: 'fetch-chat', url: gateway.url, apiKey: SPEED_API_KEY, model: SPEED_MODEL, stream: true, replyLength: REPLY_LENGTH },
          messagePrefix: `speed-500ms-${pair}-gw `,
        }),
      ],
    ]);
    await configureEmulator(emulator.url, { latencyMs: 0 });
    gatewayMemory.afterLoad = await gateway.readMemory();
    passthroughMemory.afterLoad = await passthrough.readMemory();
    await gateway.stop();

    // Target 3, open streams: a gateway whose pool and fetch limit allow 1,000 upstream calls.
    const streams = await measureOpenStreams(ctx, group, emulator, tmp, binary);

    const zero = summarizeZeroLatency(zeroCells, plan.pairs);
    const fetchClient = fetchCells.length === 0 ? null : summarizeZeroLatency(fetchCells, 1);
    const stream = summarizeStream(streamCells, plan.streamPairs);
    const checks = evaluateSpeedTargets(zero, stream, gatewayMemory, streams, binary !== null);
    const loadAfter = loadavg();
    console.log(
      renderSpeedReport({ zeroCells, zero, fetchClient, streamCells, stream, gatewayMemory, passthroughMemory, streams, checks, gatewayCommand, loadBefore, loadAfter }),
    );

    const path = await writeSectionResults(ctx.options.outDir, 'speed', {
      section: 'speed',
      generatedAt: new Date().toISOString(),
      environment: describeEnvironment(ctx.root),
      settings: {
        gatewayCommand,
        concurrency: CONCURRENCY,
        replyLength: REPLY_LENGTH,
        model: SPEED_MODEL,
        plan,
        pool: { identities: 4, maxConcurrent: POOL_MAX_CONCURRENT, sessions: 'SQLite file', logLevel: 'info', logs: 'stdout to a pipe the bench drains' },
        openStreamsPool: { identities: 4, maxConcurrent: HOLD_MAX_CONCURRENT, BUN_CONFIG_MAX_HTTP_REQUESTS: HOLD_FETCH_LIMIT, upstreamLatencyMs: HOLD_LATENCY_MS },
        clients: {
          target1: 'raw keep-alive HTTP/1.1 client (raw-http.ts) in its own process',
          target2: "Bun's fetch in its own process, for the emulator alone and the gateway alike",
          target3: 'raw sockets in their own process',
        },
        warmupRequestsBeforeIdleRss: WARMUP_REQUESTS,
        idleSettleMs: IDLE_SETTLE_MS,
        mb: '10^6 bytes',
        targets: TARGETS,
      },
      loadAverage: { before: loadBefore, after: loadAfter },
      memory: { gateway: gatewayMemory, passthrough: passthroughMemory },
      zeroLatency: { cells: zeroCells, ...zero },
      zeroLatencyFetchClient: fetchClient === null ? null : { cells: fetchCells, ...fetchClient },
      stream: { cells: streamCells.map(withoutSamples), ...stream },
      openStreams: streams,
      targets: checks,
    });
    ctx.progress(`[speed] wrote ${path}`);
  } finally {
    await group.stopAll();
    await rm(tmp, { recursive: true, force: true });
  }
}

/** A few requests of each mode, one at a time, so idle readings are of a process that has served traffic. */
async function warmUp(service: ChildService, name: string): Promise<void> {
  const target: GatewayTarget = { url: service.url, apiKey: SPEED_API_KEY, model: SPEED_MODEL, replyLength: REPLY_LENGTH };
  for (let i = 0; i < WARMUP_REQUESTS; i++) {
    const mode: ChatMode = i % 2 === 0 ? 'non-stream' : 'stream';
    const outcome = await chatOnce(target, mode, `speed warm-up ${name} ${i}`, AbortSignal.timeout(10_000));
    if (!outcome.ok) throw new Error(`${name} warm-up request ${i} (${mode}) failed: ${outcome.error}\n${service.recentOutput()}`);
  }
}

async function measureOpenStreams(ctx: BenchContext, group: ServiceGroup, emulator: ChildService, tmp: string, binary: string | null): Promise<OpenStreamsResult> {
  const accountsPath = join(tmp, 'accounts-streams.json');
  await Bun.write(accountsPath, speedAccountsFile(HOLD_MAX_CONCURRENT));
  const gateway = await startGatewayProcess(group, {
    cwd: ctx.root,
    upstream: emulator.url,
    apiKey: SPEED_API_KEY,
    dbPath: join(tmp, 'streams.sqlite'),
    binary,
    extraArgs: ['--accounts', accountsPath],
    env: { LOG_LEVEL: 'info', BUN_CONFIG_MAX_HTTP_REQUESTS: String(HOLD_FETCH_LIMIT) },
  });
  try {
    await warmUp(gateway, 'gateway');
    await Bun.sleep(IDLE_SETTLE_MS);
    const idle = await gateway.readMemory();
    const streams = TARGETS.openStreams;
    ctx.progress(`[speed] open streams: gateway pid ${gateway.pid} (4 × ${HOLD_MAX_CONCURRENT}), idle ${fmtMB(idle)}; opening ${streams} streams`);
    await configureEmulator(emulator.url, { latencyMs: HOLD_LATENCY_MS });
    let held: HeldStreams | null = null;
    let closed: HoldClosed = { event: 'closed', endedEarly: 0 };
    let upstreamInFlight = 0;
    let open: MemoryReading | null = null;
    try {
      held = await holdStreams(ctx.root, {
        kind: 'hold',
        client: { kind: 'raw-chat', url: gateway.url, apiKey: SPEED_API_KEY, model: SPEED_MODEL, stream: true, replyLength: REPLY_LENGTH },
        streams,
        firstByteTimeoutMs: 20_000,
        messagePrefix: 'speed open stream ',
      });
      // First bytes come before the upstream call: wait (bounded) until the upstream holds every call too.
      const deadline = Date.now() + 10_000;
      for (;;) {
        upstreamInFlight = Object.values((await readEmulatorStats(emulator.url)).identities).reduce((n, s) => n + s.inFlight, 0);
        if (upstreamInFlight >= held.firstBytes.open || Date.now() > deadline) break;
        await Bun.sleep(100);
      }
      open = await gateway.readMemory();
    } finally {
      if (held !== null) closed = await held.release();
      await configureEmulator(emulator.url, { latencyMs: 0 });
    }
    const firstBytes = held.firstBytes;
    ctx.progress(
      `[speed] ${firstBytes.open}/${streams} streams open (${firstBytes.failed} failed), upstream in flight ${upstreamInFlight}: ` +
        `gateway RSS ${fmtMB(open)}; closed (${closed.endedEarly} ended early)`,
    );
    await Bun.sleep(IDLE_SETTLE_MS);
    const afterClose = await gateway.readMemory();
    return { streams, firstBytes, upstreamInFlight, idle, open, afterClose, closed };
  } finally {
    await gateway.stop();
  }
}

/** A cell where other processes used more than this share of the machine is noisy: its rate is suspect. */
const NOISY_OTHERS_PCT = 10;
const isNoisy = (cell: SpeedCell): boolean => cell.cpu.othersPct > NOISY_OTHERS_PCT;

/**
 * Runs pairs of cells, A B then B A, so drift hits both targets alike. A pair with a noisy
 * cell (this machine is shared) does not count: pairs go on until `wanted` clean ones, or
 * twice `wanted` in all.
 */
async function runPairs(ctx: BenchContext, where: string, wanted: number, targets: [SpeedTarget, (pair: number) => ClosedLoopSpec][]): Promise<SpeedCell[]> {
  const cells: SpeedCell[] = [];
  let clean = 0;
  for (let pair = 1; clean < wanted && pair <= 2 * wanted; pair++) {
    const order = pair % 2 === 0 ? [...targets].reverse() : targets;
    const these: SpeedCell[] = [];
    for (const [target, spec] of order) {
      const result = await runLoadCell(ctx.root, spec(pair));
      these.push(logCell(ctx, where, { pair, target, ...result }));
    }
    if (these.some(isNoisy)) ctx.progress(`[speed] pair ${pair} was noisy (other processes used > ${NOISY_OTHERS_PCT} % of the machine): another pair follows`);
    else clean++;
    cells.push(...these);
  }
  return cells;
}

/**
 * Pair numbers whose cells count: the clean pairs if at least half of those wanted are
 * clean, otherwise all (and the report says so).
 */
function countedPairs(cells: readonly SpeedCell[], wanted: number): { pairs: Set<number>; noisy: number[] } {
  const all = [...new Set(cells.map((c) => c.pair))];
  const noisy = all.filter((p) => cells.some((c) => c.pair === p && isNoisy(c)));
  const clean = all.filter((p) => !noisy.includes(p));
  return { pairs: new Set(clean.length >= Math.ceil(wanted / 2) ? clean : all), noisy };
}

function logCell(ctx: BenchContext, where: string, cell: SpeedCell): SpeedCell {
  const s = cell.stats;
  const own = cpuPerRequestUs(cell, cell.target === 'upstream alone' ? 'emulator' : cell.target);
  ctx.progress(
    `[speed] ${where.padEnd(18)} pair ${cell.pair}  ${cell.target.padEnd(14)} ${fmtRate(s.steadyRps).padStart(6)} req/s  ` +
      `p50 ${fmtMs(s.latencyMs?.p50)} ms  TTFB p50 ${fmtMs(s.ttfbMs?.p50)} ms  CPU ${own.toFixed(0)} µs/req  ` +
      `others ${cell.cpu.othersPct.toFixed(0)} %  errors ${s.errors}`,
  );
  return cell;
}

/** A process's CPU time per answered request of the cell, in µs. */
export function cpuPerRequestUs(cell: Pick<SpeedCell, 'cpu'>, process: string): number {
  const ms = process === 'load generator' ? cell.cpu.loadGeneratorMs : cell.cpu.processesMs[process];
  return ms === undefined || cell.cpu.answered === 0 ? Number.NaN : (ms * 1000) / cell.cpu.answered;
}

const median = (values: readonly number[]): number => percentile(Float64Array.from(values).sort(), 50);

export interface ZeroLatencySummary {
  pairs: PairRatio[];
  /** Median of the counted pairs' gateway ÷ pass-through ratios. */
  ratio: number;
  passthroughRps: number;
  gatewayRps: number;
  gatewayErrors: number;
  passthroughErrors: number;
  /** Medians over each target's cells, µs of CPU per answered request, by process. */
  cpuUsPerRequest: Record<'pass-through' | 'gateway', Record<string, number>>;
  /** The load generator's busiest share of one core (%), and the busiest machine share. */
  loadGeneratorCorePct: number;
  machineBusyPct: number;
}

const CPU_PROCESSES = ['pass-through', 'gateway', 'emulator', 'load generator', 'bench'] as const;

function pairRatios(cells: readonly SpeedCell[], baseline: SpeedTarget, wanted: number): PairRatio[] {
  const { pairs: counted, noisy } = countedPairs(cells, wanted);
  const ratios: PairRatio[] = [];
  for (const pair of new Set(cells.map((c) => c.pair))) {
    const a = cells.find((c) => c.pair === pair && c.target === baseline);
    const b = cells.find((c) => c.pair === pair && c.target === 'gateway');
    if (a !== undefined && b !== undefined) {
      ratios.push({ pair, ratio: b.stats.steadyRps / a.stats.steadyRps, noisy: noisy.includes(pair), counted: counted.has(pair) });
    }
  }
  return ratios;
}

export function summarizeZeroLatency(cells: readonly SpeedCell[], wanted: number): ZeroLatencySummary {
  const pairs = pairRatios(cells, 'pass-through', wanted);
  const counted = new Set(pairs.filter((p) => p.counted).map((p) => p.pair));
  const byTarget = (target: SpeedTarget) => cells.filter((c) => c.target === target && counted.has(c.pair));
  const cpu = (target: 'pass-through' | 'gateway') =>
    Object.fromEntries(CPU_PROCESSES.map((p) => [p, median(byTarget(target).map((c) => cpuPerRequestUs(c, p)))]));
  const errorsOf = (target: SpeedTarget) => cells.filter((c) => c.target === target).reduce((n, c) => n + c.stats.errors + c.stats.warmupErrors, 0);
  return {
    pairs,
    ratio: median(pairs.filter((p) => p.counted).map((p) => p.ratio)),
    passthroughRps: median(byTarget('pass-through').map((c) => c.stats.steadyRps)),
    gatewayRps: median(byTarget('gateway').map((c) => c.stats.steadyRps)),
    gatewayErrors: errorsOf('gateway'),
    passthroughErrors: errorsOf('pass-through'),
    cpuUsPerRequest: { 'pass-through': cpu('pass-through'), gateway: cpu('gateway') },
    loadGeneratorCorePct: Math.max(...cells.map((c) => (100 * c.cpu.loadGeneratorMs) / c.cpu.wallMs)),
    machineBusyPct: Math.max(...cells.map((c) => c.cpu.machineBusyPct)),
  };
}

export interface StreamSummary {
  pairs: PairRatio[];
  ratio: number;
  upstreamRps: number;
  gatewayRps: number;
  /** Pooled over every cell of each target. */
  upstreamLatencyMs: Distribution | null;
  gatewayLatencyMs: Distribution | null;
  gatewayTtfbMs: Distribution | null;
  gatewayErrors: number;
  upstreamErrors: number;
}

export function summarizeStream(cells: readonly SpeedCell[], wanted: number): StreamSummary {
  const pairs = pairRatios(cells, 'upstream alone', wanted);
  const counted = new Set(pairs.filter((p) => p.counted).map((p) => p.pair));
  const byTarget = (target: SpeedTarget) => cells.filter((c) => c.target === target && counted.has(c.pair));
  const pooled = (target: SpeedTarget, key: 'latencyMs' | 'ttfbMs') => distribution(byTarget(target).flatMap((c) => c.stats.samples?.[key] ?? []));
  const errorsOf = (target: SpeedTarget) => cells.filter((c) => c.target === target).reduce((n, c) => n + c.stats.errors + c.stats.warmupErrors, 0);
  return {
    pairs,
    ratio: median(pairs.filter((p) => p.counted).map((p) => p.ratio)),
    upstreamRps: median(byTarget('upstream alone').map((c) => c.stats.steadyRps)),
    gatewayRps: median(byTarget('gateway').map((c) => c.stats.steadyRps)),
    upstreamLatencyMs: pooled('upstream alone', 'latencyMs'),
    gatewayLatencyMs: pooled('gateway', 'latencyMs'),
    gatewayTtfbMs: pooled('gateway', 'ttfbMs'),
    gatewayErrors: errorsOf('gateway'),
    upstreamErrors: errorsOf('upstream alone'),
  };
}

export function evaluateSpeedTargets(
  zero: ZeroLatencySummary,
  stream: StreamSummary,
  gateway: MemoryReadings,
  streams: OpenStreamsResult,
  binary: boolean,
): TargetCheck[] {
  const checks: TargetCheck[] = [];
  const errors = (n: number) => (n > 0 ? `, ${n} gateway error(s)` : '');
  const floor = TARGETS.throughputVsPassthrough;
  checks.push({
    name: `1. 0 ms upstream, c=${CONCURRENCY}, non-stream: gateway ≥ ${floor} × pass-through`,
    pass: zero.ratio >= floor && zero.gatewayErrors === 0 && zero.passthroughErrors === 0,
    detail:
      `${zero.ratio.toFixed(3)} (median of ${describePairs(zero.pairs, 3)}); ` +
      `gateway ${fmtRate(zero.gatewayRps)} req/s vs pass-through ${fmtRate(zero.passthroughRps)} req/s${errors(zero.gatewayErrors)}`,
  });
  const rateFloor = TARGETS.streamRateVsUpstream;
  checks.push({
    name: `2a. ${STREAM_LATENCY_MS} ms upstream, c=${CONCURRENCY}, stream: gateway req/s ≥ ${rateFloor} × upstream alone`,
    pass: stream.ratio >= rateFloor && stream.gatewayErrors === 0,
    detail:
      `${stream.ratio.toFixed(4)} (${fmtRate(stream.gatewayRps)} vs ${fmtRate(stream.upstreamRps)} req/s; ` +
      `median of ${describePairs(stream.pairs, 4)})${errors(stream.gatewayErrors)}`,
  });
  const upP50 = stream.upstreamLatencyMs?.p50 ?? Number.NaN;
  const gwP50 = stream.gatewayLatencyMs?.p50 ?? Number.NaN;
  checks.push({
    name: `2b. ${STREAM_LATENCY_MS} ms upstream, c=${CONCURRENCY}, stream: gateway p50 ≤ upstream alone p50 + ${TARGETS.streamP50OverheadMs} ms`,
    pass: gwP50 <= upP50 + TARGETS.streamP50OverheadMs,
    detail: `${fmtMs(gwP50)} ms vs ≤ ${fmtMs(upP50 + TARGETS.streamP50OverheadMs)} ms (upstream alone ${fmtMs(upP50)} ms, Δp50 ${fmtMs(gwP50 - upP50)} ms)`,
  });
  const ttfb = stream.gatewayTtfbMs?.p50 ?? Number.NaN;
  checks.push({
    name: `2c. ${STREAM_LATENCY_MS} ms upstream, c=${CONCURRENCY}, stream: first byte p50 ≤ ${TARGETS.firstByteMs} ms`,
    pass: ttfb <= TARGETS.firstByteMs,
    detail: `${fmtMs(ttfb)} ms (p90 ${fmtMs(stream.gatewayTtfbMs?.p90)}, p99 ${fmtMs(stream.gatewayTtfbMs?.p99)} ms)`,
  });
  const which = binary ? 'binary' : 'FROM SOURCE (the target is for the binary: --gateway-bin dist/kimi-gateway)';
  const idle = gateway.idle;
  checks.push({
    name: `3a. idle RSS ≤ ${TARGETS.idleRssMB} MB (${which})`,
    pass: idle !== null && mb(idle.rssKiB) <= TARGETS.idleRssMB,
    detail: `${fmtMB(idle)} after ${WARMUP_REQUESTS} requests and ${IDLE_SETTLE_MS / 1000} s idle (MB = 10^6 bytes)`,
  });
  const allOpen = streams.firstBytes.open === streams.streams && streams.upstreamInFlight >= streams.streams;
  checks.push({
    name: `3b. RSS with ${streams.streams} open streams ≤ ${TARGETS.openStreamsRssMB} MB (${which})`,
    pass: allOpen && streams.open !== null && mb(streams.open.rssKiB) <= TARGETS.openStreamsRssMB,
    detail:
      `${fmtMB(streams.open)} with ${streams.firstBytes.open} streams past their first byte ` +
      `(${streams.firstBytes.failed} failed${Object.keys(streams.firstBytes.failures).length > 0 ? `: ${JSON.stringify(streams.firstBytes.failures)}` : ''}), ` +
      `${streams.upstreamInFlight} upstream calls in flight; idle before ${fmtMB(streams.idle)}, ` +
      `${IDLE_SETTLE_MS / 1000} s after closing ${fmtMB(streams.afterClose)}`,
  });
  return checks;
}

/** "3 pairs: 1: 0.301, 2: 0.297 (noisy, left out), …" */
function describePairs(pairs: readonly PairRatio[], digits: number): string {
  const counted = pairs.filter((p) => p.counted).length;
  const list = pairs.map((p) => `${p.pair}: ${p.ratio.toFixed(digits)}${p.noisy ? (p.counted ? ' (noisy)' : ' (noisy, left out)') : ''}`);
  return `${counted} pair${counted === 1 ? '' : 's'} [${list.join(', ')}]`;
}

function withoutSamples(cell: SpeedCell): SpeedCell {
  const { samples: _samples, ...stats } = cell.stats;
  return { ...cell, stats };
}

interface ReportInput {
  zeroCells: readonly SpeedCell[];
  zero: ZeroLatencySummary;
  /** The diagnostic pair through Bun's fetch (not with --quick). */
  fetchClient: ZeroLatencySummary | null;
  streamCells: readonly SpeedCell[];
  stream: StreamSummary;
  gatewayMemory: MemoryReadings;
  passthroughMemory: MemoryReadings;
  streams: OpenStreamsResult;
  checks: readonly TargetCheck[];
  gatewayCommand: string;
  loadBefore: number[];
  loadAfter: number[];
}

const ZERO_COLUMNS: readonly Column[] = [
  { title: 'pair' },
  { title: 'target', align: 'left' },
  { title: 'req/s' },
  { title: 'p50 ms' },
  { title: 'p99 ms' },
  { title: 'errors' },
  { title: 'server µs' },
  { title: 'emulator µs' },
  { title: 'load µs' },
  { title: 'bench µs' },
  { title: 'load %core' },
  { title: 'machine %' },
  { title: 'others %' },
];

const STREAM_COLUMNS: readonly Column[] = [
  { title: 'pair' },
  { title: 'target', align: 'left' },
  { title: 'req/s' },
  { title: 'p50 ms' },
  { title: 'p99 ms' },
  { title: 'TTFB p50' },
  { title: 'TTFB p99' },
  { title: 'requests' },
  { title: 'errors' },
  { title: 'others %' },
];

function errorText(stats: CellStats): string {
  const n = stats.errors + stats.warmupErrors;
  if (n === 0) return '0';
  return `${n} (${Object.entries(stats.errorKinds).map(([k, v]) => `${k} × ${v}`).join(', ') || 'in warm-up'})`;
}

const othersText = (c: SpeedCell): string => c.cpu.othersPct.toFixed(0) + (isNoisy(c) ? ' !' : '');

export function renderSpeedReport(r: ReportInput): string {
  const noisyCells = [...r.zeroCells, ...r.streamCells].filter(isNoisy).length;
  const zeroRows = r.zeroCells.map((c) => [
    String(c.pair),
    c.target,
    fmtRate(c.stats.steadyRps),
    fmtMs(c.stats.latencyMs?.p50),
    fmtMs(c.stats.latencyMs?.p99),
    errorText(c.stats),
    cpuPerRequestUs(c, c.target).toFixed(0),
    cpuPerRequestUs(c, 'emulator').toFixed(0),
    cpuPerRequestUs(c, 'load generator').toFixed(0),
    cpuPerRequestUs(c, 'bench').toFixed(0),
    ((100 * c.cpu.loadGeneratorMs) / c.cpu.wallMs).toFixed(0),
    c.cpu.machineBusyPct.toFixed(0),
    othersText(c),
  ]);
  const streamRows = r.streamCells.map((c) => [
    String(c.pair),
    c.target,
    fmtRate(c.stats.steadyRps),
    fmtMs(c.stats.latencyMs?.p50),
    fmtMs(c.stats.latencyMs?.p99),
    c.target === 'gateway' ? fmtMs(c.stats.ttfbMs?.p50) : '',
    c.target === 'gateway' ? fmtMs(c.stats.ttfbMs?.p99) : '',
    String(c.stats.requests),
    errorText(c.stats),
    othersText(c),
  ]);
  const cpu = r.zero.cpuUsPerRequest;
  const fmtLoad = (l: number[]) => l.map((v) => v.toFixed(2)).join(' / ');
  return [
    '',
    `== speed: the issue's targets in one run (gateway: ${r.gatewayCommand}) ==`,
    '',
    `Target 1: 0 ms upstream, c=${CONCURRENCY}, non-stream. Pass-through (scripts/bench/passthrough.ts) vs gateway with 4 identities × ` +
      `maxConcurrent ${POOL_MAX_CONCURRENT}, sessions in a SQLite file, metrics, LOG_LEVEL=info to a pipe the bench drains.`,
    'Cells alternate (A B, B A, …); the client is a raw keep-alive HTTP/1.1 client in its own process. CPU columns: µs of CPU per',
    'answered request (all threads) of the server measured, the emulator, the load generator and the bench process (which drains the logs).',
    '',
    renderTable(ZERO_COLUMNS, zeroRows),
    '',
    `gateway ÷ pass-through: median ${r.zero.ratio.toFixed(3)} of ${describePairs(r.zero.pairs, 3)}`,
    `CPU per request (median): pass-through ${cpu['pass-through']['pass-through']?.toFixed(0)} µs, gateway ${cpu.gateway.gateway?.toFixed(0)} µs; ` +
      `emulator ${cpu['pass-through'].emulator?.toFixed(0)} / ${cpu.gateway.emulator?.toFixed(0)} µs, load generator ` +
      `${cpu['pass-through']['load generator']?.toFixed(0)} / ${cpu.gateway['load generator']?.toFixed(0)} µs (pass-through / gateway cells)`,
    `Load generator at most ${r.zero.loadGeneratorCorePct.toFixed(0)} % of one core; ` +
      `machine at most ${r.zero.machineBusyPct.toFixed(0)} % busy (all cores = 100 %); ` +
      `others % = the machine's CPU used by processes outside the bench (! above ${NOISY_OTHERS_PCT} %: the pair is noisy and another one runs).`,
    ...(r.fetchClient === null
      ? []
      : [
          `Diagnostic (not the target): the same pair through Bun's fetch as the client: ratio ${r.fetchClient.ratio.toFixed(3)} ` +
            `(pass-through ${fmtRate(r.fetchClient.passthroughRps)}, gateway ${fmtRate(r.fetchClient.gatewayRps)} req/s; load generator ` +
            `${r.fetchClient.cpuUsPerRequest['pass-through']['load generator']?.toFixed(0)} µs/req): ` +
            'a heavier client takes CPU from the servers and flatters the ratio.',
        ]),
    '',
    `Target 2: ${STREAM_LATENCY_MS} ms upstream, c=${CONCURRENCY}. Upstream alone = the emulator used directly (page visit, then admin-ajax) vs the gateway`,
    "streaming; both through Bun's fetch in the load process. req/s: per worker, answers ÷ their span (free of the waves of a short window).",
    '',
    renderTable(STREAM_COLUMNS, streamRows),
    '',
    `pooled: upstream alone p50 ${fmtMs(r.stream.upstreamLatencyMs?.p50)} ms, gateway p50 ${fmtMs(r.stream.gatewayLatencyMs?.p50)} ms, ` +
      `gateway TTFB p50 ${fmtMs(r.stream.gatewayTtfbMs?.p50)} ms`,
    '',
    `Target 3: VmRSS of the gateway process, MB = 10^6 bytes. Idle = after start-up, ${WARMUP_REQUESTS} requests and ${IDLE_SETTLE_MS / 1000} s.`,
    `  gateway (4 × ${POOL_MAX_CONCURRENT}):  idle ${fmtMB(r.gatewayMemory.idle)}, after targets 1-2 ${fmtMB(r.gatewayMemory.afterLoad)} ` +
      `(peak ${fmtKiBAsMB(r.gatewayMemory.afterLoad?.peakRssKiB)})`,
    `  pass-through:        idle ${fmtMB(r.passthroughMemory.idle)}, after load ${fmtMB(r.passthroughMemory.afterLoad)}`,
    `  gateway (4 × ${HOLD_MAX_CONCURRENT}, BUN_CONFIG_MAX_HTTP_REQUESTS=${HOLD_FETCH_LIMIT}, upstream latency ${HOLD_LATENCY_MS / 1000} s): ` +
      `idle ${fmtMB(r.streams.idle)}, ` +
      `${r.streams.firstBytes.open} open streams ${fmtMB(r.streams.open)} (first bytes within ${fmtMs(r.streams.firstBytes.spreadMs)} ms, ` +
      `TTFB p50 ${fmtMs(r.streams.firstBytes.ttfbMs?.p50)} ms, p99 ${fmtMs(r.streams.firstBytes.ttfbMs?.p99)} ms), after closing ${fmtMB(r.streams.afterClose)}`,
    '',
    `load average (1/5/15 min) before ${fmtLoad(r.loadBefore)}, after ${fmtLoad(r.loadAfter)}`,
    '',
    '== speed targets ==',
    renderTargets(r.checks),
    ...(noisyCells > 0
      ? [
          `NOTE: other processes used > ${NOISY_OTHERS_PCT} % of the machine during ${noisyCells} cell(s); noisy pairs are left out when enough ` +
            'clean ones remain. Re-run on a quieter machine before trusting a result near its line.',
        ]
      : []),
    '',
  ].join('\n');
}
