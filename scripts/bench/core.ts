// Section "core": the gateway in front of the emulator against the emulator alone,
// for {non-stream, stream} × concurrency {1, 16, 256} × upstream latency {0, 500 ms},
// plus the gateway's resident memory idle and after the load, and the targets.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { configureEmulator, readEmulatorStats, sendToEmulator, visitChatPage, type EmulatorStats } from './emulator-client.ts';
import { CHAT_MODES, chatOnce, type ChatMode, type GatewayTarget } from './gateway-client.ts';
import { runClosedLoop, type CellStats } from './load.ts';
import { ServiceGroup, startEmulatorProcess, startGatewayProcess, type ChildService, type MemoryReading } from './processes.ts';
import { describeEnvironment, fmtMiB, fmtMs, fmtRate, renderTable, renderTargets, writeSectionResults, type Column, type TargetCheck } from './report.ts';
import type { BenchContext, BenchOptions } from './types.ts';

export const CORE_CONCURRENCY: readonly number[] = [1, 16, 256];
export const CORE_LATENCIES_MS: readonly number[] = [0, 500];
export const REPLY_LENGTH = 200;
export const BENCH_API_KEY = 'bench-key';
export const BENCH_MODEL = 'kimi-k2-instruct-0905';

const WARMUP_REQUESTS = 20;

/**
 * The gateway runs with one identity allowed as many concurrent upstream calls as the
 * largest concurrency measured, so this section measures the gateway's own cost, not the
 * pool's per-identity limit (the built-in anonymous identity allows 4 at once, which caps
 * throughput at 4 / upstream latency; the pool's behaviour belongs to its own section).
 */
export function coreAccountsFile(maxConcurrent: number): string {
  return `${JSON.stringify({ identities: [{ id: 'bench', maxConcurrent }] }, null, 2)}\n`;
}
const SETTLE_MS = 2_000;

// The targets.
const TARGET_LATENCY_MS = 500;
const TARGET_CONCURRENCY = 16;
const THROUGHPUT_RATIO = 0.95;
const P50_OVERHEAD_MS = 5;
const FIRST_BYTE_MS = 5;
const IDLE_RSS_MB = 60;

export type CellTarget = 'emulator' | 'gateway';

export interface CoreCell {
  target: CellTarget;
  /** 'direct' for the emulator alone (always one JSON answer). */
  mode: ChatMode | 'direct';
  latencyMs: number;
  stats: CellStats;
}

export interface CellTiming {
  warmupMs: number;
  durationMs: number;
}

/** 5 s at latency 0 and 8 s at 500 ms by default, each after a 1 s warm-up. */
export function cellTiming(options: BenchOptions, latencyMs: number): CellTiming {
  if (options.durationS !== null) return { warmupMs: options.quick ? 500 : 1_000, durationMs: options.durationS * 1000 };
  if (options.quick) return { warmupMs: 500, durationMs: 2_000 };
  return { warmupMs: 1_000, durationMs: latencyMs === 0 ? 5_000 : 8_000 };
}

interface MemorySnapshot {
  idle: MemoryReading | null;
  afterLoad: MemoryReading | null;
}

