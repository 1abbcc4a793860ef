// The JSON value in a model's answer for response_format json_object / json_schema: the
// whole answer, else a ```json (or bare ```) fence, else the first balanced {...} / [...] in
// the prose; the first candidate that parses and fits the format wins. Fitting: json_object
// wants an object; any json_schema the schema's top-level type (an object when it states
// none and has no anyOf/oneOf); a strict one also the whole schema (schema-check.ts).

import { balancedEnd, findFences, isJsonFence, parseJson } from './json-scan.ts';
import { hasType, kindOf, schemaProblems } from './schema-check.ts';
import { describesObject, typesOf, unionOf } from './schema-util.ts';
import { quoteText } from './text.ts';
import type { OutputFormat } from './types.ts';

export { schemaProblems } from './schema-check.ts';

type JsonFormat = Exclude<OutputFormat, { type: 'text' }>;

/** How many '{' / '[' positions in prose are tried: bounds the work on a long answer with no JSON. */
const MAX_PROSE_STARTS = 32;

export function extractJson(text: string, format: JsonFormat): { ok: true; json: string } | { ok: false; problem: string } {
  let firstProblem: string | null = null;
  for (const value of candidates(text)) {
    const problems = formatProblems(value, format);
    if (problems.length === 0) return { ok: true, json: JSON.stringify(value) };
    firstProblem ??= problems.join('; ');
  }
  return { ok: false, problem: firstProblem ?? noJson(text) };
}

function* candidates(text: string): Generator<unknown> {
  const whole = parseJson(text.trim());
  if (whole.ok) yield whole.value;
  for (const fence of findFences(text)) {
    if (!isJsonFence(fence)) continue;
    const parsed = parseJson(fence.body);
    if (parsed.ok) yield parsed.value;
  }
  let tries = 0;
  for (let i = 0; i < text.length && tries < MAX_PROSE_STARTS; i++) {
    if (text[i] !== '{' && text[i] !== '[') continue;
    tries++;
    const end = balancedEnd(text, i);
    if (end === null) continue;
    const parsed = parseJson(text.slice(i, end));
    if (!parsed.ok) continue;
    yield parsed.value;
    i = end - 1;
  }
}

function formatProblems(value: unknown, format: JsonFormat): string[] {
  if (format.type === 'json_object') return topLevel(value, ['object']);
  const types = typesOf(format.schema);
  const expected = types.length > 0 ? types : describesObject(format.schema) || unionOf(format.schema) === null ? ['object'] : [];
  const wrongType = topLevel(value, expected);
  if (wrongType.length > 0 || !format.strict) return wrongType;
  return schemaProblems(value, format.schema);
}

/** The value is of one of the types (none: anything goes). */
const topLevel = (value: unknown, types: string[]): string[] =>
  types.length === 0 || types.some((t) => hasType(value, t)) ? [] : [`the JSON must be ${types.join('|')} (got ${kindOf(value)})`];

function noJson(text: string): string {
  const trimmed = text.trim();
  if (trimmed === '') return 'the answer was empty';
  const fence = findFences(text).find(isJsonFence);
  const brace = trimmed.search(/[{[]/);
  const likely = fence !== undefined ? fence.body : brace >= 0 ? trimmed.slice(brace) : trimmed;
  const parsed = parseJson(likely);
  const why = parsed.ok ? '' : ` (${parsed.error})`;
  return `the answer is not valid JSON${why}: ${quoteText(likely, 60)}`;
}
