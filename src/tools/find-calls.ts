// Where a model's answer holds tool calls: <tool_call> tags (whitespace inside the tag
// tolerated, a fence inside it too, an unclosed tag whose JSON is complete accepted), fenced
// JSON blocks shaped like a call, or the whole answer being a bare call object. Each block
// is a span of the answer, so the text around the blocks can become the content.

import { rawCalls, type RawCall } from './call-shape.ts';
import { balancedEnd, findFences, isJsonFence, parseJson } from './json-scan.ts';
import { quoteText } from './text.ts';

export interface CallBlock {
  start: number;
  end: number;
  calls: RawCall[];
  /** Set when the block is a broken call attempt (bad JSON, no name, unclosed): then `calls` is empty. */
  problem: string | null;
}

export const OPEN_TAG = /<\s*tool_call\s*>/gi;
export const CLOSE_TAG = /<\s*\/\s*tool_call\s*>/gi;

export function findCallBlocks(text: string): CallBlock[] {
  const blocks = tagBlocks(text);
  for (const fence of findFences(text)) {
    if (!isJsonFence(fence) || blocks.some((b) => fence.start < b.end && b.start < fence.end)) continue;
    const parsed = parseJson(fence.body);
    const calls = parsed.ok ? rawCalls(parsed.value) : null;
    if (calls !== null && calls.every((c) => c.hasArgs)) blocks.push({ start: fence.start, end: fence.end, calls, problem: null });
  }
  if (blocks.length === 0) {
    const parsed = parseJson(text.trim());
    const calls = parsed.ok ? rawCalls(parsed.value) : null;
    if (calls !== null && calls.every((c) => c.hasArgs)) blocks.push({ start: 0, end: text.length, calls, problem: null });
  }
  return blocks.sort((a, b) => a.start - b.start);
}

/** More tags than this in one answer end the search: each costs a scan of the text after it. */
export const MAX_TAGS = 64;

function tagBlocks(text: string): CallBlock[] {
  const blocks: CallBlock[] = [];
  let from = 0;
  for (;;) {
    const open = matchFrom(OPEN_TAG, text, from);
    if (open === null) return blocks;
    if (blocks.length === MAX_TAGS) {
      const problem = `more than ${MAX_TAGS} <tool_call> tags: the rest of the answer was ignored`;
      blocks.push({ start: open.index, end: text.length, calls: [], problem });
      return blocks;
    }
    const block = tagBlock(text, open.index, open.index + open[0].length);
    blocks.push(block);
    from = block.end;
  }
}

function tagBlock(text: string, start: number, bodyStart: number): CallBlock {
  const jsonStart = skipFenceOpening(text, bodyStart);
  const c = text[jsonStart];
  const jsonEnd = c === '{' || c === '[' ? balancedEnd(text, jsonStart) : null;
  // Tags inside the JSON's strings are text: the closing tag and the next call are looked for after it.
  const after = jsonEnd ?? bodyStart;
  const nextOpen = matchFrom(OPEN_TAG, text, after)?.index ?? text.length;
  const close = matchFrom(CLOSE_TAG, text, after);
  const closed = close !== null && close.index < nextOpen;

  let body: string;
  let end: number;
  if (closed) {
    body = text.slice(bodyStart, close.index);
    end = close.index + close[0].length;
  } else if (jsonEnd !== null) {
    body = text.slice(jsonStart, jsonEnd);
    end = skipFenceClosing(text, jsonEnd);
  } else {
    return { start, end: nextOpen, calls: [], problem: `unclosed <tool_call> tag: ${quoteText(text.slice(bodyStart, nextOpen))}` };
  }

  let parsed = parseJson(stripFence(body));
  if (!parsed.ok && jsonEnd !== null) parsed = parseJson(text.slice(jsonStart, jsonEnd)); // junk after complete JSON is ignored
  if (!parsed.ok) return { start, end, calls: [], problem: `invalid JSON in <tool_call>: ${quoteText(body)}` };
  const calls = rawCalls(parsed.value);
  if (calls === null) return { start, end, calls: [], problem: `a <tool_call> without a function name: ${quoteText(body)}` };
  return { start, end, calls, problem: null };
}

function matchFrom(pattern: RegExp, text: string, from: number): RegExpExecArray | null {
  const re = new RegExp(pattern.source, pattern.flags);
  re.lastIndex = from;
  return re.exec(text);
}

/** Past whitespace and an opening ``` fence (with its language) if there is one. */
function skipFenceOpening(text: string, at: number): number {
  const m = /^\s*(?:```[A-Za-z0-9_-]*\s*)?/.exec(text.slice(at, at + 64));
  return at + (m?.[0].length ?? 0);
}

/** Past whitespace and a closing ``` fence if one follows, else `at` unchanged. */
function skipFenceClosing(text: string, at: number): number {
  const m = /^\s*```/.exec(text.slice(at, at + 64));
  return m === null ? at : at + m[0].length;
}

const stripFence = (body: string): string =>
  body
    .trim()
    .replace(/^```[A-Za-z0-9_-]*\s*/, '')
    .replace(/\s*```$/, '')
    .trim();
