// A failed UpstreamOutcome → the GatewayError a client can act on. Never a 500: an
// upstream problem is 429 (with Retry-After), 502, 503 or 504, with the upstream reason.

import { ClientGoneError, GatewayError } from '../errors.ts';
import type { UpstreamOutcome } from '../upstream/outcome.ts';
import { retryAfterSeconds } from '../upstream/retry-after.ts';

type FailedOutcome = Exclude<UpstreamOutcome, { kind: 'ok' }>;

export function upstreamError(outcome: FailedOutcome): Error {
  switch (outcome.kind) {
    case 'cancelled':
      return new ClientGoneError();
    case 'rate_limited': {
      const seconds = retryAfterSeconds(outcome.retryAfterMs ?? 30_000);
      return new GatewayError({
        status: 429,
        type: 'rate_limit_error',
        message: `kimi-ai.chat is rate-limiting the gateway (${outcome.detail}). Retry after ${seconds} s.`,
        errorCode: 'upstream_rate_limited',
        headers: { 'Retry-After': String(seconds) },
      });
    }
    case 'challenged':
      return new GatewayError({
        status: 503,
        type: 'upstream_error',
        message: `kimi-ai.chat challenged the gateway (${outcome.detail}). The operator must refresh the identity's cookies or wait for the challenge to lapse.`,
        errorCode: 'upstream_challenged',
      });
    case 'transient':
      return outcome.timedOut
        ? new GatewayError({
            status: 504,
            type: 'upstream_error',
            message: `kimi-ai.chat did not answer in time (${outcome.detail}). Retry, or raise REQUEST_TIMEOUT_MS.`,
            errorCode: 'upstream_timeout',
          })
        : new GatewayError({
            status: 502,
            type: 'upstream_error',
            message: `kimi-ai.chat is failing (${outcome.detail}). Retry in a moment.`,
            errorCode: 'upstream_unavailable',
          });
    case 'refused':
      return new GatewayError({
        status: 400,
        type: 'invalid_request_error',
        message: `kimi-ai.chat refused the message: ${outcome.reason}`,
        errorCode: 'upstream_refused',
      });
    case 'nonce_rejected':
      return new GatewayError({
        status: 502,
        type: 'upstream_error',
        message: `kimi-ai.chat rejected the request even with a fresh nonce: ${outcome.detail}`,
        errorCode: 'upstream_nonce_rejected',
      });
    case 'protocol':
      return new GatewayError({
        status: 502,
        type: 'upstream_error',
        message: `kimi-ai.chat answered in an unexpected way (${outcome.detail}); the site may have changed.`,
        errorCode: 'upstream_protocol_error',
      });
  }
}
