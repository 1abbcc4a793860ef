// Reading a response body chunk by chunk with arrival times, and naming failures so
// they can be counted by kind.

export interface TimedBody {
  text: string;
  /** ms from the request start to the first non-empty body chunk (NaN for an empty body). */
  ttfbMs: number;
  /** ms from the request start to the end of the body. */
  totalMs: number;
}

/**
 * Reads the whole body. `onText` sees each decoded piece with its arrival time (ms
 * since `t0`), e.g. to spot the first SSE event with content.
 */
export async function readTimedBody(response: Response, t0: number, onText?: (text: string, atMs: number) => void): Promise<TimedBody> {
  let ttfbMs = Number.NaN;
  let text = '';
  const body = response.body;
  if (body !== null) {
    const reader = body.getReader();
    const decoder = new TextDecoder();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (value.byteLength === 0) continue;
      const at = performance.now() - t0;
      if (Number.isNaN(ttfbMs)) ttfbMs = at;
      const piece = decoder.decode(value, { stream: true });
      text += piece;
      onText?.(piece, at);
    }
    const rest = decoder.decode();
    if (rest !== '') {
      text += rest;
      onText?.(rest, performance.now() - t0);
    }
  }
  return { text, ttfbMs, totalMs: performance.now() - t0 };
}

/** A short, countable name for a transport failure (timeouts, resets, refused connections). */
export function transportErrorKind(error: unknown): string {
  const e = error as { name?: string; code?: string };
  if (e?.name === 'TimeoutError') return 'timeout';
  if (e?.name === 'AbortError') return 'aborted';
  return `network: ${e?.code ?? e?.name ?? 'error'}`;
}

/** The first line of the reply an answer must start with: the emulator echoes the message. */
export function expectedReplyPrefix(message: string): string {
  return `Echo[${message.length}]: ${message}`;
}

/** Why `content` is not the emulator's answer to `message`, or null when it is. */
export function checkReply(content: string, message: string, expectedLength: number): string | null {
  if (content.length !== expectedLength) return `wrong length (${content.length} ≠ ${expectedLength})`;
  if (!content.startsWith(expectedReplyPrefix(message))) return 'not the echo of the message';
  return null;
}
