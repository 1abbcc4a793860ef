// Composition root: builds the parts from a Config, wires them and starts listening.
// main.ts, the demo, the benchmark and the tests all start the gateway through here.

import { SiteCanary } from './chat/canary/site-canary.ts';
import { Failover } from './chat/failover.ts';
import { TurnService } from './chat/turn-service.ts';
import type { Config } from './config.ts';
import { ModelCatalog, parseModelAliases } from './conversation/model-catalog.ts';
import { AdminApi } from './http/admin/admin-api.ts';
import { createApp } from './http/app.ts';
import { raiseServerHeaderLimit, SERVER_BODY_BYTES } from './http/request-limits.ts';
import { RequestTraces } from './http/request-trace.ts';
import type { Logger } from './log.ts';
import { ActivityFeed } from './ops/activity-feed.ts';
import { alertRedactor } from './ops/alerts/alert-secrets.ts';
import { watchCanary, watchPool } from './ops/alerts/alert-watch.ts';
import { AlertWebhook, webhookOrigin, webhookSecrets } from './ops/alerts/alert-webhook.ts';
import { logCanaryEvents } from './ops/log-canary.ts';
import { logPoolEvents } from './ops/log-pool-events.ts';
import { logRequest } from './ops/log-request.ts';
import { GatewayMetrics } from './ops/metrics.ts';
import { AccountsFileError } from './pool/accounts-file.ts';
import { AccountsFileStore } from './pool/accounts-writer.ts';
import { DEFAULT_HEALTH_POLICY } from './pool/health.ts';
import { ANONYMOUS_IDENTITY, type IdentityConfig } from './pool/identity-config.ts';
import { IdentityPool } from './pool/identity-pool.ts';
import { RedisLedger } from './pool/shared/redis-ledger.ts';
import { BUN_MAX_HTTP_REQUESTS_LIMIT, sharedFetchGate } from './providers/fetch-gate.ts';
import { KimiAiChatProvider } from './providers/kimi-ai-chat/provider.ts';
import type { Provider } from './providers/provider.ts';
import { RedisSessionLocks } from './sessions/redis-session-locks.ts';
import { RedisSessionRepo } from './sessions/redis-session-repo.ts';
import { upgradeSessionsToStrings } from './sessions/redis-session-upgrade.ts';
import { SessionPruner } from './sessions/session-pruner.ts';
import { SessionRepo } from './sessions/session-repo.ts';
import { SessionService } from './sessions/session-service.ts';
import { openDatabase } from './store/database.ts';
import { IdentityStateRepo } from './store/identity-state-repo.ts';
import { SHARED_SCHEMA_VERSION, SharedState, SharedStateStartError } from './store/redis/shared-state.ts';
import { StorageHealth } from './store/storage-health.ts';
import { VERSION } from './version.ts';

export type ReloadSummary = { added: string[]; removed: string[]; kept: string[] };
export type ReloadResult = ({ ok: true } & ReloadSummary) | { ok: false; error: string };

export interface Gateway {
  url: string;
  port: number;
  /** The identity pool, for in-process observers (the benchmark's chaos run). */
  pool: IdentityPool<unknown>;
  /** Re-reads the account file; a broken file is refused and the running pool kept. */
  reloadAccounts(): Promise<ReloadResult>;
  /**
   * Stops accepting, lets in-flight requests and streams finish for up to `graceMs`
   * (default SHUTDOWN_GRACE_MS), cuts what is left, saves state and closes the DB.
   */
  stop(graceMs?: number): Promise<void>;
}

