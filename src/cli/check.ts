// `kimi-gateway check`: probes every identity of the pool against the site with the real
// provider (its refresh: chat page + nonce, and with --send one tiny message) and prints a table.
// Read-only: no database, no pool state; secrets (cookies, proxy credentials) never printed.

import { ConfigError, parseCommandLine } from '../config.ts';
import { AccountsFileError, loadAccountsFile, redactProxy } from '../pool/accounts-file.ts';
import { checkIdentity, type IdentityCheck, type StepResult } from '../chat/identity-check.ts';
import { ANONYMOUS_IDENTITY, type IdentityConfig } from '../pool/identity-config.ts';
import { KimiAiChatProvider } from '../providers/kimi-ai-chat/provider.ts';
import type { Provider } from '../providers/provider.ts';
import { createLogger } from '../log.ts';
import { SHARED_SCHEMA_VERSION, SharedState } from '../store/redis/shared-state.ts';

export const CHECK_USAGE = `Usage: kimi-gateway check [--accounts FILE] [--upstream URL] [--send] [--redis URL]

Probes every identity of the pool (disabled ones too) against the site: fetches the
chat page and its nonce, and with --send posts one short message ("ping") per enabled
identity. Prints one row per identity and writes nothing (the database is not opened).

  --accounts FILE   account pool file (default: ACCOUNTS_FILE; none = one anonymous identity)
  --upstream URL    the site (default: UPSTREAM_BASE_URL, else https://kimi-ai.chat)
  --send            also send one message per enabled identity (counts against its limits)
  --redis URL       also check the Redis that instances share (default: REDIS_URL): reachable,
                    round trip, its version, the shared state's layout under KEY_PREFIX, and
                    how many gateway instances use it now; writes nothing there either
  --help            this text

Exit status: 0 at least one enabled identity works (and Redis, if given, answers), 1 none works
or Redis does not answer, 2 usage or config error.`;

const PROBE_TIMEOUT_MS = 30_000;
const CONCURRENCY = 4;
const DETAIL_MAX = 70;

interface CheckOptions {
  accountsFlag: string | undefined;
  upstreamFlag: string | undefined;
  redisFlag: string | undefined;
  send: boolean;
}

interface ProbeRow extends IdentityCheck {
  identity: IdentityConfig;
}

export async function runCheck(argv: string[], env: Record<string, string | undefined>, out: (line: string) => void): Promise<number> {
  let options: CheckOptions | 'help';
  let accountsFile: string | null;
  let baseUrl: string;
  let redis: { url: string; prefix: string } | null;
  try {
    options = parseCheckArgs(argv);
    if (options === 'help') {
      out(CHECK_USAGE);
      return 0;
    }
    // Reuse the gateway's own precedence and URL validation (flag > env, trimmed, http(s) only).
    const flags: string[] = [];
    if (options.accountsFlag !== undefined) flags.push('--accounts', options.accountsFlag);
    if (options.upstreamFlag !== undefined) flags.push('--upstream', options.upstreamFlag);
    if (options.redisFlag !== undefined) flags.push('--redis', options.redisFlag);
    const command = parseCommandLine(flags, {
      ACCOUNTS_FILE: env.ACCOUNTS_FILE,
      UPSTREAM_BASE_URL: env.UPSTREAM_BASE_URL,
      REDIS_URL: env.REDIS_URL,
      KEY_PREFIX: env.KEY_PREFIX,
    });
    if (command.kind !== 'run') throw new ConfigError('unexpected arguments');
    accountsFile = command.config.accountsFile;
    baseUrl = command.config.upstreamBaseUrl;
    redis = command.config.redisUrl ? { url: command.config.redisUrl, prefix: command.config.keyPrefix } : null;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    out(`kimi-gateway check: ${error.message}`);
    out('Run kimi-gateway check --help for its usage.');
    return 2;
  }

  let identities: IdentityConfig[];
  try {
    identities = accountsFile ? await loadAccountsFile(accountsFile) : [ANONYMOUS_IDENTITY];
  } catch (error) {
    if (!(error instanceof AccountsFileError)) throw error;
    out(`kimi-gateway check: ${error.message}`);
    return 2;
  }

  const redisWorks = redis ? await checkRedis(redis, out) : true;
  out(`Checking ${identities.length} ${identities.length === 1 ? 'identity' : 'identities'} from ${accountsFile ?? '(no account file: anonymous visitor)'} against ${baseUrl}${options.send ? ', sending one message each' : ''}`);
  const provider: Provider<unknown> = new KimiAiChatProvider({ baseUrl, nonceMaxAgeMs: PROBE_TIMEOUT_MS, pageTimeoutMs: PROBE_TIMEOUT_MS });
  const rows = await mapBounded(identities, CONCURRENCY, (identity) => probe(provider, identity, options.send));
  for (const line of renderTable(rows, options.send)) out(line);

  const enabled = rows.filter((r) => r.identity.enabled);
  const working = enabled.filter((r) => r.works).length;
  out('');
  out(`${working} of ${enabled.length} enabled ${enabled.length === 1 ? 'identity works' : 'identities work'}${options.send ? '' : ' (page and nonce only; add --send to post a message)'}.`);
  return working > 0 && redisWorks ? 0 : 1;
}

