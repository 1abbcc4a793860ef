// Reading a gateway prompt the way the emulator's pretend model does: the `Tools:` block,
// the mode lines, the JSON line, the newest user text and the tool results the transcript
// ends with. Format: /work/notes/tools-contract.md (blocks joined by a blank line).

import { parseSignatureLine, type CompactSignature } from './compact-types.ts';

export interface ToolResult {
  name: string;
  result: string;
}

export type MustCall = { kind: 'none' } | { kind: 'any' } | { kind: 'named'; name: string };

export type JsonMode = { kind: 'object' } | { kind: 'schema'; signature: string };

export interface PromptReading {
  /** The functions of the `Tools:` block; undefined when the prompt has none. */
  tools: CompactSignature[] | undefined;
  mustCall: MustCall;
  atMostOne: boolean;
  json: JsonMode | undefined;
  /** The newest `User:` turn, or the lone unlabelled message. */
  userText: string;
  /** The `Tool (fn): ...` blocks the transcript ends with, oldest first; empty when it ends otherwise. */
  toolResults: ToolResult[];
}

type Role = 'system' | 'user' | 'assistant' | 'tool' | 'unlabelled' | 'tools' | 'directive';

interface Segment {
  role: Role;
  /** For a `Tool (fn):` block. */
  name?: string;
  text: string;
}

const SEPARATOR = '\n\n';
const LABEL = /^(?:(System|User|Assistant)|Tool \(([^()\n]*)\)|(Tool)): ?/;
const JSON_OBJECT_LINE = 'Reply with only a JSON object.';
const JSON_SCHEMA_LINE = 'Reply with only JSON matching: ';
const MUST_CALL_ANY = 'You must call a tool.';
const MUST_CALL_NAMED = /You must call [`"']?([\w.-]+)[`"']?\./;
const AT_MOST_ONE = 'Call at most one tool.';

function isDirectiveLine(line: string): boolean {
  return (
    line.includes(JSON_OBJECT_LINE) ||
    line.includes(JSON_SCHEMA_LINE) ||
    line.includes(MUST_CALL_ANY) ||
    MUST_CALL_NAMED.test(line) ||
    line.includes(AT_MOST_ONE)
  );
}

function labelled(chunk: string): Segment | undefined {
  const label = LABEL.exec(chunk);
  if (label === null) return undefined;
  const text = chunk.slice(label[0].length);
  if (label[2] !== undefined) return { role: 'tool', name: label[2], text };
  if (label[3] !== undefined) return { role: 'tool', text };
  return { role: label[1]!.toLowerCase() as Role, text };
}

/**
 * Splits the prompt into its blocks. A chunk after a blank line that carries no label
 * continues the block before it (message text may hold blank lines), except in the head:
 * the tools block never holds a blank line, and a chunk made only of mode / JSON lines
 * stands alone, so a lone unlabelled user message after them is found as such.
 */
function segments(prompt: string): Segment[] {
  const out: Segment[] = [];
  let open: Segment | undefined;
  let turnSeen = false;
  let toolsSeen = false;
  for (const chunk of prompt.split(SEPARATOR)) {
    if (!turnSeen && !toolsSeen && (chunk === 'Tools:' || chunk.startsWith('Tools:\n'))) {
      toolsSeen = true;
      out.push({ role: 'tools', text: chunk });
      open = undefined;
      continue;
    }
    const segment = labelled(chunk);
    if (segment !== undefined) {
      out.push(segment);
      open = segment;
      if (segment.role !== 'system') turnSeen = true;
      continue;
    }
    if (!turnSeen && chunk.split('\n').every(isDirectiveLine)) {
      out.push({ role: 'directive', text: chunk });
      open = undefined;
      continue;
    }
    if (open !== undefined) {
      open.text += SEPARATOR + chunk;
    } else {
      open = { role: 'unlabelled', text: chunk };
      out.push(open);
      turnSeen = true;
    }
  }
  return out;
}

function readTools(block: string): CompactSignature[] {
  const tools: CompactSignature[] = [];
  for (const line of block.split('\n').slice(1)) {
    const signature = parseSignatureLine(line.trim());
    if (signature !== undefined && !tools.some((t) => t.name === signature.name)) tools.push(signature);
  }
  return tools;
}

function readMustCall(prompt: string): MustCall {
  if (prompt.includes(MUST_CALL_ANY)) return { kind: 'any' };
  const named = MUST_CALL_NAMED.exec(prompt);
  return named === null ? { kind: 'none' } : { kind: 'named', name: named[1]! };
}

/** The first JSON line of the prompt, if any. */
function readJsonMode(prompt: string): JsonMode | undefined {
  for (const line of prompt.split('\n')) {
    if (line.includes(JSON_OBJECT_LINE)) return { kind: 'object' };
    const at = line.indexOf(JSON_SCHEMA_LINE);
    if (at >= 0) return { kind: 'schema', signature: line.slice(at + JSON_SCHEMA_LINE.length).trim() };
  }
  return undefined;
}

export function readPrompt(prompt: string): PromptReading {
  const blocks = segments(prompt);
  const toolsBlock = blocks.find((b) => b.role === 'tools');
  const newestUser = blocks.findLast((b) => b.role === 'user') ?? blocks.findLast((b) => b.role === 'unlabelled');
  const toolResults: ToolResult[] = [];
  for (let i = blocks.length - 1; i >= 0; i--) {
    const block = blocks[i];
    if (block?.role !== 'tool' || block.name === undefined) break;
    toolResults.unshift({ name: block.name, result: block.text });
  }
  return {
    tools: toolsBlock === undefined ? undefined : readTools(toolsBlock.text),
    mustCall: readMustCall(prompt),
    atMostOne: prompt.includes(AT_MOST_ONE),
    json: readJsonMode(prompt),
    userText: newestUser?.text ?? '',
    toolResults,
  };
}
