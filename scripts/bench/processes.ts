// Child processes of the benchmark: the emulator and the gateway each run in their own
// `bun` process so the load generator never shares an event loop with them.
// Every child is registered so it is killed even when the bench fails or is interrupted.

import type { Subprocess } from 'bun';
import { readFile } from 'node:fs/promises';

type PipedProcess = Subprocess<'ignore', 'pipe', 'pipe'>;

export interface ChildService {
  readonly name: string;
  /** "http://127.0.0.1:PORT", parsed from the child's own start-up line. */
  readonly url: string;
  /** pid of the bun process itself (no shell in between), for /proc readings. */
  readonly pid: number;
  /** The last lines the child printed (stdout and stderr), for error messages. */
  recentOutput(): string;
  /** Resident memory from /proc/<pid>/status, or null once the process is gone. */
  readMemory(): Promise<MemoryReading | null>;
  /** SIGTERM, then SIGKILL after a grace period; resolves once the process has exited. */
  stop(): Promise<void>;
}

export interface MemoryReading {
  /** VmRSS */
  rssKiB: number;
  /** VmHWM: the peak resident set so far */
  peakRssKiB: number;
}

export interface StartServiceOptions {
  name: string;
  cmd: string[];
  cwd: string;
  /** Added to (and overriding) the bench's own environment. */
  env?: Record<string, string>;
  /** Matched against every output line; the first capture group is the service URL. */
  readyPattern: RegExp;
  startTimeoutMs?: number;
}

const RECENT_LINES = 80;
const TAIL_BYTES = 64 * 1024;
const STOP_GRACE_MS = 5_000;

const live = new Set<Pick<Subprocess, 'kill'>>();
let cleanupInstalled = false;

/** Kills whatever children are still alive when the bench exits or is interrupted. */
function installCleanup(): void {
  if (cleanupInstalled) return;
  cleanupInstalled = true;
  const killAll = (): void => {
    for (const proc of live) {
      try {
        proc.kill('SIGKILL');
      } catch {
        // already gone
      }
    }
    live.clear();
  };
  process.on('exit', killAll);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      killAll();
      process.exit(signal === 'SIGINT' ? 130 : 143);
    });
  }
}

/** The last bytes a child wrote, kept as raw chunks: nothing is decoded until someone asks. */
class OutputTail {
  private chunks: Uint8Array[] = [];
  private bytes = 0;

  constructor(private readonly maxBytes: number) {}

  push(chunk: Uint8Array): void {
    this.chunks.push(chunk);
    this.bytes += chunk.byteLength;
    while (this.bytes - (this.chunks[0]?.byteLength ?? 0) >= this.maxBytes) this.bytes -= this.chunks.shift()?.byteLength ?? 0;
  }

  lines(): string[] {
    const text = new TextDecoder().decode(Buffer.concat(this.chunks));
    return text.split('\n').filter((line) => line !== '');
  }
}

/**
 * Drains a child's output for its whole life, so a chatty child (a gateway logging every
 * request at info) never blocks on a full pipe. Lines are split only until `wantLines`
 * says no more (the start-up line was seen); after that chunks go to the tail unread, so
 * draining a busy log costs the bench process little.
 */
async function pumpOutput(stream: ReadableStream<Uint8Array>, tail: OutputTail, onLine: (line: string) => void, wantLines: () => boolean): Promise<void> {
  const reader = stream.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      tail.push(value);
      if (!wantLines()) continue;
      buffer += decoder.decode(value, { stream: true });
      let nl = buffer.indexOf('\n');
      while (nl >= 0) {
        onLine(buffer.slice(0, nl));
        buffer = buffer.slice(nl + 1);
        nl = buffer.indexOf('\n');
      }
    }
  } catch {
    // The pipe broke because the child died; its exit is reported elsewhere.
  }
  buffer += decoder.decode();
  if (buffer !== '' && wantLines()) onLine(buffer);
}

let clockTicksPerSecond: number | null = null;

