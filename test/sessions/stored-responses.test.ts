// Stored responses (the Responses API's previous_response_id) in the session layer, on a real
// SQLite file and a fake clock: migration 5, the repo's response rows, and SessionService's
// response turns (history, upstream handle and identity, store: false, branches, the lock,
// expiry, the cap, one transaction per commit).

import { Database } from 'bun:sqlite';
import { describe, expect, test } from 'bun:test';
import type { ChatMessage } from '../../src/conversation/messages.ts';
import { GatewayError } from '../../src/errors.ts';
import { SessionRepo, type StoredSession } from '../../src/sessions/session-repo.ts';
import { SessionService, type ResponseLink, type SessionTurn } from '../../src/sessions/session-service.ts';
import { openDatabase } from '../../src/store/database.ts';
import { SCHEMA_VERSION } from '../../src/store/migrations.ts';
import { StorageHealth } from '../../src/store/storage-health.ts';
import { silentLogger } from '../../src/log.ts';
import { tempDbPath } from '../helpers/harness.ts';

const user = (content: string): ChatMessage => ({ role: 'user', content });
const assistant = (content: string): ChatMessage => ({ role: 'assistant', content });
const system = (content: string): ChatMessage => ({ role: 'system', content });

function parts(settings: { ttlMs?: number; maxSessions?: number; contextMaxLength?: number } = {}) {
  const clock = { now: 1_000_000 };
  const db = openDatabase(tempDbPath());
  const repo = new SessionRepo(db);
  let handles = 0;
  const service = new SessionService({
    repo,
    storage: new StorageHealth({ file: 'test', log: silentLogger, probe: () => repo.probeWrite(), every: () => () => {} }),
    ttlMs: settings.ttlMs ?? 60_000,
    maxSessions: settings.maxSessions ?? 0,
    contextMaxLength: settings.contextMaxLength ?? 1000,
    newConversation: () => `handle-${++handles}`,
    now: () => clock.now,
  });
  const begin = (owner: string, input: ChatMessage[], link: Partial<ResponseLink> & { id: string }, signal = new AbortController().signal): Promise<SessionTurn> =>
    service.begin({
      owner,
      name: null,
      messages: input,
      signal,
      deadline: Date.now() + 5_000,
      response: { previousId: null, store: true, instructions: [], ...link },
    });
  /** One answered response turn; returns the turn as begun. */
  const answer = async (owner: string, input: ChatMessage[], link: Partial<ResponseLink> & { id: string }, text: string, identity = 'id-1') => {
    const turn = await begin(owner, input, link);
    await turn.commit(assistant(text), identity, JSON.stringify({ id: link.id, text }));
    turn.release();
    return turn;
  };
  /** No room for one more page, like a full disk (as in storage-health.test.ts). */
  const fill = () => {
    db.exec('VACUUM');
    db.exec(`PRAGMA max_page_count = ${db.query<{ page_count: number }, []>('PRAGMA page_count').get()!.page_count}`);
  };
  return { clock, db, repo, service, begin, answer, fill };
}

const notFound = async (promise: Promise<unknown>) => {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(GatewayError);
  expect((error as GatewayError).errorCode).toBe('previous_response_not_found');
  expect((error as GatewayError).param).toBe('previous_response_id');
};

describe('migration 5', () => {
  test('a version-4 file gains the payload column; its sessions stay chat sessions', () => {
    const path = tempDbPath();
    const old = new Database(path, { create: true });
    old.exec(`CREATE TABLE identity_state (id TEXT PRIMARY KEY, seed_hash TEXT NOT NULL, state TEXT NOT NULL, health TEXT NOT NULL, updated_at INTEGER NOT NULL) STRICT;
      CREATE TABLE sessions (owner TEXT NOT NULL, id TEXT NOT NULL, tip TEXT, upstream_session_id TEXT NOT NULL, identity_id TEXT, history TEXT NOT NULL,
        turns INTEGER NOT NULL, created_at INTEGER NOT NULL, last_used_at INTEGER NOT NULL, expires_at INTEGER NOT NULL, PRIMARY KEY (owner, id)) STRICT;
      CREATE INDEX sessions_by_expiry ON sessions (expires_at);
      CREATE INDEX sessions_by_tip ON sessions (tip) WHERE tip IS NOT NULL;
      PRAGMA user_version = 4;`);
    old.query(`INSERT INTO sessions VALUES ('key-1', 'resp_old', NULL, 'session_1', 'id-1', '[{"role":"user","content":"hi"}]', 1, 1, 1, 9999999999999)`).run();
    old.close();

    const db = openDatabase(path);
    expect(SCHEMA_VERSION).toBe(5);
    expect(db.query<{ user_version: number }, []>('PRAGMA user_version').get()!.user_version).toBe(5);
    const repo = new SessionRepo(db);
    expect(repo.find('key-1', 'resp_old', 2)).toMatchObject({ history: [user('hi')], payload: null });
    // A row without a payload is never a response, whatever its name.
    expect(repo.findResponse('key-1', 'resp_old', 2)).toBeNull();
    expect(repo.deleteResponse('key-1', 'resp_old', 2)).toBe(false);
    expect(repo.size).toBe(1);
    db.close();
  });
});

