// The Lua scripts of the shared ledger. Each runs atomically on the keys of one identity
// (one hash tag: one Cluster slot) and reads Redis's own clock, so instances on different
// machines agree on windows and expiries. Times are epoch milliseconds.
//
// Keys of an identity (identity-keys.ts): leases (sorted set: lease id → expiry), calls
// (sorted set: call id → start, the rpm window), pace (when the next call may start),
// health (hash: version, json, availableAt: 0 = ready, -1 = only an operator, else until;
// probe: 1 when the next call after availableAt is a probe), probe (the probe's lease id),
// state (hash: json, seed).
//
// Cost (measured under callgrind, docs/SCALING.md): a Lua number handed to redis.call is
// printed with "%.17g", a float printf that took a tenth of redis-server's time, so numbers
// go out through int() ("%d"); and a key's TTL is pushed out only when it runs short, since
// every write a script makes is written again to the append-only file.

import type { Script } from '../../store/redis/shared-state.ts';

const NOW = `local function int(n) return string.format('%d', n) end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local now_s = int(now)`;

/** Lua: keeps KEYS[i] alive at least `ms` more (a TTL of 2 × ms, set again only once it is below ms). */
const KEEP_ALIVE = `local function keep_alive(key, ms)
  if redis.call('PTTL', key) < ms then redis.call('PEXPIRE', key, int(ms * 2)) end
end`;

/**
 * KEYS: leases, calls, pace, health, probe. ARGV: leaseId, maxConcurrent, rpm (0 = no limit), gapMs (pacing
 * gap after this start, 0 = none), leaseTtlMs, paced ('1' when the identity has a pacing gap at all).
 * Leases of a dead instance are swept only when they would fill the identity.
 * → {1, probe (0/1), now} | {0, reason, retryAt (server clock, '' = none), now, healthVersion, healthJson}
 */
export const ACQUIRE: Script = {
  name: 'acquire',
  lua: `${NOW}
${KEEP_ALIVE}
local h = redis.call('HMGET', KEYS[4], 'availableAt', 'probe', 'version', 'json')
local probe = 0
if h[1] then
  local at = tonumber(h[1])
  if at < 0 or now < at then
    return {0, 'unavailable', at < 0 and '' or int(at), now_s, h[3] or '0', h[4] or ''}
  end
  if h[2] == '1' then
    if not redis.call('SET', KEYS[5], ARGV[1], 'NX', 'PX', ARGV[5]) then
      return {0, 'probe_taken', int(now + math.max(redis.call('PTTL', KEYS[5]), 1)), now_s, '0', ''}
    end
    probe = 1
  end
end
local function refuse(reason, at)
  if probe == 1 then redis.call('DEL', KEYS[5]) end
  return {0, reason, at, now_s, '0', ''}
end
local max = tonumber(ARGV[2])
if redis.call('ZCARD', KEYS[1]) >= max then
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now_s)
  if redis.call('ZCARD', KEYS[1]) >= max then
    local first = redis.call('ZRANGE', KEYS[1], '0', '0', 'WITHSCORES')
    return refuse('busy', first[2])
  end
end
local rpm = tonumber(ARGV[3])
if rpm > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', int(now - 60000))
  if redis.call('ZCARD', KEYS[2]) >= rpm then
    local oldest = redis.call('ZRANGE', KEYS[2], '0', '0', 'WITHSCORES')
    return refuse('rpm', int(tonumber(oldest[2]) + 60000))
  end
end
if ARGV[6] == '1' then
  local nextAt = tonumber(redis.call('GET', KEYS[3]) or '0')
  if now < nextAt then return refuse('paced', int(nextAt)) end
end
local ttl = tonumber(ARGV[5])
redis.call('ZADD', KEYS[1], int(now + ttl), ARGV[1])
keep_alive(KEYS[1], ttl)
if rpm > 0 then
  redis.call('ZADD', KEYS[2], now_s, ARGV[1])
  keep_alive(KEYS[2], 61000)
end
local gap = tonumber(ARGV[4])
if gap > 0 then redis.call('SET', KEYS[3], int(now + gap), 'PX', int(gap + 1000)) end
return {1, probe, now_s}`,
};