export async function runCoreBench(ctx: BenchContext): Promise<void> {
  const group = new ServiceGroup();
  const tmp = await mkdtemp(join(tmpdir(), 'kimi-bench-'));
  let messageSeq = 0;
  let directVisits = 0;
  const nextMessage = (): string => `bench message ${messageSeq++}`;
  try {
    const emulator = await startEmulatorProcess(group, { cwd: ctx.root, latencyMs: 0, replyLength: REPLY_LENGTH });
    const accountsPath = join(tmp, 'accounts.json');
    const maxConcurrent = Math.max(...CORE_CONCURRENCY);
    await Bun.write(accountsPath, coreAccountsFile(maxConcurrent));
    const gateway = await startGatewayProcess(group, {
      cwd: ctx.root,
      upstream: emulator.url,
      apiKey: BENCH_API_KEY,
      dbPath: join(tmp, 'bench.sqlite'),
      binary: ctx.options.gatewayBin === null ? null : resolve(ctx.root, ctx.options.gatewayBin),
      extraArgs: ['--accounts', accountsPath],
    });
    ctx.progress(
      `[core] emulator ${emulator.url} (pid ${emulator.pid}), gateway ${gateway.url} (pid ${gateway.pid}, ${ctx.options.gatewayBin ?? 'bun src/main.ts'})`,
    );
    const target: GatewayTarget = { url: gateway.url, apiKey: BENCH_API_KEY, model: BENCH_MODEL, replyLength: REPLY_LENGTH };

    await warmUp(target, gateway, nextMessage);
    await Bun.sleep(SETTLE_MS);
    const gatewayMemory: MemorySnapshot = { idle: await gateway.readMemory(), afterLoad: null };
    const emulatorMemory: MemorySnapshot = { idle: await emulator.readMemory(), afterLoad: null };
    ctx.progress(`[core] gateway idle RSS ${fmtMiB(gatewayMemory.idle?.rssKiB)}`);

    const cells: CoreCell[] = [];
    for (const latencyMs of CORE_LATENCIES_MS) {
      await configureEmulator(emulator.url, { latencyMs });
      const timing = cellTiming(ctx.options, latencyMs);
      for (const concurrency of CORE_CONCURRENCY) {
        // Ceiling and gateway cells side by side, so drift on the machine hits both alike.
        const direct = await runClosedLoop({
          concurrency,
          ...timing,
          setupWorker: (_, signal) => {
            directVisits++;
            return visitChatPage(emulator.url, REPLY_LENGTH, signal);
          },
          request: (visitor, _, signal) => sendToEmulator(visitor, nextMessage(), signal),
        });
        cells.push(logCell(ctx, { target: 'emulator', mode: 'direct', latencyMs, stats: direct }));
        for (const mode of CHAT_MODES) {
          const stats = await runClosedLoop({
            concurrency,
            ...timing,
            setupWorker: async () => undefined,
            request: (_, __, signal) => chatOnce(target, mode, nextMessage(), signal),
          });
          cells.push(logCell(ctx, { target: 'gateway', mode, latencyMs, stats }));
        }
      }
    }

    await Bun.sleep(SETTLE_MS);
    gatewayMemory.afterLoad = await gateway.readMemory();
    emulatorMemory.afterLoad = await emulator.readMemory();
    const upstreamStats = await readEmulatorStats(emulator.url);

    const upstream = summarizeUpstream(upstreamStats, directVisits);
    const checks = evaluateTargets(cells, gatewayMemory.idle);
    console.log(renderCoreReport(cells, gatewayMemory, emulatorMemory, upstream, checks, ctx.options.gatewayBin ?? 'bun src/main.ts'));

    const path = await writeSectionResults(ctx.options.outDir, 'core', {
      section: 'core',
      generatedAt: new Date().toISOString(),
      environment: describeEnvironment(ctx.root),
      settings: {
        replyLength: REPLY_LENGTH,
        concurrency: CORE_CONCURRENCY,
        latenciesMs: CORE_LATENCIES_MS,
        timing: Object.fromEntries(CORE_LATENCIES_MS.map((l) => [String(l), cellTiming(ctx.options, l)])),
        warmupRequestsBeforeIdleRss: WARMUP_REQUESTS,
        settleMsBeforeRss: SETTLE_MS,
        model: BENCH_MODEL,
        gatewayCommand: ctx.options.gatewayBin ?? 'bun src/main.ts',
        gatewayIdentities: [{ id: 'bench', maxConcurrent: Math.max(...CORE_CONCURRENCY) }],
      },
      processes: {
        gateway: { pid: gateway.pid, url: gateway.url },
        emulator: { pid: emulator.pid, url: emulator.url },
      },
      memory: { gateway: gatewayMemory, emulator: emulatorMemory },
      upstream,
      cells,
      targets: checks,
    });
    ctx.progress(`[core] wrote ${path}`);
  } finally {
    await group.stopAll();
    await rm(tmp, { recursive: true, force: true });
  }
}

/** A few requests of each mode so the idle reading is of a gateway that has served traffic. */
async function warmUp(target: GatewayTarget, gateway: ChildService, nextMessage: () => string): Promise<void> {
  for (let i = 0; i < WARMUP_REQUESTS; i++) {
    const mode: ChatMode = i % 2 === 0 ? 'non-stream' : 'stream';
    const outcome = await chatOnce(target, mode, nextMessage(), AbortSignal.timeout(10_000));
    if (!outcome.ok) throw new Error(`warm-up request ${i} (${mode}) failed: ${outcome.error}\n${gateway.recentOutput()}`);
  }
}

