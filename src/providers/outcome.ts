// The provider contract's outcome: every answer from the site (or the lack of one) becomes
// exactly one of these. The pool turns kinds into health changes; chat/ turns failed ones
// into the errors clients get.
// Details and reasons quote the site only redacted and cut short (classify.ts): they are
// for logs and the admin API; clients get a fixed message per kind.

/** What a refusal was about, as far as the site's words tell: picks the client's fixed message. */
export type RefusalTopic = 'too_long' | 'empty' | 'model' | 'content';

export type UpstreamOutcome =
  | { kind: 'ok'; message: string }
  /**
   * The site refused the identity's credentials (kimi-ai.chat: its nonce, stale or bound to
   * other cookies). Not a health failure, unless it happens again right after the provider
   * refreshed them (`afterRefresh`): then these cookies are not accepted, a fault.
   */
  | { kind: 'nonce_rejected'; detail: string; afterRefresh?: boolean }
  /** The site declined this message (too long, empty, bad model...). Retrying will not help. */
  | { kind: 'refused'; reason: string; about?: RefusalTopic }
  | { kind: 'rate_limited'; retryAfterMs: number | null; detail: string }
  /** Cloudflare (or a WAF) challenged this identity's cookies, user agent or IP. */
  | { kind: 'challenged'; detail: string }
  /** 5xx, reset, timeout, garbled body: try another identity. */
  | { kind: 'transient'; detail: string; timedOut: boolean }
  /**
   * The site says our request is malformed, or answered outside the protocol: a redirect
   * away from the site, a cookie or nonce past its bounds, a body over UPSTREAM_MAX_BYTES
   * (`tooLarge`). A bug on our side or a site change; another identity would get the same.
   */
  | { kind: 'protocol'; detail: string; tooLarge?: boolean }
  /** The client went away; nobody is waiting for this answer. */
  | { kind: 'cancelled' };

export type UpstreamOutcomeKind = UpstreamOutcome['kind'];

/** Every kind, in a fixed order; the Record makes a new kind a compile error here. */
export const OUTCOME_KINDS = Object.keys({
  ok: 0,
  nonce_rejected: 0,
  refused: 0,
  rate_limited: 0,
  challenged: 0,
  transient: 0,
  protocol: 0,
  cancelled: 0,
} satisfies Record<UpstreamOutcomeKind, 0>) as UpstreamOutcomeKind[];

/** The site's or the gateway's words about a failed outcome ('' when there are none). */
export function outcomeDetail(outcome: UpstreamOutcome): string {
  return 'detail' in outcome ? outcome.detail : outcome.kind === 'refused' ? outcome.reason : '';
}
