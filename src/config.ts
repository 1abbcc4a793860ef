// Command-line flags + environment → one typed, validated Config.
// Flags win over the environment. Every invalid value stops start-up with a message
// naming the setting and what is wrong (ConfigError).

export interface Config {
  host: string;
  port: number;
  accountsFile: string | null;
  dbPath: string;
  upstreamBaseUrl: string;
  /** Client keys accepted in `Authorization: Bearer`. Empty = auth off (loopback only). */
  apiKeys: string[];
  /** Key for /admin and /dashboard; null = admin API off. */
  adminKey: string | null;
  /** How long in-flight requests and streams may run on after SIGTERM/SIGINT. */
  shutdownGraceMs: number;
  /** True when no key is configured and the host was forced to 127.0.0.1. */
  loopbackOnlyBecauseNoKey: boolean;
  contextMaxLength: number;
  requestTimeoutMs: number;
  keepAliveIntervalMs: number;
  /** Seconds a connection may stay silent before the server cuts it (streams send keep-alives meanwhile). */
  idleTimeoutSeconds: number;
  maxBodyBytes: number;
  nonceMaxAgeMs: number;
  logLevel: LogLevel;
  queueMax: number;
  queueTimeoutMs: number;
  maxAttempts: number;
  attemptTimeoutMs: number;
  challengeCooldownMs: number;
  /** Most bytes read from one upstream body (chat page or answer), counted after decompression. */
  upstreamMaxBytes: number;
  sessionTtlSeconds: number;
  sessionMax: number;
  sessionPruneIntervalMs: number;
  /** Whether OpenAI's `user` field names a session (the seed's stateful mode). */
  sessionFromUserField: boolean;
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type Env = Record<string, string | undefined>;
export type CliCommand = { kind: 'run'; config: Config } | { kind: 'help' } | { kind: 'version' };

export class ConfigError extends Error {
  override name = 'ConfigError';
}

interface Setting {
  flag?: string;
  env: string[];
  default: string;
  help: string;
}

/** The user-facing contract: names here are documented in README and --help. */
export const SETTINGS = {
  host: { flag: '--host', env: ['HOST'], default: '0.0.0.0 (127.0.0.1 when no API key is set)', help: 'interface to listen on' },
  port: { flag: '--port', env: ['PORT'], default: '8088', help: 'port to listen on (0 = any free port)' },
  accountsFile: { flag: '--accounts', env: ['ACCOUNTS_FILE'], default: '(none: one anonymous identity)', help: 'account pool file (JSON)' },
  dbPath: { flag: '--db', env: ['DB_PATH'], default: './data/kimi-gateway.sqlite', help: 'SQLite file for sessions and identity state' },
  upstreamBaseUrl: { flag: '--upstream', env: ['UPSTREAM_BASE_URL'], default: 'https://kimi-ai.chat', help: 'base URL of kimi-ai.chat (or the emulator)' },
  apiKeys: { env: ['API_KEYS'], default: '(none)', help: 'comma-separated client keys for Authorization: Bearer' },
  apiMasterKey: { env: ['API_MASTER_KEY'], default: '(none)', help: "one client key (the seed's name; the seed's value 1 means no key)" },
  adminKey: { flag: '--admin-key', env: ['ADMIN_KEY'], default: '(none: admin API and dashboard off)', help: 'key for /admin/* and /dashboard (Bearer, or Basic auth password)' },
  shutdownGraceMs: { env: ['SHUTDOWN_GRACE_MS'], default: '30000', help: 'on SIGTERM/SIGINT, how long in-flight requests may finish' },
  contextMaxLength: { env: ['CONTEXT_MAX_LENGTH'], default: '1000', help: 'max characters of the prompt sent upstream' },
  requestTimeoutMs: { env: ['REQUEST_TIMEOUT_MS'], default: '180000', help: 'deadline for one client request, retries included' },
  keepAliveIntervalMs: { env: ['KEEPALIVE_INTERVAL_MS'], default: '5000', help: 'interval of ": keep-alive" frames while a stream waits (below IDLE_TIMEOUT_SECONDS)' },
  idleTimeoutSeconds: { env: ['IDLE_TIMEOUT_SECONDS'], default: '30', help: 'a connection silent this long is cut (5-255; streams stay alive through keep-alives)' },
  maxBodyBytes: { env: ['MAX_BODY_BYTES'], default: '1048576', help: 'largest accepted request body (bigger → 413)' },
  nonceMaxAgeMs: { env: ['NONCE_MAX_AGE_MS'], default: '3600000', help: 'refresh an identity nonce proactively after this age' },
  logLevel: { env: ['LOG_LEVEL'], default: 'info', help: 'debug | info | warn | error' },
  queueMax: { env: ['QUEUE_MAX'], default: '100', help: 'requests that may wait for a free identity (0 = none wait)' },
  queueTimeoutMs: { env: ['QUEUE_TIMEOUT_MS'], default: '30000', help: 'longest wait for a free identity before 429/503' },
  maxAttempts: { env: ['MAX_ATTEMPTS'], default: '3', help: 'identities tried per request before the client sees an error' },
  attemptTimeoutMs: { env: ['UPSTREAM_ATTEMPT_TIMEOUT_MS'], default: '120000', help: 'longest wait for one upstream answer' },
  challengeCooldownMs: { env: ['CHALLENGE_COOLDOWN_MS'], default: '1800000', help: 'a challenged identity rests this long, then gets one probe' },
  upstreamMaxBytes: { env: ['UPSTREAM_MAX_BYTES'], default: '2097152', help: 'most bytes read from one upstream page or answer, after decompression (more → 502)' },
  sessionTtlSeconds: { env: ['SESSION_TTL', 'SESSION_CACHE_TTL'], default: '3600', help: 'seconds a conversation is kept after its last turn' },
  sessionMax: { env: ['SESSION_MAX'], default: '0', help: 'most conversations kept, least recently used evicted first (0 = no cap)' },
  sessionPruneIntervalMs: { env: ['SESSION_PRUNE_INTERVAL_MS'], default: '60000', help: 'how often expired conversations are deleted' },
  sessionFromUserField: { env: ['SESSION_USER_FIELD'], default: 'on', help: 'on: the `user` field names a conversation; off: ignore it (clients that send an end-user id)' },
} satisfies Record<string, Setting>;

const FLAG_NAMES = new Map<string, keyof typeof SETTINGS>(
  Object.entries(SETTINGS).flatMap(([key, s]) => ('flag' in s ? [[s.flag, key as keyof typeof SETTINGS]] : [])),
);

export function parseCommandLine(argv: string[], env: Env): CliCommand {
  const flags = new Map<keyof typeof SETTINGS, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--help' || arg === '-h') return { kind: 'help' };
    if (arg === '--version' || arg === '-v') return { kind: 'version' };
    const [name, inline] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const key = FLAG_NAMES.get(name!);
    if (!key) throw new ConfigError(`Unknown argument "${arg}". Run kimi-gateway --help for the list of flags.`);
    const value = inline ?? argv[++i];
    if (value === undefined || value.startsWith('--')) throw new ConfigError(`${name} needs a value.`);
    flags.set(key, value);
  }
  return { kind: 'run', config: buildConfig(flags, env) };
}

