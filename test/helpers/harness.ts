// Starts the real emulator and the real gateway on loopback ports for a test file, and
// an openai SDK client pointed at the gateway. Stop both in afterAll/afterEach.

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { parseCommandLine, type Config } from '../../src/config.ts';
import { startEmulator } from '../../src/emulator/emulator.ts';
import type { Emulator, EmulatorOptions } from '../../src/emulator/emulator.ts';
import { startGateway, type Gateway, type GatewayOptions } from '../../src/gateway.ts';
import { createLogger, type Logger } from '../../src/log.ts';

export const TEST_KEY = 'sk-test-0123456789abcdef';

export interface Harness {
  emulator: Emulator;
  gateway: Gateway;
  config: Config;
  openai: OpenAI;
  logs: string[];
  /** fetch against the gateway with the test key */
  call(path: string, init?: RequestInit & { json?: unknown }): Promise<Response>;
  stop(): Promise<void>;
}

export interface HarnessOptions {
  emulator?: EmulatorOptions;
  env?: Record<string, string>;
  argv?: string[];
  idleTimeoutSeconds?: number;
  /** Clock for session expiry (see GatewayOptions). */
  sessionClock?: GatewayOptions['sessionClock'];
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
  const emulator = options.emulatorInstance ?? startEmulator(options.emulator);
  const env: Record<string, string> = { DB_PATH: options.dbPath ?? tempDbPath(), ...options.env };
  if (options.accounts !== undefined) env.ACCOUNTS_FILE = writeAccountsFile(options.accounts);
  const config = configFor(emulator.url, { ...options, env });
  const logs: string[] = [];
  const log: Logger = createLogger({ level: 'debug', pretty: false, write: (line) => logs.push(line) });
  const gateway = await startGateway(config, log, { idleTimeoutSeconds: options.idleTimeoutSeconds, sessionClock: options.sessionClock });
  const openai = new OpenAI({ apiKey: TEST_KEY, baseURL: `${gateway.url}/v1`, maxRetries: 0 });
  return {
    emulator,
    gateway,
    config,
    openai,
    logs,
    call(path, init = {}) {
      const { json, ...rest } = init;
      const headers = new Headers(rest.headers);
      if (!headers.has('authorization')) headers.set('authorization', `Bearer ${TEST_KEY}`);
      if (json !== undefined) headers.set('content-type', 'application/json');
      return fetch(`${gateway.url}${path}`, { method: json !== undefined ? 'POST' : 'GET', ...rest, headers, body: json !== undefined ? JSON.stringify(json) : rest.body });
    },
    async stop() {
      await gateway.stop();
      if (!options.emulatorInstance) await emulator.stop();
    },
  };
}

export interface SseEvent {
  data: string;
  at: number;
}

/** Reads an SSE response into its events (comments included as ':' lines), with arrival times. */
export async function readSse(response: Response, t0 = performance.now()): Promise<{ events: SseEvent[]; comments: number; raw: string }> {
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  let raw = '';
  let comments = 0;
  const events: SseEvent[] = [];
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    const text = decoder.decode(value, { stream: true });
    raw += text;
    buffer += text;
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const frame = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      if (frame.startsWith(':')) comments++;
      else if (frame.startsWith('data: ')) events.push({ data: frame.slice(6), at: performance.now() - t0 });
      else throw new Error(`unexpected SSE frame: ${JSON.stringify(frame)}`);
    }
  }
  if (buffer !== '') throw new Error(`stream ended inside a frame: ${JSON.stringify(buffer)}`);
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
export async function eventually(condition: () => boolean, timeoutMs = 2_000): Promise<boolean> {
  const end = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > end) return false;
    await Bun.sleep(5);
  }
  return true;
}
