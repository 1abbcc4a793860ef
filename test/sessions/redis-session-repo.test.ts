// RedisSessionRepo and its Lua scripts against a real redis-server: the session value and its
// expiry by Redis itself, the tip index, the cap over the last-use sorted set, pruning of that
// set in bounded batches, deletes, the admin list, key encoding, and a commit that is stored
// wholly or not at all; the value's layout (markers inside text, the upgrade from layout 1).
// Then SessionService on Redis with two instances (two SharedState
// clients): one turn at a time across them, session_busy at the deadline.

import { describe, expect, test } from 'bun:test';
import type { ChatMessage } from '../../src/conversation/messages.ts';
import { GatewayError } from '../../src/errors.ts';
import { RedisSessionLocks } from '../../src/sessions/redis-session-locks.ts';
import { RedisSessionRepo } from '../../src/sessions/redis-session-repo.ts';
import { upgradeSessionsToStrings } from '../../src/sessions/redis-session-upgrade.ts';
import { SessionPruner } from '../../src/sessions/session-pruner.ts';
import { SessionService } from '../../src/sessions/session-service.ts';
import type { SessionWrite, StoredSession } from '../../src/sessions/session-store.ts';
import { sessionKeys, sessionMember } from '../../src/store/redis/session-keys.ts';
import { eventually } from '../helpers/harness.ts';
import { useRedis } from '../helpers/redis-for-file.ts';

const file = useRedis();
let prefixes = 0;

/** A repo on a key prefix of its own. */
async function fresh() {
  const prefix = `repo${++prefixes}:`;
  const shared = await file.shared(prefix);
  const repo = new RedisSessionRepo(shared);
  const keys = sessionKeys(prefix);
  const zcard = () => Number(file.server.cli('ZCARD', keys.lastUse));
  return { prefix, shared, repo, keys, zcard };
}

const user = (content: string): ChatMessage => ({ role: 'user', content });
const assistant = (content: string): ChatMessage => ({ role: 'assistant', content });

function session(id: string, overrides: Partial<StoredSession> = {}, ttlMs = 60_000): StoredSession {
  const now = Date.now();
  return {
    owner: 'key-1',
    id,
    tip: null,
    upstreamSessionId: `handle-${id}`,
    identityId: 'id-1',
    history: [user(`hello ${id}`), assistant(`hi ${id}`)],
    turns: 1,
    createdAt: now,
    lastUsedAt: now,
    expiresAt: now + ttlMs,
    payload: null,
    ...overrides,
  };
}

const write = (s: StoredSession | null, extra: Partial<SessionWrite> = {}): SessionWrite => ({
  session: s,
  mode: 'replace',
  maxSessions: 0,
  ...extra,
});

/** Waits until Redis's clock has moved past the last commit's millisecond, so last-use order is strict. */
const nextMs = async () => {
  const at = Date.now();
  await eventually(() => Date.now() > at + 1);
};