/** Throws AccountsFileError or StoreError (clear start-up errors) before anything listens. */
export async function startGateway(config: Config, log: Logger): Promise<Gateway> {
  // The account file's one reader and writer: reloads and the admin API's edits go through it, one at a time.
  const accounts = config.accountsFile ? new AccountsFileStore(config.accountsFile) : null;
  const identities = accounts ? await accounts.load() : [ANONYMOUS_IDENTITY];
  const provider: Provider<unknown> = new KimiAiChatProvider({
    baseUrl: config.upstreamBaseUrl,
    nonceMaxAgeMs: config.nonceMaxAgeMs,
    maxBodyBytes: config.upstreamMaxBytes,
    // Masked wherever the site's words are quoted (logs, admin API), should it ever echo them.
    secrets: [...config.apiKeys, ...(config.adminKey ? [config.adminKey] : [])],
    log,
  });
  // REDIS_URL: the state several instances share. Unreachable at start-up = a clear start-up error.
  const shared = config.redisUrl ? new SharedState({ url: config.redisUrl, prefix: config.keyPrefix, log }) : null;
  if (shared) {
    await shared.start();
    if (shared.schemaAtStart < SHARED_SCHEMA_VERSION) await upgradeSharedState(shared, log);
    log.info('sharing limits, health, identity state and sessions on Redis', { redis: shared.host, prefix: config.keyPrefix });
  }
  const models = new ModelCatalog(provider, parseModelAliases(config.modelAliases, provider));
  const octal = (mode: number) => `0${mode.toString(8)}`;
  const db = openDatabase(config.dbPath, {
    onTightened: ({ file, from, to }) => log.warn(`database file permissions tightened to ${octal(to)}: it holds upstream cookies`, { file, was: octal(from) }),
  });
  const pool = new IdentityPool({
    identities,
    states: provider,
    policy: { ...DEFAULT_HEALTH_POLICY, challengeCooldownMs: config.challengeCooldownMs },
    queueMax: config.queueMax,
    queueTimeoutMs: config.queueTimeoutMs,
    repo: new IdentityStateRepo(db),
    ledger: shared ? new RedisLedger(shared, { leaseTtlMs: config.sharedLeaseMs, log }) : undefined,
  });
  // What other instances already know (cooldowns, credentials) before the first request here.
  if (shared) {
    try {
      await pool.syncShared();
    } catch (error) {
      shared.close();
      throw new SharedStateStartError(`cannot read the shared state on Redis at ${shared.host}: ${(error as Error).message}`);
    }
  }
  logPoolEvents(pool, log);
  warnIfFetchLimited(identities, log);
  const failover = new Failover({ provider, pool, maxAttempts: config.maxAttempts, attemptTimeoutMs: config.attemptTimeoutMs });
  const probeTimeoutMs = Math.min(30_000, config.attemptTimeoutMs);
  const canary = new SiteCanary({ provider, pool, failover, intervalMs: config.canaryIntervalMs, timeoutMs: probeTimeoutMs });
  logCanaryEvents(canary, provider.site, log);
  const alerts = config.alertWebhookUrl ? startAlerts(config, config.alertWebhookUrl, provider.site, pool, canary, log) : null;

  const sessionRepo = new SessionRepo(db);
  const storage = new StorageHealth({ file: config.dbPath, log, probe: () => sessionRepo.probeWrite() });
  // With REDIS_URL, conversations live on Redis (shared by every instance), not in the file.
  const sessionStore = shared ? new RedisSessionRepo(shared) : sessionRepo;
  const sessions = new SessionService({
    repo: sessionStore,
    ttlMs: config.sessionTtlSeconds * 1000,
    maxSessions: config.sessionMax,
    contextMaxLength: config.contextMaxLength,
    newConversation: () => provider.newConversation(),
    ...(shared ? { sharedLocks: new RedisSessionLocks(shared) } : { storage }),
  });
  const pruner = new SessionPruner(sessionStore, { intervalMs: config.sessionPruneIntervalMs, log });
  const turns = new TurnService({ sessions, failover, contextMaxLength: config.contextMaxLength, requestTimeoutMs: config.requestTimeoutMs });

  const metrics = new GatewayMetrics({
    identities: () => pool.list().filter((m) => !m.removed).map((m) => ({ id: m.id, state: m.health.state.kind, inFlight: m.inFlight })),
    queueDepth: () => pool.queueDepth,
    sessionCount: () => sessions.size,
    findModel: (name) => models.findModel(name),
    canary: () => (canary.enabled ? { success: canary.view().lastRun === null ? null : canary.failing ? 0 : 1 } : null),
  });
  pool.onEvent((event) => metrics.recordPoolEvent(event));
  canary.onEvent((event) => {
    if (event.type === 'run') metrics.recordCanaryRun(event.run.result);
  });
  const activity = new ActivityFeed();
  const traces = new RequestTraces((record) => {
    metrics.recordRequest(record);
    // The dashboard's own polling and probes would crowd out the traffic it is there to show.
    if (!isOperatorRoute(record.route)) activity.record(record);
    logRequest(log, record);
  });

  // A reload and an edit over the admin API change the pool the same way.
  // With REDIS_URL, the other instances re-read their account file too (the same file, or a copy of it).
  const applyAccounts = (next: readonly IdentityConfig[]): ReloadSummary => {
    const result = pool.reload(next);
    warnIfFetchLimited(next, log);
    void shared?.publish({ type: 'reload' });
    return result;
  };
  const readAccounts = async (apply: (next: readonly IdentityConfig[]) => ReloadSummary): Promise<ReloadResult> => {
    if (!accounts) return { ok: false, error: 'no account file is configured (ACCOUNTS_FILE / --accounts)' };
    try {
      return { ok: true, ...(await accounts.reload(apply)) };
    } catch (error) {
      if (!(error instanceof AccountsFileError)) throw error;
      log.error('account file refused; the running pool is kept', { error: error.message });
      return { ok: false, error: error.message };
    }
  };
  const reloadAccounts = () => readAccounts(applyAccounts);
  shared?.onEvent((event) => {
    if (event.type !== 'reload') return;
    log.info('another instance changed the pool: re-reading the account file', { from: event.from });
    void readAccounts((next) => {
      const result = pool.reload(next);
      warnIfFetchLimited(next, log);
      return result;
    });
  });
  const admin = new AdminApi({
    adminKey: config.adminKey,
    provider,
    pool,
    failover,
    sessions,
    activity,
    reloadAccounts,
    accounts,
    applyAccounts,
    log,
    probeTimeoutMs,
    siteCanary: () => canary.view(),
  });
  let draining = false;
  const app = createApp({
    ...config,
    turns,
    models,
    sessions,
    pool,
    admin,
    metrics,
    traces,
    log,
    isDraining: () => draining,
    storageStatus: () => storage.status,
    siteStatus: () => canary.view(),
    sharedStatus: () => shared?.status ?? null,
  });

  // Bun's own 413/431 are empty and reach no handler: its limits sit above the gateway's own.
  await raiseServerHeaderLimit();
  try {
    app.listen({
      hostname: config.host,
      port: config.port,
      // A second gateway on the same port must fail loudly, not silently split traffic.
      reusePort: false,
      idleTimeout: config.idleTimeoutSeconds,
      maxRequestBodySize: SERVER_BODY_BYTES,
    });
  } catch (error) {
    pool.close();
    shared?.close();
    storage.stop();
    db.close();
    throw error;
  }
  const server = app.server!;
  pruner.start();
  // On Redis the session count (metrics) is learnt from Redis: a first pass now, not a minute from now.
  if (shared) void pruner.run();

  // Fetch what identities need before the first requests do (kimi-ai.chat: a nonce).
  // With REDIS_URL one instance fetches (and shares) them; the others take its result over.
  for (const member of pool.list()) {
    if (!member.config.enabled || !provider.needsRefresh(member.state)) continue;
    void pool.claimRefresh(member.id).then(async (mine) => {
      // Another instance's credentials may have arrived while the claim was asked.
      if (!mine || !provider.needsRefresh(member.state)) return;
      const result = await provider.refresh(member.state);
      if (result.ok) pool.stateChanged(member.id);
      else log.warn('could not prepare the identity yet; will retry on first use', { identity: member.id, outcome: result.outcome.kind });
    });
  }
  canary.start();

  const host = server.hostname?.includes(':') ? `[${server.hostname}]` : server.hostname;
  return {
    url: `http://${host}:${server.port}`,
    port: server.port!,
    pool,
    reloadAccounts,
    async stop(graceMs = config.shutdownGraceMs) {
      draining = true;
      // No new canary run; one in flight ends while requests drain.
      const canaryStopped = canary.stop();
      // Stop listening at once; connections with requests in flight stay open.
      void server.stop(false);
      const inFlight = traces.inFlight;
      if (inFlight > 0) {
        log.info('waiting for in-flight requests', { in_flight: inFlight, grace_ms: graceMs });
        let timer: ReturnType<typeof setTimeout> | undefined;
        const graceOver = new Promise<'timeout'>((resolve) => (timer = setTimeout(resolve, graceMs, 'timeout')));
        const result = await Promise.race([traces.idle().then(() => 'idle' as const), graceOver]);
        clearTimeout(timer);
        if (result === 'timeout') {
          log.warn('grace period over; cutting the requests still running', { requests: JSON.stringify(traces.running()) });
        }
      }
      await app.stop(true);
      await canaryStopped;
      await alerts?.close(ALERT_CLOSE_GRACE_MS);
      await pruner.stop();
      storage.stop();
      pool.close();
      shared?.close();
      db.close();
    },
  };
}

