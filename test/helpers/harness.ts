// Starts the real emulator and the gateway under test on loopback ports for a test file,
// an openai SDK client pointed at the gateway, and an operator API over its admin routes.
// The gateway is the source, in this process, or with GATEWAY_UNDER_TEST=binary the
// compiled dist/kimi-gateway as a child process (see gateway-under-test.ts): tests talk to
// it only over HTTP, so both run the same tests. Stop both in afterAll/afterEach.

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { parseCommandLine, type Config } from '../../src/config.ts';
import { startEmulator } from '../../emulator/emulator.ts';
import type { Emulator, EmulatorOptions } from '../../emulator/emulator.ts';
import { startGateway } from '../../src/gateway.ts';
import { createLogger } from '../../src/log.ts';
import { adminClient, type AdminClient } from './admin-client.ts';
import { spawnGateway } from './gateway-process.ts';
import { gatewayCommand, gatewayUnderTest } from './gateway-under-test.ts';

export { gatewayUnderTest } from './gateway-under-test.ts';

export const TEST_KEY = 'sk-test-0123456789abcdef';
/** ADMIN_KEY of every harness unless a test sets its own (or '' to turn the admin API off). */
export const HARNESS_ADMIN_KEY = 'harness-admin-key-7c41d09e';

export interface Harness {
  emulator: Emulator;
  gateway: { url: string; port: number };
  /** The settings the gateway was started with (parsed here from the same flags and environment). */
  config: Config;
  openai: OpenAI;
  /** The gateway's JSON log lines (a binary's arrive through a pipe: poll with `eventually`, or read after stop()). */
  logs: string[];
  /** The operator API, over HTTP with the admin key. */
  admin: AdminClient;
  /** fetch against the gateway with the test key */
  call(path: string, init?: RequestInit & { json?: unknown }): Promise<Response>;
  /** Stops the gateway (SIGTERM for the binary, which must exit 0) and the emulator it started; a second call does nothing. */
  stop(): Promise<void>;
}

export interface HarnessOptions {
  emulator?: EmulatorOptions;
  /** Environment of the gateway (nothing else of this process's environment reaches it). */
  env?: Record<string, string>;
  argv?: string[];
  /** Written to a temp file and passed as ACCOUNTS_FILE. */
  accounts?: unknown;
  /** Reuse a database (restart tests); default a fresh temp file. */
  dbPath?: string;
  /** Reuse a running emulator (restart tests). */
  emulatorInstance?: Emulator;
}

export function configFor(upstream: string, options: HarnessOptions = {}): Config {
  const cmd = parseCommandLine(['--port', '0', '--upstream', upstream, ...(options.argv ?? [])], {
    API_KEYS: TEST_KEY,
    HOST: '127.0.0.1',
    ...options.env,
  });
  if (cmd.kind !== 'run') throw new Error('expected a run command');
  return cmd.config;
}

/** Writes an account pool file to a fresh temp path and returns the path. */
export function writeAccountsFile(accounts: unknown, path = join(mkdtempSync(join(tmpdir(), 'kimi-gw-acc-')), 'accounts.json')): string {
  writeFileSync(path, typeof accounts === 'string' ? accounts : JSON.stringify(accounts));
  return path;
}

/** Identities whose emulator stats key is their id (the emulator keys by the kimi_visitor cookie). */
export function poolOf(ids: string[], extra: Record<string, unknown> = {}, defaults: Record<string, unknown> = { maxConcurrent: 8 }) {
  return { defaults, identities: ids.map((id) => ({ id, cookies: `kimi_visitor=${id}`, ...extra })) };
}