describe('RedisSessionRepo', () => {
  test('a session round-trips; an update keeps its creation time, and nothing else of the old value', async () => {
    const { repo, keys, zcard } = await fresh();
    const first = session('s1', { payload: '{"id":"s1"}' });
    await repo.commit(write(first));
    const found = await repo.find('key-1', 's1');
    expect(found).toMatchObject({ owner: 'key-1', id: 's1', tip: null, upstreamSessionId: 'handle-s1', identityId: 'id-1', history: first.history });
    expect(found).toMatchObject({ turns: 1, payload: '{"id":"s1"}' });
    expect(found!.expiresAt - found!.lastUsedAt).toBe(60_000);
    // Redis's own expiry is set, to the stored expiry.
    const pttl = Number(file.server.cli('PTTL', keys.session(sessionMember('key-1', 's1'))));
    expect(pttl).toBeGreaterThan(59_000);
    expect(pttl).toBeLessThanOrEqual(60_000);
    expect(await repo.find('key-2', 's1')).toBeNull();
    expect(await repo.findResponse('key-1', 's1')).not.toBeNull();

    await nextMs();
    await repo.commit(write(session('s1', { turns: 2, identityId: null, history: [user('only')] }), { mode: 'update' }));
    const updated = await repo.find('key-1', 's1');
    expect(updated).toMatchObject({ turns: 2, identityId: null, history: [user('only')], payload: null, createdAt: found!.createdAt });
    expect(updated!.lastUsedAt).toBeGreaterThan(found!.lastUsedAt);
    expect(await repo.findResponse('key-1', 's1')).toBeNull();
    expect(zcard()).toBe(1);
    expect(repo.size).toBe(1);
  });

  test('an update of a session deleted meanwhile stores nothing; an insert on a taken id fails', async () => {
    const { repo } = await fresh();
    await repo.commit(write(session('gone'), { mode: 'update' }));
    expect(await repo.find('key-1', 'gone')).toBeNull();
    await repo.commit(write(session('taken'), { mode: 'insert' }));
    expect(await repo.commit(write(session('taken'), { mode: 'insert' })).then(() => null, (e: unknown) => e)).toBeInstanceOf(Error);
  });

  test('an update of a session that expired during its turn stores it again, as the SQLite store does until its pruner runs', async () => {
    const { repo, keys } = await fresh();
    await repo.commit(write(session('slow', {}, 300)));
    expect(await eventually(() => file.server.cli('EXISTS', keys.session(sessionMember('key-1', 'slow'))) === '0', 3_000)).toBe(true);
    await repo.commit(write(session('slow', { turns: 2, history: [user('later')] }), { mode: 'update' }));
    expect(await repo.find('key-1', 'slow')).toMatchObject({ turns: 2, history: [user('later')] });
    // Once the pruner has trimmed its entry, an expired session stays gone (a deleted one at once).
    await repo.commit(write(session('trimmed', {}, 300)));
    expect(await eventually(() => file.server.cli('EXISTS', keys.session(sessionMember('key-1', 'trimmed'))) === '0', 3_000)).toBe(true);
    await repo.pruneExpired(Date.now(), 100);
    await repo.commit(write(session('trimmed', { turns: 2 }), { mode: 'update' }));
    expect(await repo.find('key-1', 'trimmed')).toBeNull();
  });

  test('expiry is Redis’s own, exact: the session and its tip go at the TTL; the pruner then trims the index in batches', async () => {
    const { repo, keys, zcard } = await fresh();
    for (let i = 0; i < 5; i++) await repo.commit(write(session(`short-${i}`, { tip: `tip-${i}` }, 300)));
    await repo.commit(write(session('long', {}, 60_000)));
    expect(await repo.find('key-1', 'short-0')).not.toBeNull();
    expect((await repo.findByTip('tip-0'))?.id).toBe('short-0');
    expect(await repo.countUnexpired()).toBe(6);
    expect(await eventually(async () => (await repo.find('key-1', 'short-4')) === null, 3_000)).toBe(true);
    expect(await repo.findByTip('tip-0')).toBeNull();
    expect(file.server.cli('EXISTS', keys.tip('tip-0'))).toBe('0');
    expect(await repo.countUnexpired()).toBe(1);
    // The index still holds the expired members until trimmed, a bounded batch at a time; a
    // commit leaves them there and counts them in the size, as the SQLite store counts rows it has
    // not pruned yet (a commit does no O(log n) count).
    expect(zcard()).toBe(6);
    await repo.commit(write(session('later', {}, 60_000)));
    expect(zcard()).toBe(7);
    expect(repo.size).toBe(7);
    const batches: number[] = [];
    for (let n = -1; n !== 0; ) batches.push((n = await repo.pruneExpired(Date.now(), 2)));
    expect(batches).toEqual([2, 2, 1, 0]);
    expect(zcard()).toBe(2);
    expect(repo.size).toBe(2);
  });

  test('the pruner drives it like the SQLite one (no checkpoint on Redis)', async () => {
    const { repo, zcard } = await fresh();
    for (let i = 0; i < 30; i++) await repo.commit(write(session(`p-${i}`, {}, 100)));
    await eventually(async () => (await repo.countUnexpired()) === 0, 3_000);
    const pruner = new SessionPruner(repo, { intervalMs: 60_000, batchSize: 8, batchBudgetMs: 0 });
    expect(await pruner.run()).toBe(30);
    expect(zcard()).toBe(0);
    await pruner.stop();
  });

  test('tips: the session found by its tip; an older tip is not found once the conversation moved on; the most recent wins', async () => {
    const { repo, keys } = await fresh();
    await repo.commit(write(session('conv_1', { tip: 'aaa', history: [] }), { mode: 'insert' }));
    expect((await repo.findByTip('aaa'))?.id).toBe('conv_1');
    await repo.commit(write(session('conv_1', { tip: 'bbb', history: [], turns: 2 }), { mode: 'update' }));
    expect(await repo.findByTip('aaa')).toBeNull();
    expect(file.server.cli('EXISTS', keys.tip('aaa'))).toBe('0');
    expect((await repo.findByTip('bbb'))?.turns).toBe(2);
    await repo.commit(write(session('conv_2', { tip: 'bbb', history: [] }), { mode: 'insert' }));
    expect((await repo.findByTip('bbb'))?.id).toBe('conv_2');
    expect(await repo.findByTip('never')).toBeNull();
  });

  test('the cap evicts the least recently used, with its tip; the index never holds more than the cap', async () => {
    const { repo, keys, zcard } = await fresh();
    const cap = { maxSessions: 2 };
    for (const id of ['p1', 'p2']) {
      await repo.commit(write(session(id, { tip: `tip-${id}` }), cap));
      await nextMs();
    }
    await repo.commit(write(session('p1', { tip: 'tip-p1', turns: 2 }), { mode: 'update', ...cap }));
    await nextMs();
    await repo.commit(write(session('p3'), cap));
    expect(await repo.find('key-1', 'p2')).toBeNull();
    expect(file.server.cli('EXISTS', keys.tip('tip-p2'))).toBe('0');
    expect((await repo.find('key-1', 'p1'))?.turns).toBe(2);
    expect(repo.size).toBe(2);
    expect(zcard()).toBe(2);
    for (let i = 4; i <= 20; i++) await repo.commit(write(session(`p${i}`), cap));
    expect(zcard()).toBe(2);
    expect((await repo.list(0, 10, 0)).map((s) => s.id)).toEqual(['p20', 'p19']);
  });

  test('turns stored within one millisecond keep their order: the cap keeps the latest, not the first by name', async () => {
    const { repo, zcard } = await fresh();
    // Sent at once: Redis runs them back to back, many in the same millisecond. Each name sorts
    // before the one sent before it, so a tie broken by name would keep the first ones.
    const ids = Array.from({ length: 40 }, (_, i) => `t-${999 - i}`);
    await Promise.all(ids.map((id) => repo.commit(write(session(id), { maxSessions: 3 }))));
    expect(zcard()).toBe(3);
    expect((await repo.list(0, 10, 0)).map((s) => s.id)).toEqual(['t-960', 't-961', 't-962']);
  });

  test('deletes: a session, a response only (never a chat session), an id under every owner; owners never collide', async () => {
    const { repo, zcard } = await fresh();
    // "a:b" + "c" and "a" + "b:c" would share a naive key.
    await repo.commit(write(session('c', { owner: 'a:b' })));
    await repo.commit(write(session('b:c', { owner: 'a' })));
    expect((await repo.find('a:b', 'c'))?.owner).toBe('a:b');
    expect((await repo.find('a', 'b:c'))?.owner).toBe('a');
    expect(await repo.find('a', 'c')).toBeNull();

    await repo.commit(write(session('chat', { payload: null })));
    await repo.commit(write(session('resp_1', { payload: '{}' })));
    expect(await repo.deleteResponse('key-1', 'chat')).toBe(false);
    expect(await repo.deleteResponse('key-1', 'resp_1')).toBe(true);
    expect(await repo.deleteResponse('key-1', 'resp_1')).toBe(false);
    expect(await repo.delete('key-1', 'chat')).toBe(true);
    expect(await repo.delete('key-1', 'chat')).toBe(false);

    for (const owner of ['k1', 'k2', 'k*3']) await repo.commit(write(session('shared id', { owner })));
    await repo.commit(write(session('shared id 2', { owner: 'k1' })));
    expect(await repo.deleteEveryOwner('shared id')).toBe(3);
    expect(await repo.find('k1', 'shared id 2')).not.toBeNull();
    expect(await repo.deleteEveryOwner('shared id')).toBe(0);
    expect(zcard()).toBe(3);
  });

  test('the admin list: most recently used first, paged, with message counts and no content', async () => {
    const { repo } = await fresh();
    for (const id of ['l1', 'l2', 'l3']) {
      await repo.commit(write(session(id, { tip: id === 'l2' ? 'tip' : null })));
      await nextMs();
    }
    const page = await repo.list(0, 2, 0);
    expect(page.map((s) => s.id)).toEqual(['l3', 'l2']);
    expect(page[1]).toEqual({
      owner: 'key-1',
      id: 'l2',
      named: false,
      upstreamSessionId: 'handle-l2',
      identityId: 'id-1',
      turns: 1,
      messages: 2,
      createdAt: page[1]!.lastUsedAt,
      lastUsedAt: page[1]!.lastUsedAt,
      expiresAt: page[1]!.lastUsedAt + 60_000,
    });
    expect((await repo.list(0, 2, 2)).map((s) => s.id)).toEqual(['l1']);
  });

  test('a commit is one step: handing a response’s conversation on and storing the new one happen together or not at all', async () => {
    const { repo } = await fresh();
    await repo.commit(write(session('resp_a', { payload: '{}' }), { mode: 'insert' }));
    await repo.commit(write(session('resp_taken', { payload: '{}' }), { mode: 'insert' }));
    const move = { owner: 'key-1', id: 'resp_a', from: 'handle-resp_a', to: 'fresh-1' };
    const failed = await repo.commit(write(session('resp_taken', { payload: '{"new":1}' }), { mode: 'insert', move })).then(
      () => null,
      (e: unknown) => e,
    );
    expect(failed).toBeInstanceOf(Error);
    expect((await repo.find('key-1', 'resp_a'))?.upstreamSessionId).toBe('handle-resp_a');
    expect((await repo.find('key-1', 'resp_taken'))?.payload).toBe('{}');

    // store: false: only the move.
    await repo.commit(write(null, { mode: 'insert', move }));
    expect((await repo.find('key-1', 'resp_a'))?.upstreamSessionId).toBe('fresh-1');
    // A move is conditional: a handle that moved on already is not moved again.
    await repo.commit(write(null, { mode: 'insert', move: { ...move, to: 'fresh-2' } }));
    expect((await repo.find('key-1', 'resp_a'))?.upstreamSessionId).toBe('fresh-1');
  });
});

