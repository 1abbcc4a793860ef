// Composition root: builds the parts from a Config, wires them and starts listening.
// main.ts, the demo, the benchmark and the tests all start the gateway through here.

import type { Database } from 'bun:sqlite';
import { ChatService } from './chat/chat-service.ts';
import type { Config } from './config.ts';
import { createApp } from './http/app.ts';
import type { Logger } from './log.ts';
import { AccountsFileError, loadAccountsFile } from './pool/accounts-file.ts';
import { DEFAULT_HEALTH_POLICY } from './pool/health.ts';
import { ANONYMOUS_IDENTITY, type IdentityConfig } from './pool/identity-config.ts';
import { IdentityPool } from './pool/identity-pool.ts';
import { logPoolEvents } from './pool/log-pool-events.ts';
import { openDatabase } from './store/database.ts';
import { IdentityStateRepo } from './store/identity-state-repo.ts';
import { SessionPruner } from './sessions/session-pruner.ts';
import { SessionRepo } from './sessions/session-repo.ts';
import { SessionService } from './sessions/session-service.ts';
import { KimiClient } from './upstream/kimi-client.ts';

export interface Gateway {
  url: string;
  port: number;
  pool: IdentityPool;
  sessions: SessionService;
  /** Deletes expired sessions now (the pruner also runs every SESSION_PRUNE_INTERVAL_MS). */
  pruneSessions(): Promise<number>;
  /** Re-reads the account file; a broken file is refused and the running pool kept. */
  reloadAccounts(): Promise<{ ok: true; added: string[]; removed: string[]; kept: string[] } | { ok: false; error: string }>;
  stop(): Promise<void>;
}

export interface GatewayOptions {
  /** Seconds a connection may stay silent (Bun's idleTimeout). Tests lower it to prove keep-alives work. */
  idleTimeoutSeconds?: number;
  /** Clock for session expiry; tests move it instead of sleeping. */
  sessionClock?: () => number;
}

/** Throws AccountsFileError or StoreError (clear start-up errors) before anything listens. */
export async function startGateway(config: Config, log: Logger, options: GatewayOptions = {}): Promise<Gateway> {
  const identities = await readIdentities(config);
  const db: Database = openDatabase(config.dbPath);
  const pool = new IdentityPool({
    identities,
    policy: { ...DEFAULT_HEALTH_POLICY, challengeCooldownMs: config.challengeCooldownMs },
    queueMax: config.queueMax,
    queueTimeoutMs: config.queueTimeoutMs,
    repo: new IdentityStateRepo(db),
  });
  logPoolEvents(pool, log);
  const client = new KimiClient({ baseUrl: config.upstreamBaseUrl, nonceMaxAgeMs: config.nonceMaxAgeMs });
  const chat = new ChatService({ client, pool, maxAttempts: config.maxAttempts, attemptTimeoutMs: config.attemptTimeoutMs });
  const sessionRepo = new SessionRepo(db);
  const sessionClock = options.sessionClock ?? Date.now;
  const sessions = new SessionService(
    sessionRepo,
    { ttlMs: config.sessionTtlSeconds * 1000, maxSessions: config.sessionMax, contextMaxLength: config.contextMaxLength },
    sessionClock,
  );
  const pruner = new SessionPruner(sessionRepo, {
    intervalMs: config.sessionPruneIntervalMs,
    now: sessionClock,
    log,
    onPruned: () => sessions.recount(),
  });
  const app = createApp({ ...config, chat, sessions, log });

  try {
    app.listen({
      hostname: config.host,
      port: config.port,
      // A second gateway on the same port must fail loudly, not silently split traffic.
      reusePort: false,
      idleTimeout: options.idleTimeoutSeconds ?? 30,
      maxRequestBodySize: config.maxBodyBytes * 2,
    });
  } catch (error) {
    pool.close();
    db.close();
    throw error;
  }
  const server = app.server!;
  pruner.start();

  // Warm nonces so first requests do not pay for the page fetch.
  for (const member of pool.list()) {
    if (!member.config.enabled || member.upstream.nonce) continue;
    void client.refreshNonce(member.upstream).then((result) => {
      if (!result.ok) log.warn('could not fetch a nonce yet; will retry on first use', { identity: member.id, outcome: result.outcome.kind });
    });
  }

  const host = server.hostname?.includes(':') ? `[${server.hostname}]` : server.hostname;
  return {
    url: `http://${host}:${server.port}`,
    port: server.port!,
    pool,
    sessions,
    pruneSessions: () => pruner.run(),
    async reloadAccounts() {
      if (!config.accountsFile) return { ok: false, error: 'no account file is configured (ACCOUNTS_FILE / --accounts)' };
      try {
        return { ok: true, ...pool.reload(await loadAccountsFile(config.accountsFile)) };
      } catch (error) {
        if (!(error instanceof AccountsFileError)) throw error;
        log.error('account file refused; the running pool is kept', { error: error.message });
        return { ok: false, error: error.message };
      }
    },
    async stop() {
      await app.stop(true);
      await pruner.stop();
      pool.close();
      db.close();
    },
  };
}

async function readIdentities(config: Config): Promise<IdentityConfig[]> {
  return config.accountsFile ? loadAccountsFile(config.accountsFile) : [ANONYMOUS_IDENTITY];
}
