// Every answer from kimi-ai.chat (or the lack of one) becomes exactly one of these.
// The pool turns kinds into health changes; the http layer turns them into responses.

export type UpstreamOutcome =
  | { kind: 'ok'; message: string }
  /** The nonce was refused (stale, or bound to other cookies). Not a health failure. */
  | { kind: 'nonce_rejected'; detail: string; afterRefresh?: boolean }
  /** The site declined this message (too long, empty, bad model...). Retrying will not help. */
  | { kind: 'refused'; reason: string }
  | { kind: 'rate_limited'; retryAfterMs: number | null; detail: string }
  /** Cloudflare (or a WAF) challenged this identity's cookies, user agent or IP. */
  | { kind: 'challenged'; detail: string }
  /** 5xx, reset, timeout, garbled body: try another identity. */
  | { kind: 'transient'; detail: string; timedOut: boolean }
  /** The site says our request is malformed: a bug on our side or a site change. */
  | { kind: 'protocol'; detail: string }
  /** The client went away; nobody is waiting for this answer. */
  | { kind: 'cancelled' };

export type UpstreamOutcomeKind = UpstreamOutcome['kind'];

/** The site's or the gateway's words about a failed outcome ('' when there are none). */
export function outcomeDetail(outcome: UpstreamOutcome): string {
  return 'detail' in outcome ? outcome.detail : outcome.kind === 'refused' ? outcome.reason : '';
}