/** One line about the shared Redis; false when it does not answer. */
async function checkRedis(redis: { url: string; prefix: string }, out: (line: string) => void): Promise<boolean> {
  const shared = new SharedState({ url: redis.url, prefix: redis.prefix, log: createLogger({ level: 'error', write: () => undefined }) });
  try {
    const r = await shared.report();
    const layout = r.schema === null ? 'no shared state yet' : `shared state layout ${r.schema}${r.schema > SHARED_SCHEMA_VERSION ? ` (NEWER than this gateway's ${SHARED_SCHEMA_VERSION})` : ''}`;
    out(
      `Redis at ${shared.host}: answers in ${r.latencyMs < 1 ? r.latencyMs.toFixed(2) : r.latencyMs.toFixed(1)} ms (median of 5 PINGs), Redis ${r.redisVersion ?? '?'}, ${layout} under "${redis.prefix}", ${r.instances} ${r.instances === 1 ? 'gateway instance' : 'gateway instances'} connected`,
    );
    return r.schema === null || r.schema <= SHARED_SCHEMA_VERSION;
  } catch (error) {
    out(`Redis: ${(error as Error).message}`);
    return false;
  }
}

function parseCheckArgs(argv: string[]): CheckOptions | 'help' {
  const options: CheckOptions = { accountsFlag: undefined, upstreamFlag: undefined, redisFlag: undefined, send: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--help' || arg === '-h') return 'help';
    if (arg === '--send') {
      options.send = true;
      continue;
    }
    const eq = arg.indexOf('=');
    const name = eq >= 0 ? arg.slice(0, eq) : arg;
    if (name !== '--accounts' && name !== '--upstream' && name !== '--redis') throw new ConfigError(`Unknown argument "${arg}".`);
    const value = eq >= 0 ? arg.slice(eq + 1) : argv[++i];
    if (value === undefined || value.startsWith('--') || value.trim() === '') throw new ConfigError(`${name} needs a value.`);
    if (name === '--accounts') options.accountsFlag = value;
    else if (name === '--redis') options.redisFlag = value;
    else options.upstreamFlag = value;
  }
  return options;
}

function probe(provider: Provider<unknown>, config: IdentityConfig, send: boolean): Promise<ProbeRow> {
  return checkIdentity(provider, config, { send, timeoutMs: PROBE_TIMEOUT_MS, detailMax: DETAIL_MAX }).then((check) => ({ identity: config, ...check }));
}

function renderTable(rows: ProbeRow[], send: boolean): string[] {
  const header = ['IDENTITY', 'PROXY', 'PAGE/NONCE', ...(send ? ['SEND'] : []), 'VERDICT'];
  const cells = rows.map((r) => [
    r.identity.enabled ? r.identity.id : `${r.identity.id} (disabled)`,
    redactProxy(r.identity.proxy) ?? 'direct',
    formatStep(r.page),
    ...(send ? [r.send ? formatStep(r.send) : '-'] : []),
    r.identity.enabled ? (r.works ? 'works' : 'FAILS') : `disabled (${r.works ? 'would work' : 'fails'})`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]) => c.map((cell, i) => (i === c.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ');
  return [line(header), ...cells.map(line)];
}

function formatStep(step: StepResult): string {
  if (step.ok === true) return `ok ${step.ms} ms`;
  if (step.ok === null) return step.why;
  return step.detail ? `${step.kind}: ${step.detail}` : step.kind;
}

/** Runs `fn` over `items` with at most `limit` in flight; results keep the input order. */
async function mapBounded<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
