// Sessions on the Redis several instances share (REDIS_URL). One hash per session with
// PEXPIREAT at its expiry, so Redis itself forgets it to the millisecond; a tip index key per
// recognised conversation (same expiry; the most recent turn wins); a sorted set of every
// session by expiry (= last use: one TTL for all) for the cap, the count and the admin list,
// scored in microseconds so turns stored within one millisecond still keep their order.
// A commit is one Lua script: the handle moved, the session written, the tip indexed, the
// least recently used evicted over the cap; every check comes before the first write, so a
// commit is stored wholly or not at all. Times are Redis's clock (TIME), so instances with
// skewed clocks agree. Keys and their Cluster slot: store/redis/session-keys.ts.

import type { ChatMessage } from '../conversation/messages.ts';
import type { Script, SharedState } from '../store/redis/shared-state.ts';
import { sessionKeys, sessionMember, type SessionKeys } from '../store/redis/session-keys.ts';
import type { SessionStore, SessionSummary, SessionWrite, StoredSession } from './session-store.ts';

/** The hash's fields, in the order HMGET answers them. */
const FIELDS = ['owner', 'id', 'tip', 'handle', 'identity', 'history', 'turns', 'created', 'used', 'expires', 'payload'] as const;
const SUMMARY_FIELDS = ['owner', 'id', 'tip', 'handle', 'identity', 'messages', 'turns', 'created', 'used', 'expires'] as const;

type Fields = (string | null)[];

const luaList = (fields: readonly string[]) => fields.map((f) => `'${f}'`).join(', ');

/**
 * Shared by the scripts: Redis's clock in microseconds (the sorted set's scores; exact in a
 * double), '(t' as a range bound, and forgetting one session (its tip pointer, hash and index entry).
 * Numbers go to redis.call through int() ("%d"): Lua would print them with a float "%.17g",
 * which cost redis-server a tenth of its time (pool/shared/ledger-scripts.ts).
 */
const LUA_COMMON = `
local function int(n) return string.format('%d', n) end
local function now_us()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000000 + tonumber(t[2])
end
local function after(us)
  return '(' .. int(us)
end
local function forget(base, lru, member)
  local key = base .. 's:' .. member
  local tip = redis.call('HGET', key, 'tip')
  if tip and redis.call('GET', base .. 't:' .. tip) == member then redis.call('DEL', base .. 't:' .. tip) end
  redis.call('ZREM', lru, member)
  return redis.call('DEL', key)
end
`;

/**
 * KEYS: last-use set, session hash (the set again when nothing is stored). ARGV: base, mode
 * (update|insert|replace|none), ttl ms, cap, member, tip ('' = none), moved member ('' = none),
 * from, to, then the hash's field/value pairs.
 */
export const COMMIT: Script = {
  name: 'session-commit',
  lua: `${LUA_COMMON}
local lru, key = KEYS[1], KEYS[2]
local base, mode, ttl, cap, member, tip = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4]), ARGV[5], ARGV[6]
local moved, from, to = ARGV[7], ARGV[8], ARGV[9]
local us = now_us()
local now = math.floor(us / 1000)
local exists = mode ~= 'none' and redis.call('EXISTS', key) == 1
-- A session that expired during its turn is stored again while its index entry is left (as
-- the SQLite store does until its pruner deletes the row); one deleted meanwhile is not.
local revived = mode == 'update' and not exists and redis.call('ZSCORE', lru, member) ~= false
-- Every check before the first write: a script stopped half-way keeps what it wrote.
if mode == 'insert' and exists then return redis.error_reply('ERR session id already taken') end
if moved ~= '' then
  local other = base .. 's:' .. moved
  if redis.call('HGET', other, 'handle') == from then redis.call('HSET', other, 'handle', to) end
end
if mode ~= 'none' and (mode ~= 'update' or exists or revived) then
  local created = int(now)
  if exists then
    if mode == 'update' then created = redis.call('HGET', key, 'created') end
    local old_tip = redis.call('HGET', key, 'tip')
    if old_tip and old_tip ~= tip and redis.call('GET', base .. 't:' .. old_tip) == member then redis.call('DEL', base .. 't:' .. old_tip) end
    redis.call('DEL', key)
  end
  local expire_at = int(now + ttl)
  redis.call('HSET', key, 'created', created, 'used', int(now), 'expires', expire_at, unpack(ARGV, 10))
  redis.call('PEXPIREAT', key, expire_at)
  if tip ~= '' then redis.call('SET', base .. 't:' .. tip, member, 'PXAT', expire_at) end
  redis.call('ZADD', lru, int(us + ttl * 1000), member)
  if mode ~= 'update' and cap > 0 then
    local live_from = after(us)
    local over = redis.call('ZCOUNT', lru, live_from, '+inf') - cap
    if over > 0 then
      for _, victim in ipairs(redis.call('ZRANGEBYSCORE', lru, live_from, '+inf', 'LIMIT', '0', int(over))) do forget(base, lru, victim) end
    end
  end
end
-- The index's size, expired entries the pruner has not trimmed yet included (as the SQLite
-- store counts rows it has not pruned yet): O(1), where counting live ones is not.
return redis.call('ZCARD', lru)
`,
};