describe('RedisSessionRepo: the value’s layout', () => {
  test('text that looks like the head’s markers inside ids and history changes nothing: found, listed, moved and deleted exactly', async () => {
    const { repo, keys } = await fresh();
    const owner = 'o"wner,"tip":"x"';
    const id = 'resp_,"history":[],"handle":"h"';
    const tricky = [user('"handle":"handle-resp","owner":"x" ,"history":[] ,"payload":null}'), assistant('"created":1,"tip":"t",')];
    await repo.commit(write(session(id, { owner, upstreamSessionId: 'handle-resp', history: tricky, payload: '{"a":null}' }), { mode: 'insert' }));
    const found = await repo.find(owner, id);
    expect(found).toMatchObject({ owner, id, upstreamSessionId: 'handle-resp', history: tricky, payload: '{"a":null}' });
    expect((await repo.list(0, 10, 0)).map((s) => [s.owner, s.id, s.messages])).toEqual([[owner, id, 2]]);

    const key = keys.session(sessionMember(owner, id));
    const ttlBefore = Number(file.server.cli('PTTL', key));
    await repo.commit(write(null, { mode: 'insert', move: { owner, id, from: 'handle-resp', to: 'handle-next' } }));
    const moved = await repo.find(owner, id);
    expect(moved).toEqual({ ...found!, upstreamSessionId: 'handle-next' });
    // The move keeps the expiry it had.
    expect(Number(file.server.cli('PTTL', key))).toBeLessThanOrEqual(ttlBefore);
    expect(Number(file.server.cli('PTTL', key))).toBeGreaterThan(ttlBefore - 5_000);

    // A payload whose JSON ends in null is still a stored response.
    expect(await repo.deleteResponse(owner, id)).toBe(true);
    expect(await repo.find(owner, id)).toBeNull();
  });

  test('a moved session evicted by the same commit’s cap stays gone (never stored again without an expiry)', async () => {
    const { repo, keys, zcard } = await fresh();
    await repo.commit(write(session('resp_old', { payload: '{}' }), { mode: 'insert', maxSessions: 1 }));
    await nextMs();
    const move = { owner: 'key-1', id: 'resp_old', from: 'handle-resp_old', to: 'fresh' };
    await repo.commit(write(session('resp_new', { payload: '{}' }), { mode: 'insert', move, maxSessions: 1 }));
    expect(file.server.cli('EXISTS', keys.session(sessionMember('key-1', 'resp_old')))).toBe('0');
    expect((await repo.find('key-1', 'resp_new'))?.payload).toBe('{}');
    expect(zcard()).toBe(1);
  });

  test('a tip the value’s head could not hold is refused before Redis sees it', async () => {
    const { repo } = await fresh();
    const refused = await repo.commit(write(session('odd', { tip: 'a,b' }))).then(() => null, (e: Error) => e.message);
    expect(refused).toContain('a conversation tip is a fingerprint');
    expect(await repo.find('key-1', 'odd')).toBeNull();
  });

  test('layout 1 (a hash per session) is converted in place, each once, with its expiry; a gone key is left alone', async () => {
    const { shared, repo, keys } = await fresh();
    const member = sessionMember('key-1', 'old');
    const now = Date.now();
    const history = JSON.stringify([user('hi / "you"'), assistant('ünïcode ✓')]);
    file.server.cli('HSET', keys.session(member), 'owner', 'key-1', 'id', 'old', 'handle', 'h/1', 'history', history, 'messages', '2', 'turns', '3');
    file.server.cli('HSET', keys.session(member), 'created', String(now - 5), 'used', String(now), 'expires', String(now + 60_000), 'tip', 'tip-old', 'payload', '{"p":1}');
    file.server.cli('PEXPIREAT', keys.session(member), String(now + 60_000));
    file.server.cli('ZADD', keys.lastUse, String((now + 60_000) * 1000), member);
    file.server.cli('SET', keys.tip('tip-old'), member, 'PXAT', String(now + 60_000));
    // An index entry whose session expired already.
    file.server.cli('ZADD', keys.lastUse, String(now * 1000), sessionMember('key-1', 'expired'));

    expect(await upgradeSessionsToStrings(shared)).toBe(1);
    expect(await upgradeSessionsToStrings(shared)).toBe(0);
    expect(file.server.cli('EXISTS', keys.session(sessionMember('key-1', 'expired')))).toBe('0');
    expect(Number(file.server.cli('PTTL', keys.session(member)))).toBeGreaterThan(50_000);
    expect(await repo.find('key-1', 'old')).toEqual({
      owner: 'key-1',
      id: 'old',
      tip: 'tip-old',
      upstreamSessionId: 'h/1',
      identityId: null,
      history: JSON.parse(history),
      turns: 3,
      createdAt: now - 5,
      lastUsedAt: now,
      expiresAt: now + 60_000,
      payload: '{"p":1}',
    });
    expect((await repo.findByTip('tip-old'))?.id).toBe('old');
    // Its handle is written as JSON.stringify writes it: a move finds it (cjson would escape the slash).
    await repo.commit(write(null, { mode: 'insert', move: { owner: 'key-1', id: 'old', from: 'h/1', to: 'h/2' } }));
    expect((await repo.find('key-1', 'old'))?.upstreamSessionId).toBe('h/2');
    // The next turn of a converted session works as on any other.
    await repo.commit(write(session('old', { tip: 'tip-new', turns: 4 }), { mode: 'update' }));
    expect((await repo.find('key-1', 'old'))?.createdAt).toBe(now - 5);
    expect(file.server.cli('EXISTS', keys.tip('tip-old'))).toBe('0');
  });
});