/** Redis holds an older layout (from an earlier gateway): converts it before this instance serves. */
async function upgradeSharedState(shared: SharedState, log: Logger): Promise<void> {
  const from = shared.schemaAtStart;
  try {
    const sessions = await upgradeSessionsToStrings(shared);
    await shared.markSchemaCurrent();
    log.info('shared state upgraded to this gateway\'s layout; instances older than this one now refuse to start on it', { from, to: SHARED_SCHEMA_VERSION, sessions });
  } catch (error) {
    shared.close();
    throw new SharedStateStartError(`cannot upgrade the shared state on Redis at ${shared.host} from layout ${from}: ${(error as Error).message}`);
  }
}

/** At shutdown, how long alerts still pending may take to leave. */
const ALERT_CLOSE_GRACE_MS = 3_000;

/** ALERT_WEBHOOK_URL: the canary's and the pool's changes as webhook POSTs. */
function startAlerts(config: Config, url: string, site: string, pool: IdentityPool<unknown>, canary: SiteCanary<unknown>, log: Logger): AlertWebhook {
  const fixed = [...config.apiKeys, ...(config.adminKey ? [config.adminKey] : []), ...webhookSecrets(url)];
  const alerts = new AlertWebhook({ url, site, version: VERSION, log, redactor: alertRedactor(pool, fixed) });
  const notify = alerts.notify.bind(alerts);
  watchPool(pool, notify);
  watchCanary(canary, site, notify);
  // Only the origin: the path or query of a webhook URL is often its token.
  log.info('alerts are posted to a webhook', { webhook: webhookOrigin(url) });
  return alerts;
}

const isOperatorRoute = (route: string): boolean =>
  route.startsWith('/admin/') || route === '/dashboard' || route === '/healthz' || route === '/readyz' || route === '/metrics';

/**
 * Bun's fetch runs BUN_CONFIG_MAX_HTTP_REQUESTS requests at once (default 256), read only at
 * process start. Beyond it requests wait for a slot (not counted against identities), so a
 * larger pool is never fully used: say how to start the process.
 */
function warnIfFetchLimited(identities: readonly IdentityConfig[], log: Logger): void {
  // Each identity's message slots, plus its one credential refresh.
  const capacity = identities.filter((i) => i.enabled).reduce((sum, i) => sum + i.maxConcurrent + 1, 0);
  const limit = sharedFetchGate().size;
  if (capacity <= limit) return;
  log.warn('the pool can run more upstream requests than this process may fetch at once; the rest wait for a free connection', {
    pool_capacity: capacity,
    fetch_limit: limit,
    fix: `start the gateway with BUN_CONFIG_MAX_HTTP_REQUESTS=${Math.min(capacity, BUN_MAX_HTTP_REQUESTS_LIMIT)} in its environment`,
  });
}
