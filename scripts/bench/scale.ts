// Section "scale": what sharing the pool on Redis (REDIS_URL) costs, and what it buys, with PASS/FAIL:
//  (a) one gateway with SQLite against one with Redis, same pool and load, at 0 ms upstream
//      (non-stream) and 500 ms (stream), in alternating pairs of cells: the Redis ÷ SQLite
//      throughput ratio and the p50 difference, against the issue's targets (≤ 15 % cost at
//      0 ms, nothing measurable at 500 ms). At 0 ms, rounds of SQLite, Redis over TCP and
//      Redis over its Unix socket with every process on the same CPUs, then rounds of SQLite
//      and Redis (TCP) with redis-server on a CPU of its own (scripts/bench/cpu-pinning.ts),
//      as a Redis on its own host or core runs. The target is judged on both placements (on
//      shared CPUs redis-server's own work is taken out of the gateway's); the Unix socket's
//      figure is shown beside them (INFO);
//  (b) 1 vs 3 instances on one Redis behind a round-robin client (the client picks the instance
//      per request): aggregate throughput with a pool whose limits do not bind, then, with a
//      pool whose limits bind, what the emulator saw per identity (most calls in flight at once,
//      most calls in any rolling 60 s) against each identity's maxConcurrent and rpm.
// A redis-server is started for the section (scripts/bench/redis-process.ts) and stopped after it.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { configureEmulator } from './emulator-client.ts';
import { chatOnce, type ChatMode, type GatewayTarget } from './gateway-client.ts';
import { ownCpuPlacement, pinProcesses } from './cpu-pinning.ts';
import { runLoadCell, type ClosedLoopSpec, type LoadClient, type WatchedProcess } from './load-process.ts';
import { runClosedLoop, type CellStats } from './load.ts';
import { readProcCpuMs, ServiceGroup, startEmulatorProcess, startGatewayProcess, type ChildService } from './processes.ts';
import { startRedisProcess, type RedisProcess } from './redis-process.ts';
import { describeEnvironment, fmtMs, fmtRate, writeSectionResults } from './report.ts';
import {
  comparePairs,
  cpuUs,
  describeRefusals,
  evaluateScaleTargets,
  INSTANCES,
  LIMIT_CONCURRENCY,
  LIMIT_LATENCY_MS,
  LIMIT_POOL,
  LIMIT_QUEUE_TIMEOUT_MS,
  limitAccountsFile,
  limitIdentityIds,
  limitRows,
  NOISY_OTHERS_PCT,
  OVERHEAD_CONCURRENCY,
  overheadAccountsFile,
  POOL_IDENTITIES,
  POOL_RPM,
  renderScaleReport,
  REPLY_LENGTH,
  SCALE_API_KEY,
  SCALE_MODEL,
  SCALE_TARGETS,
  scalePlan,
  SETTING_TEXT,
  SLOW_LATENCY_MS,
  SPREAD_CONCURRENCY,
  WARMUP_REQUESTS,
  type CellTiming,
  type OverheadSetting,
  type LimitRun,
  type OverheadCell,
  type ScalePlan,
  type SpreadCell,
  type UpstreamIdentity,
} from './scale-summary.ts';
import type { BenchContext } from './types.ts';

interface Gateways {
  sqlite: ChildService;
  redis: ChildService[];
}

