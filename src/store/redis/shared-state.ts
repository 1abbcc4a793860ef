// The connection to the Redis that several gateway instances share (REDIS_URL). Commands
// never wait for a Redis that is gone: the offline queue is off and each command is bounded
// by a timeout, so a request that needs shared state fails fast with 503
// shared_state_unavailable instead of hanging, and never falls back to per-process limits.
// One log line per episode (naming the host, never the password); the client reconnects by
// itself and the next command that succeeds ends the episode. Lua scripts run by EVALSHA,
// loaded on first use; events travel on one pub/sub channel and resubscribe after a reconnect.

import { RedisClient } from 'bun';
import { GatewayError } from '../../errors.ts';
import type { Logger } from '../../log.ts';

export interface SharedStateOptions {
  url: string;
  /** Every key and the event channel start with it (KEY_PREFIX). */
  prefix: string;
  log: Logger;
  /** Longest wait for one command (default 2000 ms). */
  commandTimeoutMs?: number;
  now?: () => number;
}

export type SharedStatus = { ok: true } | { ok: false; reason: string; since: number };

/** A Lua script: its source and how many of its arguments are keys. */
export interface Script {
  name: string;
  lua: string;
}

export type EventHandler = (event: SharedEvent) => void;

/** Something one instance tells the others (identity freed, health changed, an operator action...). */
export interface SharedEvent {
  type: string;
  /** The instance that sent it (instances ignore their own). */
  from: string;
  [field: string]: unknown;
}

const RETRY_AFTER_SECONDS = 2;

/**
 * The layout of the keys this gateway writes; an instance refuses a Redis written by a newer
 * one and upgrades an older one at start (gateway.ts). 2: sessions are strings, not hashes.
 */
export const SHARED_SCHEMA_VERSION = 2;

/** KEYS: the schema key. ARGV: the layout now written. Never lowers it (a newer instance may have raised it meanwhile). */
const RAISE_SCHEMA: Script = {
  name: 'raise-schema',
  lua: `if tonumber(redis.call('GET', KEYS[1]) or '0') < tonumber(ARGV[1]) then redis.call('SET', KEYS[1], ARGV[1]) end
return redis.call('GET', KEYS[1])`,
};

/** What `kimi-gateway check --redis` reports. */
export interface SharedStateReport {
  /** Median round trip of a few PINGs. */
  latencyMs: number;
  redisVersion: string | null;
  /** The schema version stored under the prefix; null = no gateway has used this prefix yet. */
  schema: number | null;
  /** Gateway instances subscribed to this prefix's channel now. */
  instances: number;
}

export class SharedState {
  /** This instance's name in events (random per process). */
  readonly instance = `gw-${crypto.randomUUID().slice(0, 8)}`;
  readonly prefix: string;
  private readonly commands: RedisClient;
  private readonly subscriber: RedisClient;
  /** Scripts this connection has run once (EVAL): EVALSHA from then on. */
  private readonly loaded = new Set<string>();
  private readonly handlers: EventHandler[] = [];
  private failing: { reason: string; since: number } | null = null;
  private readonly timeoutMs: number;
  private readonly now: () => number;
  private readonly channel: string;
  private subscribed = false;
  /** The layout found under the prefix at start (this gateway's own when the prefix was new). */
  schemaAtStart = SHARED_SCHEMA_VERSION;

  constructor(private readonly options: SharedStateOptions) {
    this.prefix = options.prefix;
    this.timeoutMs = options.commandTimeoutMs ?? 2_000;
    this.now = options.now ?? Date.now;
    this.channel = `${options.prefix}events`;
    const clientOptions = { enableOfflineQueue: false, autoReconnect: true, maxRetries: 4_294_967_295, connectionTimeout: this.timeoutMs };
    this.commands = new RedisClient(options.url, clientOptions);
    this.subscriber = new RedisClient(options.url, clientOptions);
    // The subscription is lost with its connection: take it again on every reconnect.
    this.subscriber.onconnect = () => {
      if (this.subscribed) void this.subscribe().catch(() => undefined);
    };
    // Back after an episode: end it now, not at the next request's command.
    this.commands.onconnect = () => {
      if (this.failing) void this.send('PING', []).catch(() => undefined);
    };
  }

