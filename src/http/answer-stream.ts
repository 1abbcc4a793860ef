// A streamed answer, whatever the wire format: the opening frames go out at once, keep-alive
// frames hold the connection while the turn runs, then the answer's frames with no delay.
// Frames are made as the client reads them (a pull-based stream with a byte high-water mark),
// so a large answer is never copied into one huge string and a slow client holds back the
// writing, not memory. A failure after the start becomes the format's error frame; a client
// that leaves cancels the turn (and with it the upstream call).
// Each format (openai/chat-stream.ts, openai/responses-stream.ts, anthropic/messages-stream.ts)
// says only what its frames are.

import { ClientGoneError, GatewayError, internalError } from '../errors.ts';

export interface AnswerStreamOptions<A> {
  /** Written at once, before the turn is served. */
  opening: string;
  /** Written every keepAliveIntervalMs while the turn runs. */
  keepAlive: string;
  keepAliveIntervalMs: number;
  /** Produces the answer; the signal aborts when the client goes away. */
  answer: (signal: AbortSignal) => Promise<A>;
  /** The frames that carry the answer, produced lazily as the client reads. */
  frames: (answer: A) => Iterator<string>;
  /** What reports a failure after the start (a format with several frames for it joins them). */
  errorFrame: (error: GatewayError) => string;
  onError?: (error: unknown) => void;
  /** The answer's content is being written. */
  onContent?: () => void;
  /** The stream is over: answered, failed (with the error sent), or the client left. Called once. */
  onEnd?: (failure: GatewayError | ClientGoneError | null) => void;
}

/** What a format's stream takes from its route as is: all but the frames. */
export type AnswerStreamHooks<A> = Pick<AnswerStreamOptions<A>, 'keepAliveIntervalMs' | 'answer' | 'onError' | 'onContent' | 'onEnd'>;

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

export function answerStream<A>(options: AnswerStreamOptions<A>): ReadableStream<Uint8Array> {
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
        write(options.opening);
        keepAlive = setInterval(() => write(options.keepAlive), options.keepAliveIntervalMs);
        settled = options.answer(cancelled.signal).then(
          (answer) => {
            clearInterval(keepAlive);
            if (!open) {
              finish(new ClientGoneError());
              return NOTHING;
            }
            return (pending = { frames: options.frames(answer), failure: null });
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
            return (pending = { frames: [options.errorFrame(failure)][Symbol.iterator](), failure });
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