describe('RedisSessionRepo: a hash of layout 1 found after the upgrade (an old instance still running)', () => {
  /** As a layout-1 instance writes a session: a hash, its expiry, its index entry, its tip. */
  function layout1(keys: ReturnType<typeof sessionKeys>, id: string, extra: string[] = [], tip: string | null = null) {
    const member = sessionMember('key-1', id);
    const now = Date.now();
    const fields = ['owner', 'key-1', 'id', id, 'handle', `h-${id}`, 'history', '[]', 'messages', '0', 'turns', '1', 'created', String(now), 'used', String(now), 'expires', String(now + 60_000)];
    if (tip) fields.push('tip', tip);
    file.server.cli('HSET', keys.session(member), ...fields, ...extra);
    file.server.cli('PEXPIREAT', keys.session(member), String(now + 60_000));
    file.server.cli('ZADD', keys.lastUse, String((now + 60_000) * 1000), member);
    if (tip) file.server.cli('SET', keys.tip(tip), member, 'PXAT', String(now + 60_000));
    return keys.session(member);
  }

  test('it is converted when read, by id or by tip', async () => {
    const { repo, keys } = await fresh();
    const byId = layout1(keys, 'late-1');
    expect(await repo.find('key-1', 'late-1')).toMatchObject({ id: 'late-1', upstreamSessionId: 'h-late-1' });
    expect(file.server.cli('TYPE', byId)).toBe('string');
    const byTip = layout1(keys, 'late-2', [], 'tip-late');
    expect((await repo.findByTip('tip-late'))?.id).toBe('late-2');
    expect(file.server.cli('TYPE', byTip)).toBe('string');
  });

  test('the list, deletes and an eviction by the cap go on past it', async () => {
    const { repo, keys, zcard } = await fresh();
    layout1(keys, 'hash-chat');
    layout1(keys, 'hash-resp', ['payload', '{}']);
    await nextMs();
    await repo.commit(write(session('string-1')));
    expect((await repo.list(0, 10, 0)).map((s) => s.id)).toEqual(['string-1']);
    expect(await repo.deleteResponse('key-1', 'hash-chat')).toBe(false);
    expect(await repo.deleteResponse('key-1', 'hash-resp')).toBe(true);
    // The cap evicts the least recently used, the hash, without reading a head it does not have.
    await repo.commit(write(session('string-2'), { maxSessions: 2 }));
    expect(file.server.cli('EXISTS', keys.session(sessionMember('key-1', 'hash-chat')))).toBe('0');
    expect(zcard()).toBe(2);
  });
});