/**
 * KEYS: leases, calls, health. ARGV: leaseId, maxConcurrent, rpm (0 = no limit), calls wanted,
 * holdMs, reserved-call id prefix, channel, freed event (JSON), leaseTtlMs, then reserved calls
 * of an earlier keep to take out of the window (not made).
 *
 * A request ends while this instance has more running on the identity: it asks to keep the
 * lease for its next request there, with calls of the rpm window reserved for it
 * (redis-ledger.ts, "lease reuse"). Granted only while the lease is still live, the identity
 * ready and with room to spare: two slots free besides this lease, the window at most half
 * full once the calls are in. The reserved calls enter the window at once, each stamped
 * holdMs ahead (a reused call starts well before then), and the window's key is kept alive
 * past their stamp, so the window never counts a call for less than its real life; the lease
 * is pushed out a lease time. Not granted: the lease is released as RELEASE does.
 * → calls reserved (with no rpm: the calls wanted) | 0 released
 */
export const KEEP: Script = {
  name: 'keep',
  lua: `${NOW}
${KEEP_ALIVE}
if #ARGV > 9 then redis.call('ZREM', KEYS[2], unpack(ARGV, 10)) end
local max = tonumber(ARGV[2])
local held = redis.call('ZCARD', KEYS[1])
local granted = 0
local at = redis.call('HGET', KEYS[3], 'availableAt')
local expiry = tonumber(redis.call('ZSCORE', KEYS[1], ARGV[1]) or '0')
if (not at or at == '0') and max - held >= 2 and expiry > now then
  local rpm = tonumber(ARGV[3])
  granted = tonumber(ARGV[4])
  if rpm > 0 then
    redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', int(now - 60000))
    granted = math.min(granted, math.floor(rpm / 2) - redis.call('ZCARD', KEYS[2]))
    if granted > 0 then
      local hold = tonumber(ARGV[5])
      local stamp = int(now + hold)
      local entries = {}
      for i = 1, granted do
        entries[2 * i - 1] = stamp
        entries[2 * i] = ARGV[6] .. '#' .. i
      end
      redis.call('ZADD', KEYS[2], unpack(entries))
      keep_alive(KEYS[2], 61000 + hold)
    end
  end
end
if granted > 0 then
  local ttl = tonumber(ARGV[9])
  redis.call('ZADD', KEYS[1], 'XX', int(now + ttl), ARGV[1])
  keep_alive(KEYS[1], ttl)
  return granted
end
redis.call('ZREM', KEYS[1], ARGV[1])
if held >= max then redis.call('PUBLISH', ARGV[7], ARGV[8]) end
return 0`,
};

/** KEYS: calls, pace. ARGV: callId, rpm (0 = no limit), gapMs. → 1 taken | 0 the window is full. */
export const EXTRA_CALL: Script = {
  name: 'extra-call',
  lua: `${NOW}
${KEEP_ALIVE}
local rpm = tonumber(ARGV[2])
if rpm > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', int(now - 60000))
  if redis.call('ZCARD', KEYS[1]) >= rpm then return 0 end
  redis.call('ZADD', KEYS[1], now_s, ARGV[1])
  keep_alive(KEYS[1], 61000)
end
local gap = tonumber(ARGV[3])
if gap > 0 then redis.call('SET', KEYS[2], int(now + gap), 'PX', int(gap + 1000)) end
return 1`,
};

/** KEYS: leases, probe. ARGV: leaseId, leaseTtlMs. Pushes the lease's expiry out (a long request or stream). → 1 | 0 gone */
export const RENEW: Script = {
  name: 'renew',
  lua: `${NOW}
${KEEP_ALIVE}
if not redis.call('ZSCORE', KEYS[1], ARGV[1]) then return 0 end
local ttl = tonumber(ARGV[2])
redis.call('ZADD', KEYS[1], 'XX', int(now + ttl), ARGV[1])
keep_alive(KEYS[1], ttl)
if redis.call('GET', KEYS[2]) == ARGV[1] then redis.call('PEXPIRE', KEYS[2], ARGV[2]) end
return 1`,
};

