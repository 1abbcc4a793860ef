// The streamed answer: the role chunk goes out at once, keep-alive comments hold the
// connection while the upstream works, then the answer's content chunks with no delay, the
// finish chunk, the optional usage chunk and [DONE]. Frames are made as the client reads
// them (a pull-based stream with a byte high-water mark), so a large answer is never
// copied into one huge string and a slow client holds back the writing, not memory.
// A failure after the start becomes an OpenAI error frame; a client that leaves cancels
// the upstream call.

import { ClientGoneError, GatewayError, internalError } from '../../errors.ts';
import { chatChunk, finishReasonOf, usageChunk, usageFor, type AnswerBody, type CompletionMeta } from './chat-format.ts';

/** The turn's answer as the stream writes it: text, tool calls, and what usage is estimated from. */
export interface StreamedAnswer extends AnswerBody {
  /** The model's words as written (completion tokens are estimated from them). */
  text: string;
  prompt: string;
}
import { pieceSizeFor, SSE_DONE, SSE_KEEPALIVE, sseData, sseError, streamingPieces } from './sse.ts';

export interface StreamOptions {
  meta: CompletionMeta;
  includeUsage: boolean;
  keepAliveIntervalMs: number;
  /** Produces the answer and the prompt it answered; the signal aborts when the client goes away. */
  answer: (signal: AbortSignal) => Promise<StreamedAnswer>;
  onError?: (error: unknown) => void;
  /** Put in error frames (the X-Request-Id of the request). */
  requestId?: string;
  /** The answer's content is being written. */
  onContent?: () => void;
  /** The stream is over: answered, failed (with the error sent), or the client left. Called once. */
  onEnd?: (failure: GatewayError | ClientGoneError | null) => void;
}

/** What is left to write once the turn settled. */
interface Ending {
  frames: Iterator<string>;
  failure: GatewayError | null;
}

const encoder = new TextEncoder();
/** Frames are joined into writes of about this many characters (a short answer is one write). */
const BATCH_CHARS = 16 * 1024;
/** Bytes queued ahead of the client before the stream stops producing frames. */
const HIGH_WATER_BYTES = 64 * 1024;
const NOTHING: Ending = { frames: [][Symbol.iterator](), failure: null };

export function chatCompletionStream(options: StreamOptions): ReadableStream<Uint8Array> {
  const { meta } = options;
  const cancelled = new AbortController();
  let keepAlive: ReturnType<typeof setInterval> | undefined;
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  let open = true;
  let ended = false;
  let settled: Promise<Ending>;
  let contentStarted = false;
  /** Set once the turn settled with something left to write. */
  let pending: Ending | null = null;

  const write = (text: string) => {
    if (open) controller.enqueue(encoder.encode(text));
  };
  const finish = (failure: GatewayError | ClientGoneError | null) => {
    clearInterval(keepAlive);
    if (open) {
      open = false;
      controller.close();
    }
    if (ended) return;
    ended = true;
    options.onEnd?.(failure);
  };

  return new ReadableStream<Uint8Array>(
    {
      start(c) {
        controller = c;
        write(sseData(chatChunk(meta, { role: 'assistant', content: '' }, null)));
        keepAlive = setInterval(() => write(SSE_KEEPALIVE), options.keepAliveIntervalMs);
        settled = options.answer(cancelled.signal).then(
          (answer) => {
            clearInterval(keepAlive);
            if (!open) {
              finish(new ClientGoneError());
              return NOTHING;
            }
            return (pending = { frames: answerFrames(meta, answer, options.includeUsage), failure: null });
          },
          (error: unknown) => {
            clearInterval(keepAlive);
            if (error instanceof ClientGoneError) {
              finish(error);
              return NOTHING;
            }
            options.onError?.(error);
            const failure = error instanceof GatewayError ? error : internalError();
            if (!open) {
              finish(failure);
              return NOTHING;
            }
            return (pending = { frames: [sseError(failure, options.requestId)][Symbol.iterator](), failure });
          },
        );
      },
      async pull() {
        const { frames, failure } = await settled;
        if (!open) return;
        if (!contentStarted && failure === null) {
          contentStarted = true;
          options.onContent?.();
        }
        let batch = '';
        for (;;) {
          const next = frames.next();
          if (next.done) {
            if (batch !== '') write(batch);
            return finish(failure);
          }
          batch += next.value;
          if (batch.length >= BATCH_CHARS) {
            write(batch);
            batch = '';
            // The client is behind: wait for the next pull.
            if ((controller.desiredSize ?? 0) <= 0) return;
          }
        }
      },
      cancel() {
        open = false;
        clearInterval(keepAlive);
        cancelled.abort();
        // Left in the middle of the content: the turn itself is over.
        if (pending) finish(new ClientGoneError());
      },
    },
    new ByteLengthQueuingStrategy({ highWaterMark: HIGH_WATER_BYTES }),
  );
}

function* answerFrames(meta: CompletionMeta, answer: StreamedAnswer, includeUsage: boolean): Generator<string> {
  if (answer.content !== null && answer.content !== '') {
    const contentFrame = contentFrameFor(meta);
    for (const piece of streamingPieces(answer.content, pieceSizeFor(answer.content.length))) yield contentFrame(piece);
  }
  // OpenAI's framing: the first delta of a call names it (id, type, name), the next ones carry its arguments.
  for (const [index, call] of answer.toolCalls.entries()) {
    yield sseData(chatChunk(meta, { tool_calls: [{ index, id: call.id, type: 'function', function: { name: call.name, arguments: '' } }] }, null));
    for (const piece of streamingPieces(call.arguments, pieceSizeFor(call.arguments.length))) {
      yield sseData(chatChunk(meta, { tool_calls: [{ index, function: { arguments: piece } }] }, null));
    }
  }
  yield sseData(chatChunk(meta, {}, finishReasonOf(answer)));
  if (includeUsage) yield sseData(usageChunk(meta, usageFor(answer.prompt, answer.text)));
  yield SSE_DONE;
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
