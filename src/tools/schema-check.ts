// Checks a parsed JSON value against a client's JSON schema, the parts that matter for tool
// arguments and structured output: types (type lists, nullable), enum, const, anyOf/oneOf/allOf,
// required keys, properties, additionalProperties (false or a schema), array items.
// Not checked: string formats, patterns, lengths and numeric ranges; $ref is accepted as any.
// Each problem is one short phrase naming the path: `city is required`, `tags[1] must be string (got number)`.

import { schemaSignature } from './schema-signature.ts';
import { isRecord, propertiesOf, requiredOf, typesOf, unionOf } from './schema-util.ts';
import { cutText } from './text.ts';
import type { JsonSchema } from './types.ts';

const MAX_PROBLEMS = 10;
const MAX_DEPTH = 32;
const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

export function schemaProblems(value: unknown, schema: JsonSchema, path = ''): string[] {
  const out: string[] = [];
  check(value, schema, path, 0, out);
  return out.slice(0, MAX_PROBLEMS);
}

function check(value: unknown, schema: unknown, path: string, depth: number, out: string[]): void {
  if (!isRecord(schema) || depth > MAX_DEPTH || out.length >= MAX_PROBLEMS) return;
  const name = path === '' ? 'the value' : path;

  if (Array.isArray(schema.allOf)) for (const part of schema.allOf) check(value, part, path, depth + 1, out);

  const members = unionOf(schema);
  if (members !== null && members.length > 0) {
    const fits = members.some((m) => {
      const sub: string[] = [];
      check(value, m, path, depth + 1, sub);
      return sub.length === 0;
    });
    if (!fits) out.push(`${name} must be ${cutText(schemaSignature(schema), 60)}`);
    return;
  }

  if (Array.isArray(schema.enum)) {
    if (!schema.enum.some((e) => sameJson(e, value)) && !(value === null && schema.nullable === true)) {
      out.push(`${name} must be one of ${cutText(schema.enum.map((e) => JSON.stringify(e)).join('|'), 60)}`);
    }
    return;
  }
  if ('const' in schema) {
    if (!sameJson(schema.const, value)) out.push(`${name} must be ${cutText(JSON.stringify(schema.const) ?? 'null', 60)}`);
    return;
  }

  const types = typesOf(schema);
  if (types.length > 0 && !types.some((t) => hasType(value, t))) {
    out.push(`${name} must be ${types.join('|')} (got ${kindOf(value)})`);
    return;
  }

  if (isRecord(value)) checkObject(value, schema, path, depth, out);
  else if (Array.isArray(value)) checkArray(value, schema, path, depth, out);
}

function checkObject(value: Record<string, unknown>, schema: JsonSchema, path: string, depth: number, out: string[]): void {
  const props = propertiesOf(schema) ?? {};
  for (const key of requiredOf(schema)) if (!Object.hasOwn(value, key)) out.push(`${join(path, key)} is required`);
  for (const [key, v] of Object.entries(value)) {
    if (Object.hasOwn(props, key)) check(v, props[key], join(path, key), depth + 1, out);
    else if (schema.additionalProperties === false) out.push(`${join(path, key)} is not allowed`);
    else check(v, schema.additionalProperties, join(path, key), depth + 1, out);
  }
}

function checkArray(value: unknown[], schema: JsonSchema, path: string, depth: number, out: string[]): void {
  const tuple = Array.isArray(schema.prefixItems) ? schema.prefixItems : Array.isArray(schema.items) ? schema.items : null;
  value.forEach((item, i) => {
    const itemSchema = tuple !== null ? tuple[i] : schema.items;
    check(item, itemSchema, `${path}[${i}]`, depth + 1, out);
  });
}

export function hasType(value: unknown, type: string): boolean {
  switch (type) {
    case 'string':
      return typeof value === 'string';
    case 'number':
      return typeof value === 'number';
    case 'integer':
      return Number.isInteger(value);
    case 'boolean':
      return typeof value === 'boolean';
    case 'null':
      return value === null;
    case 'array':
      return Array.isArray(value);
    case 'object':
      return isRecord(value);
    default:
      return true; // a type this checker does not know is not held against the value
  }
}

export const kindOf = (value: unknown): string => (value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value);

function join(path: string, key: string): string {
  const k = cutText(key, 40);
  if (IDENTIFIER.test(k)) return path === '' ? k : `${path}.${k}`;
  return `${path}[${JSON.stringify(k)}]`;
}

/** Equal as JSON values (enum and const compare so; key order of objects matters, as JSON text). */
const sameJson = (a: unknown, b: unknown): boolean => a === b || JSON.stringify(a) === JSON.stringify(b);
