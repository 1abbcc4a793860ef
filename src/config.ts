// Command-line flags + environment → one typed, validated Config.
// SETTINGS is the one home of each setting's facts (names, kind, default, bounds, help):
// Config is read from it generically, --help is rendered from it, and README's
// Configuration table is generated from it (scripts/readme-settings.ts, checked by a test).
// Flags win over the environment. Every invalid value stops start-up with a message
// naming the setting and what is wrong (ConfigError).

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export type Env = Record<string, string | undefined>;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

interface Names {
  flag?: string;
  /** Environment variables, first wins; later ones are older names. */
  env: readonly string[];
  help: string;
  /** What the default means, when the value alone does not say (shown after it). */
  defaultNote?: string;
}

/** `zeroIsOff`: 0 is taken too, meaning off, below `min`. */
const int = (fallback: number, min: number, max: number, zeroIsOff = false) => ({ kind: 'int', default: fallback, min, max, zeroIsOff }) as const;
const onOff = (fallback: boolean) => ({ kind: 'on/off', default: fallback }) as const;
const choice = <C extends string>(fallback: C, choices: readonly C[]) => ({ kind: 'choice', default: fallback, choices }) as const;
/** Free text, as given (a host name, a file path); null = not set. */
const text = <D extends string | null>(fallback: D) => ({ kind: 'text', default: fallback }) as const;
/** An http(s) URL, stored without trailing slashes. */
const url = (fallback: string) => ({ kind: 'url', default: fallback }) as const;
/** Comma-separated values, blanks dropped. */
const list = () => ({ kind: 'list', default: [] as string[] }) as const;
/** A redis://, rediss:// or redis+unix:// URL; it may carry a password, so messages never repeat it. */
const redisUrl = () => ({ kind: 'redis', default: null }) as const;
/** The forms of REDIS_URL, for --help, README's table and error messages. */
const REDIS_URL_FORMS = 'redis://[:password@]host[:port][/db], rediss://…, or redis+unix:///path/to/redis.sock';
/** An http(s) URL kept exactly as given (its path or query may hold a token: never echoed in messages); null = not set. */
const secretUrl = () => ({ kind: 'secret-url', default: null }) as const;
/** A key: no white space, at least minLength characters; `what` names it in messages. */
const secret = (minLength: number, what: string) => ({ kind: 'secret', default: null, minLength, what }) as const;

type Kind =
  | ReturnType<typeof int | typeof onOff | typeof text<string | null> | typeof url | typeof secretUrl | typeof list | typeof secret | typeof redisUrl>
  | ReturnType<typeof choice<string>>;
type Setting = Names & Kind;

const DAY_MS = 86_400_000;
const MIB = 1_048_576;