export async function runScaleBench(ctx: BenchContext): Promise<void> {
  const plan = scalePlan(ctx.options);
  const gatewayCommand = ctx.options.gatewayBin ?? 'bun src/main.ts';
  const binary = ctx.options.gatewayBin === null ? null : resolve(ctx.root, ctx.options.gatewayBin);
  const group = new ServiceGroup();
  const tmp = await mkdtemp(join(tmpdir(), 'kimi-bench-scale-'));
  try {
    const redis = await startRedisProcess(group, { cwd: ctx.root, dir: tmp });
    const emulator = await startEmulatorProcess(group, { cwd: ctx.root, latencyMs: 0, replyLength: REPLY_LENGTH });
    const accountsPath = join(tmp, 'accounts.json');
    await Bun.write(accountsPath, overheadAccountsFile());
    const start = (name: string, env: Record<string, string>, accounts = accountsPath, into = group) =>
      startGatewayProcess(into, {
        cwd: ctx.root,
        upstream: emulator.url,
        apiKey: SCALE_API_KEY,
        dbPath: join(tmp, `${name}.sqlite`),
        binary,
        extraArgs: ['--accounts', accounts],
        // No canary message may land on an identity whose calls are counted.
        env: { CANARY_INTERVAL_MS: '0', REDIS_URL: '', ...env },
      });
    const sharedEnv = { REDIS_URL: redis.url, KEY_PREFIX: 'kgw-bench:' };
    const gateways: Gateways = { sqlite: await start('sqlite', {}), redis: [await start('redis-1', sharedEnv)] };
    const firstRedis = gateways.redis[0]!;
    // The same over Redis's Unix socket, on a prefix of its own (it is not one of the instances of (b)).
    const unixRedis = await start('redis-unix', { REDIS_URL: redis.unixUrl, KEY_PREFIX: 'kgw-bench-unix:' });
    ctx.progress(
      `[scale] redis ${redis.url} (pid ${redis.service.pid}), emulator ${emulator.url} (pid ${emulator.pid}); gateways (${gatewayCommand}): ` +
        `SQLite ${gateways.sqlite.url} (pid ${gateways.sqlite.pid}), Redis ${firstRedis.url} (pid ${firstRedis.pid})`,
    );
    await warmUp(gateways.sqlite, 'SQLite');
    await warmUp(firstRedis, 'Redis');
    await warmUp(unixRedis, 'Redis unix');

    // (a) One instance, SQLite vs Redis. The other instances start only afterwards: every
    // release is published to every instance on the prefix, which would load this one.
    const watched = (extra: ChildService[] = []): WatchedProcess[] => [
      { name: 'emulator', pid: emulator.pid },
      { name: 'SQLite', pid: gateways.sqlite.pid },
      { name: 'Redis', pid: firstRedis.pid },
      ...extra.map((g) => ({ name: 'Redis (unix)', pid: g.pid })),
      { name: 'redis-server', pid: redis.service.pid },
      { name: 'bench', pid: process.pid },
    ];
    const watch = watched();
    const client = (service: ChildService, kind: 'raw-chat' | 'fetch-chat', stream: boolean): LoadClient => ({
      kind,
      url: service.url,
      apiKey: SCALE_API_KEY,
      model: SCALE_MODEL,
      stream,
      replyLength: REPLY_LENGTH,
    });
    const byMode: Record<StoreMode, ChildService> = { SQLite: gateways.sqlite, Redis: firstRedis, 'Redis (unix)': unixRedis };
    const zeroSpec =
      (prefix: string, watching: WatchedProcess[]) =>
      (round: number, mode: StoreMode): ClosedLoopSpec => ({
        kind: 'closed-loop',
        concurrency: OVERHEAD_CONCURRENCY,
        ...plan.zero,
        watch: watching,
        client: client(byMode[mode], 'raw-chat', false),
        messagePrefix: `${prefix}-${round}-${mode} `,
      });
    const zeroCells = await runOverheadRounds(ctx, 0, 'shared', plan.zeroRounds, ['SQLite', 'Redis', 'Redis (unix)'], zeroSpec('scale-0ms', watched([unixRedis])));
    await unixRedis.stop();
    // SQLite and Redis again with redis-server on a CPU of its own and everything else on the others.
    const own = ownCpuPlacement();
    let ownCpuCells: OverheadCell[] = [];
    if ('placement' in own) {
      const { placement } = own;
      const rest = [gateways.sqlite.pid, firstRedis.pid, emulator.pid, process.pid];
      ctx.progress(`[scale] redis-server on CPU ${placement.redis}; gateways, emulator and load runner on CPUs ${placement.rest}`);
      try {
        pinProcesses([redis.service.pid], placement.redis);
        pinProcesses(rest, placement.rest);
        ownCpuCells = await runOverheadRounds(ctx, 0, 'redis-own-cpu', plan.zeroRounds, ['SQLite', 'Redis'], zeroSpec('scale-0ms-own-cpu', watch));
      } finally {
        pinProcesses([redis.service.pid, ...rest], placement.all);
      }
    } else {
      ctx.progress(`[scale] the cells with redis-server on a CPU of its own are skipped: ${own.skipped}`);
    }
    await configureEmulator(emulator.url, { latencyMs: SLOW_LATENCY_MS });
    const slowCells = await runOverheadRounds(ctx, SLOW_LATENCY_MS, 'shared', plan.slowPairs, ['SQLite', 'Redis'], (pair, mode) => ({
      kind: 'closed-loop',
      concurrency: OVERHEAD_CONCURRENCY,
      ...plan.slow,
      watch,
      client: client(mode === 'SQLite' ? gateways.sqlite : firstRedis, 'fetch-chat', true),
      messagePrefix: `scale-500ms-${pair}-${mode} `,
    }));
    await configureEmulator(emulator.url, { latencyMs: 0 });
    await gateways.sqlite.stop();

    // (b) 1 vs 3 instances on one Redis, a pool that does not bind.
    for (let i = 2; i <= INSTANCES; i++) gateways.redis.push(await start(`redis-${i}`, sharedEnv));
    for (const [i, g] of gateways.redis.entries()) if (i > 0) await warmUp(g, `Redis ${i + 1}`);
    ctx.progress(`[scale] ${INSTANCES} instances on ${redis.url}: ${gateways.redis.map((g) => `${g.url} (pid ${g.pid})`).join(', ')}`);
    const spreadCells = await runSpreadPairs(ctx, gateways.redis, redis, plan);

    // (b) The limits: fresh instances, identities and key prefix for each cell.
    const limitRuns: LimitRun[] = [];
    for (const instances of [1, INSTANCES]) {
      limitRuns.push(await runLimitCell(ctx, { emulator, redis, tmp, instances, windowMs: plan.limitWindowMs, start }));
    }

    const zero = comparePairs(zeroCells, 'SQLite', 'Redis', plan.zeroRounds);
    const zeroUnix = comparePairs(zeroCells, 'SQLite', 'Redis (unix)', plan.zeroRounds);
    const unixVsTcp = comparePairs(zeroCells, 'Redis', 'Redis (unix)', plan.zeroRounds);
    const zeroOwnCpu = 'placement' in own ? comparePairs(ownCpuCells, 'SQLite', 'Redis', plan.zeroRounds) : null;
    const slow = comparePairs(slowCells, 'SQLite', 'Redis', plan.slowPairs);
    const spread = comparePairs(spreadCells, '1 instance', `${INSTANCES} instances`, plan.spreadPairs);
    const checks = evaluateScaleTargets({ zero, zeroUnix, zeroOwnCpu, ownCpuSkipped: 'skipped' in own ? own.skipped : null, slow, limits: limitRuns });
    const redisWarnings = redisComplaints(redis.service.recentOutput());
    console.log(renderScaleReport({ zeroCells, ownCpuCells, slowCells, zero, zeroUnix, unixVsTcp, zeroOwnCpu, slow, spreadCells, spread, limitRuns, checks, gatewayCommand, redisWarnings }));

    const path = await writeSectionResults(ctx.options.outDir, 'scale', {
      section: 'scale',
      generatedAt: new Date().toISOString(),
      environment: describeEnvironment(ctx.root),
      settings: {
        gatewayCommand,
        model: SCALE_MODEL,
        replyLength: REPLY_LENGTH,
        plan,
        redis: 'redis-server on 127.0.0.1, appendonly yes, appendfsync everysec, no RDB snapshots, noeviction',
        overhead: {
          concurrency: OVERHEAD_CONCURRENCY,
          pool: { identities: POOL_IDENTITIES, maxConcurrent: Math.max(OVERHEAD_CONCURRENCY, SPREAD_CONCURRENCY), rpm: POOL_RPM },
          clients: { '0 ms': 'raw keep-alive HTTP/1.1, non-stream, own process', [`${SLOW_LATENCY_MS} ms`]: "Bun's fetch, stream, own process" },
        },
        spread: { instances: INSTANCES, concurrency: SPREAD_CONCURRENCY, client: "Bun's fetch in the bench process, round-robin per request, non-stream, 0 ms upstream" },
        limits: { pool: LIMIT_POOL, upstreamLatencyMs: LIMIT_LATENCY_MS, concurrency: LIMIT_CONCURRENCY, queueTimeoutMs: LIMIT_QUEUE_TIMEOUT_MS },
        targets: SCALE_TARGETS,
      },
      overhead: {
        zero: { cells: zeroCells, ...zero },
        zeroUnixSocket: zeroUnix,
        unixSocketVsTcp: unixVsTcp,
        zeroRedisOwnCpu: zeroOwnCpu === null ? { skipped: 'skipped' in own ? own.skipped : '' } : { placement: 'placement' in own ? own.placement : null, cells: ownCpuCells, ...zeroOwnCpu },
        slow: { cells: slowCells, ...slow },
      },
      spread: { cells: spreadCells, ...spread },
      limits: limitRuns,
      redisWarnings,
      targets: checks,
    });
    ctx.progress(`[scale] wrote ${path}`);
  } finally {
    await group.stopAll();
    await rm(tmp, { recursive: true, force: true });
  }
}

