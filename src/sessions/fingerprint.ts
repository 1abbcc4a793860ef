// Recognises a conversation from the messages a stateless client resends. The tip is a
// hash of the client key's name and every non-system turn so far; system messages are
// left out because chat UIs rewrite them per request (current time, RAG context).

import type { ChatMessage } from '../conversation/messages.ts';

/** Fingerprint of `turns` (system messages are skipped) under `owner`. */
export function conversationTip(owner: string, turns: readonly ChatMessage[]): string {
  const hasher = new Bun.CryptoHasher('sha256');
  hasher.update(owner);
  for (const m of turns) {
    if (m.role === 'system') continue;
    // Clients echo answers back with edges trimmed or CRLF line ends; neither makes a new conversation.
    hasher.update(`\u0000${m.role}\u0001${m.content.replace(/\r\n/g, '\n').trim()}`);
    // Calls by name and arguments: clients resend them, but may re-serialise the arguments' JSON.
    for (const call of m.toolCalls ?? []) hasher.update(`\u0002${call.name}\u0003${canonicalJson(call.arguments)}`);
  }
  return hasher.digest('hex').slice(0, 32);
}

function canonicalJson(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text));
  } catch {
    return text;
  }
}

/** The turns up to and including the last assistant answer; null when there is none yet. */
export function answeredPrefix(messages: readonly ChatMessage[]): ChatMessage[] | null {
  const last = messages.findLastIndex((m) => m.role === 'assistant');
  return last === -1 ? null : messages.slice(0, last + 1);
}
