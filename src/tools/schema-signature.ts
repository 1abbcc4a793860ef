// A JSON schema rendered compactly, TypeScript-like, for the prompt: `{city: string, unit?: "c"|"f"}`.
// Types: string, number, integer, boolean, null, T[], {a: T, b?: U}, enum and const literals,
// unions A|B (anyOf, oneOf, type lists, nullable); $ref and anything else is `any`.
// Descriptions, defaults and formats are left out: every character counts against the budget.

import { describesObject, isRecord, propertiesOf, requiredOf, typesOf, unionOf, unwrapAllOf } from './schema-util.ts';
import type { JsonSchema } from './types.ts';

const MAX_DEPTH = 8;
const SIMPLE_TYPES = new Set(['string', 'number', 'integer', 'boolean', 'null']);
const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

export function schemaSignature(schema: JsonSchema): string {
  return render(schema, 0);
}

/** The properties of an object schema without the braces (a tool's parameter list); '' when it has none. */
export function propertyList(schema: JsonSchema): string {
  const s = unwrapAllOf(schema);
  return describesObject(s) ? properties(s, 0) : '';
}

function render(raw: unknown, depth: number): string {
  if (!isRecord(raw) || depth > MAX_DEPTH) return 'any';
  const schema = unwrapAllOf(raw);
  const nullable = schema.nullable === true;

  if (Array.isArray(schema.enum) && schema.enum.length > 0) return union([...schema.enum.map(literal), ...(nullable ? ['null'] : [])]);
  if ('const' in schema) return literal(schema.const);
  const members = unionOf(schema);
  if (members !== null && members.length > 0) return union([...members.map((m) => render(m, depth + 1)), ...(nullable ? ['null'] : [])]);

  const types = typesOf(schema);
  if (types.length === 0) {
    if (propertiesOf(schema) !== null) return `{${properties(schema, depth)}}`;
    if (schema.items !== undefined) return arrayOf(schema, depth);
    return 'any';
  }
  return union(types.map((t) => single(t, schema, depth)));
}

function single(type: string, schema: JsonSchema, depth: number): string {
  if (SIMPLE_TYPES.has(type)) return type;
  if (type === 'array') return arrayOf(schema, depth);
  if (type === 'object') return `{${properties(schema, depth)}}`;
  return 'any';
}

function arrayOf(schema: JsonSchema, depth: number): string {
  const item = Array.isArray(schema.items) || schema.items === undefined ? 'any' : render(schema.items, depth + 1);
  return hasTopLevelBar(item) ? `(${item})[]` : `${item}[]`;
}

/** Whether a rendered type is a union at its top level (a '|' outside braces, brackets and string literals). */
function hasTopLevelBar(type: string): boolean {
  let depth = 0;
  for (let i = 0; i < type.length; i++) {
    const c = type[i]!;
    if (c === '"') {
      for (i++; i < type.length && type[i] !== '"'; i++) if (type[i] === '\\') i++;
    } else if (c === '{' || c === '(' || c === '[') depth++;
    else if (c === '}' || c === ')' || c === ']') depth--;
    else if (c === '|' && depth === 0) return true;
  }
  return false;
}

function properties(schema: JsonSchema, depth: number): string {
  const props = propertiesOf(schema);
  if (props === null) return '';
  const required = requiredOf(schema);
  return Object.entries(props)
    .map(([key, sub]) => `${IDENTIFIER.test(key) ? key : JSON.stringify(key)}${required.has(key) ? '' : '?'}: ${render(sub, depth + 1)}`)
    .join(', ');
}

const literal = (v: unknown): string => (v === undefined ? 'any' : JSON.stringify(v));

/** Members joined with '|', duplicates removed; any member `any` makes the whole `any`. */
function union(members: string[]): string {
  const unique = [...new Set(members)];
  return unique.includes('any') ? 'any' : unique.join('|');
}