/** What redis-server said about its own slowness (a busy disk delaying the append-only file, say), which skews the Redis cells. */
function redisComplaints(output: string): string[] {
  return output
    .split('\n')
    .filter((line) => /fsync|too long|latency|slow/i.test(line))
    .map((line) => line.replace(/^\[redis (out|err)\] /, ''))
    .slice(-5);
}

/** A few requests of each mode, one at a time: the instance works, its scripts are loaded, its identities have a nonce. */
async function warmUp(service: ChildService, name: string): Promise<void> {
  const target: GatewayTarget = { url: service.url, apiKey: SCALE_API_KEY, model: SCALE_MODEL, replyLength: REPLY_LENGTH };
  for (let i = 0; i < WARMUP_REQUESTS; i++) {
    const mode: ChatMode = i % 2 === 0 ? 'non-stream' : 'stream';
    const outcome = await chatOnce(target, mode, `scale warm-up ${name} ${i}`, AbortSignal.timeout(10_000));
    if (!outcome.ok) throw new Error(`${name} gateway: warm-up request ${i} (${mode}) failed: ${outcome.error}\n${service.recentOutput()}`);
  }
}

/** The gateway a cell loads: SQLite mode, or Redis mode over TCP or over Redis's Unix socket. */
type StoreMode = 'SQLite' | 'Redis' | 'Redis (unix)';

