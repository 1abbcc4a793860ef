// What one kimi-ai.chat identity carries between requests: its cookie jar, its nonce and
// the one nonce refresh that may be in flight. Health and limits live in the pool.

import type { UpstreamOutcome } from '../outcome.ts';
import type { IdentityTransport } from '../provider.ts';
import { DEFAULT_USER_AGENT } from './browser-headers.ts';
import { CookieJar } from './cookie-jar.ts';

export interface NonceState {
  value: string;
  /** Where to post messages, as the page said (path only is used). */
  ajaxPath: string;
  fetchedAt: number;
}

/** `slotWaitMs`: how long the page fetch waited for a connection slot (not the identity's latency). */
export type NonceResult = ({ ok: true; nonce: NonceState } | { ok: false; outcome: UpstreamOutcome }) & { slotWaitMs?: number };

export class KimiIdentity {
  readonly id: string;
  readonly jar: CookieJar;
  readonly userAgent: string;
  readonly proxy: string | undefined;
  nonce: NonceState | null = null;
  /** The single nonce refresh in flight, shared by every request that needs it. */
  pendingRefresh: Promise<NonceResult> | null = null;
  /**
   * After the site refused the nonce: the wait for the state another instance fetches for this
   * account (null: none comes, fetch here), shared by every request of this process.
   */
  pendingShared: Promise<KimiIdentity | null> | null = null;

  /** `jar` restores persisted cookies; otherwise the transport's cookies seed a new jar. */
  constructor(transport: IdentityTransport, now: () => number = Date.now, jar?: CookieJar) {
    this.id = transport.id;
    this.jar = jar ?? (transport.cookies ? CookieJar.fromHeader(transport.cookies, now) : new CookieJar(now));
    this.userAgent = transport.userAgent ?? DEFAULT_USER_AGENT;
    this.proxy = transport.proxy;
  }
}
