// Opens the gateway's SQLite file: creates its directory, keeps the file private (0600),
// sets WAL and a busy timeout, runs migrations. A corrupt or unwritable file is a clear
// start-up error (StoreError), never a silent fallback to memory.

import { Database } from 'bun:sqlite';
import { chmodSync, existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { migrate } from './migrations.ts';

export class StoreError extends Error {
  override name = 'StoreError';
}

/** An existing file others could read or write, made private on open. */
export interface TightenedFile {
  file: string;
  from: number;
  to: number;
}

export interface OpenDatabaseOptions {
  /** Told about each existing file whose permissions were tightened, so start-up can say so. */
  onTightened?: (change: TightenedFile) => void;
}

const PRIVATE = 0o600;

export function openDatabase(path: string, options: OpenDatabaseOptions = {}): Database {
  const isMemory = path === ':memory:';
  let db: Database;
  try {
    if (!isMemory) mkdirSync(dirname(path), { recursive: true });
    const existed = isMemory || existsSync(path);
    // The file (and its WAL) holds upstream cookies: keep it private to the gateway's user,
    // also when an older gateway, a copy or a restore left it readable by others.
    if (!isMemory && existed) for (const file of [path, `${path}-wal`, `${path}-shm`]) tighten(file, options.onTightened);
    db = new Database(path, { create: true, strict: true });
    if (!existed) chmodSync(path, PRIVATE);
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

function tighten(file: string, report: OpenDatabaseOptions['onTightened']): void {
  if (!existsSync(file)) return;
  const from = statSync(file).mode & 0o777;
  if ((from & 0o077) === 0) return;
  chmodSync(file, PRIVATE);
  report?.({ file, from, to: PRIVATE });
}
