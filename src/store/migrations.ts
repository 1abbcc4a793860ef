// Schema versions, applied in order at start-up; PRAGMA user_version records the last.

import type { Database } from 'bun:sqlite';

const MIGRATIONS: readonly string[] = [
  // 1: identity state (pool)
  `CREATE TABLE identity_state (
     id          TEXT PRIMARY KEY,
     seed_hash   TEXT NOT NULL,
     cookies     TEXT NOT NULL,
     nonce       TEXT,
     health      TEXT NOT NULL,
     updated_at  INTEGER NOT NULL
   ) STRICT;`,
  // 2: conversations (sessions). `owner` scopes ids to the client key that made them;
  // `tip` fingerprints the conversation so far for clients that resend the history.
  `CREATE TABLE sessions (
     owner                TEXT NOT NULL,
     id                   TEXT NOT NULL,
     tip                  TEXT,
     upstream_session_id  TEXT NOT NULL,
     identity_id          TEXT,
     history              TEXT NOT NULL,
     turns                INTEGER NOT NULL,
     created_at           INTEGER NOT NULL,
     last_used_at         INTEGER NOT NULL,
     expires_at           INTEGER NOT NULL,
     PRIMARY KEY (owner, id)
   ) STRICT;
   CREATE INDEX sessions_by_expiry ON sessions (expires_at);
   CREATE INDEX sessions_by_tip ON sessions (tip) WHERE tip IS NOT NULL;
   CREATE INDEX sessions_by_id ON sessions (id);`,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

export function migrate(db: Database): void {
  const current = db.query<{ user_version: number }, []>('PRAGMA user_version').get()?.user_version ?? 0;
  if (current > SCHEMA_VERSION) {
    throw new Error(`the file has schema version ${current}, newer than this gateway's ${SCHEMA_VERSION}: use a newer kimi-gateway`);
  }
  for (let v = current; v < SCHEMA_VERSION; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v]!);
      db.exec(`PRAGMA user_version = ${v + 1}`);
    })();
  }
}
