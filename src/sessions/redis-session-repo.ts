// Sessions on the Redis several instances share (REDIS_URL). One string per session, its
// JSON, with PXAT at its expiry, so Redis itself forgets it to the millisecond; a tip index key
// per recognised conversation (same expiry; the most recent turn wins); a sorted set of every
// session by expiry (= last use: one TTL for all) for the cap, the count and the admin list,
// scored in microseconds so turns stored within one millisecond still keep their order.
// A commit is one Lua script: the handle moved, the session written, the tip indexed, the
// least recently used evicted over the cap; every check comes before the first write, so a
// commit is stored wholly or not at all. Times are Redis's clock (TIME), so instances with
// skewed clocks agree. Keys and their Cluster slot: store/redis/session-keys.ts.
//
// Why one string and not a hash of fields (the layout before, upgraded by
// redis-session-upgrade.ts): a new session is then one SET NX PXAT, where a hash took an
// existence check, an HSET of a dozen fields and an expiry, and Redis's cost per script is
// mostly its redis.calls and arguments (redis-server's CPU per turn ~70 → ~50 µs, docs/SCALING.md).
// The scripts read what they need from the value's fixed head, which they write themselves:
//   {"created":<ms>,"used":<ms>,"expires":<ms>,"tip":<json>,"handle":<json>,"owner":…,"payload":<json>}
// The head's fields come first in this order, "owner" follows "handle", "history" follows
// every summary field and "payload" comes last; a quote inside a JSON string is escaped, so
// none of these markers can be matched inside a value.

import type { ChatMessage } from '../conversation/messages.ts';
import type { Script, SharedState } from '../store/redis/shared-state.ts';
import { sessionKeys, sessionMember, type SessionKeys } from '../store/redis/session-keys.ts';
import { upgradeSessions } from './redis-session-upgrade.ts';
import type { SessionStore, SessionSummary, SessionWrite, StoredSession } from './session-store.ts';

/** A session's value as stored (the head's fields are written by the commit script). */
interface StoredValue {
  created: number;
  used: number;
  expires: number;
  tip: string | null;
  handle: string;
  owner: string;
  id: string;
  identity: string | null;
  turns: number;
  messages: number;
  history: ChatMessage[];
  payload: string | null;
}

type SummaryValue = Omit<StoredValue, 'history' | 'payload'>;

/**
 * Shared by the scripts: Redis's clock in microseconds (the sorted set's scores; exact in a
 * double), '(t' as a range bound, the head of a value (its first bytes are enough: ids and
 * tips are short) and its parts, and forgetting one session (its tip pointer, value and index entry).
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
local HEAD = '^{"created":(%d+),"used":%d+,"expires":%d+,"tip":([^,]*),"handle":'
local function head_of(key)
  -- pcall: a hash an instance of layout 1 wrote after the upgrade has no head to read.
  local head = redis.pcall('GETRANGE', key, '0', '511')
  return type(head) == 'string' and head or ''
end
local function tip_of(head)
  local _, tip = string.match(head, HEAD)
  return tip and string.match(tip, '^"(.*)"$')
end
local function forget(base, lru, member)
  local key = base .. 's:' .. member
  local tip = tip_of(head_of(key))
  if tip and redis.call('GET', base .. 't:' .. tip) == member then redis.call('DEL', base .. 't:' .. tip) end
  redis.call('ZREM', lru, member)
  return redis.call('DEL', key)
end
`;

/**
 * KEYS: last-use set, session (the set again when nothing is stored). ARGV: base, mode
 * (update|insert|replace|none), ttl ms, cap, member, tip ('' = none), moved member ('' = none),
 * its handle now and its next handle (both as JSON), then the value's tip and handle (JSON) and
 * the rest of it from "owner" on (the JSON object without its opening brace).
 */
