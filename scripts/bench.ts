#!/usr/bin/env bun
// `bun run bench`: runs the benchmark sections in order (or those named by --only).
// A section is one exported function; add new ones to SECTIONS below.

import { BENCH_USAGE, parseBenchArgs, type BenchCommand } from './bench/args.ts';
import { runCoreBench } from './bench/core.ts';
import { runPoolBench } from './bench/pool.ts';
import { runProfileBench } from './bench/profile.ts';
import { runScaleBench } from './bench/scale.ts';
import { runSessionsBench } from './bench/sessions.ts';
import { runSpeedBench } from './bench/speed.ts';
import type { BenchContext, BenchSection } from './bench/types.ts';

const SECTIONS: readonly BenchSection[] = [
  { name: 'core', description: 'gateway vs emulator alone: throughput, latency, first byte, memory', run: runCoreBench },
  { name: 'pool', description: 'identity pool: picking cost, chaos run (failover, cooldowns, shares)', run: runPoolBench },
  {
    name: 'speed',
    description: 'the speed targets, PASS/FAIL: gateway vs a Bun.serve pass-through and vs upstream alone; RSS idle and with 1,000 streams',
    run: runSpeedBench,
  },
  { name: 'sessions', description: 'sessions in SQLite: per-turn cost at 1000 sessions, pruning 100k expired while requests flow', run: runSessionsBench },
  {
    name: 'scale',
    description: 'REDIS_URL, PASS/FAIL: one instance SQLite vs Redis at 0 and 500 ms upstream; 1 vs 3 instances on one Redis, per-identity limits held',
    run: runScaleBench,
  },
  {
    name: 'profile',
    description: "the gateway from source under bun --cpu-prof during the speed section's target-1 load: top functions (only with --only profile)",
    run: runProfileBench,
    onlyWhenNamed: true,
  },
];

const sectionList = SECTIONS.map((s) => `  ${s.name.padEnd(12)} ${s.description}`).join('\n');

let command: BenchCommand;
try {
  command = parseBenchArgs(Bun.argv.slice(2));
} catch (error) {
  console.error(`bench: ${(error as Error).message}\n\n${BENCH_USAGE}\n\nSections:\n${sectionList}`);
  process.exit(2);
}
if (command.kind === 'help') {
  console.log(`${BENCH_USAGE}\n\nSections:\n${sectionList}`);
  process.exit(0);
}

const { options } = command;
const unknown = options.only.filter((name) => !SECTIONS.some((s) => s.name === name));
if (unknown.length > 0) {
  console.error(`bench: unknown section(s): ${unknown.join(', ')}\n\nSections:\n${sectionList}`);
  process.exit(2);
}

const ctx: BenchContext = {
  options,
  root: new URL('..', import.meta.url).pathname,
  progress: (line) => console.error(line),
};

let failed = false;
for (const section of SECTIONS) {
  if (options.only.length > 0 ? !options.only.includes(section.name) : section.onlyWhenNamed === true) continue;
  const started = performance.now();
  try {
    await section.run(ctx);
    ctx.progress(`[${section.name}] done in ${((performance.now() - started) / 1000).toFixed(0)} s`);
  } catch (error) {
    failed = true;
    console.error(`bench: section ${section.name} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  }
}
process.exit(failed ? 1 : 0);
