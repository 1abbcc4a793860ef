// The compiled gateway as a child process for the harness: started on a free loopback
// port (--port 0, the port read from its "listening on" line) from an empty directory,
// its JSON log lines collected from stdout, stopped with SIGTERM like a service manager.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Subprocess } from 'bun';

export interface GatewayProcess {
  url: string;
  port: number;
  /** Lines of stderr and non-JSON stdout (a crash, a stack trace): shown when something fails. */
  otherOutput(): string;
  /** SIGTERM, then waits for the exit; throws when it does not exit 0 within `deadlineMs`. */
  stop(deadlineMs: number): Promise<void>;
  /** SIGKILL: a crash (nothing saved, nothing released); resolves once it is gone. */
  kill(): Promise<void>;
}

const live = new Set<Subprocess>();
// A test process that dies (or a file that forgets to stop its harness) must not leave gateways behind.
process.on('exit', () => {
  for (const proc of live) proc.kill('SIGKILL');
});

export async function spawnGateway(command: string[], env: Record<string, string>, logs: string[]): Promise<GatewayProcess> {
  // An empty working directory: the binary would read a .env from its working directory.
  const cwd = mkdtempSync(join(tmpdir(), 'kimi-gw-cwd-'));
  const proc = Bun.spawn(command, { cwd, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: cwd, ...env }, stdin: 'ignore', stdout: 'pipe', stderr: 'pipe' });
  live.add(proc);
  void proc.exited.then(() => live.delete(proc));
  let other = '';
  let listening: ((url: string) => void) | undefined;
  const url = new Promise<string>((resolve) => (listening = resolve));

  const stdoutDone = readLines(proc.stdout, (line) => {
    let entry: unknown;
    try {
      entry = JSON.parse(line);
    } catch {
      other += `${line}\n`;
      return;
    }
    logs.push(line);
    const msg = (entry as { msg?: unknown }).msg;
    const match = typeof msg === 'string' ? /listening on (http:\/\/\S+)/.exec(msg) : null;
    if (match) listening?.(match[1]!);
  });
  const stderrDone = readLines(proc.stderr, (line) => (other += `${line}\n`));

  const START_TIMEOUT_MS = 15_000;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const started = await Promise.race([
    url,
    proc.exited.then(async (code) => {
      await Promise.all([stdoutDone, stderrDone]);
      return new Error(`the gateway exited with code ${code} before listening:\n${other.trim()}`);
    }),
    new Promise<Error>((resolve) => (timer = setTimeout(() => resolve(new Error(`the gateway did not listen within ${START_TIMEOUT_MS} ms:\n${other}`)), START_TIMEOUT_MS))),
  ]);
  clearTimeout(timer);
  if (started instanceof Error) {
    proc.kill('SIGKILL');
    throw started;
  }

  return {
    url: started,
    port: Number(new URL(started).port),
    otherOutput: () => other,
    async kill() {
      proc.kill('SIGKILL');
      await proc.exited;
      rmSync(cwd, { recursive: true, force: true });
    },
    async stop(deadlineMs) {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      let deadline: ReturnType<typeof setTimeout> | undefined;
      const code = await Promise.race([proc.exited, new Promise<'late'>((resolve) => (deadline = setTimeout(resolve, deadlineMs, 'late')))]);
      clearTimeout(deadline);
      if (code === 'late') {
        proc.kill('SIGKILL');
        throw new Error(`the gateway did not exit within ${deadlineMs} ms of SIGTERM:\n${other}`);
      }
      // Every log line it wrote is in `logs` once stop() resolves.
      await Promise.all([stdoutDone, stderrDone]);
      rmSync(cwd, { recursive: true, force: true });
      if (code !== 0) throw new Error(`the gateway exited with code ${code} on SIGTERM:\n${other}`);
    },
  };
}

async function readLines(stream: ReadableStream<Uint8Array>, onLine: (line: string) => void): Promise<void> {
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of stream) {
    buffer += decoder.decode(chunk, { stream: true });
    let end: number;
    while ((end = buffer.indexOf('\n')) >= 0) {
      onLine(buffer.slice(0, end));
      buffer = buffer.slice(end + 1);
    }
  }
  if (buffer !== '') onLine(buffer);
}
