// classifyUpstreamReply: one HTTP answer from kimi-ai.chat → one UpstreamOutcome.
// The rules follow the failure table in shared/UPSTREAM.md.

import type { UpstreamOutcome } from './outcome.ts';
import { parseRetryAfter } from './retry-after.ts';

export interface UpstreamReply {
  status: number;
  headers: Headers;
  body: string;
}

const CHALLENGE_MARKERS = [/<title>\s*just a moment/i, /cf-chl-|challenge-platform|cf_chl_opt/i, /attention required!?\s*\|\s*cloudflare/i];
const REFUSAL_TEXT = /too long|too many characters|maximum length|max(imum)? \d+ char|empty|invalid model|model not|not allowed|forbidden word|content policy/i;
const RATE_TEXT = /rate limit|too many requests|slow down|try again (later|in)/i;

/** Failures visible from status and headers alone: shared by the page and the message call. */
export function classifyHttpFailure(reply: UpstreamReply, now: number): UpstreamOutcome | null {
  const { status, headers, body } = reply;
  if (headers.get('cf-mitigated')?.toLowerCase() === 'challenge' || looksLikeChallenge(body)) {
    return { kind: 'challenged', detail: `Cloudflare challenge (HTTP ${status})` };
  }
  if (status === 429) {
    return { kind: 'rate_limited', retryAfterMs: parseRetryAfter(headers.get('retry-after'), now), detail: 'HTTP 429' };
  }
  if (status === 403 && body.trim() === '-1') return { kind: 'nonce_rejected', detail: 'HTTP 403 -1 (nonce check failed)' };
  if (status === 400 && body.trim() === '0') {
    return { kind: 'protocol', detail: 'HTTP 400 "0": the site does not know the action or the form is malformed' };
  }
  if (status === 403) return { kind: 'challenged', detail: `HTTP 403 ${excerpt(body)}` };
  if (status >= 500 || status === 408) return { kind: 'transient', detail: `HTTP ${status} ${excerpt(body)}`, timedOut: false };
  if (status >= 300) return { kind: 'protocol', detail: `unexpected HTTP ${status} ${excerpt(body)}` };
  return null;
}

export function classifyUpstreamReply(reply: UpstreamReply, now: number = Date.now()): UpstreamOutcome {
  const failure = classifyHttpFailure(reply, now);
  if (failure) return failure;
  let parsed: unknown;
  try {
    parsed = JSON.parse(reply.body);
  } catch {
    return { kind: 'transient', detail: `the reply is not JSON: ${excerpt(reply.body)}`, timedOut: false };
  }
  if (typeof parsed !== 'object' || parsed === null) {
    return { kind: 'transient', detail: `the reply is not a JSON object: ${excerpt(reply.body)}`, timedOut: false };
  }
  const { success, data } = parsed as { success?: unknown; data?: unknown };
  if (success === true) {
    const message = typeof data === 'object' && data !== null ? (data as { message?: unknown }).message : undefined;
    if (typeof message === 'string') return { kind: 'ok', message };
    return { kind: 'protocol', detail: 'success:true without data.message' };
  }
  if (success === false) {
    const text = failureText(data);
    if (REFUSAL_TEXT.test(text)) return { kind: 'refused', reason: text };
    if (RATE_TEXT.test(text)) return { kind: 'rate_limited', retryAfterMs: null, detail: text };
    // Most success:false answers are a stale nonce; the caller refreshes and retries once.
    return { kind: 'nonce_rejected', detail: text || 'success:false with no reason' };
  }
  return { kind: 'protocol', detail: `JSON without a success flag: ${excerpt(reply.body)}` };
}

function failureText(data: unknown): string {
  if (typeof data === 'string') return data.trim();
  if (typeof data === 'object' && data !== null) {
    const message = (data as { message?: unknown }).message;
    if (typeof message === 'string') return message.trim();
  }
  return '';
}

function looksLikeChallenge(body: string): boolean {
  return body.length > 0 && body.charCodeAt(0) !== 123 /* { */ && CHALLENGE_MARKERS.some((re) => re.test(body.slice(0, 4096)));
}

/** A short, single-line excerpt for logs and error messages (never headers or cookies). */
export function excerpt(body: string, max = 120): string {
  const title = /<title>([^<]*)<\/title>/i.exec(body)?.[1];
  const text = (title ?? body).replace(/\s+/g, ' ').trim();
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
