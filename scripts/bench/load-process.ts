// The load generator in its own process (scripts/bench/load-runner.ts), so the bench
// process's own work (draining the gateway's log pipe, reading /proc) never shares an event
// loop with the client. One process per cell: the bench sends a LoadSpec, the runner answers
// with one JSON line. `hold` keeps N streams open until the bench lets them go.

import type { CellStats, Distribution } from './load.ts';
import { spawnTracked } from './processes.ts';

/** How the runner talks to the target. */
export type LoadClient =
  /** The gateway or the pass-through over a raw keep-alive socket (raw-http.ts): cheapest per request. */
  | { kind: 'raw-chat'; url: string; apiKey: string; model: string; stream: boolean; replyLength: number }
  /** The gateway or the pass-through through Bun's fetch, verified like gateway-client.ts. */
  | { kind: 'fetch-chat'; url: string; apiKey: string; model: string; stream: boolean; replyLength: number }
  /** The emulator alone as a browser would use it (one page visit per worker, then admin-ajax posts), through fetch. */
  | { kind: 'fetch-direct'; url: string; replyLength: number };

/** A process whose CPU time the runner reads at the start and end of the load. */
export interface WatchedProcess {
  name: string;
  pid: number;
}

export interface ClosedLoopSpec {
  kind: 'closed-loop';
  client: LoadClient;
  concurrency: number;
  warmupMs: number;
  durationMs: number;
  /** Every message is this prefix + a sequence number, so no two requests are alike. */
  messagePrefix: string;
  keepSamples?: boolean;
  watch: WatchedProcess[];
}

export interface HoldSpec {
  kind: 'hold';
  client: Extract<LoadClient, { kind: 'raw-chat' }>;
  streams: number;
  /** Give up waiting for first bytes after this long. */
  firstByteTimeoutMs: number;
  messagePrefix: string;
}

export type LoadSpec = ClosedLoopSpec | HoldSpec;

export interface CpuUse {
  /** CPU time each watched process used during the load (ms, all threads). */
  processesMs: Record<string, number>;
  /** The runner's own CPU time during the load (ms). */
  loadGeneratorMs: number;
  /** Share of all cores busy during the load, whoever used them (from /proc/stat). */
  machineBusyPct: number;
  /**
   * Share of all cores used by processes outside the measurement (machineBusyPct less the
   * watched processes and the runner): other work on a shared machine, which skews a cell.
   */
  othersPct: number;
  /** Wall time of the load, warm-up and drain included (ms). */
  wallMs: number;
  /** Successful requests in that time (warm-up included): the denominator of CPU per request. */
  answered: number;
}

export interface ClosedLoopResult {
  stats: CellStats;
  cpu: CpuUse;
}

export interface HoldFirstBytes {
  event: 'first-bytes';
  /** Streams that got a 200 and their first body bytes. */
  open: number;
  failed: number;
  failures: Record<string, number>;
  /** All streams settled (open or failed) before the timeout. */
  complete: boolean;
  /** From the first request sent to the last first byte (ms). */
  spreadMs: number;
  ttfbMs: Distribution | null;
}

export interface HoldClosed {
  event: 'closed';
  /** Streams that ended on their own (answer finished or server closed) before the bench let go. */
  endedEarly: number;
}

const RUNNER = 'scripts/bench/load-runner.ts';

function readLines(stream: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  return (async function* () {
    const decoder = new TextDecoder();
    let buffer = '';
    for await (const chunk of stream) {
      buffer += decoder.decode(chunk, { stream: true });
      let nl = buffer.indexOf('\n');
      while (nl >= 0) {
        yield buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        nl = buffer.indexOf('\n');
      }
    }
    if (buffer.trim() !== '') yield buffer;
  })();
}

function parseLine<T>(line: string | undefined, what: string): T {
  if (line === undefined) throw new Error(`load runner ended without ${what}`);
  try {
    return JSON.parse(line) as T;
  } catch {
    throw new Error(`load runner printed something other than ${what}: ${line.slice(0, 300)}`);
  }
}

/** Runs one closed-loop cell in a fresh runner process. */
export async function runLoadCell(root: string, spec: ClosedLoopSpec): Promise<ClosedLoopResult> {
  const proc = spawnTracked({ cmd: [process.execPath, RUNNER, JSON.stringify(spec)], cwd: root });
  proc.stdin.end();
  const lines = readLines(proc.stdout);
  const first = await lines.next();
  const code = await proc.exited;
  if (code !== 0) throw new Error(`load runner exited with code ${code}`);
  return parseLine<ClosedLoopResult>(first.done ? undefined : first.value, 'a result');
}

export interface HeldStreams {
  firstBytes: HoldFirstBytes;
  /** Closes every stream; resolves once the runner has exited. */
  release(): Promise<HoldClosed>;
}

/** Opens `spec.streams` streams and resolves once each has its first byte (or failed, or the timeout passed). */
export async function holdStreams(root: string, spec: HoldSpec, env: Record<string, string> = {}): Promise<HeldStreams> {
  const proc = spawnTracked({ cmd: [process.execPath, RUNNER, JSON.stringify(spec)], cwd: root, env });
  const lines = readLines(proc.stdout);
  const first = await lines.next();
  const firstBytes = parseLine<HoldFirstBytes>(first.done ? undefined : first.value, 'the first-bytes report');
  return {
    firstBytes,
    release: async () => {
      proc.stdin.end();
      const last = await lines.next();
      const code = await proc.exited;
      if (code !== 0) throw new Error(`load runner exited with code ${code}`);
      return parseLine<HoldClosed>(last.done ? undefined : last.value, 'the closed report');
    },
  };
}
