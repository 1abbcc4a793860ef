// OpenAI's chat.completion and chat.completion.chunk objects.

import { estimateTokens } from '../../conversation/tokens.ts';
import type { ToolCall } from '../../tools/types.ts';

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

export interface CompletionMeta {
  id: string;
  created: number;
  model: string;
}

const ID_ALPHABET = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

export function newCompletionMeta(model: string): CompletionMeta {
  const bytes = crypto.getRandomValues(new Uint8Array(24));
  let id = 'chatcmpl-';
  for (const b of bytes) id += ID_ALPHABET[b % ID_ALPHABET.length];
  return { id, created: Math.floor(Date.now() / 1000), model };
}

export function usageFor(prompt: string, answer: string): Usage {
  const prompt_tokens = estimateTokens(prompt);
  const completion_tokens = estimateTokens(answer);
  return { prompt_tokens, completion_tokens, total_tokens: prompt_tokens + completion_tokens };
}

export type FinishReason = 'stop' | 'tool_calls';

/** What a turn answered, as OpenAI's message carries it. */
export interface AnswerBody {
  content: string | null;
  toolCalls: readonly ToolCall[];
}

export const finishReasonOf = (answer: AnswerBody): FinishReason => (answer.toolCalls.length > 0 ? 'tool_calls' : 'stop');

/** OpenAI's tool_calls entry. */
export const toolCallObject = (call: ToolCall) => ({ id: call.id, type: 'function' as const, function: { name: call.name, arguments: call.arguments } });

export function chatCompletion(meta: CompletionMeta, answer: AnswerBody, usage: Usage) {
  const message = answer.toolCalls.length > 0
    ? { role: 'assistant', content: answer.content, tool_calls: answer.toolCalls.map(toolCallObject), refusal: null }
    : { role: 'assistant', content: answer.content, refusal: null };
  return {
    id: meta.id,
    object: 'chat.completion',
    created: meta.created,
    model: meta.model,
    choices: [{ index: 0, message, logprobs: null, finish_reason: finishReasonOf(answer) }],
    usage,
    system_fingerprint: null,
  };
}

/** One tool call's piece in a stream: the first names it, the next ones carry its arguments. */
export type ToolCallDelta =
  | { index: number; id: string; type: 'function'; function: { name: string; arguments: string } }
  | { index: number; function: { arguments: string } };

type Delta = { role: 'assistant'; content: string } | { content: string } | { tool_calls: ToolCallDelta[] } | Record<string, never>;

const chunkEnvelope = (meta: CompletionMeta) => ({
  id: meta.id,
  object: 'chat.completion.chunk',
  created: meta.created,
  model: meta.model,
  system_fingerprint: null,
});

export function chatChunk(meta: CompletionMeta, delta: Delta, finishReason: FinishReason | null) {
  return { ...chunkEnvelope(meta), choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }] };
}

/** The extra chunk sent when stream_options.include_usage is set: no choices, only usage. */
export function usageChunk(meta: CompletionMeta, usage: Usage) {
  return { ...chunkEnvelope(meta), choices: [], usage };
}
