// The streamed chat completion: the role chunk goes out at once, keep-alive comments hold the
// connection while the upstream works, then the answer's content chunks with no delay, the
// finish chunk, the optional usage chunk and [DONE]. The stream itself (frames made as the
// client reads them, the error frame after the start, a client that leaves) is answer-stream.ts.

import { answerStream, type AnswerStreamHooks } from '../answer-stream.ts';
import { chatChunk, finishReasonOf, usageChunk, usageFor, type AnswerBody, type CompletionMeta } from './chat-format.ts';
import { pieceSizeFor, SSE_DONE, SSE_KEEPALIVE, sseData, sseError, streamingPieces } from './sse.ts';

/** The turn's answer as the stream writes it: text, tool calls, and what usage is estimated from. */
export interface StreamedAnswer extends AnswerBody {
  /** The model's words as written (completion tokens are estimated from them). */
  text: string;
  prompt: string;
}

export interface StreamOptions extends AnswerStreamHooks<StreamedAnswer> {
  meta: CompletionMeta;
  includeUsage: boolean;
  /** Put in error frames (the X-Request-Id of the request). */
  requestId?: string;
}

export function chatCompletionStream(options: StreamOptions): ReadableStream<Uint8Array> {
  const { meta, includeUsage, requestId } = options;
  return answerStream<StreamedAnswer>({
    ...options,
    opening: sseData(chatChunk(meta, { role: 'assistant', content: '' }, null)),
    keepAlive: SSE_KEEPALIVE,
    frames: (answer) => answerFrames(meta, answer, includeUsage),
    errorFrame: (error) => sseError(error, requestId),
  });
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
