// The Responses API's event stream, as the openai SDKs consume it: `event: <type>` and
// `data: {"type", …, "sequence_number"}` frames. response.created and response.in_progress go
// out at once, keep-alive comments hold the connection while the upstream works, then per
// output item: output_item.added, (a message) content_part.added, output_text.delta pieces,
// output_text.done, content_part.done, (a call) function_call_arguments.delta pieces and
// .done, output_item.done; then response.completed. A failure after the start is
// response.failed and then an `error` event (the SDKs raise that one as an APIError). The
// stream itself (frames made as the client reads them, a client that leaves) is answer-stream.ts.

import type { GatewayError } from '../../errors.ts';
import { answerStream, type AnswerStreamHooks } from '../answer-stream.ts';
import { errorOutcome } from '../error-catalog.ts';
import { outputText, type FunctionCallItem, type MessageItem, type ResponseObject } from './responses-object.ts';
import { pieceSizeFor, SSE_KEEPALIVE, streamingPieces } from './sse.ts';

export interface ResponsesStreamOptions extends AnswerStreamHooks<ResponseObject> {
  /** The response as it starts (status in_progress, no output): sent as response.created and response.in_progress. */
  started: ResponseObject;
  /** The response.failed object for a failure after the start. */
  failed: (error: GatewayError) => ResponseObject;
  /** Put in error events (the X-Request-Id of the request). */
  requestId?: string;
}

/** Numbers the events of one stream in the order they are written. */
interface Sequence {
  next: number;
}

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
  const { started: response, requestId } = options;
  return answerStream<ResponseObject>({
    ...options,
    opening: responseEvent('response.created', { response }, sequence.next++) + responseEvent('response.in_progress', { response }, sequence.next++),
    keepAlive: SSE_KEEPALIVE,
    frames: (completed) => completedFrames(completed, sequence),
    errorFrame: (error) => failedEvents(options.failed(error), error, sequence, requestId),
  });
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

/** response.failed, then the `error` event. */
function failedEvents(response: ResponseObject, failure: GatewayError, sequence: Sequence, requestId?: string): string {
  const failed = responseEvent('response.failed', { response }, sequence.next++);
  const error = { code: errorOutcome(failure), message: failure.message, param: failure.param, ...(requestId ? { request_id: requestId } : {}) };
  return failed + responseEvent('error', error, sequence.next++);
}
