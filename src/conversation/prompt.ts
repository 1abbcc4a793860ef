// Builds the single upstream `message` from the whole conversation, within a character
// budget: system text first, then the turns in order, as one labelled transcript.
// The oldest turns are dropped first; system text and the newest user message (with
// anything after it) are never cut. A prompt that still does not fit is a client error.

import { invalidRequest } from '../errors.ts';
import type { ChatMessage, ChatRole } from './messages.ts';

export interface BuiltPrompt {
  prompt: string;
  /** How many of the client's messages were left out to fit the budget. */
  droppedMessages: number;
}

// A Map: a role read back from stored history is looked up as an own entry, never on Object.prototype.
const LABELS = new Map<ChatRole, string>([
  ['system', 'System'],
  ['user', 'User'],
  ['assistant', 'Assistant'],
  ['tool', 'Tool'],
]);
const SEPARATOR = '\n\n';

// Any other role can only come from a corrupt stored row; the client wrote that text, so it is labelled as the user's.
export const renderMessage = (m: ChatMessage): string => `${LABELS.get(m.role) ?? 'User'}: ${m.content}`;
export const PROMPT_SEPARATOR = SEPARATOR;

export function buildPrompt(messages: readonly ChatMessage[], budget: number): BuiltPrompt {
  const system = messages.filter((m) => m.role === 'system');
  const turns = messages.filter((m) => m.role !== 'system');
  let newestUser = -1;
  for (let i = turns.length - 1; i >= 0; i--) {
    if (turns[i]!.role === 'user') {
      newestUser = i;
      break;
    }
  }
  if (newestUser === -1) throw invalidRequest('messages must contain at least one message with role "user".', 'messages');

  const rendered = [...system, ...turns].map(renderMessage);
  const firstDroppable = system.length;
  const firstProtected = system.length + newestUser;
  let total = rendered.reduce((sum, r) => sum + r.length, 0) + SEPARATOR.length * (rendered.length - 1);
  let dropped = 0;
  while (total > budget && firstDroppable + dropped < firstProtected) {
    total -= rendered[firstDroppable + dropped]!.length + SEPARATOR.length;
    dropped++;
  }
  const kept = [...rendered.slice(0, firstDroppable), ...rendered.slice(firstDroppable + dropped)];

  // A lone user message goes up as it is: labels would only spend the small budget.
  const lone = kept.length === 1 && system.length === 0 ? turns[newestUser]!.content : null;
  if (lone !== null && lone.length <= budget) return { prompt: lone, droppedMessages: dropped };
  if (total > budget) {
    const protectedLength = lone?.length ?? total;
    throw invalidRequest(
      `The conversation does not fit the upstream limit of ${budget} characters (CONTEXT_MAX_LENGTH): ` +
        `the system messages and the latest user message alone take ${protectedLength} characters once formatted. ` +
        'Shorten them, or raise CONTEXT_MAX_LENGTH if the upstream accepts more.',
      'messages',
      'context_length_exceeded',
    );
  }
  return { prompt: kept.join(SEPARATOR), droppedMessages: dropped };
}