/** The user-facing contract: every flag and environment variable, with its default, bounds and help. */
export const SETTINGS = {
  host: { flag: '--host', env: ['HOST'], ...text('0.0.0.0'), defaultNote: '127.0.0.1 when no API key is set', help: 'interface to listen on' },
  port: { flag: '--port', env: ['PORT'], ...int(8088, 0, 65_535), help: 'port to listen on (0 = any free port)' },
  accountsFile: { flag: '--accounts', env: ['ACCOUNTS_FILE'], ...text(null), defaultNote: 'one anonymous identity', help: 'account pool file, JSON (see accounts.example.json)' },
  dbPath: { flag: '--db', env: ['DB_PATH'], ...text('./data/kimi-gateway.sqlite'), help: 'SQLite file for sessions and identity state' },
  upstreamBaseUrl: { flag: '--upstream', env: ['UPSTREAM_BASE_URL'], ...url('https://kimi-ai.chat'), help: 'base URL of kimi-ai.chat (or the emulator)' },
  apiKeys: { env: ['API_KEYS'], ...list(), help: 'client keys for Authorization: Bearer, comma-separated; none = auth off (loopback only)' },
  apiMasterKey: { env: ['API_MASTER_KEY'], ...text(null), help: `one client key (the seed's name; its value 1 meant "no key" and still does)` },
  adminKey: {
    flag: '--admin-key',
    env: ['ADMIN_KEY'],
    ...secret(12, 'the admin key'),
    defaultNote: 'admin API and dashboard off',
    help: 'key for /admin/* and /dashboard (Bearer, or the Basic auth password); not a client key',
  },
  shutdownGraceMs: { env: ['SHUTDOWN_GRACE_MS'], ...int(30_000, 0, 3_600_000), help: 'on SIGTERM/SIGINT, how long in-flight requests and streams may finish' },
  contextMaxLength: { env: ['CONTEXT_MAX_LENGTH'], ...int(1000, 50, 1_000_000), help: 'most characters of the prompt sent upstream' },
  requestTimeoutMs: { env: ['REQUEST_TIMEOUT_MS'], ...int(180_000, 1_000, 3_600_000), help: 'deadline of one client request, retries included' },
  keepAliveIntervalMs: {
    env: ['KEEPALIVE_INTERVAL_MS'],
    ...int(5_000, 100, 250_000),
    help: 'interval of ": keep-alive" frames while a stream waits (below IDLE_TIMEOUT_SECONDS)',
  },
  // uWS checks idle connections on a 4 s tick: below 5 s it cuts even connections that send.
  idleTimeoutSeconds: {
    env: ['IDLE_TIMEOUT_SECONDS'],
    ...int(30, 5, 255),
    help: 'a connection silent this long is cut (waiting streams send keep-alives; non-streamed answers are exempt)',
  },
  maxBodyBytes: { env: ['MAX_BODY_BYTES'], ...int(MIB, 1_024, 64 * MIB), help: 'largest accepted request body (bigger → 413)' },
  nonceMaxAgeMs: { env: ['NONCE_MAX_AGE_MS'], ...int(3_600_000, 1_000, 7 * DAY_MS), help: "refresh an identity's nonce after this age" },
  logLevel: { env: ['LOG_LEVEL'], ...choice<LogLevel>('info', LOG_LEVELS), help: 'least severe log lines written' },
  queueMax: { env: ['QUEUE_MAX'], ...int(100, 0, 100_000), help: 'requests that may wait for a free identity (0 = none wait)' },
  queueTimeoutMs: { env: ['QUEUE_TIMEOUT_MS'], ...int(30_000, 0, 3_600_000), help: 'longest wait for a free identity, then 429 or 503' },
  maxAttempts: { env: ['MAX_ATTEMPTS'], ...int(3, 1, 20), help: 'identities tried per request before the client sees an error' },
  attemptTimeoutMs: { env: ['UPSTREAM_ATTEMPT_TIMEOUT_MS'], ...int(120_000, 1_000, 3_600_000), help: 'longest wait for one upstream answer' },
  challengeCooldownMs: { env: ['CHALLENGE_COOLDOWN_MS'], ...int(1_800_000, 1_000, 7 * DAY_MS), help: 'a challenged identity rests this long, then gets one probe' },
  upstreamMaxBytes: {
    env: ['UPSTREAM_MAX_BYTES'],
    ...int(2 * MIB, 65_536, 64 * MIB),
    help: 'most bytes read from one upstream page or answer, after decompression (more → 502 upstream_too_large)',
  },
  sessionTtlSeconds: { env: ['SESSION_TTL', 'SESSION_CACHE_TTL'], ...int(3600, 1, 365 * 86_400), help: "seconds a conversation is kept after its last turn (SESSION_CACHE_TTL: the seed's name)" },
  sessionMax: { env: ['SESSION_MAX'], ...int(0, 0, 100_000_000), help: 'most conversations kept, least recently used evicted first (0 = no cap)' },
  sessionPruneIntervalMs: { env: ['SESSION_PRUNE_INTERVAL_MS'], ...int(60_000, 100, DAY_MS), help: 'how often expired conversations are deleted' },
  modelAliases: {
    env: ['MODEL_ALIASES'],
    ...list(),
    help: 'other names for the models, comma-separated pattern=model with * wildcards (claude-*=kimi-k2-instruct-0905); answers keep the asked name',
  },
  redisUrl: {
    flag: '--redis',
    env: ['REDIS_URL'],
    ...redisUrl(),
    defaultNote: 'one process, state in SQLite',
    help: 'Redis shared by several gateway instances: limits, health, identity state, sessions (docs/SCALING.md)',
  },
  keyPrefix: { env: ['KEY_PREFIX'], ...text('kgw:'), help: 'prefix of every Redis key and channel of this gateway (several gateways on one Redis need different ones)' },
  sharedLeaseMs: {
    env: ['SHARED_LEASE_MS'],
    ...int(30_000, 3_000, 600_000),
    help: 'with REDIS_URL: how long an identity slot taken by an instance holds without renewal (renewed every third of it while the request runs): the longest a crashed instance keeps it',
  },
  sessionFromUserField: {
    env: ['SESSION_USER_FIELD'],
    ...onOff(true),
    help: 'on: the `user` field names a conversation; off: ignore it (clients that send an end-user id)',
  },
  canaryIntervalMs: {
    env: ['CANARY_INTERVAL_MS'],
    ...int(600_000, 1_000, DAY_MS, true),
    help: 'how often the site canary checks the chat page (plus one tiny message after an interval without a successful answer; first check half an interval after start); two failures in a row → /readyz 503; 0 = off',
  },
  alertWebhookUrl: {
    env: ['ALERT_WEBHOOK_URL'],
    ...secretUrl(),
    defaultNote: 'no alerts',
    help: 'JSON POST (with a `text` line for Slack/Discord/Mattermost) when the site drifts, goes down or recovers, an identity is challenged or ejected, or no identity can serve',
  },
} satisfies Record<string, Setting>;

