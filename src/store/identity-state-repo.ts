// Persists what an identity must not forget across a restart: cookies, nonce, health.

import type { Database, Statement } from 'bun:sqlite';

export interface StoredIdentityState {
  id: string;
  /** Hash of the cookies given in the account file: when it changes, the operator pasted new ones. */
  seedHash: string;
  cookies: string;
  nonce: string | null;
  health: string;
  updatedAt: number;
}

type Row = {
  id: string;
  seed_hash: string;
  cookies: string;
  nonce: string | null;
  health: string;
  updated_at: number;
};

export class IdentityStateRepo {
  private readonly upsert: Statement<unknown, [Row]>;
  private readonly select: Statement<Row, [string]>;

  constructor(private readonly db: Database) {
    this.upsert = db.query(
      `INSERT INTO identity_state (id, seed_hash, cookies, nonce, health, updated_at)
       VALUES ($id, $seed_hash, $cookies, $nonce, $health, $updated_at)
       ON CONFLICT(id) DO UPDATE SET seed_hash = excluded.seed_hash, cookies = excluded.cookies,
         nonce = excluded.nonce, health = excluded.health, updated_at = excluded.updated_at`,
    );
    this.select = db.query('SELECT * FROM identity_state WHERE id = ?');
  }

  load(id: string): StoredIdentityState | null {
    const row = this.select.get(id);
    return row
      ? { id: row.id, seedHash: row.seed_hash, cookies: row.cookies, nonce: row.nonce, health: row.health, updatedAt: row.updated_at }
      : null;
  }

  saveMany(states: readonly StoredIdentityState[]): void {
    if (states.length === 0) return;
    this.db.transaction(() => {
      for (const s of states) {
        this.upsert.run({ id: s.id, seed_hash: s.seedHash, cookies: s.cookies, nonce: s.nonce, health: s.health, updated_at: s.updatedAt });
      }
    })();
  }
}
