// The session parts on their own: the per-session lock, history rules, the repo and the
// pruner on a real SQLite file, migrations and start-up errors of the store.

import { Database } from 'bun:sqlite';
import { describe, expect, test } from 'bun:test';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChatMessage } from '../../src/conversation/messages.ts';
import { buildPrompt } from '../../src/conversation/prompt.ts';
import { conversationTip } from '../../src/sessions/fingerprint.ts';
import { KeyedMutex } from '../../src/sessions/keyed-mutex.ts';
import { SessionPruner } from '../../src/sessions/session-pruner.ts';
import { SessionRepo, type StoredSession } from '../../src/sessions/session-repo.ts';
import { SessionService } from '../../src/sessions/session-service.ts';
import { continueConversation, historyWithinBudget } from '../../src/sessions/session-history.ts';
import { StoreError, openDatabase } from '../../src/store/database.ts';
import { SCHEMA_VERSION } from '../../src/store/migrations.ts';
import { tempDbPath } from '../helpers/harness.ts';

const user = (content: string): ChatMessage => ({ role: 'user', content });
const assistant = (content: string): ChatMessage => ({ role: 'assistant', content });
const system = (content: string): ChatMessage => ({ role: 'system', content });

describe('KeyedMutex', () => {
  test('holders of one key go in arrival order; other keys are not held up', async () => {
    const mutex = new KeyedMutex();
    const order: string[] = [];
    const first = await mutex.lock('a');
    const waiting = ['a2', 'a3', 'a4'].map((name) => mutex.lock('a').then((unlock) => (order.push(name), unlock)));
    const other = await mutex.lock('b');
    order.push('b');
    first();
    for (const w of waiting) (await w)();
    other();
    expect(order).toEqual(['b', 'a2', 'a3', 'a4']);
    expect(mutex.isLocked('a')).toBe(false);
    expect(mutex.isLocked('b')).toBe(false);
  });

  test('an aborted waiter leaves the queue and the next one is served', async () => {
    const mutex = new KeyedMutex();
    const held = await mutex.lock('k');
    const controller = new AbortController();
    const quitter = mutex.lock('k', controller.signal);
    const patient = mutex.lock('k');
    controller.abort(new Error('client left'));
    expect(((await quitter.catch((e: unknown) => e)) as Error).message).toBe('client left');
    held();
    const unlock = await patient;
    unlock();
    unlock(); // a second call is harmless
    expect(mutex.isLocked('k')).toBe(false);
  });
});

describe('history rules', () => {
  test('new messages continue the stored history; system messages sent now replace stored ones', () => {
    const stored = [system('old'), user('u1'), assistant('a1')];
    expect(continueConversation(stored, [user('u2')])).toEqual([system('old'), user('u1'), assistant('a1'), user('u2')]);
    expect(continueConversation(stored, [system('new'), user('u2')])).toEqual([system('new'), user('u1'), assistant('a1'), user('u2')]);
  });

  test('a client that sends assistant messages sends its own history, which wins', () => {
    const incoming = [user('x1'), assistant('y1'), user('x2')];
    expect(continueConversation([user('u1'), assistant('a1')], incoming)).toEqual(incoming);
  });

  test('only history that could still reach the upstream is kept', () => {
    const conversation = [system('rules'), user('a'.repeat(50)), assistant('b'.repeat(50)), user('c'.repeat(50)), assistant('d'.repeat(50))];
    const kept = historyWithinBudget(conversation, 140);
    expect(kept).toEqual([system('rules'), user('c'.repeat(50)), assistant('d'.repeat(50))]);
    // What was dropped would also be dropped by the prompt builder, whatever the next message.
    const prompt = buildPrompt([...conversation, user('next')], 140 + 'User: next'.length + 2 + 'System: rules'.length + 2);
    expect(prompt.prompt).not.toContain('a'.repeat(50));
  });

  test('fingerprints ignore system messages, CRLF and edge spaces, and differ per owner', () => {
    const turns = [user('q'), assistant('a')];
    const tip = conversationTip('key-1', turns);
    expect(conversationTip('key-1', [system('time 10:01'), user('q\r\n'), assistant(' a ')])).toBe(tip);
    expect(conversationTip('key-2', turns)).not.toBe(tip);
    expect(conversationTip('key-1', [user('q'), assistant('b')])).not.toBe(tip);
    // Role boundaries count: "q" + "a" is not "qa".
    expect(conversationTip('key-1', [user('qa')])).not.toBe(tip);
  });
});

function session(id: string, expiresAt: number, overrides: Partial<StoredSession> = {}): StoredSession {
  return {
    owner: 'key-1',
    id,
    tip: null,
    upstreamSessionId: `session_${id}`,
    identityId: null,
    history: [user(`hello ${id}`)],
    turns: 1,
    createdAt: expiresAt - 1000,
    lastUsedAt: expiresAt - 1000,
    expiresAt,
    ...overrides,
  };
}

