// The emulator playing a tool-using model, deterministically, from the prompt text alone:
// which answer a prompt gets (a call, a tool-result summary, JSON, or the Echo reply) and
// its text, optionally malformed by a model fault. Rules: /work/notes/tools-contract.md.

import { fillFields, fillValue, parseCompactType, type JsonValue } from './compact-types.ts';
import { buildReply } from './reply.ts';
import { readPrompt, type PromptReading } from './transcript.ts';
import type { FaultKind } from './types.ts';

export interface PlannedCall {
  name: string;
  arguments: { [key: string]: JsonValue };
}

export type ModelPlay =
  | { kind: 'echo' }
  | { kind: 'calls'; calls: PlannedCall[] }
  | { kind: 'results'; text: string }
  | { kind: 'json'; value: JsonValue };

export const ECHO_PLAY: ModelPlay = { kind: 'echo' };

export type ModelFaultKind = Extract<FaultKind, `tool_${string}` | `json_${string}`>;

/** The kind of answer each model fault needs; on any other answer the fault does not apply. */
const FAULT_NEEDS: Record<ModelFaultKind, 'calls' | 'json'> = {
  tool_fenced: 'calls',
  tool_bad_json: 'calls',
  tool_undeclared: 'calls',
  tool_none: 'calls',
  json_fenced: 'json',
  json_invalid: 'json',
};

export function isModelFault(kind: FaultKind): kind is ModelFaultKind {
  return Object.hasOwn(FAULT_NEEDS, kind);
}

/** Whether a fault of this kind can hit a request whose answer is `play` (other kinds always can). */
export function faultFitsPlay(kind: FaultKind, play: ModelPlay): boolean {
  return !isModelFault(kind) || FAULT_NEEDS[kind] === play.kind;
}

export const UNDECLARED_FUNCTION = 'undeclared_fn';
export const FENCED_CALL_PROSE = 'Sure, let me check.';
export const FENCED_JSON_PROSE = 'Here is the JSON:';
export const INVALID_JSON = '{answer: unquoted';

const NAME_CHAR = /[\w-]/;

/** Where `name` first occurs in `text` as a whole name (not inside a longer one), or -1. */
function mentionAt(text: string, name: string): number {
  for (let at = text.indexOf(name); at >= 0; at = text.indexOf(name, at + 1)) {
    const before = text[at - 1] ?? ' ';
    const after = text[at + name.length] ?? ' ';
    if (!NAME_CHAR.test(before) && !NAME_CHAR.test(after)) return at;
  }
  return -1;
}

const EDGE_PUNCTUATION = /^[\p{P}\p{S}]+|[\p{P}\p{S}]+$/gu;

/** The last word starting with an upper-case letter (punctuation stripped), else the last word. */
export function argumentWord(text: string): string {
  const words = text
    .split(/\s+/)
    .map((w) => w.replace(EDGE_PUNCTUATION, ''))
    .filter((w) => w !== '');
  return words.findLast((w) => /^\p{Lu}/u.test(w)) ?? words.at(-1) ?? '';
}

function planCalls(reading: PromptReading, tools: NonNullable<PromptReading['tools']>): PlannedCall[] {
  const { userText, mustCall } = reading;
  let names: string[];
  if (mustCall.kind === 'named') {
    // A forced function is the only one the model calls.
    names = [mustCall.name];
  } else {
    names = tools
      .map((tool) => ({ name: tool.name, at: mentionAt(userText, tool.name) }))
      .filter((m) => m.at >= 0)
      .sort((a, b) => a.at - b.at)
      .map((m) => m.name);
    if (names.length === 0 && mustCall.kind === 'any' && tools[0] !== undefined) names = [tools[0].name];
  }
  if (reading.atMostOne) names = names.slice(0, 1);
  const word = argumentWord(userText);
  return names.map((name) => ({ name, arguments: fillFields(tools.find((t) => t.name === name)?.params ?? [], word, false) }));
}

function planJson(reading: PromptReading): JsonValue {
  if (reading.json?.kind !== 'schema') return { answer: reading.userText };
  const type = parseCompactType(reading.json.signature);
  const word = argumentWord(reading.userText);
  return type.kind === 'object' ? fillFields(type.fields, word, true) : fillValue(type, word);
}

// Prompts without any of these cannot change the answer: skip reading them (the bench sends many).
const MARKERS = ['Tools:', 'Tool (', 'Reply with only'];

/**
 * After tool results: their summary (or the JSON answer when JSON is asked for). Otherwise a
 * call when a tool is named or one is required, else JSON when asked for, else the Echo reply.
 */
export function planAnswer(prompt: string): ModelPlay {
  if (!MARKERS.some((marker) => prompt.includes(marker))) return ECHO_PLAY;
  const reading = readPrompt(prompt);
  if (reading.toolResults.length > 0) {
    if (reading.json !== undefined) return { kind: 'json', value: planJson(reading) };
    return { kind: 'results', text: reading.toolResults.map((r) => `Result of ${r.name}: ${r.result}`).join('\n') };
  }
  if (reading.tools !== undefined) {
    const calls = planCalls(reading, reading.tools);
    if (calls.length > 0) return { kind: 'calls', calls };
  }
  if (reading.json !== undefined) return { kind: 'json', value: planJson(reading) };
  return ECHO_PLAY;
}

function callJson(call: PlannedCall): string {
  return JSON.stringify({ name: call.name, arguments: call.arguments });
}

function callsText(calls: readonly PlannedCall[], fault: ModelFaultKind | undefined): string {
  switch (fault) {
    case 'tool_fenced':
      return [FENCED_CALL_PROSE, ...calls.map((c) => `\`\`\`json\n${callJson(c)}\n\`\`\``)].join('\n');
    case 'tool_bad_json':
      // The closing brace replaced by a comma: no JSON parser (or repair) reads it back.
      return calls.map((c) => `<tool_call>${callJson(c).slice(0, -1)},</tool_call>`).join('\n');
    case 'tool_undeclared':
      return calls.map((c) => `<tool_call>${callJson({ ...c, name: UNDECLARED_FUNCTION })}</tool_call>`).join('\n');
    default:
      return calls.map((c) => `<tool_call>${callJson(c)}</tool_call>`).join('\n');
  }
}

function jsonText(value: JsonValue, fault: ModelFaultKind | undefined): string {
  if (fault === 'json_fenced') return `${FENCED_JSON_PROSE}\n\`\`\`json\n${JSON.stringify(value)}\n\`\`\``;
  if (fault === 'json_invalid') return INVALID_JSON;
  return JSON.stringify(value);
}

/** The answer text; `echo` builds the ordinary Echo reply (also what `tool_none` answers instead of a call). */
export function playText(play: ModelPlay, fault: ModelFaultKind | undefined, echo: () => string): string {
  switch (play.kind) {
    case 'echo':
      return echo();
    case 'results':
      return play.text;
    case 'calls':
      return fault === 'tool_none' ? echo() : callsText(play.calls, fault);
    case 'json':
      return jsonText(play.value, fault);
  }
}

/** The answer the emulator gives `message` when no fault hits, so tests can predict it. */
export function predictReply(message: string, model: string, replyLength: number): string {
  return playText(planAnswer(message), undefined, () => buildReply(message, model, replyLength));
}