function buildConfig(flags: Map<keyof typeof SETTINGS, string>, env: Env): Config {
  const read = (key: keyof typeof SETTINGS): { value: string; source: string } | null => {
    const flagValue = flags.get(key);
    const setting: Setting = SETTINGS[key];
    if (flagValue !== undefined) return { value: flagValue, source: setting.flag! };
    for (const name of setting.env) {
      const v = env[name];
      if (v !== undefined && v.trim() !== '') return { value: v.trim(), source: name };
    }
    return null;
  };
  const int = (key: keyof typeof SETTINGS, fallback: number, min: number, max: number): number => {
    const raw = read(key);
    if (!raw) return fallback;
    const n = Number(raw.value);
    if (!/^\d+$/.test(raw.value) || !Number.isSafeInteger(n) || n < min || n > max) {
      throw new ConfigError(`${raw.source}: "${raw.value}" is not a whole number between ${min} and ${max}.`);
    }
    return n;
  };

  const apiKeys = readApiKeys(read('apiKeys'), read('apiMasterKey'));
  const requestedHost = read('host')?.value;
  const loopbackOnlyBecauseNoKey = apiKeys.length === 0 && (requestedHost === undefined || !isLoopbackHost(requestedHost));
  const host = apiKeys.length === 0 ? (requestedHost && isLoopbackHost(requestedHost) ? requestedHost : '127.0.0.1') : requestedHost ?? '0.0.0.0';

  const onOff = (key: keyof typeof SETTINGS, fallback: boolean): boolean => {
    const raw = read(key);
    if (!raw) return fallback;
    const v = raw.value.toLowerCase();
    if (['on', 'true', '1', 'yes'].includes(v)) return true;
    if (['off', 'false', '0', 'no'].includes(v)) return false;
    throw new ConfigError(`${raw.source}: "${raw.value}" is not on or off.`);
  };

  const logLevel = read('logLevel');
  if (logLevel && !['debug', 'info', 'warn', 'error'].includes(logLevel.value)) {
    throw new ConfigError(`${logLevel.source}: "${logLevel.value}" is not one of debug, info, warn, error.`);
  }

  // uWS checks idle connections on a 4 s tick: below 5 s it cuts even connections that send.
  const idleTimeoutSeconds = int('idleTimeoutSeconds', 30, 5, 255);
  const keepAlive = int('keepAliveIntervalMs', 5_000, 100, 250_000);
  if (keepAlive >= idleTimeoutSeconds * 1000) {
    throw new ConfigError(
      `KEEPALIVE_INTERVAL_MS (${keepAlive}) must be below IDLE_TIMEOUT_SECONDS (${idleTimeoutSeconds} s), or waiting streams are cut between keep-alives.`,
    );
  }

  return {
    host,
    port: int('port', 8088, 0, 65535),
    accountsFile: read('accountsFile')?.value ?? null,
    dbPath: read('dbPath')?.value ?? './data/kimi-gateway.sqlite',
    upstreamBaseUrl: readBaseUrl(read('upstreamBaseUrl')),
    apiKeys,
    adminKey: readAdminKey(read('adminKey'), apiKeys),
    shutdownGraceMs: int('shutdownGraceMs', 30_000, 0, 3_600_000),
    loopbackOnlyBecauseNoKey,
    contextMaxLength: int('contextMaxLength', 1000, 50, 1_000_000),
    requestTimeoutMs: int('requestTimeoutMs', 180_000, 1_000, 3_600_000),
    keepAliveIntervalMs: keepAlive,
    idleTimeoutSeconds,
    maxBodyBytes: int('maxBodyBytes', 1_048_576, 1_024, 64 * 1_048_576),
    nonceMaxAgeMs: int('nonceMaxAgeMs', 3_600_000, 1_000, 7 * 86_400_000),
    logLevel: (logLevel?.value as LogLevel | undefined) ?? 'info',
    queueMax: int('queueMax', 100, 0, 100_000),
    queueTimeoutMs: int('queueTimeoutMs', 30_000, 0, 3_600_000),
    maxAttempts: int('maxAttempts', 3, 1, 20),
    attemptTimeoutMs: int('attemptTimeoutMs', 120_000, 1_000, 3_600_000),
    challengeCooldownMs: int('challengeCooldownMs', 1_800_000, 1_000, 7 * 86_400_000),
    upstreamMaxBytes: int('upstreamMaxBytes', 2_097_152, 65_536, 64 * 1_048_576),
    sessionTtlSeconds: int('sessionTtlSeconds', 3600, 1, 365 * 86_400),
    sessionMax: int('sessionMax', 0, 0, 100_000_000),
    sessionPruneIntervalMs: int('sessionPruneIntervalMs', 60_000, 100, 86_400_000),
    sessionFromUserField: onOff('sessionFromUserField', true),
  };
}