  /** Connects both clients and subscribes; throws (a clear start-up error) when Redis cannot be reached. */
  async start(): Promise<void> {
    try {
      await withTimeout(Promise.all([this.commands.connect(), this.subscriber.connect()]), this.timeoutMs, 'connecting');
      this.subscribed = true;
      await this.subscribe();
    } catch (error) {
      this.close();
      throw new SharedStateStartError(`cannot reach Redis at ${this.host} (REDIS_URL): ${redisReason(error)}`);
    }
    const schema = await this.claimSchema().catch((error: Error) => {
      this.close();
      throw new SharedStateStartError(`cannot read the shared state on Redis at ${this.host}: ${redisReason(error)}`);
    });
    if (schema > SHARED_SCHEMA_VERSION) {
      this.close();
      throw new SharedStateStartError(
        `the shared state under KEY_PREFIX "${this.prefix}" on Redis at ${this.host} was written by a newer gateway (layout ${schema}; this one knows ${SHARED_SCHEMA_VERSION}): upgrade this instance, or give it another KEY_PREFIX`,
      );
    }
    this.schemaAtStart = schema;
  }

  /** Connects, measures and reads, for `check --redis`; throws a SharedStateStartError when Redis cannot be reached. Changes nothing. */
  async report(): Promise<SharedStateReport> {
    try {
      await withTimeout(this.commands.connect(), this.timeoutMs, 'connecting');
      const rounds: number[] = [];
      for (let i = 0; i < 5; i++) {
        const started = performance.now();
        await this.send('PING', []);
        rounds.push(performance.now() - started);
      }
      rounds.sort((a, b) => a - b);
      const info = await this.send<string>('INFO', ['server']);
      const schema = await this.send<string | null>('GET', [`${this.prefix}schema`]);
      const numsub = await this.send<(string | number)[]>('PUBSUB', ['NUMSUB', this.channel]);
      return {
        latencyMs: rounds[2]!,
        redisVersion: /redis_version:([^\r\n]+)/.exec(info)?.[1] ?? null,
        schema: schema === null ? null : Number(schema),
        instances: Number(numsub[1] ?? 0),
      };
    } catch (error) {
      throw new SharedStateStartError(`cannot reach Redis at ${this.host}: ${redisReason(error)}`);
    } finally {
      this.commands.close();
      this.subscriber.close();
    }
  }

  /** Marks the prefix as this gateway's layout (first user) and returns the layout stored there. */
  private async claimSchema(): Promise<number> {
    const key = `${this.prefix}schema`;
    await this.send('SET', [key, SHARED_SCHEMA_VERSION, 'NX']);
    return Number(await this.send<string | null>('GET', [key]));
  }

  /** After the data under the prefix was upgraded: marks it as this gateway's layout, so older instances refuse to start on it. */
  async markSchemaCurrent(): Promise<void> {
    await this.run(RAISE_SCHEMA, [`${this.prefix}schema`], [SHARED_SCHEMA_VERSION]);
  }

  close(): void {
    this.subscribed = false;
    this.commands.close();
    this.subscriber.close();
  }

  get status(): SharedStatus {
    // A lost connection is an episode at once (/readyz), not only when the next command fails.
    if (!this.failing && this.subscribed && !this.commands.connected) this.markFailing(new Error('connection lost'));
    return this.failing ? { ok: false, ...this.failing } : { ok: true };
  }

  /** The Redis host, for logs and messages: never the user name or password. */
  get host(): string {
    return safeHost(this.options.url);
  }

  /** Runs one command; a Redis that does not answer in time (or at all) is the 503. */
  async send<T = unknown>(command: string, args: readonly (string | number)[]): Promise<T> {
    return this.guard(() => this.commands.send(command, args.map(String)) as Promise<T>);
  }

  /** Runs a registered script atomically (EVALSHA, loading it once when Redis does not know it). */
  async run<T = unknown>(script: Script, keys: readonly string[], args: readonly (string | number)[]): Promise<T> {
    return this.guard(async () => {
      const argv = [String(keys.length), ...keys, ...args.map(String)];
      // The first run is EVAL (which also caches the script): one command, so it keeps its
      // place in the connection's order (a release is not overtaken by the acquire after it).
      if (!this.loaded.has(script.name)) {
        const result = (await this.commands.send('EVAL', [script.lua, ...argv])) as T;
        this.loaded.add(script.name);
        return result;
      }
      try {
        return (await this.commands.send('EVALSHA', [scriptSha(script), ...argv])) as T;
      } catch (error) {
        // A restarted Redis forgot its scripts.
        if (!String((error as Error).message).includes('NOSCRIPT')) throw error;
        return (await this.commands.send('EVAL', [script.lua, ...argv])) as T;
      }
    });
  }