export type SettingKey = keyof typeof SETTINGS;

/** The value a setting of this kind reads to. */
type ValueOf<S> = S extends { kind: 'int' }
  ? number
  : S extends { kind: 'on/off' }
    ? boolean
    : S extends { kind: 'choice'; choices: readonly (infer C)[] }
      ? C
      : S extends { kind: 'list' }
        ? string[]
        : S extends { kind: 'secret' }
          ? string | null
          : S extends { default: infer D }
            ? D extends null
              ? string | null
              : string
            : never;

type SettingValues = { [K in SettingKey]: ValueOf<(typeof SETTINGS)[K]> };

/** Every setting's value (API_MASTER_KEY merged into apiKeys), plus what the cross-field rules decided. */
export type Config = Omit<SettingValues, 'apiMasterKey'> & {
  /** True when no key is configured and the host was forced to 127.0.0.1. */
  loopbackOnlyBecauseNoKey: boolean;
};

export type CliCommand = { kind: 'run'; config: Config } | { kind: 'help' } | { kind: 'version' };

const FLAG_NAMES = new Map<string, SettingKey>(
  Object.entries(SETTINGS).flatMap(([key, s]): [string, SettingKey][] => ('flag' in s ? [[s.flag, key as SettingKey]] : [])),
);

export function parseCommandLine(argv: string[], env: Env): CliCommand {
  const flags = new Map<SettingKey, string>();
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

interface Raw {
  value: string;
  /** The flag or environment variable it came from, for messages. */
  source: string;
}

function buildConfig(flags: Map<SettingKey, string>, env: Env): Config {
  const sources: Partial<Record<SettingKey, string>> = {};
  const values: Record<string, unknown> = {};
  for (const [key, setting] of Object.entries(SETTINGS) as [SettingKey, Setting][]) {
    const raw = rawValue(setting, flags.get(key), env);
    if (raw) sources[key] = raw.source;
    values[key] = raw ? parseValue(setting, raw) : setting.default;
  }
  // Each value was read by its setting's kind, which is what SettingValues says.
  const v = values as SettingValues;

  // Cross-field rules.
  const apiKeys = mergeApiKeys(v.apiKeys, sources.apiKeys, v.apiMasterKey);
  const loopbackOnlyBecauseNoKey = apiKeys.length === 0 && !isLoopbackHost(v.host);
  if (v.adminKey !== null && apiKeys.includes(v.adminKey)) {
    throw new ConfigError(`${sources.adminKey}: the admin key must differ from every client key in API_KEYS.`);
  }
  if (v.keepAliveIntervalMs >= v.idleTimeoutSeconds * 1000) {
    throw new ConfigError(
      `${SETTINGS.keepAliveIntervalMs.env[0]} (${v.keepAliveIntervalMs}) must be below ${SETTINGS.idleTimeoutSeconds.env[0]} (${v.idleTimeoutSeconds} s), or waiting streams are cut between keep-alives.`,
    );
  }
  const { apiMasterKey: _merged, ...rest } = v;
  return { ...rest, apiKeys, host: loopbackOnlyBecauseNoKey ? '127.0.0.1' : v.host, loopbackOnlyBecauseNoKey };
}

/**
 * redis://, rediss://, or redis+unix:// with the socket's path (a Redis on the same machine:
 * a round trip costs less CPU than over TCP loopback, docs/SCALING.md). Bun reads a unix
 * socket's password only with a host before the path (`redis+unix://:pw@localhost/path`);
 * `redis+unix://:pw@/path` is not a URL at all, and the message shows the form that works.
 */
function parseRedisUrl(value: string, source: string): string {
  const form = `${REDIS_URL_FORMS} (with a password: redis+unix://:PASSWORD@localhost/path/to/redis.sock)`;
  const unsaid = '(the value is not repeated: it may hold a password)';
  if (!/^(rediss?|redis\+unix):\/\/[^\s]+$/.test(value) || !URL.canParse(value)) throw new ConfigError(`${source}: must be ${form} ${unsaid}.`);
  const url = new URL(value);
  if (url.protocol === 'redis+unix:' && url.pathname.length < 2) throw new ConfigError(`${source}: a redis+unix:// URL needs the socket's path: ${form} ${unsaid}.`);
  return value;
}

/** The flag's value, else the first environment variable set to something other than blanks (trimmed). */
function rawValue(setting: Setting, flagValue: string | undefined, env: Env): Raw | null {
  if (flagValue !== undefined) return { value: flagValue, source: setting.flag! };
  for (const name of setting.env) {
    const v = env[name];
    if (v !== undefined && v.trim() !== '') return { value: v.trim(), source: name };
  }
  return null;
}

function parseValue(setting: Setting, { value, source }: Raw): number | boolean | string | string[] {
  switch (setting.kind) {
    case 'int': {
      const n = Number(value);
      if (setting.zeroIsOff && /^0+$/.test(value)) return 0;
      if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < setting.min || n > setting.max) {
        const off = setting.zeroIsOff ? ' Use 0 to turn it off.' : '';
        throw new ConfigError(`${source}: "${value}" is not a whole number between ${setting.min} and ${setting.max}.${off}`);
      }
      return n;
    }
    case 'on/off': {
      const v = value.toLowerCase();
      if (['on', 'true', '1', 'yes'].includes(v)) return true;
      if (['off', 'false', '0', 'no'].includes(v)) return false;
      throw new ConfigError(`${source}: "${value}" is not on or off.`);
    }
    case 'choice':
      if (!setting.choices.includes(value)) throw new ConfigError(`${source}: "${value}" is not one of ${setting.choices.join(', ')}.`);
      return value;
    case 'text':
      return value;
    case 'url':
      return parseBaseUrl(value, source);
    case 'redis':
      return parseRedisUrl(value, source);
    case 'secret-url':
      return parseSecretUrl(value, source);
    case 'list':
      return value
        .split(',')
        .map((k) => k.trim())
        .filter((k) => k !== '');
    case 'secret':
      if (/\s/.test(value)) throw new ConfigError(`${source}: ${setting.what} contains white space.`);
      if (value.length < setting.minLength) {
        throw new ConfigError(`${source}: ${setting.what} is shorter than ${setting.minLength} characters; use a long random value.`);
      }
      return value;
  }
}

