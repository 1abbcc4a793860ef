// Reading a client's JSON schema defensively: any key may be missing or of the wrong kind.

import type { JsonSchema } from './types.ts';

export const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The sub-schemas of anyOf / oneOf (whichever is present), or null. */
export function unionOf(schema: JsonSchema): JsonSchema[] | null {
  const list = Array.isArray(schema.anyOf) ? schema.anyOf : Array.isArray(schema.oneOf) ? schema.oneOf : null;
  return list === null ? null : list.filter(isRecord);
}

/** The schema's `type` as a list ('integer', 'string', …), plus 'null' for OpenAPI's nullable: true; [] when unstated. */
export function typesOf(schema: JsonSchema): string[] {
  const t = schema.type;
  const types = typeof t === 'string' ? [t] : Array.isArray(t) ? t.filter((x): x is string => typeof x === 'string') : [];
  if (schema.nullable === true && types.length > 0 && !types.includes('null')) types.push('null');
  return types;
}

export const propertiesOf = (schema: JsonSchema): Record<string, unknown> | null => (isRecord(schema.properties) ? schema.properties : null);

export const requiredOf = (schema: JsonSchema): Set<string> =>
  new Set(Array.isArray(schema.required) ? schema.required.filter((r): r is string => typeof r === 'string') : []);

/** An object schema: says type object, or has properties without saying a type. */
export const describesObject = (schema: JsonSchema): boolean => {
  const types = typesOf(schema);
  return types.includes('object') || (types.length === 0 && propertiesOf(schema) !== null);
};

/** A single-element allOf (pydantic wraps $refs so) stands for its element. */
export function unwrapAllOf(schema: JsonSchema): JsonSchema {
  const only = Array.isArray(schema.allOf) && schema.allOf.length === 1 ? schema.allOf[0] : undefined;
  return isRecord(only) && schema.properties === undefined && schema.type === undefined ? only : schema;
}