/**
 * Rounds of one cell per mode, in an order that rotates each round (A B C, B C A, …), so each
 * comparison is made within a round; a noisy round gets another one (at most twice as many).
 */
async function runOverheadRounds(
  ctx: BenchContext,
  latencyMs: number,
  setting: OverheadSetting,
  wanted: number,
  modes: readonly StoreMode[],
  spec: (round: number, mode: StoreMode) => ClosedLoopSpec,
): Promise<OverheadCell[]> {
  const cells: OverheadCell[] = [];
  let clean = 0;
  for (let round = 1; clean < wanted && round <= 2 * wanted; round++) {
    const shift = (round - 1) % modes.length;
    const order = [...modes.slice(shift), ...modes.slice(0, shift)];
    const these: OverheadCell[] = [];
    for (const mode of order) {
      const result = await runLoadCell(ctx.root, spec(round, mode));
      const cell: OverheadCell = { pair: round, label: mode, latencyMs, setting, stats: result.stats, cpu: result.cpu, noisy: result.cpu.othersPct > NOISY_OTHERS_PCT };
      const s = cell.stats;
      ctx.progress(
        `[scale] ${String(latencyMs).padStart(3)} ms (${SETTING_TEXT[setting]})  round ${round}  ${mode.padEnd(12)} ${fmtRate(s.steadyRps).padStart(6)} req/s  ` +
          `p50 ${fmtMs(s.latencyMs?.p50)} ms  gateway ${cpuUs(cell, mode).toFixed(0)} µs/req  redis-server ${cpuUs(cell, 'redis-server').toFixed(0)} µs/req  ` +
          `others ${cell.cpu.othersPct.toFixed(0)} %  errors ${s.errors + s.warmupErrors}`,
      );
      these.push(cell);
    }
    if (these.some((c) => c.noisy)) ctx.progress(`[scale] round ${round} was noisy (other processes used > ${NOISY_OTHERS_PCT} % of the machine): another round follows`);
    else clean++;
    cells.push(...these);
  }
  return cells;
}

