// Section "profile" (only when named: `bun run bench --only profile`, or `bun run bench:profile`):
// the gateway from source under `bun --cpu-prof`, with the speed section's target-1 set-up
// (4 identities × maxConcurrent 4, sessions in SQLite, LOG_LEVEL=info to a drained pipe) and
// load (0 ms upstream, c=16, non-stream, raw client in its own process); then the top
// functions by self and total time, counted over the load only. The .cpuprofile is kept
// (bench-results/gateway.cpuprofile) for Chrome DevTools or `bun scripts/bench/cpu-profile.ts`.

import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { renderProfileSummary, summarizeCpuProfile, type CpuProfile } from './cpu-profile.ts';
import { runLoadCell } from './load-process.ts';
import { ServiceGroup, startEmulatorProcess, startGatewayProcess } from './processes.ts';
import { describeEnvironment, fmtMs, fmtRate, writeSectionResults } from './report.ts';
import { REPLY_LENGTH, SPEED_API_KEY, SPEED_MODEL, speedAccountsFile } from './speed.ts';
import type { BenchContext } from './types.ts';

const PROFILE_NAME = 'gateway.cpuprofile';
const TOP = 30;

export async function runProfileBench(ctx: BenchContext): Promise<void> {
  if (ctx.options.gatewayBin !== null) ctx.progress('[profile] --gateway-bin is ignored: the profile is taken from source (bun --cpu-prof src/main.ts)');
  const durationMs = (ctx.options.durationS ?? (ctx.options.quick ? 4 : 10)) * 1000;
  const outDir = resolve(ctx.root, ctx.options.outDir);
  await mkdir(outDir, { recursive: true });
  const profilePath = join(outDir, PROFILE_NAME);
  await rm(profilePath, { force: true });
  const group = new ServiceGroup();
  const tmp = await mkdtemp(join(tmpdir(), 'kimi-bench-profile-'));
  try {
    const emulator = await startEmulatorProcess(group, { cwd: ctx.root, latencyMs: 0, replyLength: REPLY_LENGTH });
    const accountsPath = join(tmp, 'accounts.json');
    await Bun.write(accountsPath, speedAccountsFile(4));
    const gateway = await startGatewayProcess(group, {
      cwd: ctx.root,
      upstream: emulator.url,
      apiKey: SPEED_API_KEY,
      dbPath: join(tmp, 'profile.sqlite'),
      bunFlags: ['--cpu-prof', `--cpu-prof-dir=${outDir}`, `--cpu-prof-name=${PROFILE_NAME}`],
      extraArgs: ['--accounts', accountsPath],
      env: { LOG_LEVEL: 'info' },
    });
    ctx.progress(`[profile] gateway pid ${gateway.pid} under bun --cpu-prof; ${durationMs / 1000} s of load at 0 ms upstream, c=16, non-stream`);
    const fromUs = Date.now() * 1000;
    const result = await runLoadCell(ctx.root, {
      kind: 'closed-loop',
      client: { kind: 'raw-chat', url: gateway.url, apiKey: SPEED_API_KEY, model: SPEED_MODEL, stream: false, replyLength: REPLY_LENGTH },
      concurrency: 16,
      warmupMs: 500,
      durationMs,
      messagePrefix: 'profile ',
      watch: [{ name: 'gateway', pid: gateway.pid }],
    });
    const toUs = Date.now() * 1000;
    // The profile is written when the process exits.
    await gateway.stop();
    if (!(await stat(profilePath).catch(() => null))) throw new Error(`no profile at ${profilePath}\n${gateway.recentOutput()}`);

    const profile = (await Bun.file(profilePath).json()) as CpuProfile;
    let summary = summarizeCpuProfile(profile, ctx.root, { fromUs, toUs });
    let scope = 'samples taken during the load';
    if (summary.samples === 0) {
      summary = summarizeCpuProfile(profile, ctx.root);
      scope = "all samples (none fell in the load's window: the profile's clock differs)";
    }
    const s = result.stats;
    const gatewayCpuMs = result.cpu.processesMs.gateway ?? Number.NaN;
    const sampledMs = summary.samples * summary.sampleMs;
    console.log(
      [
        '',
        '== profile: the gateway (bun --cpu-prof src/main.ts) under the speed section\'s target-1 load ==',
        '',
        `load: ${fmtRate(s.steadyRps)} req/s (profiler on), p50 ${fmtMs(s.latencyMs?.p50)} ms, errors ${s.errors}; ` +
          `gateway CPU ${((gatewayCpuMs * 1000) / Math.max(1, result.cpu.answered)).toFixed(0)} µs per request`,
        `${scope}; they stand for ~${(sampledMs / 1000).toFixed(1)} s of the gateway's ${(gatewayCpuMs / 1000).toFixed(1)} s of CPU ` +
          `(${((100 * sampledMs) / gatewayCpuMs).toFixed(0)} %)`,
        '',
        renderProfileSummary(summary, TOP),
        '',
        `profile: ${profilePath} (Chrome DevTools → Performance → Load profile; or bun scripts/bench/cpu-profile.ts ${ctx.options.outDir}/${PROFILE_NAME})`,
        '',
      ].join('\n'),
    );
    const path = await writeSectionResults(ctx.options.outDir, 'profile', {
      section: 'profile',
      generatedAt: new Date().toISOString(),
      environment: describeEnvironment(ctx.root),
      settings: { durationMs, concurrency: 16, replyLength: REPLY_LENGTH, pool: '4 identities × maxConcurrent 4', logLevel: 'info', scope },
      load: result,
      profileFile: profilePath,
      summary: { ...summary, functions: summary.functions.slice(0, 100), files: summary.files.slice(0, 50) },
    });
    ctx.progress(`[profile] wrote ${path}`);
  } finally {
    await group.stopAll();
    await rm(tmp, { recursive: true, force: true });
  }
}
