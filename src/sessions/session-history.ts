// What a named session remembers and how a new request joins it.

import type { ChatMessage } from '../conversation/messages.ts';
import { PROMPT_SEPARATOR, renderMessage, toolNamesOf } from '../conversation/prompt.ts';

/**
 * The conversation a turn is answered from. A client that sends earlier answers itself
 * (any assistant message) is sending its own history, which wins over the stored one;
 * otherwise the new messages continue the stored history, and system messages sent now
 * replace the stored ones.
 */
export function continueConversation(stored: readonly ChatMessage[], incoming: readonly ChatMessage[]): ChatMessage[] {
  // The client's own array, not a copy: the turn reuses the prompt it already built from it.
  if (stored.length === 0 || incoming.some((m) => m.role === 'assistant')) return incoming as ChatMessage[];
  const incomingSystem = incoming.filter((m) => m.role === 'system');
  const system = incomingSystem.length > 0 ? incomingSystem : stored.filter((m) => m.role === 'system');
  return [...system, ...stored.filter((m) => m.role !== 'system'), ...incoming.filter((m) => m.role !== 'system')];
}

/**
 * The history worth storing: prompts drop the oldest turns first, so a turn that does not
 * fit the budget together with every turn after it can never reach the upstream again.
 */
export function historyWithinBudget(conversation: readonly ChatMessage[], budget: number): ChatMessage[] {
  const system = conversation.filter((m) => m.role === 'system');
  const turns = conversation.filter((m) => m.role !== 'system');
  const names = toolNamesOf(conversation);
  let first = turns.length;
  let length = 0;
  while (first > 0) {
    const next = length + renderMessage(turns[first - 1]!, names).length + (length > 0 ? PROMPT_SEPARATOR.length : 0);
    if (next > budget) break;
    length = next;
    first--;
  }
  return [...system, ...turns.slice(first)];
}
