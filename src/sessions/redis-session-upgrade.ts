// Layout 1 → 2 of the shared sessions. In layout 1 each session was a hash of fields; layout 2
// stores one string, the session's JSON with the head the scripts read (redis-session-repo.ts).
// An instance that finds layout 1 under its prefix converts every session in place, its
// expiry kept, before it serves; then it marks the prefix as layout 2 and older instances
// refuse to start on it. Two instances upgrading at once each convert what is still a hash.

import type { Script, SharedState } from '../store/redis/shared-state.ts';
import { sessionKeys } from '../store/redis/session-keys.ts';

/** Members per script: each converts up to this many sessions at once, so no script runs long. */
const BATCH = 200;

/**
 * KEYS: last-use set (every session has its entry there). ARGV: base, then members. Converts
 * each member's hash into the layout-2 string (KEEPTTL) and returns how many it converted;
 * strings (converted already) and keys gone (expired) are left as they are.
 */
const UPGRADE: Script = {
  name: 'session-upgrade-1-2',
  lua: `
-- As JSON.stringify writes it: cjson puts a backslash before each '/' (a handle is compared byte for byte on a move).
local function text(v) if v then return (string.gsub(cjson.encode(v), '\\\\/', '/')) end return 'null' end
local function int(v) return string.format('%d', tonumber(v) or 0) end
local converted = 0
for i = 2, #ARGV do
  local key = ARGV[1] .. 's:' .. ARGV[i]
  if redis.call('TYPE', key).ok == 'hash' then
    local f = redis.call('HMGET', key, 'created', 'used', 'expires', 'tip', 'handle', 'owner', 'id', 'identity', 'turns', 'messages', 'history', 'payload')
    local value = '{"created":' .. int(f[1]) .. ',"used":' .. int(f[2]) .. ',"expires":' .. int(f[3]) ..
      ',"tip":' .. text(f[4]) .. ',"handle":' .. text(f[5]) .. ',"owner":' .. text(f[6]) .. ',"id":' .. text(f[7]) ..
      ',"identity":' .. text(f[8]) .. ',"turns":' .. int(f[9]) .. ',"messages":' .. int(f[10]) ..
      ',"history":' .. (f[11] or '[]') .. ',"payload":' .. text(f[12]) .. '}'
    redis.call('SET', key, value, 'KEEPTTL')
    converted = converted + 1
  end
end
return converted
`,
};

/** Converts every layout-1 session under the prefix; returns how many it converted. */
export async function upgradeSessionsToStrings(shared: SharedState): Promise<number> {
  const keys = sessionKeys(shared.prefix);
  let converted = 0;
  let cursor = '0';
  do {
    const [next, page] = await shared.send<[string, string[]]>('ZSCAN', [keys.lastUse, cursor, 'COUNT', BATCH]);
    converted += await upgradeSessions(shared, page.filter((_, i) => i % 2 === 0));
    cursor = String(next);
  } while (cursor !== '0');
  return converted;
}

/** Converts these members' sessions if they are layout-1 hashes (one found after the upgrade, written by an old instance still running). */
export async function upgradeSessions(shared: SharedState, members: readonly string[]): Promise<number> {
  if (members.length === 0) return 0;
  const keys = sessionKeys(shared.prefix);
  return shared.run<number>(UPGRADE, [keys.lastUse], [keys.base, ...members]);
}
