// The database file holds upstream cookies: a new one is created 0600, and an existing one
// that others may read (0644 from an older gateway, a copy, a restore) is tightened to 0600
// on open, and the gateway says so at start-up (issue 9, defect 12).

import { Database } from 'bun:sqlite';
import { afterEach, describe, expect, test } from 'bun:test';
import { chmodSync, statSync } from 'node:fs';
import { openDatabase, type TightenedFile } from '../../src/store/database.ts';
import { startHarness, tempDbPath, type Harness } from '../helpers/harness.ts';

const modeOf = (path: string) => statSync(path).mode & 0o777;

/** A WAL-mode database left behind with its -wal and -shm files, all 0644. */
function leaveWorldReadableDb(): string {
  const path = tempDbPath();
  const db = new Database(path, { create: true });
  db.exec('PRAGMA journal_mode = WAL; CREATE TABLE t (x); INSERT INTO t VALUES (1)');
  // A second connection keeps the WAL files from being removed when the first closes.
  const keep = new Database(path);
  keep.query('SELECT * FROM t').all();
  db.close();
  for (const file of [path, `${path}-wal`, `${path}-shm`]) chmodSync(file, 0o644);
  keep.close();
  chmodSync(path, 0o644);
  return path;
}

describe('openDatabase file permissions', () => {
  test('a new file is created 0600 and nothing is reported', () => {
    const path = tempDbPath();
    const reported: TightenedFile[] = [];
    const db = openDatabase(path, { onTightened: (file) => reported.push(file) });
    expect(modeOf(path)).toBe(0o600);
    expect(modeOf(`${path}-wal`)).toBe(0o600);
    expect(reported).toEqual([]);
    db.close();
  });

  test('an existing 0644 file is tightened to 0600, and the change is reported', () => {
    const path = leaveWorldReadableDb();
    expect(modeOf(path)).toBe(0o644);
    const reported: TightenedFile[] = [];
    const db = openDatabase(path, { onTightened: (file) => reported.push(file) });
    expect(modeOf(path)).toBe(0o600);
    expect(reported).toContainEqual({ file: path, from: 0o644, to: 0o600 });
    for (const file of reported) expect(modeOf(file.file)).toBe(0o600);
    db.close();
  });

  test('a file already 0600 is left alone and not reported', () => {
    const path = tempDbPath();
    openDatabase(path).close();
    const reported: TightenedFile[] = [];
    openDatabase(path, { onTightened: (file) => reported.push(file) }).close();
    expect(reported).toEqual([]);
  });
});

describe('at start-up', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.stop();
    h = undefined;
  });

  test('the gateway tightens a 0644 database file and logs it, naming the file', async () => {
    const dbPath = leaveWorldReadableDb();
    h = await startHarness({ dbPath });
    expect(modeOf(dbPath)).toBe(0o600);
    const line = h.logs.find((l) => l.includes('0600'));
    expect(line).toBeDefined();
    expect(line).toContain(dbPath);
    expect(line).toContain('0644');
  });
});

