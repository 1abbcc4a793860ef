// OpenAI's chat.completion and chat.completion.chunk objects.

import { estimateTokens } from '../../conversation/tokens.ts';

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

export function chatCompletion(meta: CompletionMeta, content: string, usage: Usage) {
  return {
    id: meta.id,
    object: 'chat.completion',
    created: meta.created,
    model: meta.model,
    choices: [{ index: 0, message: { role: 'assistant', content, refusal: null }, logprobs: null, finish_reason: 'stop' }],
    usage,
    system_fingerprint: null,
  };
}

type Delta = { role: 'assistant'; content: string } | { content: string } | Record<string, never>;

const chunkEnvelope = (meta: CompletionMeta) => ({
  id: meta.id,
  object: 'chat.completion.chunk',
  created: meta.created,
  model: meta.model,
  system_fingerprint: null,
});

export function chatChunk(meta: CompletionMeta, delta: Delta, finishReason: 'stop' | null) {
  return { ...chunkEnvelope(meta), choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }] };
}

/** The extra chunk sent when stream_options.include_usage is set: no choices, only usage. */
export function usageChunk(meta: CompletionMeta, usage: Usage) {
  return { ...chunkEnvelope(meta), choices: [], usage };
}
