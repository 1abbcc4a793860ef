// The Messages API's stream: Anthropic's named SSE events, written byte-exact.
// message_start goes out at once, `event: ping` while the turn runs, then per content block
// content_block_start, its deltas (text_delta pieces; input_json_delta pieces of a tool_use's
// input) and content_block_stop, then message_delta (stop reason, usage) and message_stop.
// A failure after the start is one `event: error` with Anthropic's error body.

import type { GatewayError } from '../../errors.ts';
import { answerStream, type AnswerStreamHooks } from '../answer-stream.ts';
import { pieceSizeFor, streamingPieces } from '../openai/sse.ts';
import { anthropicErrorBody } from './anthropic-errors.ts';
import { messageShell, stopReasonOf, toolUseBlock, usageOf, type MessageAnswer, type MessageMeta, type Usage } from './messages-format.ts';

/** One event: its type named twice, as Anthropic does (the `event:` line and the payload's `type`). */
export function sseEvent(type: string, payload: Record<string, unknown>): string {
  return `event: ${type}\ndata: ${JSON.stringify({ type, ...payload })}\n\n`;
}

export const PING = sseEvent('ping', {});

/** An error after the stream started: Anthropic's SDKs raise it as an APIError of that type. */
export function sseErrorEvent(error: GatewayError, requestId?: string): string {
  return `event: error\ndata: ${JSON.stringify(anthropicErrorBody(error, requestId))}\n\n`;
}

export interface MessagesStreamOptions extends AnswerStreamHooks<MessageAnswer> {
  meta: MessageMeta;
  /** message_start's usage: the request's own prompt (the final count comes in message_delta). */
  startUsage: Usage;
  /** Put in error events (the X-Request-Id of the request). */
  requestId?: string;
}

export function messagesStream(options: MessagesStreamOptions): ReadableStream<Uint8Array> {
  const { meta, requestId } = options;
  return answerStream<MessageAnswer>({
    ...options,
    opening: sseEvent('message_start', { message: messageShell(meta, options.startUsage) }),
    keepAlive: PING,
    frames: (answer) => answerEvents(answer),
    errorFrame: (error) => sseErrorEvent(error, requestId),
  });
}

function* answerEvents(answer: MessageAnswer): Generator<string> {
  let index = 0;
  if (answer.content) {
    yield sseEvent('content_block_start', { index, content_block: { type: 'text', text: '' } });
    for (const text of streamingPieces(answer.content, pieceSizeFor(answer.content.length))) {
      yield sseEvent('content_block_delta', { index, delta: { type: 'text_delta', text } });
    }
    yield sseEvent('content_block_stop', { index });
    index++;
  }
  for (const call of answer.toolCalls) {
    const block = toolUseBlock(call);
    yield sseEvent('content_block_start', { index, content_block: { ...block, input: {} } });
    const json = JSON.stringify(block.input);
    for (const partial_json of streamingPieces(json, pieceSizeFor(json.length))) {
      yield sseEvent('content_block_delta', { index, delta: { type: 'input_json_delta', partial_json } });
    }
    yield sseEvent('content_block_stop', { index });
    index++;
  }
  yield sseEvent('message_delta', { delta: stopReasonOf(answer), usage: usageOf(answer.prompt, answer.text) });
  yield sseEvent('message_stop', {});
}