describe('SessionRepo: response rows', () => {
  const row = (id: string, overrides: Partial<StoredSession> = {}): StoredSession => ({
    owner: 'key-1',
    id,
    tip: null,
    upstreamSessionId: `session-${id}`,
    identityId: 'id-1',
    history: [user(`q ${id}`), assistant(`a ${id}`)],
    turns: 1,
    createdAt: 1,
    lastUsedAt: 1,
    expiresAt: 1_000,
    payload: `{"id":"${id}"}`,
    ...overrides,
  });

  test('live responses of their owner only; delete keeps the count true and never takes a chat session', () => {
    const db = openDatabase(tempDbPath());
    const repo = new SessionRepo(db);
    repo.insert(row('resp_a'));
    repo.insert(row('chat', { payload: null }));
    repo.insert(row('resp_old', { expiresAt: 500 }));
    expect(repo.findResponse('key-1', 'resp_a', 600)?.payload).toBe('{"id":"resp_a"}');
    expect(repo.findResponse('key-2', 'resp_a', 600)).toBeNull();
    expect(repo.findResponse('key-1', 'chat', 600)).toBeNull();
    expect(repo.findResponse('key-1', 'resp_old', 600)).toBeNull();

    expect(repo.deleteResponse('key-2', 'resp_a', 600)).toBe(false);
    expect(repo.deleteResponse('key-1', 'chat', 600)).toBe(false);
    // Expired: gone for its owner already; the pruner deletes the row.
    expect(repo.deleteResponse('key-1', 'resp_old', 600)).toBe(false);
    expect(repo.size).toBe(3);
    expect(repo.deleteResponse('key-1', 'resp_a', 600)).toBe(true);
    expect(repo.size).toBe(2);
    expect(repo.countRows()).toBe(2);
    db.close();
  });

  test('moveConversation changes the handle only while it is the one the caller saw', () => {
    const db = openDatabase(tempDbPath());
    const repo = new SessionRepo(db);
    repo.insert(row('resp_a'));
    expect(repo.moveConversation('key-1', 'resp_a', 'session-other', 'fresh-1')).toBe(false);
    expect(repo.moveConversation('key-1', 'resp_a', 'session-resp_a', 'fresh-1')).toBe(true);
    expect(repo.moveConversation('key-1', 'resp_a', 'session-resp_a', 'fresh-2')).toBe(false);
    expect(repo.find('key-1', 'resp_a', 0)?.upstreamSessionId).toBe('fresh-1');
    db.close();
  });
});

