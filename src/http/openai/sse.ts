// OpenAI's server-sent-events framing, written byte-exact (Elysia's sse() helper is not
// used: it re-wraps and drops frames, see BUN-NOTES).

import type { GatewayError } from '../../errors.ts';

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
  return sseData(error.toBody(requestId));
}

/**
 * Cuts an answer into pieces of at most `size` UTF-16 units so clients render it
 * progressively: preferably after white space, never inside a surrogate pair.
 */
export function splitForStreaming(text: string, size = 24): string[] {
  const pieces: string[] = [];
  let start = 0;
  while (start < text.length) {
    let end = Math.min(start + size, text.length);
    if (end < text.length) {
      const space = lastSpace(text, start + (size >> 1), end);
      if (space > 0) end = space;
      const code = text.charCodeAt(end - 1);
      if (code >= 0xd800 && code <= 0xdbff) end--;
    }
    pieces.push(text.slice(start, end));
    start = end;
  }
  return pieces;
}

function lastSpace(text: string, from: number, to: number): number {
  for (let i = to; i > from; i--) {
    const c = text.charCodeAt(i - 1);
    if (c === 32 || c === 10) return i;
  }
  return -1;
}
