// The Redis keys of one identity, all under KEY_PREFIX and one hash tag, so a Redis Cluster
// keeps them in one slot and each script on them stays atomic. The id is percent-encoded:
// a brace in it would end the hash tag early.

export interface IdentityKeys {
  leases: string;
  calls: string;
  pace: string;
  health: string;
  probe: string;
  state: string;
  refresh: string;
}

export function identityKeys(prefix: string, id: string): IdentityKeys {
  const base = `${prefix}{i:${encodeURIComponent(id)}}`;
  return {
    leases: `${base}:leases`,
    calls: `${base}:calls`,
    pace: `${base}:pace`,
    health: `${base}:health`,
    probe: `${base}:probe`,
    state: `${base}:state`,
    refresh: `${base}:refresh`,
  };
}
