// The prompt text for tools and output formats (the tools contract of issue 11):
// the tools block placed after the system messages, the format line, a past call as it is
// shown in history, and the one corrective line of a retry. As short as the contract allows:
// every character counts against CONTEXT_MAX_LENGTH.

import { toolsForChoice } from './choice.ts';
import { parseJson } from './json-scan.ts';
import { propertyList, schemaSignature } from './schema-signature.ts';
import { collapseWhitespace, cutText } from './text.ts';
import type { OutputFormat, ToolChoice, ToolSpec } from './types.ts';

export type ToolTextLevel = 'full' | 'signatures';

export type Correction = { kind: 'no_call' } | { kind: 'invalid_call'; detail: string } | { kind: 'invalid_json'; detail: string };

/** A description is cut to its first sentence, and to this many characters. */
export const DESCRIPTION_MAX = 80;
const CALL_FORMAT = '<tool_call>{"name":"NAME","arguments":{...}}</tool_call>';
const INSTRUCTION = `To call a tool, reply with only ${CALL_FORMAT}, one block per call.`;
const DETAIL_MAX = 160;

/**
 * `Tools:`, one `name(params) - description` line per offered function, the instruction line,
 * then one line with what the choice demands (`You must call a tool.` / `You must call NAME.`,
 * `Call at most one tool.`) when it demands anything. '' when nothing is offered.
 * A named tool_choice offers only that function: the others could not be called anyway.
 */
export function renderToolsBlock(tools: readonly ToolSpec[], choice: ToolChoice, parallel: boolean, level: ToolTextLevel): string {
  const offered = toolsForChoice(tools, choice);
  if (offered.length === 0) return '';
  const lines = ['Tools:', ...offered.map((t) => toolLine(t, level)), INSTRUCTION];
  const demands = [mustCall(choice), parallel ? '' : 'Call at most one tool.'].filter((d) => d !== '');
  if (demands.length > 0) lines.push(demands.join(' '));
  return lines.join('\n');
}

function toolLine(tool: ToolSpec, level: ToolTextLevel): string {
  const signature = `${tool.name}(${propertyList(tool.parameters)})`;
  const description = level === 'full' && tool.description !== null ? shortDescription(tool.description) : '';
  return description === '' ? signature : `${signature} - ${description}`;
}

// A sentence ends at '.', '!' or '?' before a space and an upper-case letter, not after an abbreviation like "e.g.".
const FIRST_SENTENCE = /^.{8,}?(?<!\b(?:e\.g|i\.e|etc|vs|approx|incl|Mr|Mrs|Ms|Dr|St|No))[.!?](?= \p{Lu})/u;

/** The first sentence (at least 8 characters long), whitespace collapsed, cut to DESCRIPTION_MAX. */
export function shortDescription(description: string): string {
  const flat = collapseWhitespace(description);
  const end = FIRST_SENTENCE.exec(flat);
  return cutText(end === null ? flat : end[0], DESCRIPTION_MAX);
}

function mustCall(choice: ToolChoice): string {
  if (choice.mode === 'required') return 'You must call a tool.';
  if (choice.mode === 'function') return `You must call ${choice.name}.`;
  return '';
}

/** The line that asks for the output format: '' for text. */
export function renderFormatLine(format: OutputFormat): string {
  if (format.type === 'json_object') return 'Reply with only a JSON object.';
  if (format.type === 'json_schema') return `Reply with only JSON matching: ${schemaSignature(format.schema)}`;
  return '';
}

/**
 * A past call, for the history: `<tool_call>{"name":"get_weather","arguments":{"city":"Paris"}}</tool_call>`.
 * Empty arguments are {}; arguments that are not JSON text (a client may send anything back) are shown as the string they are.
 */
export function renderToolCall(call: { name: string; arguments: string }): string {
  const parsed = parseJson(call.arguments.trim() === '' ? '{}' : call.arguments);
  const args = parsed.ok ? parsed.value : call.arguments;
  return `<tool_call>${JSON.stringify({ name: call.name, arguments: args })}</tool_call>`;
}

/** The one instruction line appended to the prompt for the single retry after a bad answer. */
export function correctiveLine(correction: Correction, choice: ToolChoice): string {
  switch (correction.kind) {
    case 'no_call': {
      const must = choice.mode === 'function' ? `You must call ${choice.name}.` : 'You must call a tool.';
      return `Your answer had no tool call. ${must} Reply with only ${CALL_FORMAT}.`;
    }
    case 'invalid_call':
      return `Your tool call was invalid (${cutText(correction.detail, DETAIL_MAX)}). Reply with only a corrected ${CALL_FORMAT}.`;
    case 'invalid_json':
      return `Your answer was not valid JSON (${cutText(correction.detail, DETAIL_MAX)}). Reply with only the JSON, no other text.`;
  }
}
