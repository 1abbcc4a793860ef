// The seam between the gateway and one upstream site. The pool, the turn use case, the
// admin API and `check` know only this interface; every fact about a site lives in its
// own folder (kimi-ai-chat/). `S` is one identity's state as the site needs it (cookies,
// credentials, a refresh in flight): opaque to everyone else.

import type { UpstreamOutcome } from './outcome.ts';

export interface ModelInfo {
  /** The name clients use. */
  id: string;
  /** The name the site uses. */
  upstream: string;
  /** Fixed creation time reported by /v1/models (seconds). */
  created: number;
  ownedBy: string;
}

/** How to reach the site as one identity, as the account file says it. */
export interface IdentityTransport {
  id: string;
  /** "name=value; other=value" as copied from a browser; absent = anonymous visitor. */
  cookies?: string;
  userAgent?: string;
  /** Proxy URL for this identity's requests (may carry credentials: never log it). */
  proxy?: string;
}

export interface SendJob<S = unknown> {
  /** The whole conversation as the one message the site takes. */
  prompt: string;
  model: ModelInfo;
  /** The site's conversation handle (Provider.newConversation), kept with the session. */
  conversation: string;
  signal: AbortSignal;
  /** The attempt's time budget; time spent waiting for a connection slot is not counted. */
  timeoutMs: number;
  /** The request's deadline (epoch ms): bounds slot waits too. */
  deadline: number;
  /** Asked before a call beyond the first (e.g. a retry after a credential refresh). */
  mayCallAgain: () => boolean | Promise<boolean>;
  /**
   * Asked before fetching credentials that are only old (not refused by the site): false when
   * another instance is fetching them and will share the result; go on with the old ones.
   */
  mayRefreshAged?: () => boolean | Promise<boolean>;
  /** Told when the credentials were fetched again, before the call goes on: they can be saved and shared now. */
  refreshed?: () => void;
  /**
   * Asked after the site refused the credentials `current` holds, before fetching new ones.
   * null: fetch them here. Otherwise another instance fetched (or is fetching) them: the
   * identity's state carrying them, once shared (null as well when they did not come in time).
   */
  credentialsFromElsewhere?(current: S): Promise<S | null>;
}

export interface SendResult {
  outcome: UpstreamOutcome;
  /** Time spent waiting for a free connection slot: neither latency nor timeout of the identity. */
  slotWaitMs: number;
}

export type RefreshResult = { ok: true } | { ok: false; outcome: UpstreamOutcome };

/**
 * The site's public contract as an anonymous visitor finds it (Provider.checkSite): `drift`
 * when the site answers but not in the shape the provider reads (what is missing, and a short
 * redacted excerpt of what was there instead); `down` when it cannot be reached (network
 * error, timeout, 5xx, a block). Reasons are the provider's words, secrets masked.
 */
export type SiteCheck =
  | { result: 'ok' }
  | { result: 'drift'; reason: string; excerpt: string | null }
  | { result: 'down'; reason: string };

export type SiteCheckResult = SiteCheck['result'];

export interface Provider<S> {
  /** The site's name as messages to clients and operators say it. */
  readonly site: string;
  readonly models: readonly ModelInfo[];
  readonly defaultModel: ModelInfo;
  /** A model by the client's name for it (the site's own name works too). */
  findModel(name: string): ModelInfo | undefined;

  /** An identity's state from its transport, restoring what `snapshot` saved (null: start afresh). */
  createIdentity(transport: IdentityTransport, saved: unknown): S;
  /** What must survive a restart: JSON-serialisable. */
  snapshot(state: S): unknown;
  /** Changes whenever `snapshot` would (cheap: asked after every call to know whether to save). */
  version(state: S): string;
  /** Whether the identity must fetch something before it can send (warmed at start-up). */
  needsRefresh(state: S): boolean;
  /** Fetches what the identity needs to send (kimi-ai.chat: the chat page, its nonce and cookies). */
  refresh(state: S, signal?: AbortSignal): Promise<RefreshResult>;
  /** One message; never throws for a site problem: every answer is an outcome. */
  send(state: S, job: SendJob<S>): Promise<SendResult>;
  /** A handle for a new conversation on the site. */
  newConversation(): string;
  /** How old the identity's credentials are, for operators (null: none yet). */
  credentialAgeMs(state: S, now: number): number | null;
  /**
   * Checks the site's contract with a fresh anonymous request (kimi-ai.chat: the chat page and
   * its kimi_ajax nonce), bounded like every other read. No identity's cookies or credentials
   * are used or changed; `via` only lends its route (proxy, user agent), for sites reachable
   * only through the identities' proxies.
   */
  checkSite(signal: AbortSignal, via?: Pick<IdentityTransport, 'proxy' | 'userAgent'>): Promise<SiteCheck>;
}