  /** The channel and message of an event, for a script that publishes it itself (one round trip less). */
  eventArgs(event: Omit<SharedEvent, 'from'>): [channel: string, message: string] {
    return [this.channel, JSON.stringify({ ...event, from: this.instance })];
  }

  /** Tells the other instances. Never throws: an event lost while Redis is away is caught up by their own reads. */
  async publish(event: Omit<SharedEvent, 'from'>): Promise<void> {
    try {
      await this.guard(() => this.commands.publish(this.channel, JSON.stringify({ ...event, from: this.instance })));
    } catch {
      // The failing episode is logged by guard().
    }
  }

  /** Events from the other instances (not this one's own). */
  onEvent(handler: EventHandler): void {
    this.handlers.push(handler);
  }

  private async subscribe(): Promise<void> {
    const own = `"from":"${this.instance}"`;
    await this.subscriber.subscribe(this.channel, (message: string) => {
      // This instance's own events, dropped before parsing (every release would cost a parse here).
      if (message.includes(own)) return;
      let event: SharedEvent;
      try {
        event = JSON.parse(message) as SharedEvent;
      } catch {
        return;
      }
      if (event.from === this.instance) return;
      for (const handler of this.handlers) handler(event);
    });
  }

  private async guard<T>(work: () => Promise<T>): Promise<T> {
    let result: T;
    try {
      result = await withTimeout(work(), this.timeoutMs, 'a command');
    } catch (error) {
      if (isRedisScriptError(error)) throw error;
      throw this.unavailable(error);
    }
    if (this.failing) {
      const failedForMs = this.now() - this.failing.since;
      this.failing = null;
      this.options.log.info('shared state recovered: Redis answers again', { redis: this.host, failed_for_ms: failedForMs });
    }
    return result;
  }

  private markFailing(error: unknown): void {
    if (this.failing) return;
    const reason = redisReason(error);
    this.failing = { reason, since: this.now() };
    this.options.log.error('shared state unavailable: Redis does not answer; requests that need it get 503 until it does', { redis: this.host, error: reason });
  }

  /** The 503 a request gets while Redis does not answer (null while it does): a stream is refused before its 200. */
  unavailableError(): GatewayError | null {
    return this.status.ok ? null : unavailableError();
  }

  private unavailable(error: unknown): GatewayError {
    this.markFailing(error);
    return unavailableError();
  }
}

function unavailableError(): GatewayError {
  return new GatewayError(
    'shared_state_unavailable',
    `The gateway cannot reach the state it shares with its other instances (Redis), so this request was not carried out. Retry in a moment.`,
    { retryAfterSeconds: RETRY_AFTER_SECONDS },
  );
}

const shas = new WeakMap<Script, string>();

/** A script's SHA-1, as Redis names it (computed here: no SCRIPT LOAD round trip). */
function scriptSha(script: Script): string {
  let sha = shas.get(script);
  if (sha === undefined) {
    sha = new Bun.CryptoHasher('sha1').update(script.lua).digest('hex');
    shas.set(script, sha);
  }
  return sha;
}

/** Redis did not answer at start-up: the gateway does not start (exit 1). */
export class SharedStateStartError extends Error {
  override name = 'SharedStateStartError';
}

/** A script's own error (a bug, a wrong key type) is not Redis being away. */
function isRedisScriptError(error: unknown): boolean {
  const message = String((error as Error)?.message ?? '');
  return /^(ERR|WRONGTYPE|NOSCRIPT)\b/.test(message) && !/connection|closed|timeout/i.test(message);
}

function redisReason(error: unknown): string {
  const e = error as { code?: string; message?: string };
  return (e?.code ?? e?.message ?? String(error)).slice(0, 120);
}

function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Redis did not answer ${what} within ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/** redis://user:password@host:port/db → host:port; redis+unix://…/run/redis.sock → unix:/run/redis.sock. */
export function safeHost(url: string): string {
  try {
    const u = new URL(url);
    if (u.protocol === 'redis+unix:') return `unix:${decodeURIComponent(u.pathname)}`;
    return u.port ? `${u.hostname}:${u.port}` : u.hostname;
  } catch {
    return '(unparsable REDIS_URL)';
  }
}
