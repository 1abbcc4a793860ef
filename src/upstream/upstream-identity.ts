// What one upstream identity carries between requests: its cookie jar, its nonce and
// the one nonce refresh that may be in flight. Health and limits live in the pool.

import { DEFAULT_USER_AGENT } from './browser-headers.ts';
import { CookieJar } from './cookie-jar.ts';
import type { UpstreamOutcome } from './outcome.ts';

export interface IdentityProfile {
  id: string;
  /** "name=value; other=value" as copied from a browser; absent = anonymous visitor. */
  cookies?: string;
  userAgent?: string;
  /** Per-identity proxy URL for Bun's fetch (may carry credentials: never log it). */
  proxy?: string;
}

export interface NonceState {
  value: string;
  /** Where to post messages, as the page said (path only is used). */
  ajaxPath: string;
  fetchedAt: number;
}

/** `slotWaitMs`: how long the page fetch waited for a connection slot (not the identity's latency). */
export type NonceResult = ({ ok: true; nonce: NonceState } | { ok: false; outcome: UpstreamOutcome }) & { slotWaitMs?: number };

export class UpstreamIdentity {
  readonly id: string;
  readonly jar: CookieJar;
  readonly userAgent: string;
  readonly proxy: string | undefined;
  nonce: NonceState | null = null;
  /** The single nonce refresh in flight, shared by every request that needs it. */
  pendingRefresh: Promise<NonceResult> | null = null;

  /** `jar` restores persisted cookies; otherwise the profile's cookies seed a new jar. */
  constructor(profile: IdentityProfile, now: () => number = Date.now, jar?: CookieJar) {
    this.id = profile.id;
    this.jar = jar ?? (profile.cookies ? CookieJar.fromHeader(profile.cookies, now) : new CookieJar(now));
    this.userAgent = profile.userAgent ?? DEFAULT_USER_AGENT;
    this.proxy = profile.proxy;
  }
}
