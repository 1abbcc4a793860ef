// A failed UpstreamOutcome → the GatewayError a client can act on. Never a 500: an
// upstream problem is 429 (with Retry-After), 502, 503 or 504. The message is fixed per
// kind and says what to do; it never quotes the site, whose words can carry anything
// (an echoed Cookie header, a nonce). The site's words, redacted, go to logs and the
// admin API through the outcome's detail instead.

import { ClientGoneError, GatewayError } from '../errors.ts';
import type { RefusalTopic, UpstreamOutcome } from '../upstream/outcome.ts';
import { retryAfterSeconds } from '../upstream/retry-after.ts';

type FailedOutcome = Exclude<UpstreamOutcome, { kind: 'ok' }>;

const REFUSALS: Record<RefusalTopic, string> = {
  too_long: 'kimi-ai.chat refused the message as too long. Shorten the conversation (or lower CONTEXT_MAX_LENGTH); unchanged it will be refused again.',
  empty: 'kimi-ai.chat refused the message as empty. Put some text in the last message.',
  model: 'kimi-ai.chat refused the model. Use one listed by GET /v1/models.',
  content: 'kimi-ai.chat refused the message. Rephrase or shorten it; unchanged it will be refused again.',
};

export function upstreamError(outcome: FailedOutcome): Error {
  switch (outcome.kind) {
    case 'cancelled':
      return new ClientGoneError();
    case 'rate_limited': {
      const seconds = retryAfterSeconds(outcome.retryAfterMs ?? 30_000);
      return new GatewayError({
        status: 429,
        type: 'rate_limit_error',
        message: `kimi-ai.chat is rate-limiting the gateway. Retry after ${seconds} s.`,
        errorCode: 'upstream_rate_limited',
        headers: { 'Retry-After': String(seconds) },
      });
    }
    case 'challenged':
      return new GatewayError({
        status: 503,
        type: 'upstream_error',
        message: "kimi-ai.chat challenged the gateway (Cloudflare). The operator must refresh the identity's cookies or wait for the challenge to lapse.",
        errorCode: 'upstream_challenged',
      });
    case 'transient':
      return outcome.timedOut
        ? new GatewayError({
            status: 504,
            type: 'upstream_error',
            message: 'kimi-ai.chat did not answer in time. Retry, or raise REQUEST_TIMEOUT_MS.',
            errorCode: 'upstream_timeout',
          })
        : new GatewayError({
            status: 502,
            type: 'upstream_error',
            message: 'kimi-ai.chat is failing (a server error, a dropped connection or an unreadable answer). Retry in a moment.',
            errorCode: 'upstream_unavailable',
          });
    case 'refused':
      return new GatewayError({
        status: 400,
        type: 'invalid_request_error',
        message: REFUSALS[outcome.about ?? 'content'],
        errorCode: 'upstream_refused',
      });
    case 'nonce_rejected':
      return new GatewayError({
        status: 502,
        type: 'upstream_error',
        message: "kimi-ai.chat rejected the request even with a fresh nonce. Retry in a moment; if it persists, the operator should check the identity's cookies.",
        errorCode: 'upstream_nonce_rejected',
      });
    case 'protocol':
      return outcome.tooLarge
        ? new GatewayError({
            status: 502,
            type: 'upstream_error',
            message: 'kimi-ai.chat sent more than the gateway reads from it (UPSTREAM_MAX_BYTES). Ask for a shorter answer, or the operator can raise UPSTREAM_MAX_BYTES.',
            errorCode: 'upstream_too_large',
          })
        : new GatewayError({
            status: 502,
            type: 'upstream_error',
            message: 'kimi-ai.chat answered in an unexpected way; the site may have changed. The gateway logged the details; retrying will likely fail the same way.',
            errorCode: 'upstream_protocol_error',
          });
  }
}
