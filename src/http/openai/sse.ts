// OpenAI's server-sent-events framing, written byte-exact (Elysia's sse() helper is not
// used: it re-wraps and drops frames, see BUN-NOTES).

import type { GatewayError } from '../../errors.ts';
import { openaiErrorBody } from '../error-catalog.ts';

export const SSE_DONE = 'data: [DONE]\n\n';
export const SSE_KEEPALIVE = ': keep-alive\n\n';

export const SSE_HEADERS: Record<string, string> = {
  'Content-Type': 'text/event-stream; charset=utf-8',
  'Cache-Control': 'no-cache, no-transform',
  Connection: 'keep-alive',
  // Tells nginx (the usual TLS proxy in front) not to buffer the stream.
  'X-Accel-Buffering': 'no',
};

export function sseData(payload: unknown): string {
  return `data: ${JSON.stringify(payload)}\n\n`;
}

/** An error after the stream started: the openai SDKs raise it as an APIError. */
export function sseError(error: GatewayError, requestId?: string): string {
  return sseData(openaiErrorBody(error, requestId));
}

/** Up to this many content chunks per answer: pieces grow with the answer beyond it. */
export const MAX_CONTENT_CHUNKS = 512;
const MIN_PIECE = 24;

/**
 * Piece size for an answer of `length` UTF-16 units: 24 (small pieces, rendered
 * progressively) until the answer would need more than MAX_CONTENT_CHUNKS of them, then
 * larger, so a 2 MB answer is some hundreds of chunks of a few KB, not 80,000 envelopes around 24
 * characters each (12× the answer in bytes).
 */
export function pieceSizeFor(length: number): number {
  return Math.max(MIN_PIECE, Math.ceil(length / MAX_CONTENT_CHUNKS));
}

/**
 * Cuts an answer into pieces of at most `size` UTF-16 units so clients render it
 * progressively: preferably after white space, never inside a surrogate pair.
 */
export function* streamingPieces(text: string, size = MIN_PIECE): Generator<string> {
  let start = 0;
  while (start < text.length) {
    let end = Math.min(start + size, text.length);
    if (end < text.length) {
      const space = lastSpace(text, start + (size >> 1), end);
      if (space > 0) end = space;
      const code = text.charCodeAt(end - 1);
      if (code >= 0xd800 && code <= 0xdbff) end--;
    }
    yield text.slice(start, end);
    start = end;
  }
}

export function splitForStreaming(text: string, size = MIN_PIECE): string[] {
  return [...streamingPieces(text, size)];
}

function lastSpace(text: string, from: number, to: number): number {
  for (let i = to; i > from; i--) {
    const c = text.charCodeAt(i - 1);
    if (c === 32 || c === 10) return i;
  }
  return -1;
}