/** KEYS: tip key. ARGV: base, tip. The session it points to, if that session still ends there. */
const BY_TIP: Script = {
  name: 'session-by-tip',
  lua: `
local member = redis.call('GET', KEYS[1])
if not member then return false end
local found = redis.call('HMGET', ARGV[1] .. 's:' .. member, ${luaList(FIELDS)})
if found[3] ~= ARGV[2] then return false end
return found
`,
};

/** KEYS: last-use set, session hash. ARGV: base, member, '1' = only a stored response. */
const DELETE: Script = {
  name: 'session-delete',
  lua: `${LUA_COMMON}
if ARGV[3] == '1' and redis.call('HEXISTS', KEYS[2], 'payload') == 0 then return 0 end
return forget(ARGV[1], KEYS[1], ARGV[2])
`,
};

/** KEYS: last-use set. ARGV: most entries to trim. Trims expired entries (their keys are gone already); returns {trimmed, live}. */
const PRUNE: Script = {
  name: 'session-prune',
  lua: `${LUA_COMMON}
local us = now_us()
local expired = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', int(us), 'LIMIT', '0', ARGV[1])
if #expired > 0 then redis.call('ZREM', KEYS[1], unpack(expired)) end
return { #expired, redis.call('ZCOUNT', KEYS[1], after(us), '+inf') }
`,
};

/** KEYS: last-use set. Live sessions. */
const COUNT: Script = {
  name: 'session-count',
  lua: `${LUA_COMMON}
return redis.call('ZCOUNT', KEYS[1], after(now_us()), '+inf')
`,
};

/** KEYS: last-use set. ARGV: base, offset, limit. Live sessions' summaries, most recently used first. */
const LIST: Script = {
  name: 'session-list',
  lua: `${LUA_COMMON}
local members = redis.call('ZREVRANGEBYSCORE', KEYS[1], '+inf', after(now_us()), 'LIMIT', ARGV[2], ARGV[3])
local page = {}
for _, member in ipairs(members) do
  local found = redis.call('HMGET', ARGV[1] .. 's:' .. member, ${luaList(SUMMARY_FIELDS)})
  if found[1] then page[#page + 1] = found end
end
return page
`,
};

/** ZSCAN page size for the operator's delete of an id under every owner. */
const SCAN_COUNT = 1_000;

export class RedisSessionRepo implements SessionStore {
  private readonly keys: SessionKeys;
  /** Sessions in the index after this instance's last commit (expired ones not yet trimmed included), or live ones after its last count or prune. */
  private counted = 0;

  constructor(private readonly shared: SharedState) {
    this.keys = sessionKeys(shared.prefix);
  }

  get size(): number {
    return this.counted;
  }

  async find(owner: string, id: string): Promise<StoredSession | null> {
    return fromFields(await this.shared.send<Fields>('HMGET', [this.keys.session(sessionMember(owner, id)), ...FIELDS]));
  }

  async findByTip(tip: string): Promise<StoredSession | null> {
    const found = await this.shared.run<Fields | null>(BY_TIP, [this.keys.tip(tip)], [this.keys.base, tip]);
    return found ? fromFields(found) : null;
  }

