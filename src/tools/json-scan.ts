// Finding JSON inside free text: the end of a balanced {...} / [...] (brackets inside strings
// ignored), Markdown code fences, and a JSON.parse that answers instead of throwing.

export type Parsed = { ok: true; value: unknown } | { ok: false; error: string };

export function parseJson(text: string): Parsed {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (e) {
    return { ok: false, error: e instanceof Error ? e.message : String(e) };
  }
}

/**
 * `text[start]` is '{' or '['; the index just past its matching close, or null when the
 * brackets never balance (text cut short) or do not match ('{' closed by ']').
 */
export function balancedEnd(text: string, start: number): number | null {
  const stack: string[] = [];
  let inString = false;
  for (let i = start; i < text.length; i++) {
    const c = text[i]!;
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') {
      inString = true;
    } else if (c === '{' || c === '[') {
      stack.push(c === '{' ? '}' : ']');
    } else if (c === '}' || c === ']') {
      if (stack.pop() !== c) return null;
      if (stack.length === 0) return i + 1;
    }
  }
  return null;
}

export interface Fence {
  start: number;
  end: number;
  /** The info string after the opening backticks, lower-cased ('' when none). */
  lang: string;
  body: string;
}

// ``` + optional language, then the body up to the next ``` (same line or not).
const FENCE = /```[ \t]*([A-Za-z0-9_+-]*)[ \t]*\r?\n?([\s\S]*?)```/g;

export function findFences(text: string): Fence[] {
  return [...text.matchAll(FENCE)].map((m) => ({ start: m.index, end: m.index + m[0].length, lang: m[1]!.toLowerCase(), body: m[2]!.trim() }));
}

/** Fences a JSON value may be in: ```json, ``` with no language, and json-like languages. */
export const isJsonFence = (f: Fence): boolean => ['', 'json', 'jsonc', 'json5', 'javascript', 'js', 'tool_call'].includes(f.lang);