function readApiKeys(list: { value: string; source: string } | null, master: { value: string; source: string } | null): string[] {
  const keys = list ? list.value.split(',').map((k) => k.trim()).filter((k) => k !== '') : [];
  // The seed treated API_MASTER_KEY=1 as "no authentication"; keep that meaning rather
  // than accept the one-character key "1".
  if (master && master.value !== '1') keys.push(master.value);
  for (const key of keys) {
    if (/\s/.test(key)) throw new ConfigError(`${list?.source ?? 'API_KEYS'}: a key contains white space; keys are separated by commas.`);
  }
  return [...new Set(keys)];
}

function readAdminKey(raw: { value: string; source: string } | null, apiKeys: readonly string[]): string | null {
  if (!raw) return null;
  if (/\s/.test(raw.value)) throw new ConfigError(`${raw.source}: the admin key contains white space.`);
  if (raw.value.length < 12) throw new ConfigError(`${raw.source}: the admin key is shorter than 12 characters; use a long random value.`);
  if (apiKeys.includes(raw.value)) throw new ConfigError(`${raw.source}: the admin key must differ from every client key in API_KEYS.`);
  return raw.value;
}

function readBaseUrl(raw: { value: string; source: string } | null): string {
  if (!raw) return 'https://kimi-ai.chat';
  let url: URL;
  try {
    url = new URL(raw.value);
  } catch {
    throw new ConfigError(`${raw.source}: "${raw.value}" is not a URL (expected e.g. https://kimi-ai.chat).`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError(`${raw.source}: "${raw.value}" must start with http:// or https://.`);
  }
  return url.origin + url.pathname.replace(/\/+$/, '');
}

export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

export function renderHelp(version: string): string {
  const rows = Object.values(SETTINGS).map((s: Setting) => {
    const names = [s.flag, ...s.env].filter(Boolean).join(', ');
    return `  ${names.padEnd(38)} ${s.help}\n  ${''.padEnd(38)} default: ${s.default}`;
  });
  return [
    `kimi-gateway ${version}: an OpenAI-compatible API for kimi-ai.chat`,
    '',
    'Usage: kimi-gateway [--host H] [--port P] [--accounts FILE] [--db FILE] [--upstream URL] [--admin-key KEY] [--help] [--version]',
    '       kimi-gateway check [--accounts FILE] [--upstream URL] [--send]   probe every identity against the site (check --help)',
    '',
    'Settings (flag, environment variable; flags win over the environment):',
    ...rows,
    '',
    'Without any API key the gateway listens on 127.0.0.1 only.',
  ].join('\n');
}