/**
 * KEYS: leases, probe, calls. ARGV: leaseId, maxConcurrent, channel, freed event (JSON), '1' when the
 * lease took the probe, then the calls reserved for it (KEEP) and not made. Frees the
 * lease and takes those calls out of the rpm window; only when that opens a slot another
 * instance can have been refused for (the identity was full, or this was its probe) are the
 * others told: most releases cost them nothing.
 */
export const RELEASE: Script = {
  name: 'release',
  lua: `local full = redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2])
redis.call('ZREM', KEYS[1], ARGV[1])
if #ARGV > 5 then redis.call('ZREM', KEYS[3], unpack(ARGV, 6)) end
local probe = ARGV[5] == '1' and redis.call('GET', KEYS[2]) == ARGV[1]
if probe then redis.call('DEL', KEYS[2]) end
if full or probe then redis.call('PUBLISH', ARGV[3], ARGV[4]) end
return 1`,
};

/**
 * KEYS: health. ARGV: baseVersion, json, availableAt, probe, channel, from, id, keepMs.
 * Compare-and-set on the version; the new health goes out with it.
 * → {1, version} | {0, version, json} (someone else wrote first)
 */
export const WRITE_HEALTH: Script = {
  name: 'write-health',
  lua: `local v = tonumber(redis.call('HGET', KEYS[1], 'version') or '0')
if v ~= tonumber(ARGV[1]) then return {0, tostring(v), redis.call('HGET', KEYS[1], 'json') or ''} end
v = v + 1
redis.call('HSET', KEYS[1], 'version', string.format('%d', v), 'json', ARGV[2], 'availableAt', ARGV[3], 'probe', ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[8])
redis.call('PUBLISH', ARGV[5], cjson.encode({type = 'health', from = ARGV[6], id = ARGV[7], version = v, json = ARGV[2]}))
return {1, tostring(v)}`,
};

/**
 * KEYS: state, refresh. ARGV: json, seed, channel, from, id, keepMs. The new state goes out,
 * and this instance's claim on refreshing the identity (CLAIM_REFRESH) ends with it: for a
 * second the claim says "shared", so an instance that has not handled the event yet does not
 * claim and fetch again.
 */
export const WRITE_STATE: Script = {
  name: 'write-state',
  lua: `redis.call('HSET', KEYS[1], 'json', ARGV[1], 'seed', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[6])
if redis.call('GET', KEYS[2]) == ARGV[4] then redis.call('SET', KEYS[2], 'shared', 'PX', '1000') end
redis.call('PUBLISH', ARGV[3], cjson.encode({type = 'state', from = ARGV[4], id = ARGV[5], state = ARGV[1], seed = ARGV[2]}))
return 1`,
};

/**
 * KEYS: refresh. ARGV: instance, ms, what a "shared" second means to the caller: 'wait' (an
 * aged nonce or start-up: a state just shared is the one to take over → 0), 'ask' or 'take'
 * (the site refused this instance's credentials: a state just shared is either one whose
 * event has not come yet (→ 2: wait for it) or the very one refused; asked again with 'take'
 * after that wait, the claim is taken over). Claims the fetch of an identity's credentials:
 * held until the claimant shares the result (WRITE_STATE) or for ms at most (it died, or its
 * fetch failed).
 * → 1 this instance holds the claim (now or already) | 0 another one does | 2 a state was just shared
 */
export const CLAIM_REFRESH: Script = {
  name: 'claim-refresh',
  lua: `if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
local holder = redis.call('GET', KEYS[1])
if holder == ARGV[1] then return 1 end
if holder ~= 'shared' or ARGV[3] == 'wait' then return 0 end
if ARGV[3] == 'ask' then return 2 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1`,
};
