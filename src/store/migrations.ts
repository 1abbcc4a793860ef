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
  // 3: identity state becomes the provider's opaque snapshot. Rows of versions 1-2 held
  // kimi-ai.chat's cookie jar and nonce in columns: they become its snapshot's two keys.
  `CREATE TABLE identity_state_v3 (
     id          TEXT PRIMARY KEY,
     seed_hash   TEXT NOT NULL,
     state       TEXT NOT NULL,
     health      TEXT NOT NULL,
     updated_at  INTEGER NOT NULL
   ) STRICT;
   INSERT INTO identity_state_v3 (id, seed_hash, state, health, updated_at)
     SELECT id, seed_hash,
            json_object('cookies', CASE WHEN json_valid(cookies) THEN json(cookies) ELSE json_object() END,
                        'nonce', CASE WHEN json_valid(nonce) THEN json(nonce) END),
            health, updated_at
     FROM identity_state;
   DROP TABLE identity_state;
   ALTER TABLE identity_state_v3 RENAME TO identity_state;`,
  // 4: every turn stored touched one more random b-tree page for an index only the
  // operator's delete-by-id uses (a rare scan is cheaper than a page per turn).
  `DROP INDEX sessions_by_id;`,
  // 5: a stored Responses API response is a session row keyed by its id (resp_…): `payload`
  // holds the response object GET /v1/responses/{id} answers with; NULL for chat sessions.
  `ALTER TABLE sessions ADD COLUMN payload TEXT;`,
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
