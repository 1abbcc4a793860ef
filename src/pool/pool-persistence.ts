// Between a PoolMember and its stored row: cookies, nonce and health survive restarts.
// Cookies given in the account file win over stored ones when the operator changed them.

import type { StoredIdentityState } from '../store/identity-state-repo.ts';
import { CookieJar, type CookieJarSnapshot } from '../upstream/cookie-jar.ts';
import { UpstreamIdentity, type NonceState } from '../upstream/upstream-identity.ts';
import { IdentityHealth, type HealthPolicy, type HealthSnapshot } from './health.ts';
import type { IdentityConfig } from './identity-config.ts';
import { PoolMember } from './pool-member.ts';

export function seedHash(config: IdentityConfig): string {
  return new Bun.CryptoHasher('sha256').update(config.cookies ?? '').digest('hex').slice(0, 16);
}

export function restoreMember(config: IdentityConfig, stored: StoredIdentityState | null, policy: HealthPolicy, now: number, clock: () => number): PoolMember {
  const profile = { id: config.id, cookies: config.cookies, userAgent: config.userAgent, proxy: config.proxy };
  const sameSeed = stored !== null && stored.seedHash === seedHash(config);
  const jar = sameSeed ? CookieJar.fromSnapshot(JSON.parse(stored.cookies) as CookieJarSnapshot, clock) : undefined;
  const upstream = new UpstreamIdentity(profile, clock, jar);
  if (sameSeed && stored.nonce) upstream.nonce = JSON.parse(stored.nonce) as NonceState;
  const health = new IdentityHealth(policy, now, stored ? (JSON.parse(stored.health) as HealthSnapshot) : undefined);
  if (stored && !sameSeed && health.state.kind === 'challenged') health.enable('new cookies in the account file', now);
  const member = new PoolMember(config, upstream, health);
  member.persisted = { cookies: upstream.jar.header(), nonce: upstream.nonce?.value ?? '' };
  return member;
}

export function snapshotForStore(member: PoolMember, now: number): StoredIdentityState {
  return {
    id: member.id,
    seedHash: seedHash(member.config),
    cookies: JSON.stringify(member.upstream.jar.snapshot()),
    nonce: member.upstream.nonce ? JSON.stringify(member.upstream.nonce) : null,
    health: JSON.stringify(member.health.snapshot()),
    updatedAt: now,
  };
}