function logCell(ctx: BenchContext, cell: CoreCell): CoreCell {
  const s = cell.stats;
  ctx.progress(
    `[core] ${label(cell).padEnd(18)} latency ${String(cell.latencyMs).padStart(3)} ms  c=${String(s.concurrency).padEnd(3)}  ` +
      `${fmtRate(s.throughputRps).padStart(6)} req/s  p50 ${fmtMs(s.latencyMs?.p50)} ms  p99 ${fmtMs(s.latencyMs?.p99)} ms  errors ${s.errors}`,
  );
  return cell;
}

function describeErrors(cell: CoreCell): string {
  const kinds = Object.entries(cell.stats.errorKinds).map(([kind, n]) => `${kind} × ${n}`);
  return `${label(cell)}, latency ${cell.latencyMs} ms, c=${cell.stats.concurrency}: ${kinds.join(', ')}`;
}

function label(cell: CoreCell): string {
  return cell.target === 'emulator' ? 'emulator alone' : `gateway ${cell.mode}`;
}

function findCell(cells: readonly CoreCell[], target: CellTarget, mode: CoreCell['mode'], latencyMs: number, concurrency: number): CoreCell | undefined {
  return cells.find((c) => c.target === target && c.mode === mode && c.latencyMs === latencyMs && c.stats.concurrency === concurrency);
}

export function evaluateTargets(cells: readonly CoreCell[], idle: MemoryReading | null): TargetCheck[] {
  const checks: TargetCheck[] = [];
  const ceiling = findCell(cells, 'emulator', 'direct', TARGET_LATENCY_MS, TARGET_CONCURRENCY);
  const where = `latency ${TARGET_LATENCY_MS} ms, c=${TARGET_CONCURRENCY}`;
  for (const mode of CHAT_MODES) {
    const cell = findCell(cells, 'gateway', mode, TARGET_LATENCY_MS, TARGET_CONCURRENCY);
    if (cell === undefined || ceiling === undefined) continue;
    const floor = THROUGHPUT_RATIO * ceiling.stats.throughputRps;
    const rps = cell.stats.throughputRps;
    checks.push({
      name: `throughput ${mode}, ${where}`,
      pass: rps >= floor && cell.stats.errors === 0,
      detail: `${fmtRate(rps)} req/s vs ≥ ${fmtRate(floor)} (${THROUGHPUT_RATIO} × emulator alone ${fmtRate(ceiling.stats.throughputRps)}), ` +
        `${(100 * rps / ceiling.stats.throughputRps).toFixed(1)} %, errors ${cell.stats.errors}`,
    });
    const p50 = cell.stats.latencyMs?.p50 ?? Number.NaN;
    const limit = TARGET_LATENCY_MS + P50_OVERHEAD_MS;
    checks.push({
      name: `latency p50 ${mode}, ${where}`,
      pass: p50 <= limit,
      detail: `${fmtMs(p50)} ms vs ≤ ${limit} ms (emulator alone p50 ${fmtMs(ceiling.stats.latencyMs?.p50)} ms, ` +
        `gateway Δp50 ${fmtMs(p50 - (ceiling.stats.latencyMs?.p50 ?? Number.NaN))} ms, n=${cell.stats.ok})`,
    });
  }
  for (const concurrency of [1, TARGET_CONCURRENCY]) {
    const cell = findCell(cells, 'gateway', 'stream', TARGET_LATENCY_MS, concurrency);
    if (cell === undefined) continue;
    const ttfb = cell.stats.ttfbMs?.p50 ?? Number.NaN;
    checks.push({
      name: `first byte (stream TTFB p50), latency ${TARGET_LATENCY_MS} ms, c=${concurrency}`,
      pass: ttfb <= FIRST_BYTE_MS,
      detail: `${fmtMs(ttfb)} ms vs ≤ ${FIRST_BYTE_MS} ms (p99 ${fmtMs(cell.stats.ttfbMs?.p99)} ms)`,
    });
  }
  if (idle !== null) {
    const mb = (idle.rssKiB * 1024) / 1e6;
    checks.push({
      name: 'gateway idle RSS',
      pass: mb <= IDLE_RSS_MB,
      detail: `${mb.toFixed(1)} MB (${fmtMiB(idle.rssKiB)}) vs ≤ ${IDLE_RSS_MB} MB`,
    });
  }
  return checks;
}

const COLUMNS: readonly Column[] = [
  { title: 'latency' },
  { title: 'conc' },
  { title: 'target', align: 'left' },
  { title: 'req/s' },
  { title: 'vs emu' },
  { title: 'p50 ms' },
  { title: 'p99 ms' },
  { title: 'Δp50 ms' },
  { title: 'TTFB p50' },
  { title: 'TTFB p99' },
  { title: 'TTFC p50' },
  { title: 'TTFC p99' },
  { title: 'requests' },
  { title: 'errors' },
];

