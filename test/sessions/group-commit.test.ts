// Group commit: the writes asked for in one event-loop turn share one SQLite transaction
// (one WAL commit for a burst of turns), each caller learns of its own write only once it
// is committed, and one failing write does not fail the others.

import { expect, test } from 'bun:test';
import { SessionRepo, type StoredSession } from '../../src/sessions/session-repo.ts';
import { openDatabase } from '../../src/store/database.ts';
import { tempDbPath } from '../helpers/harness.ts';

const session = (id: string): StoredSession => ({
  owner: 'o',
  id,
  tip: null,
  upstreamSessionId: `s-${id}`,
  identityId: null,
  history: [],
  turns: 1,
  createdAt: 1,
  lastUsedAt: 1,
  expiresAt: Date.now() + 60_000,
});

function counted() {
  const db = openDatabase(tempDbPath());
  const repo = new SessionRepo(db);
  let transactions = 0;
  const original = db.transaction.bind(db);
  db.transaction = ((work: Parameters<typeof original>[0]) => {
    transactions++;
    return original(work);
  }) as typeof db.transaction;
  return { db, repo, transactions: () => transactions };
}

test('ten writes asked for in the same turn commit in one transaction, and resolve only once committed', async () => {
  const { db, repo, transactions } = counted();
  const committed: string[] = [];
  const writes = Array.from({ length: 10 }, (_, i) => repo.commitSoon(() => repo.insert(session(`s${i}`))).then(() => committed.push(`s${i}`)));
  expect(committed).toEqual([]);
  // Nothing is written before the group runs.
  expect(repo.countRows()).toBe(0);
  await Promise.all(writes);
  expect(transactions()).toBe(1);
  expect(committed).toHaveLength(10);
  expect(repo.countRows()).toBe(10);
  expect(repo.size).toBe(10);
  db.close();
});

test('writes of different turns commit separately', async () => {
  const { db, repo, transactions } = counted();
  await repo.commitSoon(() => repo.insert(session('a')));
  await repo.commitSoon(() => repo.insert(session('b')));
  expect(transactions()).toBe(2);
  db.close();
});

test('a write that fails is the only one to fail; the count stays true', async () => {
  const { db, repo } = counted();
  await repo.commitSoon(() => repo.insert(session('taken')));
  const results = await Promise.allSettled([
    repo.commitSoon(() => repo.insert(session('x'))),
    repo.commitSoon(() => repo.insert(session('taken'))), // the primary key is taken
    repo.commitSoon(() => repo.insert(session('y'))),
  ]);
  expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
  expect(repo.countRows()).toBe(3);
  expect(repo.size).toBe(3);
  db.close();
});