describe('SessionService: response turns', () => {
  test('a new response: instructions first in the prompt, never stored; the answer is stored with its payload', async () => {
    const { service, repo, begin, clock } = parts();
    const turn = await begin('key-1', [user('hello')], { id: 'resp_1', instructions: [system('Be brief.')] });
    expect(turn.sessionId).toBe('resp_1');
    expect(turn.messages).toEqual([system('Be brief.'), user('hello')]);
    expect(turn.conversation).toBe('handle-1');
    expect(turn.preferredIdentityId).toBeNull();
    // Nothing is stored before the answer.
    expect(repo.find('key-1', 'resp_1', clock.now)).toBeNull();
    await turn.commit(assistant('hi there'), 'id-7', '{"id":"resp_1"}');
    turn.release();
    expect(repo.find('key-1', 'resp_1', clock.now)).toMatchObject({
      history: [user('hello'), assistant('hi there')],
      upstreamSessionId: 'handle-1',
      identityId: 'id-7',
      tip: null,
      turns: 1,
      payload: '{"id":"resp_1"}',
      expiresAt: clock.now + 60_000,
    });
    expect(service.previousResponse('key-1', 'resp_1')).toEqual({ history: [user('hello'), assistant('hi there')], payload: '{"id":"resp_1"}' });
    expect(service.responsePayload('key-1', 'resp_1')).toBe('{"id":"resp_1"}');
    expect(service.responsePayload('key-2', 'resp_1')).toBeNull();
  });

  test('continuing: the stored history before the input, its handle and identity; the chain keeps the handle, a branch gets a fresh one', async () => {
    const { repo, begin, answer, clock } = parts();
    await answer('key-1', [user('q1')], { id: 'resp_a' }, 'a1', 'id-3');
    const b = await begin('key-1', [user('q2')], { id: 'resp_b', previousId: 'resp_a', instructions: [system('new rules')] });
    expect(b.messages).toEqual([system('new rules'), user('q1'), assistant('a1'), user('q2')]);
    expect(b.conversation).toBe('handle-1');
    expect(b.preferredIdentityId).toBe('id-3');
    await b.commit(assistant('a2'), 'id-3', '{}');
    b.release();
    expect(repo.find('key-1', 'resp_b', clock.now)).toMatchObject({ history: [user('q1'), assistant('a1'), user('q2'), assistant('a2')], upstreamSessionId: 'handle-1', turns: 2 });
    // The response it continued took a fresh handle: a second branch from it starts its own upstream conversation.
    expect(repo.find('key-1', 'resp_a', clock.now)?.upstreamSessionId).toBe('handle-2');
    const c = await begin('key-1', [user('other q2')], { id: 'resp_c', previousId: 'resp_a' });
    expect(c.messages).toEqual([user('q1'), assistant('a1'), user('other q2')]);
    expect(c.conversation).toBe('handle-2');
    c.release();
    const d = await begin('key-1', [user('q3')], { id: 'resp_d', previousId: 'resp_b' });
    expect(d.conversation).toBe('handle-1');
    d.release();
  });

  test('store: false stores nothing, but a continued response still hands its upstream conversation on', async () => {
    const { service, repo, begin, answer, clock } = parts();
    const alone = await begin('key-1', [user('ephemeral')], { id: 'resp_x', store: false });
    await alone.commit(assistant('gone'), 'id-1');
    alone.release();
    expect(service.size).toBe(0);

    await answer('key-1', [user('q1')], { id: 'resp_a' }, 'a1');
    const side = await begin('key-1', [user('side')], { id: 'resp_s', previousId: 'resp_a', store: false });
    expect(side.messages).toEqual([user('q1'), assistant('a1'), user('side')]);
    await side.commit(assistant('side answer'), 'id-1');
    side.release();
    expect(repo.find('key-1', 'resp_s', clock.now)).toBeNull();
    expect(service.size).toBe(1);
    expect(repo.find('key-1', 'resp_a', clock.now)?.upstreamSessionId).not.toBe('handle-1');
  });

  test('a stored response needs its payload', async () => {
    const { begin } = parts();
    const turn = await begin('key-1', [user('q')], { id: 'resp_1' });
    expect(() => turn.commit(assistant('a'), 'id-1')).toThrow(/payload/);
    turn.release();
  });

  test('an unknown, foreign, expired, deleted or unstored previous response is 404 previous_response_not_found', async () => {
    const { service, begin, answer, clock } = parts({ ttlMs: 10_000 });
    await answer('key-1', [user('q1')], { id: 'resp_a' }, 'a1');
    await notFound(begin('key-1', [user('x')], { id: 'resp_n', previousId: 'resp_missing' }));
    await notFound(begin('key-2', [user('x')], { id: 'resp_n', previousId: 'resp_a' }));
    expect(() => service.previousResponse('key-2', 'resp_a')).toThrow(GatewayError);

    clock.now += 10_001;
    await notFound(begin('key-1', [user('x')], { id: 'resp_n', previousId: 'resp_a' }));
    expect(service.responsePayload('key-1', 'resp_a')).toBeNull();

    await answer('key-1', [user('q')], { id: 'resp_b' }, 'b');
    expect(service.deleteResponse('key-1', 'resp_b')).toBe(true);
    expect(service.deleteResponse('key-1', 'resp_b')).toBe(false);
    await notFound(begin('key-1', [user('x')], { id: 'resp_n', previousId: 'resp_b' }));
  });

  test('one turn at a time per stored response: a second continuation waits for the first to be released', async () => {
    const { begin, answer } = parts();
    await answer('key-1', [user('q1')], { id: 'resp_a' }, 'a1');
    const first = await begin('key-1', [user('one')], { id: 'resp_1', previousId: 'resp_a' });
    let started = false;
    const second = begin('key-1', [user('two')], { id: 'resp_2', previousId: 'resp_a' }).then((t) => ((started = true), t));
    // Another response is not held up.
    (await begin('key-1', [user('other')], { id: 'resp_3' })).release();
    await Bun.sleep(0);
    expect(started).toBe(false);
    await first.commit(assistant('answer one'), 'id-1', '{}');
    first.release();
    const t2 = await second;
    // It sees the response as the first turn left it: the handle moved on with resp_1.
    expect(t2.conversation).not.toBe(first.conversation);
    t2.release();

    // A waiter whose client leaves gives up its place.
    const holder = await begin('key-1', [user('hold')], { id: 'resp_4', previousId: 'resp_a' });
    const controller = new AbortController();
    const quitter = begin('key-1', [user('quit')], { id: 'resp_5', previousId: 'resp_a' }, controller.signal).then(
      () => null,
      (e: unknown) => e,
    );
    controller.abort();
    expect(((await quitter) as Error).name).toBe('ClientGoneError');
    holder.release();
  });

  test('a turn released without an answer stores nothing and leaves the response it continued as it was', async () => {
    const { service, repo, begin, answer, clock } = parts();
    await answer('key-1', [user('q1')], { id: 'resp_a' }, 'a1');
    const failed = await begin('key-1', [user('lost')], { id: 'resp_f', previousId: 'resp_a' });
    failed.release();
    expect(service.size).toBe(1);
    expect(repo.find('key-1', 'resp_a', clock.now)?.upstreamSessionId).toBe('handle-1');
  });

  test('storing the new response and handing the conversation on are one transaction', async () => {
    const { repo, begin, answer, clock } = parts();
    await answer('key-1', [user('q1')], { id: 'resp_a' }, 'a1');
    // A row already holds the new id (it cannot happen with generated ids): the insert fails.
    repo.insert({ ...repo.find('key-1', 'resp_a', clock.now)!, id: 'resp_taken', payload: null });
    const turn = await begin('key-1', [user('q2')], { id: 'resp_taken', previousId: 'resp_a' });
    const error = await turn.commit(assistant('a2'), 'id-1', '{}').then(
      () => null,
      (e: unknown) => e,
    );
    turn.release();
    expect(error).toBeInstanceOf(Error);
    expect(repo.find('key-1', 'resp_a', clock.now)?.upstreamSessionId).toBe('handle-1');
    expect(repo.size).toBe(2);
  });

  test('the stored history stays within the budget; the cap evicts the least recently used', async () => {
    const { service, repo, answer, clock } = parts({ contextMaxLength: 70, maxSessions: 2 });
    await answer('key-1', [user('a'.repeat(30))], { id: 'resp_1' }, 'b'.repeat(30));
    clock.now += 10;
    await answer('key-1', [user('c')], { id: 'resp_2', previousId: 'resp_1' }, 'd');
    // The first turn cannot reach the upstream with the second any more: not kept.
    expect(repo.find('key-1', 'resp_2', clock.now)?.history).toEqual([assistant('b'.repeat(30)), user('c'), assistant('d')]);
    clock.now += 10;
    await answer('key-1', [user('e')], { id: 'resp_3' }, 'f');
    expect(service.size).toBe(2);
    expect(service.responsePayload('key-1', 'resp_1')).toBeNull();
    expect(service.responsePayload('key-1', 'resp_3')).not.toBeNull();
  });

  test('a chat turn on a row named like a response makes it a chat session', async () => {
    const { service, answer } = parts();
    await answer('key-1', [user('q1')], { id: 'resp_a' }, 'a1');
    const chat = await service.begin({ owner: 'key-1', name: 'resp_a', messages: [user('chat turn')], signal: new AbortController().signal, deadline: Date.now() + 5_000 });
    expect(chat.messages).toEqual([user('q1'), assistant('a1'), user('chat turn')]);
    await chat.commit(assistant('chat answer'), 'id-1');
    chat.release();
    expect(service.responsePayload('key-1', 'resp_a')).toBeNull();
    expect(() => service.previousResponse('key-1', 'resp_a')).toThrow(GatewayError);
  });
});