  async findResponse(owner: string, id: string): Promise<StoredSession | null> {
    const found = await this.find(owner, id);
    return found && found.payload !== null ? found : null;
  }

  async delete(owner: string, id: string): Promise<boolean> {
    return (await this.deleteMember(sessionMember(owner, id), false)) > 0;
  }

  async deleteResponse(owner: string, id: string): Promise<boolean> {
    return (await this.deleteMember(sessionMember(owner, id), true)) > 0;
  }

  /** Scans the last-use set for the id under every owner (an operator's action: not per request). */
  async deleteEveryOwner(id: string): Promise<number> {
    let deleted = 0;
    let cursor = '0';
    do {
      const scan = [this.keys.lastUse, cursor, 'MATCH', this.keys.membersWithId(id), 'COUNT', SCAN_COUNT];
      const [next, page] = await this.shared.send<[string, string[]]>('ZSCAN', scan);
      for (let i = 0; i < page.length; i += 2) deleted += await this.deleteMember(page[i]!, false);
      cursor = String(next);
    } while (cursor !== '0');
    return deleted;
  }

  async countUnexpired(): Promise<number> {
    this.counted = await this.shared.run<number>(COUNT, [this.keys.lastUse], []);
    return this.counted;
  }

  async list(_now: number, limit: number, offset: number): Promise<SessionSummary[]> {
    const page = await this.shared.run<Fields[]>(LIST, [this.keys.lastUse], [this.keys.base, offset, limit]);
    return page.map((f) => ({
      owner: f[0]!,
      id: f[1]!,
      named: f[2] === null,
      upstreamSessionId: f[3] ?? '',
      identityId: f[4] ?? null,
      turns: Number(f[6]),
      messages: Number(f[5]),
      createdAt: Number(f[7]),
      lastUsedAt: Number(f[8]),
      expiresAt: Number(f[9]),
    }));
  }

  async commit({ session, mode, move, maxSessions }: SessionWrite): Promise<void> {
    const { keys } = this;
    const member = session ? sessionMember(session.owner, session.id) : '';
    const args: (string | number)[] = [
      keys.base,
      session ? mode : 'none',
      session ? session.expiresAt - session.lastUsedAt : 0,
      maxSessions,
      member,
      session?.tip ?? '',
      move ? sessionMember(move.owner, move.id) : '',
      move?.from ?? '',
      move?.to ?? '',
    ];
    if (session) {
      args.push('owner', session.owner, 'id', session.id, 'handle', session.upstreamSessionId);
      args.push('history', JSON.stringify(session.history), 'messages', session.history.length, 'turns', session.turns);
      if (session.tip !== null) args.push('tip', session.tip);
      if (session.identityId !== null) args.push('identity', session.identityId);
      if (session.payload != null) args.push('payload', session.payload);
    }
    this.counted = await this.shared.run<number>(COMMIT, [keys.lastUse, session ? keys.session(member) : keys.lastUse], args);
  }

  /** Expiry is Redis's: this only trims the last-use set of entries whose session expired. */
  async pruneExpired(_now: number, limit: number): Promise<number> {
    const [trimmed, live] = await this.shared.run<[number, number]>(PRUNE, [this.keys.lastUse], [limit]);
    this.counted = live;
    return trimmed;
  }

  private deleteMember(member: string, onlyResponse: boolean): Promise<number> {
    return this.shared.run<number>(DELETE, [this.keys.lastUse, this.keys.session(member)], [this.keys.base, member, onlyResponse ? '1' : '0']);
  }
}

function fromFields(f: Fields): StoredSession | null {
  const [owner, id, tip, handle, identity, history, turns, created, used, expires, payload] = f;
  if (owner == null || id == null || handle == null || history == null) return null;
  return {
    owner,
    id,
    tip: tip ?? null,
    upstreamSessionId: handle,
    identityId: identity ?? null,
    history: JSON.parse(history) as ChatMessage[],
    turns: Number(turns),
    createdAt: Number(created),
    lastUsedAt: Number(used),
    expiresAt: Number(expires),
    payload: payload ?? null,
  };
}
