// classifyUpstreamReply: one HTTP answer from kimi-ai.chat → one UpstreamOutcome.
// The rules follow the failure table in shared/UPSTREAM.md. Details quote the site only
// as a short excerpt with every secret the caller's Redactor knows masked: they reach
// logs and the admin API (never clients, see chat/upstream-errors.ts).

import type { RefusalTopic, UpstreamOutcome } from '../outcome.ts';
import { Redactor } from '../redactor.ts';
import { parseRetryAfter } from '../retry-after.ts';

export interface UpstreamReply {
  status: number;
  headers: Headers;
  body: string;
}

const CHALLENGE_MARKERS = [/<title>\s*just a moment/i, /cf-chl-|challenge-platform|cf_chl_opt/i, /attention required!?\s*\|\s*cloudflare/i];
const REFUSAL_TEXT = /too long|too many characters|maximum length|max(imum)? \d+ char|empty|invalid model|model not|not allowed|forbidden word|content policy/i;
const RATE_TEXT = /rate limit|too many requests|slow down|try again (later|in)/i;
const REFUSAL_TOPICS: Array<[RegExp, RefusalTopic]> = [
  [/too long|too many characters|maximum length|max(imum)? \d+ char/i, 'too_long'],
  [/empty/i, 'empty'],
  [/invalid model|model not/i, 'model'],
];
/** Excerpts are for people reading a log line or the dashboard. */
const EXCERPT_CHARS = 120;
/** The site's own failure text (success:false) gets a little more room. */
const REASON_CHARS = 200;
/** Only the start of a body is looked at for excerpts and challenge markers. */
const SCAN_CHARS = 16 * 1024;

/** Failures visible from status and headers alone: shared by the page and the message call. */
export function classifyHttpFailure(reply: UpstreamReply, now: number, redactor: Redactor = Redactor.none): UpstreamOutcome | null {
  const { status, headers, body } = reply;
  const excerpt = (text: string) => bodyExcerpt(text, redactor);
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

export function classifyUpstreamReply(reply: UpstreamReply, now: number = Date.now(), redactor: Redactor = Redactor.none): UpstreamOutcome {
  const failure = classifyHttpFailure(reply, now, redactor);
  if (failure) return failure;
  const excerpt = (text: string) => bodyExcerpt(text, redactor);
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
    const shown = redactor.excerpt(text, REASON_CHARS);
    if (REFUSAL_TEXT.test(text)) return { kind: 'refused', reason: shown, about: refusalTopic(text) };
    if (RATE_TEXT.test(text)) return { kind: 'rate_limited', retryAfterMs: null, detail: shown };
    // Most success:false answers are a stale nonce; the caller refreshes and retries once.
    return { kind: 'nonce_rejected', detail: shown || 'success:false with no reason' };
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

function refusalTopic(text: string): RefusalTopic {
  return REFUSAL_TOPICS.find(([re]) => re.test(text))?.[1] ?? 'content';
}

function looksLikeChallenge(body: string): boolean {
  return body.length > 0 && body.charCodeAt(0) !== 123 /* { */ && CHALLENGE_MARKERS.some((re) => re.test(body.slice(0, 4096)));
}

/**
 * A short, single-line excerpt of a body for logs and the admin API: the page's <title>
 * when it has one, else its first characters; secrets masked by `redactor`.
 */
export function bodyExcerpt(body: string, redactor: Redactor = Redactor.none, max = EXCERPT_CHARS): string {
  const head = body.slice(0, SCAN_CHARS);
  const title = /<title>([^<]*)<\/title>/i.exec(head)?.[1];
  return redactor.excerpt(title ?? head, max);
}
