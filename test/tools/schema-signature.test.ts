import { describe, expect, test } from 'bun:test';
import { propertyList, schemaSignature } from '../../src/tools/schema-signature.ts';

describe('schemaSignature', () => {
  test('simple types render as their names', () => {
    for (const t of ['string', 'number', 'integer', 'boolean', 'null']) expect(schemaSignature({ type: t })).toBe(t);
  });

  test('an object lists its properties, optional ones with ?, in the order given', () => {
    const schema = { type: 'object', properties: { city: { type: 'string' }, days: { type: 'integer' }, metric: { type: 'boolean' } }, required: ['city', 'metric'] };
    expect(schemaSignature(schema)).toBe('{city: string, days?: integer, metric: boolean}');
  });

  test('properties without a stated type still make an object; an object without properties is {}', () => {
    expect(schemaSignature({ properties: { a: { type: 'number' } }, required: ['a'] })).toBe('{a: number}');
    expect(schemaSignature({ type: 'object' })).toBe('{}');
    expect(schemaSignature({ type: 'object', additionalProperties: { type: 'string' } })).toBe('{}');
  });

  test('property names that are not identifiers are quoted', () => {
    const schema = { type: 'object', properties: { 'first-name': { type: 'string' }, 'x y': {} }, required: ['first-name'] };
    expect(schemaSignature(schema)).toBe('{"first-name": string, "x y"?: any}');
  });

  test('arrays: T[], unions and enums in parentheses, missing or tuple items any[]', () => {
    expect(schemaSignature({ type: 'array', items: { type: 'string' } })).toBe('string[]');
    expect(schemaSignature({ type: 'array', items: { type: 'array', items: { type: 'integer' } } })).toBe('integer[][]');
    expect(schemaSignature({ type: 'array', items: { enum: ['a', 'b'] } })).toBe('("a"|"b")[]');
    expect(schemaSignature({ type: 'array', items: { anyOf: [{ type: 'string' }, { type: 'number' }] } })).toBe('(string|number)[]');
    expect(schemaSignature({ type: 'array', items: { type: 'object', properties: { x: { type: ['string', 'null'] } } } })).toBe('{x?: string|null}[]');
    expect(schemaSignature({ type: 'array', items: { anyOf: [{ type: 'object', properties: { a: { type: 'string' } } }, { type: 'null' }] } })).toBe('({a?: string}|null)[]');
    expect(schemaSignature({ type: 'array' })).toBe('any[]');
    expect(schemaSignature({ type: 'array', items: [{ type: 'string' }] })).toBe('any[]');
    expect(schemaSignature({ items: { type: 'boolean' } })).toBe('boolean[]');
  });

  test('a | inside a string literal does not count as a union', () => {
    expect(schemaSignature({ type: 'array', items: { const: 'a|b' } })).toBe('"a|b"[]');
  });

  test('enums and const are JSON literals', () => {
    expect(schemaSignature({ type: 'string', enum: ['c', 'f'] })).toBe('"c"|"f"');
    expect(schemaSignature({ enum: [1, 2, null, true] })).toBe('1|2|null|true');
    expect(schemaSignature({ const: 'fixed' })).toBe('"fixed"');
    expect(schemaSignature({ enum: ['say "hi"'] })).toBe('"say \\"hi\\""');
  });

  test('unions: anyOf, oneOf and type lists, duplicates removed', () => {
    expect(schemaSignature({ anyOf: [{ type: 'string' }, { type: 'integer' }] })).toBe('string|integer');
    expect(schemaSignature({ oneOf: [{ type: 'string' }, { type: 'string' }, { type: 'null' }] })).toBe('string|null');
    expect(schemaSignature({ type: ['number', 'string'] })).toBe('number|string');
  });

  test('nullable: anyOf with null, type lists with null, OpenAPI nullable', () => {
    expect(schemaSignature({ anyOf: [{ type: 'string' }, { type: 'null' }] })).toBe('string|null');
    expect(schemaSignature({ type: ['integer', 'null'] })).toBe('integer|null');
    expect(schemaSignature({ type: 'string', nullable: true })).toBe('string|null');
    expect(schemaSignature({ type: 'string', enum: ['a', 'b'], nullable: true })).toBe('"a"|"b"|null');
  });

  test('nested objects', () => {
    const schema = {
      type: 'object',
      properties: {
        user: { type: 'object', properties: { name: { type: 'string' }, tags: { type: 'array', items: { type: 'string' } } }, required: ['name'] },
        meta: { type: 'object', properties: { level: { type: 'object', properties: { deep: { type: 'boolean' } } } } },
      },
      required: ['user'],
    };
    expect(schemaSignature(schema)).toBe('{user: {name: string, tags?: string[]}, meta?: {level?: {deep?: boolean}}}');
  });

  test('$ref, unknown types, empty and non-object schemas are any; a union with any is any', () => {
    expect(schemaSignature({ $ref: '#/$defs/Address' })).toBe('any');
    expect(schemaSignature({ type: 'object', properties: { home: { $ref: '#/definitions/Address' } }, required: ['home'] })).toBe('{home: any}');
    expect(schemaSignature({ allOf: [{ $ref: '#/$defs/Address' }] })).toBe('any');
    expect(schemaSignature({})).toBe('any');
    expect(schemaSignature({ type: 'file' })).toBe('any');
    expect(schemaSignature({ type: 'object', properties: { p: true, q: 'nonsense' } })).toBe('{p?: any, q?: any}');
    expect(schemaSignature({ anyOf: [{ type: 'string' }, {}] })).toBe('any');
  });

  test('a single-element allOf stands for its element', () => {
    expect(schemaSignature({ allOf: [{ type: 'object', properties: { a: { type: 'string' } }, required: ['a'] }] })).toBe('{a: string}');
  });

  test('malformed keywords are ignored rather than thrown on', () => {
    expect(schemaSignature({ type: 'object', properties: { a: { type: 'string' } }, required: 'a' })).toBe('{a?: string}');
    expect(schemaSignature({ type: 'object', properties: [1, 2] })).toBe('{}');
    expect(schemaSignature({ anyOf: 'x', type: 'integer' })).toBe('integer');
    expect(schemaSignature({ enum: [] , type: 'string' })).toBe('string');
  });

  test('very deep nesting stops at any instead of growing without bound', () => {
    let schema: Record<string, unknown> = { type: 'string' };
    for (let i = 0; i < 50; i++) schema = { type: 'object', properties: { x: schema }, required: ['x'] };
    const sig = schemaSignature(schema);
    expect(sig).toContain('any');
    expect(sig).not.toContain('string');
    expect(sig.length).toBeLessThan(200);
  });

  test('propertyList is the parameter list of a tool: the properties without braces', () => {
    expect(propertyList({ type: 'object', properties: { q: { type: 'string' }, limit: { type: 'integer' } }, required: ['q'] })).toBe('q: string, limit?: integer');
    expect(propertyList({ type: 'object', properties: {} })).toBe('');
    expect(propertyList({})).toBe('');
    expect(propertyList({ type: 'string' })).toBe('');
  });
});
