// Persists what an identity must not forget across a restart: the provider's state for it
// (cookies, credentials: opaque JSON here) and its health.

import type { Database, Statement } from 'bun:sqlite';

export interface StoredIdentityState {
  id: string;
  /** Hash of the cookies given in the account file: when it changes, the operator pasted new ones. */
  seedHash: string;
  /** The provider's snapshot, JSON. */
  state: string;
  health: string;
  updatedAt: number;
}

type Row = {
  id: string;
  seed_hash: string;
  state: string;
  health: string;
  updated_at: number;
};

export class IdentityStateRepo {
  private readonly upsert: Statement<unknown, [Row]>;
  private readonly select: Statement<Row, [string]>;

  constructor(private readonly db: Database) {
    this.upsert = db.query(
      `INSERT INTO identity_state (id, seed_hash, state, health, updated_at)
       VALUES ($id, $seed_hash, $state, $health, $updated_at)
       ON CONFLICT(id) DO UPDATE SET seed_hash = excluded.seed_hash, state = excluded.state,
         health = excluded.health, updated_at = excluded.updated_at`,
    );
    this.select = db.query('SELECT * FROM identity_state WHERE id = ?');
  }

  load(id: string): StoredIdentityState | null {
    const row = this.select.get(id);
    return row ? { id: row.id, seedHash: row.seed_hash, state: row.state, health: row.health, updatedAt: row.updated_at } : null;
  }

  saveMany(states: readonly StoredIdentityState[]): void {
    if (states.length === 0) return;
    this.db.transaction(() => {
      for (const s of states) this.upsert.run({ id: s.id, seed_hash: s.seedHash, state: s.state, health: s.health, updated_at: s.updatedAt });
    })();
  }
}
