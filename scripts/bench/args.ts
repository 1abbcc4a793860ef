// Command-line flags of `bun run bench`.

import type { BenchOptions } from './types.ts';

export const BENCH_USAGE = `Usage: bun run bench [options]

Starts the upstream emulator and the gateway as child processes on 127.0.0.1 and
measures them; prints tables and writes bench-results/<section>.json.

Options:
  --only A[,B]     run only these sections (see the list below)
  --duration S     measured seconds per cell (default: core 5 s at 0 ms, 8 s at 500 ms;
                   speed 3 s and 8 s; profile 10 s)
  --quick          shorter cells and fewer of them, for a quick look
  --out DIR        results directory (default bench-results)
  --gateway-bin F  run the gateway from a compiled binary (e.g. dist/kimi-gateway)
                   instead of \`bun src/main.ts\`
  --help           print this help

The issue's speed targets, PASS/FAIL, in one run (~2 min; ~40 s with --quick):
  bun run build && bun run bench --only speed --gateway-bin dist/kimi-gateway
Where the gateway's time goes (bun --cpu-prof from source under the same load as
speed's target 1; prints the top functions by self and total time, keeps the profile
in bench-results/gateway.cpuprofile):
  bun run bench:profile            (= bun run bench --only profile; --duration S, default 10)
Summarise any .cpuprofile: bun scripts/bench/cpu-profile.ts FILE [--top N]`;

export type BenchCommand = { kind: 'help' } | { kind: 'run'; options: BenchOptions };

export function parseBenchArgs(argv: readonly string[]): BenchCommand {
  const options: BenchOptions = { only: [], durationS: null, quick: false, outDir: 'bench-results', gatewayBin: null };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    const eq = arg.indexOf('=');
    const flag = eq >= 0 ? arg.slice(0, eq) : arg;
    const value = (): string => {
      const v = eq >= 0 ? arg.slice(eq + 1) : argv[++i];
      if (v === undefined || v === '' || v.startsWith('--')) throw new Error(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case '--help':
      case '-h':
        return { kind: 'help' };
      case '--quick':
        options.quick = true;
        break;
      case '--only':
        options.only.push(...value().split(',').map((s) => s.trim()).filter((s) => s !== ''));
        break;
      case '--duration': {
        const raw = value();
        const seconds = Number(raw);
        if (!Number.isFinite(seconds) || seconds <= 0 || seconds > 3600) throw new Error(`--duration must be a number of seconds in (0, 3600], got "${raw}"`);
        options.durationS = seconds;
        break;
      }
      case '--out':
        options.outDir = value();
        break;
      case '--gateway-bin':
        options.gatewayBin = value();
        break;
      default:
        throw new Error(`unknown option: ${arg}`);
    }
  }
  return { kind: 'run', options };
}