function parseBaseUrl(value: string, source: string): string {
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    throw new ConfigError(`${source}: "${value}" is not a URL (expected e.g. https://kimi-ai.chat).`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new ConfigError(`${source}: "${value}" must start with http:// or https://.`);
  }
  return parsed.origin + parsed.pathname.replace(/\/+$/, '');
}

function parseSecretUrl(value: string, source: string): string {
  let parsed: URL | null = null;
  try {
    parsed = new URL(value);
  } catch {
    // reported below
  }
  if (!parsed || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') || /\s/.test(value)) {
    throw new ConfigError(`${source}: not an http:// or https:// URL (the value is not repeated here: it may hold a token).`);
  }
  return value;
}

function mergeApiKeys(list: string[], listSource: string | undefined, master: string | null): string[] {
  const keys = [...list];
  // The seed treated API_MASTER_KEY=1 as "no authentication"; keep that meaning rather
  // than accept the one-character key "1".
  if (master !== null && master !== '1') keys.push(master);
  for (const key of keys) {
    if (/\s/.test(key)) throw new ConfigError(`${listSource ?? 'API_KEYS'}: a key contains white space; keys are separated by commas.`);
  }
  return [...new Set(keys)];
}

export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** A setting as --help and README show it: its names, its default and the values it takes. */
export interface SettingDoc {
  flag: string | null;
  env: readonly string[];
  help: string;
  /** The default value, or null when unset means "none". */
  defaultValue: string | null;
  defaultNote: string | null;
  /** The values it takes, e.g. "5-255", or null for free text. */
  allowed: string | null;
}

