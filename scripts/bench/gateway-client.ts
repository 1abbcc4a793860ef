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
  let parsed: ChatCompletionShape;
  try {
    parsed = JSON.parse(body.text) as ChatCompletionShape;
  } catch {
    return { ok: false, error: 'malformed: not JSON', totalMs: body.totalMs };
  }
  const content = parsed.choices?.[0]?.message?.content;
  if (typeof content !== 'string') return { ok: false, error: 'malformed: no choices[0].message.content', totalMs: body.totalMs };
  const problem = checkReply(content, message, target.replyLength);
  if (problem !== null) return { ok: false, error: `malformed: ${problem}`, totalMs: body.totalMs };
  // The whole answer is one JSON object: its first content arrives with the full answer.
  return { ok: true, ttfbMs: body.ttfbMs, ttfcMs: body.totalMs, totalMs: body.totalMs };
}

async function readStream(response: Response, t0: number, target: GatewayTarget, message: string): Promise<Outcome> {
  let ttfcMs = Number.NaN;
  let content = '';
  let done = false;
  let problem: string | null = null;
  const scanner = new SseScanner((data, atMs) => {
    if (problem !== null) return;
    if (done) {
      problem = 'data after [DONE]';
      return;
    }
    if (data === '[DONE]') {
      done = true;
      return;
    }
    let chunk: ChunkShape;
    try {
      chunk = JSON.parse(data) as ChunkShape;
    } catch {
      problem = 'event is not JSON';
      return;
    }
    if (chunk.error !== undefined) {
      problem = 'error event';
      return;
    }
    const piece = chunk.choices?.[0]?.delta?.content;
    if (typeof piece === 'string' && piece !== '') {
      if (Number.isNaN(ttfcMs)) ttfcMs = atMs;
      content += piece;
    }
  });
  const body = await readTimedBody(response, t0, (text, atMs) => scanner.push(text, atMs));
  if (problem === null && !done) problem = 'no data: [DONE]';
  if (problem === null && scanner.leftover.trim() !== '') problem = 'bytes after the last event';
  problem ??= checkReply(content, message, target.replyLength);
  if (problem !== null) return { ok: false, error: `malformed: ${problem}`, totalMs: body.totalMs };
  return { ok: true, ttfbMs: body.ttfbMs, ttfcMs, totalMs: body.totalMs };
}
