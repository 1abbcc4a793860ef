// Builds the single upstream `message` from the whole conversation, within a character
// budget: system text first, then what the gateway tells the model (tools, the wanted
// output format), then the turns in order, as one labelled transcript. The oldest turns
// are dropped first; the system text, the gateway's lines and the newest user message (with
// anything after it) are never cut — but the gateway's lines have a shorter form, used when
// only that makes the turn fit. A prompt that still does not fit is a client error.

import { invalidRequest } from '../errors.ts';
import { renderToolCall } from '../tools/render.ts';
import type { ChatMessage, ChatRole } from './messages.ts';

export interface BuiltPrompt {
  prompt: string;
  /** How many of the client's messages were left out to fit the budget. */
  droppedMessages: number;
}

/** Blocks the gateway adds after the system text: as written, and a shorter form for tight budgets. */
export interface PromptHead {
  full: readonly string[];
  compact: readonly string[];
  /** Names what the head is in the error when even the compact form cannot fit ("the tools"). */
  what: string;
}

// A Map: a role read back from stored history is looked up as an own entry, never on Object.prototype.
const LABELS = new Map<ChatRole, string>([
  ['system', 'System'],
  ['user', 'User'],
  ['assistant', 'Assistant'],
  ['tool', 'Tool'],
]);
const SEPARATOR = '\n\n';
const NO_HEAD: PromptHead = { full: [], compact: [], what: '' };

export const PROMPT_SEPARATOR = SEPARATOR;

/** One message as a transcript block. `toolNames` maps call ids to function names, for tool results. */
export function renderMessage(m: ChatMessage, toolNames: ReadonlyMap<string, string> = new Map()): string {
  if (m.role === 'tool') {
    const name = m.name ?? (m.toolCallId !== undefined ? toolNames.get(m.toolCallId) : undefined);
    return name ? `Tool (${name}): ${m.content}` : `Tool: ${m.content}`;
  }
  const text = m.role === 'assistant' && m.toolCalls?.length ? [m.content, ...m.toolCalls.map(renderToolCall)].filter((t) => t !== '').join('\n') : m.content;
  // Any other role can only come from a corrupt stored row; the client wrote that text, so it is labelled as the user's.
  return `${LABELS.get(m.role) ?? 'User'}: ${text}`;
}

/** Function names of every call made in `messages`, by call id. */
export function toolNamesOf(messages: readonly ChatMessage[]): Map<string, string> {
  const names = new Map<string, string>();
  for (const m of messages) for (const call of m.toolCalls ?? []) names.set(call.id, call.name);
  return names;
}

export function buildPrompt(messages: readonly ChatMessage[], budget: number, head: PromptHead = NO_HEAD): BuiltPrompt {
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

  const names = toolNamesOf(messages);
  const systemBlocks = system.map((m) => renderMessage(m, names));
  const turnBlocks = turns.map((m) => renderMessage(m, names));
  const full = fit(systemBlocks, head.full, turnBlocks, newestUser, budget);
  if (full.fits) return full.built;
  const compact = head.compact.length > 0 ? fit(systemBlocks, head.compact, turnBlocks, newestUser, budget) : full;
  if (compact.fits) return compact.built;
  const needed = compact.protectedLength;
  const headLength = joinedLength(head.compact);
  if (headLength === 0) {
    throw invalidRequest(
      `The conversation does not fit the upstream limit of ${budget} characters (CONTEXT_MAX_LENGTH): ` +
        `the system messages and the latest user message alone take ${needed} characters once formatted. ` +
        'Shorten them, or raise CONTEXT_MAX_LENGTH if the upstream accepts more.',
      'messages',
      'context_length_exceeded',
    );
  }
  throw invalidRequest(
    `The conversation does not fit the upstream limit of ${budget} characters (CONTEXT_MAX_LENGTH): ${head.what} alone take ${headLength} ` +
      `characters even without descriptions, and with the system messages and the latest user message the prompt needs ${needed}. ` +
      `Offer fewer ${head.what.replace(/^the /, '')}, shorten the messages, or raise CONTEXT_MAX_LENGTH if the upstream accepts more.`,
    'messages',
    'context_length_exceeded',
  );
}

type Fitted = { fits: true; built: BuiltPrompt } | { fits: false; protectedLength: number };

/** Drops the oldest turns (never the newest user message or what follows it) until the blocks fit. */
function fit(systemBlocks: readonly string[], headBlocks: readonly string[], turnBlocks: readonly string[], newestUser: number, budget: number): Fitted {
  const fixed = [...systemBlocks, ...headBlocks];
  let total = joinedLength([...fixed, ...turnBlocks]);
  let dropped = 0;
  while (total > budget && dropped < newestUser) {
    total -= turnBlocks[dropped]!.length + SEPARATOR.length;
    dropped++;
  }
  const kept = turnBlocks.slice(dropped);
  // A lone user message goes up as it is: labels would only spend the small budget.
  if (fixed.length === 0 && kept.length === 1) {
    const lone = kept[0]!.slice(kept[0]!.indexOf(': ') + 2);
    if (lone.length <= budget) return { fits: true, built: { prompt: lone, droppedMessages: dropped } };
    return { fits: false, protectedLength: lone.length };
  }
  if (total > budget) return { fits: false, protectedLength: total };
  return { fits: true, built: { prompt: [...fixed, ...kept].join(SEPARATOR), droppedMessages: dropped } };
}

function joinedLength(blocks: readonly string[]): number {
  return blocks.length === 0 ? 0 : blocks.reduce((sum, b) => sum + b.length, 0) + SEPARATOR.length * (blocks.length - 1);
}
