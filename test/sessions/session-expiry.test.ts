// Session expiry, pruning and the cap on a fake clock: SessionService, SessionRepo and
// SessionPruner wired as the gateway wires them, on a real SQLite file. (The HTTP side,
// with real time, is in sessions-over-http.test.ts.)

import { Database } from 'bun:sqlite';
import { expect, test } from 'bun:test';
import type { ChatMessage } from '../../src/conversation/messages.ts';
import { SessionPruner } from '../../src/sessions/session-pruner.ts';
import { SessionRepo } from '../../src/sessions/session-repo.ts';
import { SessionService } from '../../src/sessions/session-service.ts';
import { openDatabase } from '../../src/store/database.ts';
import { tempDbPath } from '../helpers/harness.ts';

let conversations = 0;
const newConversation = () => `conversation-${++conversations}`;

/** The parts as gateway.ts builds them, on one clock the test moves. */
function sessionsOn(dbPath: string, settings: { ttlSeconds: number; maxSessions?: number }) {
  const clock = { now: Date.now() };
  const db = openDatabase(dbPath);
  const repo = new SessionRepo(db);
  const now = () => clock.now;
  const service = new SessionService({ repo, ttlMs: settings.ttlSeconds * 1000, maxSessions: settings.maxSessions ?? 0, contextMaxLength: 1000, newConversation, now });
  const pruner = new SessionPruner(repo, { intervalMs: 60_000, now });
  /** One answered turn of a named session; returns the conversation the upstream prompt was built from. */
  const turn = async (name: string, content: string): Promise<ChatMessage[]> => {
    const t = await service.begin({ owner: 'key-1', name, messages: [{ role: 'user', content }], signal: new AbortController().signal, deadline: Date.now() + 5_000 });
    await t.commit({ role: 'assistant', content: `answer to ${content}` }, 'anonymous');
    t.release();
    return t.messages;
  };
  const close = async () => {
    await pruner.stop();
    db.close();
  };
  return { clock, service, pruner, turn, close };
}

const rowsIn = (dbPath: string) => {
  const db = new Database(dbPath, { readonly: true });
  const n = db.query<{ n: number }, []>('SELECT count(*) AS n FROM sessions').get()!.n;
  db.close();
  return n;
};
const users = (conversation: ChatMessage[]) => conversation.filter((m) => m.role === 'user').map((m) => m.content);

test('TTL slides on use, expired sessions are gone at once, and pruning deletes them', async () => {
  const dbPath = tempDbPath();
  const { clock, service, pruner, turn, close } = sessionsOn(dbPath, { ttlSeconds: 60 });
  await turn('max', 'turn one');
  clock.now += 40_000;
  expect(users(await turn('max', 'turn two'))).toEqual(['turn one', 'turn two']);
  clock.now += 40_000; // 80 s after the first turn, 40 s after the last: still alive
  expect(users(await turn('max', 'turn three'))).toEqual(['turn one', 'turn two', 'turn three']);
  await turn('ned', 'other');

  clock.now += 60_001;
  // Expired but not yet pruned: already invisible.
  expect(users(await turn('max', 'turn four'))).toEqual(['turn four']);
  expect(rowsIn(dbPath)).toBe(2);
  expect(service.size).toBe(2);
  expect(service.liveCount()).toBe(1);
  expect(await pruner.run()).toBe(1); // ned's
  expect(rowsIn(dbPath)).toBe(1);
  expect(service.size).toBe(1);
  await close();
});

test('a conversation is kept until its TTL has passed since the last turn, then forgotten', async () => {
  const { clock, turn, close } = sessionsOn(tempDbPath(), { ttlSeconds: 5 });
  await turn('oz', 'one');
  clock.now += 4_999;
  expect(users(await turn('oz', 'two'))).toEqual(['one', 'two']);
  clock.now += 5_001;
  expect(users(await turn('oz', 'three'))).toEqual(['three']);
  await close();
});

test('the cap evicts the least recently used conversation', async () => {
  const dbPath = tempDbPath();
  const { clock, service, turn, close } = sessionsOn(dbPath, { ttlSeconds: 3600, maxSessions: 2 });
  for (const user of ['p1', 'p2']) {
    await turn(user, `hello from ${user}`);
    clock.now += 1_000;
  }
  await turn('p1', 'again'); // p1 is now the most recent
  clock.now += 1_000;
  await turn('p3', 'hello from p3');
  expect(service.size).toBe(2);
  expect(rowsIn(dbPath)).toBe(2);
  expect(users(await turn('p1', 'still there?'))[0]).toBe('hello from p1');
  expect(users(await turn('p2', 'still there?'))).toEqual(['still there?']);
  await close();
});