/** A fresh SQLite path under the system temp directory. */
export function tempDbPath(): string {
  return join(mkdtempSync(join(tmpdir(), 'kimi-gw-test-')), 'gateway.sqlite');
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const env: Record<string, string> = {
    API_KEYS: TEST_KEY,
    HOST: '127.0.0.1',
    ADMIN_KEY: HARNESS_ADMIN_KEY,
    LOG_LEVEL: 'debug',
    DB_PATH: options.dbPath ?? tempDbPath(),
    ...options.env,
  };
  if (options.accounts !== undefined) env.ACCOUNTS_FILE = writeAccountsFile(options.accounts);
  const emulator = options.emulatorInstance ?? startEmulator(options.emulator);
  const stopEmulator = () => (options.emulatorInstance ? Promise.resolve() : emulator.stop());
  const argv = ['--port', '0', '--upstream', emulator.url, ...(options.argv ?? [])];
  const logs: string[] = [];
  let gateway: { url: string; port: number; stop(): Promise<void> };
  let config: Config;
  try {
    config = configFor(emulator.url, { ...options, env });
    if (gatewayUnderTest === 'binary') {
      const proc = await spawnGateway([...gatewayCommand(), ...argv], env, logs);
      // Past the grace period the gateway cuts what is left; allow it time to save and exit.
      gateway = { url: proc.url, port: proc.port, stop: () => proc.stop(config.shutdownGraceMs + 15_000) };
    } else {
      const log = createLogger({ level: config.logLevel, pretty: false, write: (line) => logs.push(line) });
      const inProcess = await startGateway(config, log);
      gateway = { url: inProcess.url, port: inProcess.port, stop: () => inProcess.stop() };
    }
  } catch (error) {
    await stopEmulator();
    throw error;
  }
  const openai = new OpenAI({ apiKey: TEST_KEY, baseURL: `${gateway.url}/v1`, maxRetries: 0 });
  let stopped: Promise<void> | undefined;
  return {
    emulator,
    gateway: { url: gateway.url, port: gateway.port },
    config,
    openai,
    logs,
    admin: adminClient(() => gateway.url, config.adminKey),
    call(path, init = {}) {
      const { json, ...rest } = init;
      const headers = new Headers(rest.headers);
      if (!headers.has('authorization')) headers.set('authorization', `Bearer ${TEST_KEY}`);
      if (json !== undefined) headers.set('content-type', 'application/json');
      return fetch(`${gateway.url}${path}`, { method: json !== undefined ? 'POST' : 'GET', ...rest, headers, body: json !== undefined ? JSON.stringify(json) : rest.body });
    },
    stop() {
      stopped ??= gateway.stop().finally(stopEmulator);
      return stopped;
    },
  };
}

export interface SseEvent {
  data: string;
  at: number;
}

/** Hands each frame of an SSE response to `onFrame` as it arrives; returns the raw text. Throws when the stream ends inside a frame. */
export async function readSseFrames(response: Response, onFrame: (frame: string) => void): Promise<string> {
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  let raw = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    const text = decoder.decode(value, { stream: true });
    raw += text;
    buffer += text;
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      onFrame(buffer.slice(0, end));
      buffer = buffer.slice(end + 2);
    }
  }
  if (buffer !== '') throw new Error(`stream ended inside a frame: ${JSON.stringify(buffer)}`);
  return raw;
}

/** Reads an SSE response into its events (comments included as ':' lines), with arrival times. */
export async function readSse(response: Response, t0 = performance.now()): Promise<{ events: SseEvent[]; comments: number; raw: string }> {
  let comments = 0;
  const events: SseEvent[] = [];
  const raw = await readSseFrames(response, (frame) => {
    if (frame.startsWith(':')) comments++;
    else if (frame.startsWith('data: ')) events.push({ data: frame.slice(6), at: performance.now() - t0 });
    else throw new Error(`unexpected SSE frame: ${JSON.stringify(frame)}`);
  });
  return { events, comments, raw };
}

/** The error a promise (or the openai SDK's thenables, which bun's expect().rejects misreads) rejects with. */
export async function rejection(promise: PromiseLike<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the promise to reject, but it resolved');
}

/** Emulator counters summed over every identity key (the gateway's visitor cookie decides the key). */
export function upstreamTotals(emulator: Emulator): { pages: number; messages: number; inFlight: number } {
  const totals = { pages: 0, messages: 0, inFlight: 0 };
  for (const s of Object.values(emulator.stats())) {
    totals.pages += s.pages;
    totals.messages += s.messages;
    totals.inFlight += s.inFlight;
  }
  return totals;
}

/** Polls until `condition` holds or `timeoutMs` passes; returns whether it held. */
export async function eventually(condition: () => boolean | Promise<boolean>, timeoutMs = 2_000): Promise<boolean> {
  const end = performance.now() + timeoutMs;
  while (!(await condition())) {
    if (performance.now() > end) return false;
    await Bun.sleep(5);
  }
  return true;
}