describe('SessionRepo and SessionPruner on a real file', () => {
  test('expired rows are invisible at once and pruned in bounded batches', async () => {
    const db = openDatabase(tempDbPath());
    const repo = new SessionRepo(db);
    const now = 1_000_000;
    repo.transaction(() => {
      for (let i = 0; i < 1234; i++) repo.save(session(`old-${i}`, now - 1));
      for (let i = 0; i < 10; i++) repo.save(session(`live-${i}`, now + 60_000));
    });
    expect(repo.find('key-1', 'old-5', now)).toBeNull();
    expect(repo.find('key-1', 'live-5', now)?.history).toEqual([user('hello live-5')]);
    expect(repo.countUnexpired(now)).toBe(10);

    const batches: number[] = [];
    const original = repo.pruneExpired.bind(repo);
    repo.pruneExpired = (at, limit) => {
      const n = original(at, limit);
      batches.push(n);
      return n;
    };
    const pruner = new SessionPruner(repo, { intervalMs: 60_000, batchSize: 500, batchBudgetMs: 0, now: () => now });
    expect(await pruner.run()).toBe(1234);
    expect(batches).toEqual([500, 500, 234]);
    expect(repo.countRows()).toBe(10);
    expect(repo.size).toBe(10);
    expect(await pruner.run()).toBe(0);
    await pruner.stop();
    db.close();
  });

  test('the service keeps its count true and the cap evicts by last use', () => {
    const db = openDatabase(tempDbPath());
    const repo = new SessionRepo(db);
    let now = 5_000;
    const service = new SessionService({ repo, ttlMs: 10_000, maxSessions: 3, contextMaxLength: 1000, newConversation: () => 'c', now: () => now });
    const turn = async (name: string) => {
      const t = await service.begin({ owner: 'o', name, messages: [user(`to ${name}`)], signal: new AbortController().signal, deadline: Date.now() + 5000 });
      await t.commit({ role: 'assistant', content: `answer for ${name}` }, 'id-1');
      t.release();
      now += 10;
    };
    return (async () => {
      for (const name of ['s1', 's2', 's3', 's1', 's4']) await turn(name);
      expect(service.size).toBe(3);
      expect(repo.list(now, 10, 0).map((s) => s.id)).toEqual(['s4', 's1', 's3']);
      expect(repo.find('o', 's1', now)?.history).toEqual([user('to s1'), assistant('answer for s1'), user('to s1'), assistant('answer for s1')]);
      expect(service.delete('o', 's3')).toBe(true);
      expect(service.size).toBe(2);
      db.close();
    })();
  });
});

describe('store start-up', () => {
  test('migrates a version-1 file to the current schema and keeps its identity state', () => {
    const path = tempDbPath();
    const old = new Database(path, { create: true });
    old.exec(`CREATE TABLE identity_state (id TEXT PRIMARY KEY, seed_hash TEXT NOT NULL, cookies TEXT NOT NULL, nonce TEXT,
      health TEXT NOT NULL, updated_at INTEGER NOT NULL) STRICT; PRAGMA user_version = 1;`);
    const cookies = JSON.stringify({ kimi_visitor: { value: 'v-1', expiresAt: null } });
    const nonce = JSON.stringify({ value: 'abc123', ajaxPath: '/wp-admin/admin-ajax.php', fetchedAt: 5 });
    old.query(`INSERT INTO identity_state VALUES ('a', 'h', ?, ?, '{}', 1), ('b', 'h', 'not json', NULL, '{}', 1)`).run(cookies, nonce);
    old.close();

    const db = openDatabase(path);
    expect(db.query<{ user_version: number }, []>('PRAGMA user_version').get()!.user_version).toBe(SCHEMA_VERSION);
    const states = db.query<{ id: string; state: string }, []>('SELECT id, state FROM identity_state ORDER BY id').all();
    // Version 3 keeps the provider's state as one snapshot: kimi-ai.chat's is its cookie jar and nonce.
    expect(states.map((r) => [r.id, JSON.parse(r.state)])).toEqual([
      ['a', { cookies: JSON.parse(cookies), nonce: JSON.parse(nonce) }],
      ['b', { cookies: {}, nonce: null }],
    ]);
    expect(db.query<{ n: number }, []>('SELECT count(*) AS n FROM sessions').get()!.n).toBe(0);
    db.close();
  });

  test('a corrupt file, a newer schema and an uncreatable directory are clear StoreErrors', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kimi-gw-store-'));
    const corrupt = join(dir, 'corrupt.sqlite');
    writeFileSync(corrupt, 'SQLite format 3\u0000'.padEnd(4096, 'garbage'));
    expect(() => openDatabase(corrupt)).toThrow(StoreError);
    expect(() => openDatabase(corrupt)).toThrow(/corrupt\.sqlite \(DB_PATH \/ --db\)/);

    const newer = join(dir, 'newer.sqlite');
    const db = new Database(newer, { create: true });
    db.exec(`PRAGMA user_version = ${SCHEMA_VERSION + 1}`);
    db.close();
    expect(() => openDatabase(newer)).toThrow(/newer than this gateway/);

    // A path under a regular file cannot be created, even by root.
    const notADir = join(dir, 'plain-file');
    writeFileSync(notADir, '');
    expect(() => openDatabase(join(notADir, 'db.sqlite'))).toThrow(StoreError);
  });

  test('the directory of the DB path is created', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kimi-gw-store-'));
    const db = openDatabase(join(dir, 'a', 'b', 'gateway.sqlite'));
    expect(db.query<{ journal_mode: string }, []>('PRAGMA journal_mode').get()!.journal_mode).toBe('wal');
    db.close();
  });
});