export const COMMIT: Script = {
  name: 'session-commit',
  lua: `${LUA_COMMON}
local lru, key = KEYS[1], KEYS[2]
local base, mode, ttl, cap, member, tip = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4]), ARGV[5], ARGV[6]
local moved, from, to = ARGV[7], ARGV[8], ARGV[9]
local us = now_us()
local now = math.floor(us / 1000)
local store = mode ~= 'none'
-- An insert's check is its SET NX below; the other modes look at what is there now.
local head = ''
if store and mode ~= 'insert' then head = head_of(key) end
local exists = head ~= ''
-- A session that expired during its turn is stored again while its index entry is left (as
-- the SQLite store does until its pruner deletes the row); one deleted meanwhile is not.
local revived = mode == 'update' and not exists and redis.call('ZSCORE', lru, member) ~= false
store = store and (mode ~= 'update' or exists or revived)
-- The moved session's next value, if it still has the handle (a response continued).
local moved_key, moved_value = nil, nil
if moved ~= '' then
  moved_key = base .. 's:' .. moved
  local current = redis.call('GET', moved_key)
  local moved_head = current and string.match(current, '^{"created":%d+,"used":%d+,"expires":%d+,"tip":[^,]*,"handle":')
  if moved_head and string.sub(current, #moved_head + 1, #moved_head + #from + 9) == from .. ',"owner":' then
    moved_value = moved_head .. to .. string.sub(current, #moved_head + #from + 1)
  end
end
if store then
  local created = exists and mode == 'update' and string.match(head, HEAD) or int(now)
  local expire_at = int(now + ttl)
  local value = '{"created":' .. created .. ',"used":' .. int(now) .. ',"expires":' .. expire_at ..
    ',"tip":' .. ARGV[10] .. ',"handle":' .. ARGV[11] .. ',' .. ARGV[12]
  -- Every check before the first write: a script stopped half-way keeps what it wrote.
  if mode == 'insert' then
    if not redis.call('SET', key, value, 'NX', 'PXAT', expire_at) then return redis.error_reply('ERR session id already taken') end
  else
    local old_tip = exists and tip_of(head)
    if old_tip and old_tip ~= tip and redis.call('GET', base .. 't:' .. old_tip) == member then redis.call('DEL', base .. 't:' .. old_tip) end
    redis.call('SET', key, value, 'PXAT', expire_at)
  end
end
-- Before any eviction below: KEEPTTL on a key evicted meanwhile would store it with no expiry.
if moved_value then redis.call('SET', moved_key, moved_value, 'KEEPTTL') end
if store then
  if tip ~= '' then redis.call('SET', base .. 't:' .. tip, member, 'PXAT', int(now + ttl)) end
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

/**
 * KEYS: tip key. ARGV: base. The session it points to (the caller checks it still ends there),
 * or {member} when that session is a hash of layout 1 (the caller converts it and asks again).
 */
const BY_TIP: Script = {
  name: 'session-by-tip',
  lua: `
local member = redis.call('GET', KEYS[1])
if not member then return false end
local value = redis.pcall('GET', ARGV[1] .. 's:' .. member)
if type(value) == 'table' then return { member } end
return value
`,
};

/** KEYS: last-use set, session. ARGV: base, member, '1' = only a stored response. */
const DELETE: Script = {
  name: 'session-delete',
  lua: `${LUA_COMMON}
if ARGV[3] == '1' then
  local tail = redis.pcall('GETRANGE', KEYS[2], '-16', '-1')
  if type(tail) ~= 'string' then tail = redis.call('HEXISTS', KEYS[2], 'payload') == 1 and '' or ',"payload":null}' end
  if tail == ',"payload":null}' then return 0 end
end
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

/**
 * KEYS: last-use set. ARGV: base, offset, limit. Live sessions' summaries (each value up to its
 * history, closed again), most recently used first.
 */
const LIST: Script = {
  name: 'session-list',
  lua: `${LUA_COMMON}
local members = redis.call('ZREVRANGEBYSCORE', KEYS[1], '+inf', after(now_us()), 'LIMIT', ARGV[2], ARGV[3])
local page = {}
for _, member in ipairs(members) do
  local value = redis.pcall('GET', ARGV[1] .. 's:' .. member)
  local cut = type(value) == 'string' and string.find(value, ',"history":', 1, true)
  if cut then page[#page + 1] = string.sub(value, 1, cut - 1) .. '}' end
end
return page
`,
};

/** What a tip may hold: the value's head is read by a pattern that stops at a comma. */
const TIP = /^[A-Za-z0-9_-]+$/;

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
    const member = sessionMember(owner, id);
    const read = () => this.shared.send<string | null>('GET', [this.keys.session(member)]);
    try {
      return fromValue(await read());
    } catch (error) {
      if (!/^WRONGTYPE\b/.test(String((error as Error).message))) throw error;
      // A hash an instance of layout 1 wrote after the upgrade (it should have been stopped first).
      await upgradeSessions(this.shared, [member]);
      return fromValue(await read());
    }
  }

  async findByTip(tip: string): Promise<StoredSession | null> {
    const read = () => this.shared.run<string | [string] | null>(BY_TIP, [this.keys.tip(tip)], [this.keys.base]);
    let value = await read();
    if (Array.isArray(value)) {
      await upgradeSessions(this.shared, value);
      value = await read();
    }
    const found = typeof value === 'string' ? fromValue(value) : null;
    // A pointer left by a session that moved on (its next turn changed the tip) is not a match.
    return found?.tip === tip ? found : null;
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
    const page = await this.shared.run<string[]>(LIST, [this.keys.lastUse], [this.keys.base, offset, limit]);
    return page.map((text) => {
      const v = JSON.parse(text) as SummaryValue;
      return {
        owner: v.owner,
        id: v.id,
        named: v.tip === null,
        upstreamSessionId: v.handle,
        identityId: v.identity,
        turns: v.turns,
        messages: v.messages,
        createdAt: v.created,
        lastUsedAt: v.used,
        expiresAt: v.expires,
      };
    });
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
      JSON.stringify(move?.from ?? ''),
      JSON.stringify(move?.to ?? ''),
    ];
    if (session) {
      if (session.tip !== null && !TIP.test(session.tip)) throw new Error('a conversation tip is a fingerprint: letters, digits, - and _');
      // From "owner" on; the script writes the head (times, tip, handle) in front of it.
      const rest = JSON.stringify({
        owner: session.owner,
        id: session.id,
        identity: session.identityId,
        turns: session.turns,
        messages: session.history.length,
        history: session.history,
        payload: session.payload ?? null,
      });
      args.push(JSON.stringify(session.tip), JSON.stringify(session.upstreamSessionId), rest.slice(1));
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

function fromValue(text: string | null): StoredSession | null {
  if (text === null) return null;
  const v = JSON.parse(text) as StoredValue;
  return {
    owner: v.owner,
    id: v.id,
    tip: v.tip,
    upstreamSessionId: v.handle,
    identityId: v.identity,
    history: v.history,
    turns: v.turns,
    createdAt: v.created,
    lastUsedAt: v.used,
    expiresAt: v.expires,
    payload: v.payload,
  };
}
