// Redis key names of the shared sessions, all under KEY_PREFIX. The session data (one hash
// per session, the tip index, the last-use sorted set) shares one Cluster hash tag, `{s}`:
// a commit writes a session, its tip and the sorted set and may evict other sessions, in one
// script, and Redis Cluster runs a script only on keys of one slot. The price: on a Cluster
// all sessions live on one shard. Locks are single keys, tagged per session (`{s:<owner>:<id>}`)
// so their traffic spreads over the shards.

/**
 * A name part that cannot contain ':', '{', '}', '%'-ambiguity or glob characters: every code
 * unit outside [A-Za-z0-9._-] becomes %xxxx (fixed width, so distinct names never meet).
 */
export function keyPart(text: string): string {
  return text.replace(/[^A-Za-z0-9._-]/g, (c) => `%${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** A session's member in the last-use sorted set, and the end of its key: `<owner>:<id>`, both parts encoded. */
export const sessionMember = (owner: string, id: string): string => `${keyPart(owner)}:${keyPart(id)}`;

export interface SessionKeys {
  /** Every session data key starts with it (the prefix and the `{s}` tag). */
  base: string;
  /** The sorted set of sessions by expiry (= by last use: one TTL for all). */
  lastUse: string;
  session(member: string): string;
  tip(tip: string): string;
  lock(owner: string, id: string): string;
  /** The pattern of every owner's member for one id (ids hold no glob characters once encoded). */
  membersWithId(id: string): string;
}

export function sessionKeys(prefix: string): SessionKeys {
  const base = `${prefix}{s}:`;
  return {
    base,
    lastUse: `${base}lru`,
    session: (member) => `${base}s:${member}`,
    tip: (tip) => `${base}t:${tip}`,
    lock: (owner, id) => `${prefix}{s:${sessionMember(owner, id)}}:lock`,
    membersWithId: (id) => `*:${keyPart(id)}`,
  };
}
