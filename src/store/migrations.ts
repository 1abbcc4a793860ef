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