describe('a failing disk', () => {
  test('a response that cannot be stored is 503 storage_unavailable, and nothing changed', async () => {
    const { service, repo, begin, answer, clock, fill, db } = parts();
    await answer('key-1', [user('q1')], { id: 'resp_a' }, 'a1');
    fill();
    const turn = await begin('key-1', [user('x'.repeat(20_000))], { id: 'resp_b', previousId: 'resp_a' });
    const error = await turn.commit(assistant('y'.repeat(20_000)), 'id-1', JSON.stringify({ big: 'z'.repeat(20_000) })).then(
      () => null,
      (e: unknown) => e,
    );
    turn.release();
    expect(error).toBeInstanceOf(GatewayError);
    expect((error as GatewayError).errorCode).toBe('storage_unavailable');
    expect(service.size).toBe(1);
    expect(repo.find('key-1', 'resp_a', clock.now)?.upstreamSessionId).toBe('handle-1');
    // While the episode lasts, a turn is refused before it costs an upstream call.
    const refused = await begin('key-1', [user('q')], { id: 'resp_c', previousId: 'resp_a' }).then(
      () => null,
      (e: unknown) => e,
    );
    expect((refused as GatewayError).errorCode).toBe('storage_unavailable');
    // Reading what is stored still works.
    expect(service.responsePayload('key-1', 'resp_a')).not.toBeNull();
    db.close();
  });
});
