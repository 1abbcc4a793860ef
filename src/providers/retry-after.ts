// Retry-After is either delay-seconds or an HTTP-date (RFC 9110 §10.2.3). The result is
// clamped to MAX_RETRY_AFTER_MS: the site's value becomes an identity's cooldown and the
// Retry-After the gateway sends its own clients, so an absurd one (99999999999 s) must not
// park an identity for centuries or overflow a timer.

/**
 * One hour. An identity cooled longer is as good as lost to the pool; when the cap ends
 * early, the pool spends one probe request and the site answers with a fresh Retry-After.
 */
export const MAX_RETRY_AFTER_MS = 60 * 60_000;
export const MAX_RETRY_AFTER_SECONDS = MAX_RETRY_AFTER_MS / 1000;

/** All three HTTP-date forms start with a day name; Date.parse alone takes '-5' or '1.5' for dates. */
const HTTP_DATE = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun)[a-z]*,? /i;

/** Milliseconds to wait, within [0, MAX_RETRY_AFTER_MS]; null when absent or not a valid value. */
export function parseRetryAfter(value: string | null, now: number): number | null {
  if (value === null) return null;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Math.min(MAX_RETRY_AFTER_MS, Number(trimmed) * 1000);
  if (!HTTP_DATE.test(trimmed)) return null;
  const at = Date.parse(trimmed);
  if (!Number.isFinite(at)) return null;
  return Math.min(MAX_RETRY_AFTER_MS, Math.max(0, at - now));
}

/** The Retry-After (whole seconds, 1..MAX_RETRY_AFTER_SECONDS) to send a client for a wait of `ms`. */
export function retryAfterSeconds(ms: number): number {
  if (Number.isNaN(ms)) return 1;
  return Math.min(MAX_RETRY_AFTER_SECONDS, Math.max(1, Math.ceil(ms / 1000)));
}