export function settingDocs(): SettingDoc[] {
  return Object.values(SETTINGS).map((s: Setting) => ({
    flag: s.flag ?? null,
    env: s.env,
    help: s.help,
    defaultValue: defaultText(s),
    defaultNote: s.defaultNote ?? null,
    allowed: allowedText(s),
  }));
}

function defaultText(s: Setting): string | null {
  switch (s.kind) {
    case 'on/off':
      return s.default ? 'on' : 'off';
    case 'list':
      return s.default.length ? s.default.join(',') : null;
    default:
      return s.default === null ? null : String(s.default);
  }
}

function allowedText(s: Setting): string | null {
  switch (s.kind) {
    case 'int':
      return s.zeroIsOff ? `0 (off) or ${s.min}-${s.max}` : `${s.min}-${s.max}`;
    case 'on/off':
      return 'on or off';
    case 'choice':
      return s.choices.join(', ');
    case 'url':
    case 'secret-url':
      return 'an http:// or https:// URL';
    case 'redis':
      return REDIS_URL_FORMS;
    case 'list':
      return 'comma-separated';
    case 'secret':
      return `${s.minLength}+ characters, no white space`;
    case 'text':
      return null;
  }
}

/** "8088", "0.0.0.0 (127.0.0.1 when no API key is set)", "none: one anonymous identity". */
export function defaultWithNote(d: SettingDoc, quote: (value: string) => string = (v) => v): string {
  if (d.defaultValue === null) return d.defaultNote ? `none: ${d.defaultNote}` : 'none';
  return d.defaultNote ? `${quote(d.defaultValue)} (${d.defaultNote})` : quote(d.defaultValue);
}

export function renderHelp(version: string): string {
  const rows = settingDocs().map((d) => {
    const names = [d.flag, ...d.env].filter(Boolean).join(', ');
    const allowed = d.allowed ? `; allowed: ${d.allowed}` : '';
    return `  ${names.padEnd(38)} ${d.help}\n  ${''.padEnd(38)} default: ${defaultWithNote(d)}${allowed}`;
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
