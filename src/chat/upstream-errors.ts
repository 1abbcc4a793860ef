// A failed UpstreamOutcome → the GatewayError a client can act on: never an internal
// error. The message is fixed per kind and says what to do; it never quotes the site,
// whose words can carry anything (an echoed Cookie header, a nonce). The site's words,
// redacted, go to logs and the admin API through the outcome's detail instead.

import { ClientGoneError, GatewayError } from '../errors.ts';
import type { RefusalTopic, UpstreamOutcome } from '../providers/outcome.ts';
import { retryAfterSeconds } from '../providers/retry-after.ts';

export type FailedOutcome = Exclude<UpstreamOutcome, { kind: 'ok' }>;

const refusals = (site: string): Record<RefusalTopic, string> => ({
  too_long: `${site} refused the message as too long. Shorten the conversation (or lower CONTEXT_MAX_LENGTH); unchanged it will be refused again.`,
  empty: `${site} refused the message as empty. Put some text in the last message.`,
  model: `${site} refused the model. Use one listed by GET /v1/models.`,
  content: `${site} refused the message. Rephrase or shorten it; unchanged it will be refused again.`,
});

/** `site` names the upstream in messages (e.g. "kimi-ai.chat"). */
export function upstreamError(outcome: FailedOutcome, site: string): GatewayError | ClientGoneError {
  switch (outcome.kind) {
    case 'cancelled':
      return new ClientGoneError();
    case 'rate_limited': {
      const seconds = retryAfterSeconds(outcome.retryAfterMs ?? 30_000);
      return new GatewayError('upstream_rate_limited', `${site} is rate-limiting the gateway. Retry after ${seconds} s.`, { retryAfterSeconds: seconds });
    }
    case 'challenged':
      return new GatewayError(
        'upstream_challenged',
        `${site} challenged the gateway (Cloudflare). The operator must refresh the identity's cookies or wait for the challenge to lapse.`,
      );
    case 'transient':
      return outcome.timedOut
        ? new GatewayError('upstream_timeout', `${site} did not answer in time. Retry, or raise REQUEST_TIMEOUT_MS.`)
        : new GatewayError('upstream_unavailable', `${site} is failing (a server error, a dropped connection or an unreadable answer). Retry in a moment.`);
    case 'refused':
      return new GatewayError('upstream_refused', refusals(site)[outcome.about ?? 'content']);
    case 'nonce_rejected':
      return new GatewayError(
        'upstream_nonce_rejected',
        `${site} rejected the request even with a fresh nonce. Retry in a moment; if it persists, the operator should check the identity's cookies.`,
      );
    case 'protocol':
      return outcome.tooLarge
        ? new GatewayError(
            'upstream_too_large',
            `${site} sent more than the gateway reads from it (UPSTREAM_MAX_BYTES). Ask for a shorter answer, or the operator can raise UPSTREAM_MAX_BYTES.`,
          )
        : new GatewayError(
            'upstream_protocol_error',
            `${site} answered in an unexpected way; the site may have changed. The gateway logged the details; retrying will likely fail the same way.`,
          );
  }
}