/** Runs a closed loop whose client sends request n to instance n mod N; counts answers per instance. */
async function roundRobin(
  targets: readonly GatewayTarget[],
  options: { concurrency: number; timing: CellTiming; messagePrefix: string; mode: ChatMode; onStart?: () => Promise<void> },
): Promise<{ stats: CellStats; answeredPerInstance: number[] }> {
  const answeredPerInstance = targets.map(() => 0);
  const stats = await runClosedLoop({
    concurrency: options.concurrency,
    ...options.timing,
    onStart: options.onStart,
    setupWorker: async () => undefined,
    request: async (_, seq, signal) => {
      const i = seq % targets.length;
      const outcome = await chatOnce(targets[i]!, options.mode, `${options.messagePrefix}${seq}`, signal);
      if (outcome.ok) answeredPerInstance[i]!++;
      return outcome;
    },
  });
  return { stats, answeredPerInstance };
}

const targetOf = (service: ChildService): GatewayTarget => ({ url: service.url, apiKey: SCALE_API_KEY, model: SCALE_MODEL, replyLength: REPLY_LENGTH });

async function runSpreadPairs(ctx: BenchContext, instances: readonly ChildService[], redis: RedisProcess, plan: ScalePlan): Promise<SpreadCell[]> {
  const cells: SpreadCell[] = [];
  for (let pair = 1; pair <= plan.spreadPairs; pair++) {
    const order = pair % 2 === 1 ? [1, instances.length] : [instances.length, 1];
    for (const n of order) {
      const used = instances.slice(0, n);
      const pids = [...used.map((g) => g.pid), redis.service.pid];
      let before: (number | null)[] = [];
      let benchBefore = process.cpuUsage();
      const { stats, answeredPerInstance } = await roundRobin(used.map(targetOf), {
        concurrency: SPREAD_CONCURRENCY,
        timing: plan.spread,
        messagePrefix: `scale-spread-${pair}-${n} `,
        mode: 'non-stream',
        onStart: async () => {
          before = await Promise.all(pids.map(readProcCpuMs));
          benchBefore = process.cpuUsage();
        },
      });
      const bench = process.cpuUsage(benchBefore);
      const after = await Promise.all(pids.map(readProcCpuMs));
      const spent = pids.map((_, i) => (after[i] ?? Number.NaN) - (before[i] ?? Number.NaN));
      const answered = stats.warmupRequests - stats.warmupErrors + stats.ok;
      const perRequest = (ms: number) => (answered === 0 ? Number.NaN : (ms * 1000) / answered);
      const cell: SpreadCell = {
        pair,
        label: n === 1 ? '1 instance' : `${n} instances`,
        instances: n,
        stats,
        noisy: false,
        answeredPerInstance,
        cpuUsPerRequest: {
          gateways: perRequest(spent.slice(0, n).reduce((a, b) => a + b, 0)),
          redis: perRequest(spent[n] ?? Number.NaN),
          bench: perRequest((bench.user + bench.system) / 1000),
        },
      };
      ctx.progress(
        `[scale] spread pair ${pair}  ${cell.label.padEnd(11)} ${fmtRate(stats.steadyRps).padStart(6)} req/s  p50 ${fmtMs(stats.latencyMs?.p50)} ms  ` +
          `answered per instance ${answeredPerInstance.join('/')}  gateways ${cell.cpuUsPerRequest.gateways.toFixed(0)} µs/req  errors ${stats.errors + stats.warmupErrors}`,
      );
      cells.push(cell);
    }
  }
  return cells;
}

