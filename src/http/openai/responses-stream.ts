// The Responses API's event stream, as the openai SDKs consume it: `event: <type>` and
// `data: {"type", …, "sequence_number"}` frames. response.created and response.in_progress go
// out at once, keep-alive comments hold the connection while the upstream works, then per
// output item: output_item.added, (a message) content_part.added, output_text.delta pieces,
// output_text.done, content_part.done, (a call) function_call_arguments.delta pieces and
// .done, output_item.done; then response.completed. Frames are made as the client reads them
// (pull-based, a byte high-water mark), like chat-stream.ts. A failure after the start is
// response.failed and then an `error` event (the SDKs raise that one as an APIError); a
// client that leaves cancels the upstream call.

import { ClientGoneError, GatewayError, internalError } from '../../errors.ts';
import { errorOutcome } from '../error-catalog.ts';
import { outputText, type FunctionCallItem, type MessageItem, type ResponseObject } from './responses-object.ts';
import { pieceSizeFor, SSE_KEEPALIVE, streamingPieces } from './sse.ts';

export interface ResponsesStreamOptions {
  /** The response as it starts (status in_progress, no output): sent as response.created and response.in_progress. */
  started: ResponseObject;
  keepAliveIntervalMs: number;
  /** The completed response; the signal aborts when the client goes away. */
  answer: (signal: AbortSignal) => Promise<ResponseObject>;
  /** The response.failed object for a failure after the start. */
  failed: (error: GatewayError) => ResponseObject;
  /** Put in error events (the X-Request-Id of the request). */
  requestId?: string;
  onError?: (error: unknown) => void;
  /** The answer is being written. */
  onContent?: () => void;
  /** The stream is over: answered, failed (with the error sent), or the client left. Called once. */
  onEnd?: (failure: GatewayError | ClientGoneError | null) => void;
}

/** Numbers the events of one stream in the order they are written. */
interface Sequence {
  next: number;
}

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

/** One event: its type names it twice, in the `event:` line (what OpenAI sends) and in the data. */
export function responseEvent(type: string, fields: Record<string, unknown>, sequence: number): string {
  return `event: ${type}\ndata: ${JSON.stringify({ type, ...fields, sequence_number: sequence })}\n\n`;
}

/** Delta events of one item differ only in the piece and the number: the envelope is serialised once. */
function deltaEvent(type: string, fields: Record<string, unknown>): (piece: string, sequence: number) => string {
  const head = `event: ${type}\ndata: ${JSON.stringify({ type, ...fields }).slice(0, -1)},"sequence_number":`;
  return (piece, sequence) => `${head}${sequence},"delta":${JSON.stringify(piece)}}\n\n`;
}

export function responsesStream(options: ResponsesStreamOptions): ReadableStream<Uint8Array> {
  const sequence: Sequence = { next: 0 };
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
        const response = options.started;
        write(responseEvent('response.created', { response }, sequence.next++) + responseEvent('response.in_progress', { response }, sequence.next++));
        keepAlive = setInterval(() => write(SSE_KEEPALIVE), options.keepAliveIntervalMs);
        settled = options.answer(cancelled.signal).then(
          (completed) => {
            clearInterval(keepAlive);
            if (!open) {
              finish(new ClientGoneError());
              return NOTHING;
            }
            return (pending = { frames: completedFrames(completed, sequence), failure: null });
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
            return (pending = { frames: failedFrames(options.failed(failure), failure, sequence, options.requestId), failure });
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
        // Left in the middle of the answer: the turn itself is over.
        if (pending) finish(new ClientGoneError());
      },
    },
    new ByteLengthQueuingStrategy({ highWaterMark: HIGH_WATER_BYTES }),
  );
}

/** Every output item's events in order, then response.completed with the whole response. */
export function* completedFrames(response: ResponseObject, sequence: Sequence): Generator<string> {
  for (const [index, item] of response.output.entries()) {
    if (item.type === 'message') yield* messageFrames(item, index, sequence);
    else yield* callFrames(item, index, sequence);
  }
  yield responseEvent('response.completed', { response }, sequence.next++);
}

function* messageFrames(item: MessageItem, output_index: number, sequence: Sequence): Generator<string> {
  const item_id = item.id;
  yield responseEvent('response.output_item.added', { output_index, item: { ...item, status: 'in_progress', content: [] } }, sequence.next++);
  for (const [content_index, part] of item.content.entries()) {
    const where = { item_id, output_index, content_index };
    yield responseEvent('response.content_part.added', { ...where, part: outputText('') }, sequence.next++);
    const delta = deltaEvent('response.output_text.delta', { ...where, logprobs: [] });
    for (const piece of streamingPieces(part.text, pieceSizeFor(part.text.length))) yield delta(piece, sequence.next++);
    yield responseEvent('response.output_text.done', { ...where, text: part.text, logprobs: [] }, sequence.next++);
    yield responseEvent('response.content_part.done', { ...where, part }, sequence.next++);
  }
  yield responseEvent('response.output_item.done', { output_index, item }, sequence.next++);
}

function* callFrames(item: FunctionCallItem, output_index: number, sequence: Sequence): Generator<string> {
  const where = { item_id: item.id, output_index };
  yield responseEvent('response.output_item.added', { output_index, item: { ...item, arguments: '', status: 'in_progress' } }, sequence.next++);
  const delta = deltaEvent('response.function_call_arguments.delta', where);
  for (const piece of streamingPieces(item.arguments, pieceSizeFor(item.arguments.length))) yield delta(piece, sequence.next++);
  yield responseEvent('response.function_call_arguments.done', { ...where, arguments: item.arguments }, sequence.next++);
  yield responseEvent('response.output_item.done', { output_index, item }, sequence.next++);
}

function* failedFrames(response: ResponseObject, failure: GatewayError, sequence: Sequence, requestId?: string): Generator<string> {
  yield responseEvent('response.failed', { response }, sequence.next++);
  const error = { code: errorOutcome(failure), message: failure.message, param: failure.param, ...(requestId ? { request_id: requestId } : {}) };
  yield responseEvent('error', error, sequence.next++);
}
