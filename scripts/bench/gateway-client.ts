// One chat completion against the gateway, timed and verified: non-stream (one JSON
// object) or stream (SSE, which must end with `data: [DONE]`).

import type { Outcome } from './load.ts';
import { checkReply, readTimedBody, transportErrorKind } from './http-timing.ts';

export type ChatMode = 'non-stream' | 'stream';
export const CHAT_MODES: readonly ChatMode[] = ['non-stream', 'stream'];

export interface GatewayTarget {
  url: string;
  apiKey: string;
  model: string;
  /** Length of the emulator's replies, to verify each answer. */
  replyLength: number;
}

interface ChatCompletionShape {
  choices?: { message?: { content?: unknown } }[];
}

interface ChunkShape {
  choices?: { delta?: { content?: unknown } }[];
  error?: unknown;
}

/** Splits an SSE byte stream into `data:` payloads as pieces arrive. */
class SseScanner {
  private buffer = '';

  constructor(private readonly onData: (data: string, atMs: number) => void) {}

  push(text: string, atMs: number): void {
    this.buffer += text;
    let cut = this.buffer.indexOf('\n\n');
    while (cut >= 0) {
      const event = this.buffer.slice(0, cut);
      this.buffer = this.buffer.slice(cut + 2);
      const data = event
        .split('\n')
        .filter((line) => line.startsWith('data:'))
        .map((line) => line.slice(line.startsWith('data: ') ? 6 : 5))
        .join('\n');
      if (data !== '' || event.includes('data:')) this.onData(data, atMs);
      cut = this.buffer.indexOf('\n\n');
    }
  }

  /** Bytes after the last complete event (should be none). */
  get leftover(): string {
    return this.buffer;
  }
}

export function chatRequestInit(target: GatewayTarget, message: string, mode: ChatMode, signal: AbortSignal): RequestInit {
  return {
    method: 'POST',
    headers: { authorization: `Bearer ${target.apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: target.model, messages: [{ role: 'user', content: message }], stream: mode === 'stream' }),
    signal,
  };
}

export async function chatOnce(target: GatewayTarget, mode: ChatMode, message: string, signal: AbortSignal): Promise<Outcome> {
  const t0 = performance.now();
  try {
    const response = await fetch(`${target.url}/v1/chat/completions`, chatRequestInit(target, message, mode, signal));
    if (response.status !== 200) {
      await response.arrayBuffer();
      return { ok: false, error: `http ${response.status}`, totalMs: performance.now() - t0 };
    }
    return mode === 'stream' ? await readStream(response, t0, target, message) : await readJson(response, t0, target, message);
  } catch (error) {
    return { ok: false, error: transportErrorKind(error), totalMs: performance.now() - t0 };
  }
}

async function readJson(response: Response, t0: number, target: GatewayTarget, message: string): Promise<Outcome> {
  const body = await readTimedBody(response, t0);
  const problem = completionProblem(body.text, message, target.replyLength);
  if (problem !== null) return { ok: false, error: `malformed: ${problem}`, totalMs: body.totalMs };
  // The whole answer is one JSON object: its first content arrives with the full answer.
  return { ok: true, ttfbMs: body.ttfbMs, ttfcMs: body.totalMs, totalMs: body.totalMs };
}

async function readStream(response: Response, t0: number, target: GatewayTarget, message: string): Promise<Outcome> {
  const checker = new StreamAnswerChecker(message, target.replyLength);
  const body = await readTimedBody(response, t0, (text, atMs) => checker.push(text, atMs));
  const problem = checker.problem();
  if (problem !== null) return { ok: false, error: `malformed: ${problem}`, totalMs: body.totalMs };
  return { ok: true, ttfbMs: body.ttfbMs, ttfcMs: checker.ttfcMs, totalMs: body.totalMs };
}

/** Verifies a streamed answer piece by piece: JSON chunks, the echo of the message, one `data: [DONE]` at the end. */
export class StreamAnswerChecker {
  /** ms to the first event with content. */
  ttfcMs = Number.NaN;
  private content = '';
  private done = false;
  private failure: string | null = null;
  private readonly scanner: SseScanner;

  constructor(
    private readonly message: string,
    private readonly replyLength: number,
  ) {
    this.scanner = new SseScanner((data, atMs) => this.onData(data, atMs));
  }

  push(text: string, atMs: number): void {
    this.scanner.push(text, atMs);
  }

  /** Why the stream is not a correct answer (call once the body ended), or null. */
  problem(): string | null {
    if (this.failure !== null) return this.failure;
    if (!this.done) return 'no data: [DONE]';
    if (this.scanner.leftover.trim() !== '') return 'bytes after the last event';
    return checkReply(this.content, this.message, this.replyLength);
  }

  private onData(data: string, atMs: number): void {
    if (this.failure !== null) return;
    if (this.done) {
      this.failure = 'data after [DONE]';
      return;
    }
    if (data === '[DONE]') {
      this.done = true;
      return;
    }
    let chunk: ChunkShape;
    try {
      chunk = JSON.parse(data) as ChunkShape;
    } catch {
      this.failure = 'event is not JSON';
      return;
    }
    if (chunk.error !== undefined) {
      this.failure = 'error event';
      return;
    }
    const piece = chunk.choices?.[0]?.delta?.content;
    if (typeof piece === 'string' && piece !== '') {
      if (Number.isNaN(this.ttfcMs)) this.ttfcMs = atMs;
      this.content += piece;
    }
  }
}

/** Why `body` is not a chat.completion answering `message`, or null. */
export function completionProblem(body: string, message: string, replyLength: number): string | null {
  let parsed: ChatCompletionShape;
  try {
    parsed = JSON.parse(body) as ChatCompletionShape;
  } catch {
    return 'not JSON';
  }
  const content = parsed.choices?.[0]?.message?.content;
  if (typeof content !== 'string') return 'no choices[0].message.content';
  return checkReply(content, message, replyLength);
}