/** The emulator's per-identity stats, with the arrival time of each message (emulator/stats.ts). */
async function readUpstreamIdentities(baseUrl: string): Promise<Record<string, UpstreamIdentity | undefined>> {
  const response = await fetch(`${baseUrl}/__emulator/stats`);
  if (response.status !== 200) throw new Error(`GET /__emulator/stats answered ${response.status}`);
  return ((await response.json()) as { identities: Record<string, UpstreamIdentity | undefined> }).identities;
}

interface LimitCellInput {
  emulator: ChildService;
  redis: RedisProcess;
  tmp: string;
  instances: number;
  windowMs: number;
  start: (name: string, env: Record<string, string>, accounts: string, into: ServiceGroup) => Promise<ChildService>;
}

async function runLimitCell(ctx: BenchContext, input: LimitCellInput): Promise<LimitRun> {
  const { emulator, redis, tmp, instances, windowMs } = input;
  const ids = limitIdentityIds(instances);
  const accounts = join(tmp, `accounts-limits-${instances}.json`);
  await Bun.write(accounts, limitAccountsFile(ids));
  const group = new ServiceGroup();
  try {
    const env = { REDIS_URL: redis.url, KEY_PREFIX: `kgw-bench-limits-${instances}:`, QUEUE_TIMEOUT_MS: String(LIMIT_QUEUE_TIMEOUT_MS) };
    const gateways: ChildService[] = [];
    for (let i = 1; i <= instances; i++) gateways.push(await input.start(`limits-${instances}-${i}`, env, accounts, group));
    await configureEmulator(emulator.url, { latencyMs: LIMIT_LATENCY_MS });
    ctx.progress(
      `[scale] limits: ${instances} instance(s), ${LIMIT_POOL.identities} identities × maxConcurrent ${LIMIT_POOL.maxConcurrent}, rpm ${LIMIT_POOL.rpm}; ` +
        `${LIMIT_CONCURRENCY} clients for ${windowMs / 1000} s, upstream ${LIMIT_LATENCY_MS} ms`,
    );
    const { stats, answeredPerInstance } = await roundRobin(gateways.map(targetOf), {
      concurrency: LIMIT_CONCURRENCY,
      timing: { warmupMs: 0, durationMs: windowMs },
      messagePrefix: `scale-limits-${instances} `,
      mode: 'non-stream',
    });
    const rows = limitRows(ids, await readUpstreamIdentities(emulator.url));
    ctx.progress(
      `[scale] limits, ${instances} instance(s): ${stats.ok} answered (${answeredPerInstance.join('/')}), ${describeRefusals(stats)}; ` +
        rows.map((r) => `${r.id} in flight ≤ ${r.maxInFlight}, ${r.mostInWindow} in 60 s`).join('; '),
    );
    return { instances, windowMs, concurrency: LIMIT_CONCURRENCY, stats, rows, answeredPerInstance };
  } finally {
    await configureEmulator(emulator.url, { latencyMs: 0 });
    await group.stopAll();
  }
}
