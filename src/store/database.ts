// Opens the gateway's SQLite file: creates its directory, sets WAL and a busy timeout,
// runs migrations. A corrupt or unwritable file is a clear start-up error (StoreError),
// never a silent fallback to memory.

import { Database } from 'bun:sqlite';
import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { migrate } from './migrations.ts';

export class StoreError extends Error {
  override name = 'StoreError';
}

export function openDatabase(path: string): Database {
  const isMemory = path === ':memory:';
  let db: Database;
  try {
    if (!isMemory) mkdirSync(dirname(path), { recursive: true });
    const existed = isMemory || existsSync(path);
    db = new Database(path, { create: true, strict: true });
    // The file holds upstream cookies: keep it private to the gateway's user.
    if (!existed) chmodSync(path, 0o600);
    db.exec('PRAGMA journal_mode = WAL');
    db.exec('PRAGMA synchronous = NORMAL');
    db.exec('PRAGMA busy_timeout = 5000');
    db.exec('PRAGMA foreign_keys = ON');
    const check = db.query<{ quick_check: string }, []>('PRAGMA quick_check').get();
    if (check?.quick_check !== 'ok') throw new Error(`integrity check failed: ${check?.quick_check ?? 'no answer'}`);
    migrate(db);
  } catch (error) {
    throw new StoreError(`cannot use the database file ${path} (DB_PATH / --db): ${(error as Error).message}`);
  }
  return db;
}
