// Reads and validates the account pool file. Every problem names the identity, the
// field and what is wrong; nothing in an error repeats a cookie or a proxy password.
// Values that become HTTP headers or a proxy URL may not hold control characters (a CR/LF
// would inject headers; the URL parser silently drops some of them).

import { BUILTIN_DEFAULTS, type IdentityConfig } from './identity-config.ts';

export class AccountsFileError extends Error {
  override name = 'AccountsFileError';
  /** The problem without the file's name (`identity "x": "rpm": must be …`); null for a file-level problem. */
  constructor(
    message: string,
    readonly problem: string | null = null,
  ) {
    super(message);
  }
}

const IDENTITY_FIELDS = new Set(['id', 'cookies', 'userAgent', 'proxy', 'weight', 'maxConcurrent', 'rpm', 'enabled', 'minIntervalMs', 'jitterMs']);
const DEFAULT_FIELDS = new Set(['weight', 'maxConcurrent', 'rpm', 'enabled', 'userAgent', 'minIntervalMs', 'jitterMs']);
/** Pacing gaps beyond an hour are a typo (seconds for milliseconds' sake), not a plan. */
const PACING = { min: 0, max: 3_600_000, integer: true };
/** Keys starting with these are documentation (accounts.example.json uses "_comment"). */
const isCommentKey = (key: string) => key.startsWith('_') || key.startsWith('$');
/** C0 controls (CR, LF, TAB, NUL…) and DEL. */
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f]/;
const CONTROL_PROBLEM = 'contains a control character (CR, LF, TAB or another below 0x20, or DEL); remove it (the value is not shown)';

export async function loadAccountsFile(path: string): Promise<IdentityConfig[]> {
  return parseAccountsText(await readAccountsText(path), path).identities;
}

export async function readAccountsText(path: string): Promise<string> {
  const file = Bun.file(path);
  if (!(await file.exists())) throw new AccountsFileError(`${path}: file not found (ACCOUNTS_FILE / --accounts)`);
  return file.text();
}

/** The file's JSON as written and the identities it describes. */
export function parseAccountsText(text: string, path: string): { json: unknown; identities: IdentityConfig[] } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new AccountsFileError(`${path}: not valid JSON (${(error as Error).message})`);
  }
  return { json, identities: parseAccounts(json, path) };
}

export function parseAccounts(json: unknown, source: string): IdentityConfig[] {
  const fail = (where: string, problem: string): never => {
    throw new AccountsFileError(`${source}: ${where}: ${problem}`, `${where}: ${problem}`);
  };
  if (typeof json !== 'object' || json === null || Array.isArray(json)) fail('top level', 'must be an object with "identities"');
  const root = json as Record<string, unknown>;
  for (const key of Object.keys(root)) {
    if (key !== 'defaults' && key !== 'identities' && !isCommentKey(key)) fail(`"${key}"`, 'unknown top-level field (expected "defaults", "identities")');
  }
  const defaults = readDefaults(root.defaults, fail);
  if (!Array.isArray(root.identities) || root.identities.length === 0) fail('"identities"', 'must be a non-empty array');
  const seen = new Set<string>();
  return (root.identities as unknown[]).map((entry, index) => {
    const at = `identities[${index}]`;
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) return fail(at, 'must be an object');
    const e = entry as Record<string, unknown>;
    if (typeof e.id !== 'string' || e.id.trim() === '') return fail(at, '"id" is required (a non-empty string)');
    if (CONTROL_CHARACTER.test(e.id)) return fail(at, `"id" ${CONTROL_PROBLEM}`);
    const id = e.id.trim();
    const where = `identity "${id}"`;
    if (seen.has(id)) fail(where, 'the id is used twice');
    seen.add(id);
    for (const key of Object.keys(e)) if (!IDENTITY_FIELDS.has(key) && !isCommentKey(key)) fail(where, `unknown field "${key}"`);
    const config: IdentityConfig = {
      id,
      weight: readNumber(e.weight, `${where}: "weight"`, defaults.weight, { min: 0.001, integer: false }, fail),
      maxConcurrent: readNumber(e.maxConcurrent, `${where}: "maxConcurrent"`, defaults.maxConcurrent, { min: 1, integer: true }, fail),
      rpm: readNumber(e.rpm, `${where}: "rpm"`, defaults.rpm, { min: 0, integer: true }, fail),
      enabled: readBoolean(e.enabled, `${where}: "enabled"`, defaults.enabled, fail),
      minIntervalMs: readNumber(e.minIntervalMs, `${where}: "minIntervalMs"`, defaults.minIntervalMs, PACING, fail),
      jitterMs: readNumber(e.jitterMs, `${where}: "jitterMs"`, defaults.jitterMs, PACING, fail),
    };
    const cookies = readString(e.cookies, `${where}: "cookies"`, fail);
    if (cookies !== undefined) {
      if (!/^[^=;\s]+=/.test(cookies.trim())) fail(where, '"cookies" must look like "name=value; other=value" (copy the Cookie header from the browser)');
      config.cookies = cookies;
    }
    const userAgent = readString(e.userAgent, `${where}: "userAgent"`, fail) ?? defaults.userAgent;
    if (userAgent !== undefined) config.userAgent = userAgent;
    const proxy = readString(e.proxy, `${where}: "proxy"`, fail);
    if (proxy !== undefined) config.proxy = checkProxy(proxy, where, fail);
    return config;
  });
}

