// The streamed answer: the role chunk goes out at once, keep-alive comments hold the
// connection while the upstream works, then the whole answer in small chunks with no
// delay, the finish chunk, the optional usage chunk and [DONE]. A failure after the
// start becomes an OpenAI error frame; a client that leaves cancels the upstream call.

import { ClientGoneError, GatewayError, internalError } from '../../errors.ts';
import { chatChunk, usageChunk, usageFor, type CompletionMeta } from './chat-format.ts';
import { SSE_DONE, SSE_KEEPALIVE, sseData, sseError, splitForStreaming } from './sse.ts';

export interface StreamOptions {
  meta: CompletionMeta;
  includeUsage: boolean;
  keepAliveIntervalMs: number;
  /** Produces the answer and the prompt it answered; the signal aborts when the client goes away. */
  answer: (signal: AbortSignal) => Promise<{ text: string; prompt: string }>;
  onError?: (error: unknown) => void;
  /** Put in error frames (the X-Request-Id of the request). */
  requestId?: string;
  /** The answer's content is being written. */
  onContent?: () => void;
  /** The stream is over: answered, failed (with the error sent), or the client left. */
  onEnd?: (failure: GatewayError | ClientGoneError | null) => void;
}

const encoder = new TextEncoder();

export function chatCompletionStream(options: StreamOptions): ReadableStream<Uint8Array> {
  const { meta } = options;
  const cancelled = new AbortController();
  let keepAlive: ReturnType<typeof setInterval> | undefined;
  let open = true;

  return new ReadableStream<Uint8Array>({
    start(controller) {
      const write = (text: string) => {
        if (open) controller.enqueue(encoder.encode(text));
      };
      const close = () => {
        clearInterval(keepAlive);
        if (open) {
          open = false;
          controller.close();
        }
      };
      write(sseData(chatChunk(meta, { role: 'assistant', content: '' }, null)));
      keepAlive = setInterval(() => write(SSE_KEEPALIVE), options.keepAliveIntervalMs);

      options.answer(cancelled.signal).then(
        (answer) => {
          let frames = '';
          const contentFrame = contentFrameFor(meta);
          for (const piece of splitForStreaming(answer.text)) frames += contentFrame(piece);
          frames += sseData(chatChunk(meta, {}, 'stop'));
          if (options.includeUsage) frames += sseData(usageChunk(meta, usageFor(answer.prompt, answer.text)));
          options.onContent?.();
          write(frames + SSE_DONE);
          close();
          options.onEnd?.(null);
        },
        (error: unknown) => {
          if (error instanceof ClientGoneError) {
            close();
            return options.onEnd?.(error);
          }
          options.onError?.(error);
          const failure = error instanceof GatewayError ? error : internalError();
          write(sseError(failure, options.requestId));
          close();
          options.onEnd?.(failure);
        },
      );
    },
    cancel() {
      open = false;
      clearInterval(keepAlive);
      cancelled.abort();
    },
  });
}

/**
 * Every content chunk of a response is the same JSON but for the piece of text, so the
 * envelope is serialised once and only the piece per chunk. Same bytes as sseData(chatChunk()).
 */
export function contentFrameFor(meta: CompletionMeta): (piece: string) => string {
  const marker = JSON.stringify('\u0000');
  const [head, tail] = sseData(chatChunk(meta, { content: '\u0000' }, null)).split(marker) as [string, string];
  return (piece) => head + JSON.stringify(piece) + tail;
}
