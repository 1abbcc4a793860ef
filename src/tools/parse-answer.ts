// A model's text answer → the tool calls it makes, and the text it says besides.
// Only declared functions come out, with arguments that are a JSON object satisfying the
// function's schema (schema-check.ts); every rejected attempt is described in `problems`.
// With parallel calls off, only the first valid call is kept.

import { findCallBlocks, CLOSE_TAG, OPEN_TAG } from './find-calls.ts';
import { isFiller } from './filler.ts';
import { parseJson } from './json-scan.ts';
import { schemaProblems } from './schema-check.ts';
import { isRecord } from './schema-util.ts';
import { quoteText } from './text.ts';
import type { RawCall } from './call-shape.ts';
import type { ToolCall, ToolSpec } from './types.ts';

export interface ParsedAnswer {
  calls: ToolCall[];
  /** The text outside the calls, trimmed; null when empty, or filler next to a call attempt (filler.ts). */
  content: string | null;
  problems: string[];
}

export function parseToolAnswer(text: string, tools: readonly ToolSpec[], options: { parallel: boolean; newId: () => string }): ParsedAnswer {
  const declared = new Map<string, ToolSpec>();
  for (const t of tools) if (!declared.has(t.name)) declared.set(t.name, t);

  const blocks = findCallBlocks(text);
  const calls: ToolCall[] = [];
  const problems: string[] = [];
  for (const block of blocks) {
    if (block.problem !== null) problems.push(block.problem);
    for (const raw of block.calls) {
      const checked = checkCall(raw, declared);
      if ('problem' in checked) problems.push(checked.problem);
      else if (options.parallel || calls.length === 0) calls.push({ id: options.newId(), ...checked });
    }
  }

  const pieces: string[] = [];
  let at = 0;
  for (const block of blocks) {
    pieces.push(text.slice(at, block.start));
    at = block.end;
  }
  pieces.push(text.slice(at));
  const rest = pieces
    .map((p) => p.replace(OPEN_TAG, '').replace(CLOSE_TAG, '').trim())
    .filter((p) => p !== '' && !/^```[A-Za-z0-9_-]*$/.test(p)) // a fence left empty by the call it wrapped
    .join('\n\n');
  const content = rest === '' || (blocks.length > 0 && isFiller(rest)) ? null : rest;
  return { calls, content, problems };
}

function checkCall(raw: RawCall, declared: ReadonlyMap<string, ToolSpec>): { name: string; arguments: string } | { problem: string } {
  const name = raw.name.trim();
  // OpenAI-trained models sometimes prefix the namespace they were trained with.
  const tool = declared.get(name) ?? declared.get(name.replace(/^functions\./, ''));
  if (tool === undefined) return { problem: name === '' ? 'a tool call without a function name' : `undeclared function ${quoteText(name)}` };

  let args: unknown = raw.args ?? {};
  if (typeof args === 'string') {
    if (args.trim() === '') args = {};
    else {
      const parsed = parseJson(args);
      if (!parsed.ok) return { problem: `${tool.name}: arguments are not valid JSON: ${quoteText(args)}` };
      args = parsed.value;
    }
  }
  if (!isRecord(args)) return { problem: `${tool.name}: arguments must be a JSON object` };
  const wrong = schemaProblems(args, tool.parameters);
  if (wrong.length > 0) return { problem: `${tool.name}: ${wrong.join('; ')}` };
  return { name: tool.name, arguments: JSON.stringify(args) };
}