export function renderCoreReport(
  cells: readonly CoreCell[],
  gateway: MemorySnapshot,
  emulator: MemorySnapshot,
  upstream: UpstreamSummary,
  checks: readonly TargetCheck[],
  gatewayCommand: string,
): string {
  const errorNotes: string[] = [];
  const rows = cells.map((cell) => {
    const s = cell.stats;
    const ceiling = findCell(cells, 'emulator', 'direct', cell.latencyMs, s.concurrency);
    const own = cell.target === 'gateway' && ceiling !== undefined;
    const vs = own ? `${((100 * s.throughputRps) / ceiling.stats.throughputRps).toFixed(1)} %` : '';
    let errors = '0';
    if (s.errors > 0) {
      errorNotes.push(`[${errorNotes.length + 1}] ${describeErrors(cell)}`);
      errors = `${s.errors} [${errorNotes.length}]`;
    }
    const delta = own ? fmtMs((s.latencyMs?.p50 ?? Number.NaN) - (ceiling.stats.latencyMs?.p50 ?? Number.NaN)) : '';
    return [
      `${cell.latencyMs} ms`,
      String(s.concurrency),
      label(cell),
      fmtRate(s.throughputRps),
      vs,
      fmtMs(s.latencyMs?.p50),
      fmtMs(s.latencyMs?.p99),
      delta,
      fmtMs(s.ttfbMs?.p50),
      fmtMs(s.ttfbMs?.p99),
      fmtMs(s.ttfcMs?.p50),
      fmtMs(s.ttfcMs?.p99),
      String(s.requests),
      errors,
    ];
  });
  const memory = (name: string, m: MemorySnapshot): string =>
    `${name.padEnd(9)} RSS idle ${fmtMiB(m.idle?.rssKiB)}, after load ${fmtMiB(m.afterLoad?.rssKiB)}, peak ${fmtMiB(m.afterLoad?.peakRssKiB)}`;
  return [
    '',
    '== core: gateway vs emulator alone (closed loop; times in ms; TTFB = first body bytes; TTFC = first content) ==',
    '',
    renderTable(COLUMNS, rows),
    '',
    'vs emu = gateway req/s ÷ emulator-alone req/s at the same latency and concurrency; Δp50 = gateway p50 − emulator-alone p50.',
    'Non-stream and emulator-alone answers are one JSON object, so their TTFC is the full latency.',
    `Gateway: ${gatewayCommand}, one upstream identity allowed ${Math.max(...CORE_CONCURRENCY)} concurrent calls (its own cost, not the pool's limits).`,
    ...(errorNotes.length > 0 ? ['', 'errors:', ...errorNotes] : []),
    '',
    memory('gateway', gateway),
    memory('emulator', emulator),
    upstream.gateway === null
      ? ''
      : `gateway's upstream identity: ${upstream.gateway.messages} messages, ${upstream.gateway.pages} chat-page fetch(es), ` +
        `at most ${upstream.gateway.maxInFlight} messages in flight at once`,
    '',
    '== targets ==',
    renderTargets(checks),
    '',
  ].join('\n');
}

export interface UpstreamSummary {
  /** Identities the emulator saw (the gateway's one, plus one per emulator-alone worker). */
  identities: number;
  /**
   * The gateway's identity (the one with the most messages). A first page view has no
   * cookie yet and counts as "anonymous", as do the emulator-alone workers' visits, so
   * pages = the identity's own page fetches + anonymous page views − the bench's own visits.
   */
  gateway: { pages: number; messages: number; maxInFlight: number } | null;
}

const ANONYMOUS_IDENTITY = 'anonymous';

function summarizeUpstream(stats: EmulatorStats, benchPageVisits: number): UpstreamSummary {
  let busiest: { pages: number; messages: number; maxInFlight: number } | null = null;
  for (const s of Object.values(stats.identities)) {
    if (busiest === null || s.messages > busiest.messages) busiest = { pages: s.pages, messages: s.messages, maxInFlight: s.maxInFlight };
  }
  const anonymousPages = stats.identities[ANONYMOUS_IDENTITY]?.pages ?? 0;
  const gateway = busiest === null ? null : { ...busiest, pages: busiest.pages + Math.max(0, anonymousPages - benchPageVisits) };
  return { identities: Object.keys(stats.identities).length, gateway };
}