/** CPU time (user + system, all threads) a process has used so far, in ms; null once it is gone. */
export async function readProcCpuMs(pid: number): Promise<number | null> {
  let stat: string;
  try {
    stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  clockTicksPerSecond ??= Number(Bun.spawnSync({ cmd: ['getconf', 'CLK_TCK'], stdout: 'pipe' }).stdout.toString().trim()) || 100;
  // Fields after "(comm) ": state is field 3, utime 14 and stime 15 (1-based).
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / clockTicksPerSecond;
}

/** Starts a helper process that is killed with the others if the bench exits early. */
export function spawnTracked(options: { cmd: string[]; cwd: string; env?: Record<string, string> }): Subprocess<'pipe', 'pipe', 'inherit'> {
  installCleanup();
  const proc = Bun.spawn({ cmd: options.cmd, cwd: options.cwd, env: { ...process.env, ...options.env }, stdin: 'pipe', stdout: 'pipe', stderr: 'inherit' });
  live.add(proc);
  void proc.exited.then(() => live.delete(proc));
  return proc;
}

export async function readProcMemory(pid: number): Promise<MemoryReading | null> {
  let status: string;
  try {
    status = await readFile(`/proc/${pid}/status`, 'utf8');
  } catch {
    return null;
  }
  const field = (name: string): number | null => {
    const match = new RegExp(`^${name}:\\s+(\\d+)\\s+kB`, 'm').exec(status);
    return match?.[1] !== undefined ? Number(match[1]) : null;
  };
  const rss = field('VmRSS');
  if (rss === null) return null;
  return { rssKiB: rss, peakRssKiB: field('VmHWM') ?? rss };
}

export async function startService(options: StartServiceOptions): Promise<ChildService> {
  installCleanup();
  const proc: PipedProcess = Bun.spawn({
    cmd: options.cmd,
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    stdin: 'ignore',
    stdout: 'pipe',
    stderr: 'pipe',
  });
  live.add(proc);

  const tails = { out: new OutputTail(TAIL_BYTES), err: new OutputTail(TAIL_BYTES) };
  const recentOutput = (): string =>
    (['out', 'err'] as const)
      .flatMap((tag) => tails[tag].lines().slice(-RECENT_LINES).map((line) => `[${options.name} ${tag}] ${line}`))
      .join('\n');
  let onReady: ((url: string) => void) | null = null;
  const ready = new Promise<string>((resolve) => {
    onReady = resolve;
  });
  const watchForReady = (line: string): void => {
    if (onReady === null) return;
    const url = options.readyPattern.exec(line)?.[1];
    if (url !== undefined) {
      onReady(url);
      onReady = null;
    }
  };
  const waiting = (): boolean => onReady !== null;
  void pumpOutput(proc.stdout, tails.out, watchForReady, waiting);
  void pumpOutput(proc.stderr, tails.err, watchForReady, waiting);

  const stop = async (): Promise<void> => {
    if (proc.exitCode === null && proc.signalCode === null) {
      proc.kill('SIGTERM');
      const exited = await Promise.race([proc.exited.then(() => true), Bun.sleep(STOP_GRACE_MS).then(() => false)]);
      if (!exited) {
        proc.kill('SIGKILL');
        await proc.exited;
      }
    }
    live.delete(proc);
  };

  const timeoutMs = options.startTimeoutMs ?? 15_000;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let url: string;
  try {
    url = await Promise.race([
      ready,
      proc.exited.then((code) => {
        throw new Error(`exited with code ${code} before it was ready`);
      }),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`not ready after ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
  } catch (error) {
    await stop();
    // Let the pumps flush the last lines before quoting them.
    await Bun.sleep(50);
    throw new Error(`${options.name} did not start: ${(error as Error).message}\n${recentOutput()}`);
  } finally {
    clearTimeout(timer);
  }

  return {
    name: options.name,
    url: url.replace(/\/+$/, ''),
    pid: proc.pid,
    recentOutput,
    readMemory: () => readProcMemory(proc.pid),
    stop,
  };
}

/** Services started together and stopped together (last started, first stopped). */
export class ServiceGroup {
  private readonly services: ChildService[] = [];

  async start(options: StartServiceOptions): Promise<ChildService> {
    const service = await startService(options);
    this.services.push(service);
    return service;
  }

  async stopAll(): Promise<void> {
    while (this.services.length > 0) await this.services.pop()?.stop();
  }
}

export interface EmulatorProcessOptions {
  cwd: string;
  latencyMs?: number;
  replyLength?: number;
  extraArgs?: string[];
}

export function startEmulatorProcess(group: ServiceGroup, options: EmulatorProcessOptions): Promise<ChildService> {
  return group.start({
    name: 'emulator',
    cwd: options.cwd,
    cmd: [
      process.execPath,
      'emulator/main.ts',
      '--port',
      '0',
      '--latency',
      String(options.latencyMs ?? 0),
      '--reply-length',
      String(options.replyLength ?? 200),
      ...(options.extraArgs ?? []),
    ],
    readyPattern: /kimi emulator listening on (http:\/\/[^\s"]+)/,
  });
}

export interface GatewayProcessOptions {
  cwd: string;
  upstream: string;
  apiKey: string;
  /** SQLite file for the gateway (keep it in a temporary directory). */
  dbPath: string;
  /** A compiled gateway (bun run build); default: `bun src/main.ts`. */
  binary?: string | null;
  /** Flags for `bun` itself when running from source (e.g. --cpu-prof). */
  bunFlags?: string[];
  extraArgs?: string[];
  env?: Record<string, string>;
}

export function startGatewayProcess(group: ServiceGroup, options: GatewayProcessOptions): Promise<ChildService> {
  return group.start({
    name: 'gateway',
    cwd: options.cwd,
    cmd: [
      ...(options.binary ? [options.binary] : [process.execPath, ...(options.bunFlags ?? []), 'src/main.ts']),
      '--host',
      '127.0.0.1',
      '--port',
      '0',
      '--upstream',
      options.upstream,
      '--db',
      options.dbPath,
      ...(options.extraArgs ?? []),
    ],
    env: {
      API_KEYS: options.apiKey,
      // The "listening on" line is logged at info; per-request logging stays off at info.
      LOG_LEVEL: 'info',
      // Settings from the developer's shell must not change what is measured.
      API_MASTER_KEY: '',
      ACCOUNTS_FILE: '',
      ...options.env,
    },
    readyPattern: /listening on (http:\/\/[^\s"]+)/,
  });
}

export interface PassthroughProcessOptions {
  cwd: string;
  upstream: string;
  apiKey: string;
}

/** The speed section's yardstick (scripts/bench/passthrough.ts). */
export function startPassthroughProcess(group: ServiceGroup, options: PassthroughProcessOptions): Promise<ChildService> {
  return group.start({
    name: 'passthrough',
    cwd: options.cwd,
    cmd: [process.execPath, 'scripts/bench/passthrough.ts', '--port', '0', '--upstream', options.upstream, '--api-key', options.apiKey],
    readyPattern: /passthrough listening on (http:\/\/[^\s"]+)/,
  });
}