type Fail = (where: string, problem: string) => never;

function readDefaults(value: unknown, fail: Fail) {
  const d = { ...BUILTIN_DEFAULTS, userAgent: undefined as string | undefined };
  if (value === undefined) return d;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return fail('"defaults"', 'must be an object');
  const v = value as Record<string, unknown>;
  for (const key of Object.keys(v)) if (!DEFAULT_FIELDS.has(key) && !isCommentKey(key)) fail('"defaults"', `unknown field "${key}"`);
  return {
    weight: readNumber(v.weight, '"defaults.weight"', d.weight, { min: 0.001, integer: false }, fail),
    maxConcurrent: readNumber(v.maxConcurrent, '"defaults.maxConcurrent"', d.maxConcurrent, { min: 1, integer: true }, fail),
    rpm: readNumber(v.rpm, '"defaults.rpm"', d.rpm, { min: 0, integer: true }, fail),
    enabled: readBoolean(v.enabled, '"defaults.enabled"', d.enabled, fail),
    minIntervalMs: readNumber(v.minIntervalMs, '"defaults.minIntervalMs"', d.minIntervalMs, PACING, fail),
    jitterMs: readNumber(v.jitterMs, '"defaults.jitterMs"', d.jitterMs, PACING, fail),
    userAgent: readString(v.userAgent, '"defaults.userAgent"', fail),
  };
}

function readNumber(value: unknown, what: string, fallback: number, rule: { min: number; max?: number; integer: boolean }, fail: Fail): number {
  if (value === undefined) return fallback;
  const max = rule.max ?? Infinity;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < rule.min || value > max || (rule.integer && !Number.isInteger(value))) {
    const range = Number.isFinite(max) ? `from ${rule.min} to ${max}` : `≥ ${rule.min}`;
    return fail(what, `must be ${rule.integer ? 'a whole number' : 'a number'} ${range} (got ${JSON.stringify(value)})`);
  }
  return value;
}

function readBoolean(value: unknown, what: string, fallback: boolean, fail: Fail): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') return fail(what, `must be true or false (got ${JSON.stringify(value)})`);
  return value;
}

/** Strings without control characters; the value itself is never echoed (it may be a secret). */
function readString(value: unknown, what: string, fail: Fail): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') return fail(what, `must be a string (got a ${typeof value})`);
  if (CONTROL_CHARACTER.test(value)) return fail(what, CONTROL_PROBLEM);
  return value;
}

function checkProxy(proxy: string, where: string, fail: Fail): string {
  let url: URL;
  try {
    url = new URL(proxy);
  } catch {
    return fail(where, '"proxy" is not a URL (expected http://user:pass@host:port)');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') fail(where, `"proxy" must be an http:// or https:// URL (got ${url.protocol})`);
  return proxy;
}

/** For editors of the file (the admin API): the fields an identity may set, and which keys are comments. */
export const identityFieldNames = (): readonly string[] => [...IDENTITY_FIELDS];
export { isCommentKey };

/** A proxy URL without its password, for admin output and logs. */
export function redactProxy(proxy: string | undefined): string | null {
  if (!proxy) return null;
  try {
    const url = new URL(proxy);
    if (url.password) url.password = '***';
    if (url.username) url.username = '***';
    return url.href;
  } catch {
    return '***';
  }
}
