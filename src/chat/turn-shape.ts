// What a turn asks of the model beyond text, and how its answer is read: tools (described in
// the prompt, calls parsed from the answer), the output format (JSON extracted and checked) and
// stop sequences (the text cut at the first one). The site takes one text message and answers
// text, so all of them are emulated here, over any surface.

import type { PromptHead } from '../conversation/prompt.ts';
import { extractJson } from '../tools/json-output.ts';
import { newToolCallId } from '../tools/ids.ts';
import { parseToolAnswer } from '../tools/parse-answer.ts';
import { toolsForChoice } from '../tools/choice.ts';
import { correctiveLine, renderFormatLine, renderToolsBlock, type Correction } from '../tools/render.ts';
import type { OutputFormat, ToolCall, ToolChoice, ToolSpec } from '../tools/types.ts';

export interface TurnShape {
  tools: readonly ToolSpec[];
  toolChoice: ToolChoice;
  /** false: at most one call per answer. */
  parallelToolCalls: boolean;
  format: OutputFormat;
  /**
   * Stop sequences: the text of the answer ends before the earliest one. The site cannot
   * stop generating, so the answer is cut when it arrives (before the turn is stored).
   */
  stop: readonly string[];
}

export const PLAIN_TEXT: TurnShape = { tools: [], toolChoice: { mode: 'auto' }, parallelToolCalls: true, format: { type: 'text' }, stop: [] };

/** What the model said, as the client gets it. */
export interface ShapedAnswer {
  /** null when the answer is only tool calls (or filler around them). */
  content: string | null;
  toolCalls: ToolCall[];
  /** The stop sequence the text was cut at; null when none occurred. */
  stoppedBy: string | null;
}

export type Reading = { ok: true; answer: ShapedAnswer } | { ok: false; correction: Correction; problem: string };

const toolsOffered = (shape: TurnShape) => shape.tools.length > 0 && shape.toolChoice.mode !== 'none';

/** The tools offered for this turn: with a named function, only that one. */
const offered = (shape: TurnShape): readonly ToolSpec[] => toolsForChoice(shape.tools, shape.toolChoice);

/** The lines the gateway adds after the system text; `correction` is the one retry's instruction. */
export function promptHead(shape: TurnShape, correction: Correction | null): PromptHead {
  const formatLine = renderFormatLine(shape.format);
  const fix = correction ? correctiveLine(correction, shape.toolChoice) : '';
  const blocks = (level: 'full' | 'signatures') =>
    [toolsOffered(shape) ? renderToolsBlock(offered(shape), shape.toolChoice, shape.parallelToolCalls, level) : '', formatLine, fix].filter((b) => b !== '');
  return { full: blocks('full'), compact: blocks('signatures'), what: 'the tools' };
}

/** Reads the model's answer for this shape: calls and content, or why it needs the one corrective retry. */
export function readAnswer(text: string, shape: TurnShape): Reading {
  if (toolsOffered(shape)) {
    const parsed = parseToolAnswer(text, offered(shape), { parallel: shape.parallelToolCalls, newId: newToolCallId });
    if (parsed.calls.length > 0) {
      const cut = parsed.content === null ? { text: '', stoppedBy: null } : cutAtStop(parsed.content, shape.stop);
      return { ok: true, answer: { content: cut.text === '' ? null : cut.text, toolCalls: parsed.calls, stoppedBy: cut.stoppedBy } };
    }
    const problem = parsed.problems[0];
    // A call the model got wrong is never passed on, nor its raw tags as text.
    if (problem !== undefined) return { ok: false, correction: { kind: 'invalid_call', detail: problem }, problem: `its tool call was not usable (${problem})` };
    const choice = shape.toolChoice;
    if (choice.mode === 'required' || choice.mode === 'function') {
      return { ok: false, correction: { kind: 'no_call' }, problem: `it did not call ${choice.mode === 'function' ? choice.name : 'a tool'} although tool_choice requires it` };
    }
  }
  if (shape.format.type === 'text') {
    const cut = cutAtStop(text, shape.stop);
    return { ok: true, answer: { content: cut.text, toolCalls: [], stoppedBy: cut.stoppedBy } };
  }
  // A JSON answer is not cut: a stop sequence inside it would only make it invalid.
  const json = extractJson(text, shape.format);
  if (!json.ok) return { ok: false, correction: { kind: 'invalid_json', detail: json.problem }, problem: `its answer is not the JSON asked for (${json.problem})` };
  return { ok: true, answer: { content: json.json, toolCalls: [], stoppedBy: null } };
}

/** `text` up to the earliest stop sequence (the first listed wins a tie), and which one it was. */
export function cutAtStop(text: string, stops: readonly string[]): { text: string; stoppedBy: string | null } {
  let at = -1;
  let stoppedBy: string | null = null;
  for (const stop of stops) {
    if (stop === '') continue;
    const found = text.indexOf(stop);
    if (found !== -1 && (at === -1 || found < at)) {
      at = found;
      stoppedBy = stop;
    }
  }
  return stoppedBy === null ? { text, stoppedBy } : { text: text.slice(0, at), stoppedBy };
}