describe('SessionService on Redis, two instances', () => {
  async function instances() {
    const prefix = `svc${++prefixes}:`;
    let handles = 0;
    const make = async () => {
      const shared = await file.shared(prefix);
      return new SessionService({
        repo: new RedisSessionRepo(shared),
        sharedLocks: new RedisSessionLocks(shared, { pollMs: 60_000 }),
        ttlMs: 60_000,
        maxSessions: 0,
        contextMaxLength: 10_000,
        newConversation: () => `handle-${++handles}`,
      });
    };
    return { a: await make(), b: await make() };
  }
  const request = (name: string, content: string, deadline = Date.now() + 10_000, signal = new AbortController().signal) => ({
    owner: 'key-1',
    name,
    messages: [user(content)],
    signal,
    deadline,
  });

  test('a named turn on B waits for the turn on A, is woken by its release, and sees its answer', async () => {
    const { a, b } = await instances();
    const onA = await a.begin(request('shared', 'one'));
    let startedOnB = false;
    const onB = b.begin(request('shared', 'two')).then((t) => ((startedOnB = true), t));
    await Bun.sleep(200);
    expect(startedOnB).toBe(false);
    await onA.commit(assistant('answer one'), 'id-1');
    onA.release();
    // B polls only once a minute here: what woke it was A's published release.
    expect(await eventually(() => startedOnB, 3_000)).toBe(true);
    const turnB = await onB;
    expect(turnB.messages).toEqual([user('one'), assistant('answer one'), user('two')]);
    expect(turnB.conversation).toBe(onA.conversation);
    turnB.release();
  });

  test('the deadline still ends the wait with session_busy; a waiter whose client leaves is ClientGoneError', async () => {
    const { a, b } = await instances();
    const held = await a.begin(request('busy', 'one'));
    const busy = await b.begin(request('busy', 'two', Date.now() + 300)).then(() => null, (e: unknown) => e);
    expect(busy).toBeInstanceOf(GatewayError);
    expect((busy as GatewayError).errorCode).toBe('session_busy');
    const controller = new AbortController();
    const leaving = b.begin(request('busy', 'three', Date.now() + 10_000, controller.signal)).then(() => null, (e: unknown) => e);
    await Bun.sleep(50);
    controller.abort();
    expect(((await leaving) as Error).name).toBe('ClientGoneError');
    held.release();
    // Free again for everyone.
    const next = await b.begin(request('busy', 'four'));
    next.release();
  });

  test('local waiters queue in the process; the next one goes once Redis has the session free', async () => {
    const { a, b } = await instances();
    const first = await a.begin(request('local', 'one'));
    const second = a.begin(request('local', 'two'));
    const third = a.begin(request('local', 'three'));
    await first.commit(assistant('a1'), 'id-1');
    first.release();
    const t2 = await second;
    expect(t2.messages.map((m) => m.content)).toEqual(['one', 'a1', 'two']);
    await t2.commit(assistant('a2'), 'id-1');
    t2.release();
    const t3 = await third;
    expect(t3.messages.map((m) => m.content)).toEqual(['one', 'a1', 'two', 'a2', 'three']);
    t3.release();
    // t3 was released unanswered: nothing of it was stored.
    const onB = await b.begin(request('local', 'four'));
    expect(onB.messages.map((m) => m.content)).toEqual(['one', 'a1', 'two', 'a2', 'four']);
    onB.release();
  });
});
