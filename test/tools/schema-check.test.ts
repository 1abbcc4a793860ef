import { describe, expect, test } from 'bun:test';
import { schemaProblems } from '../../src/tools/schema-check.ts';
import { tool } from './fixtures.ts';

const weather = tool('get_weather').parameters;
const event = tool('create_calendar_event').parameters;

describe('schemaProblems', () => {
  test('a value that fits has no problems', () => {
    expect(schemaProblems({ location: 'Paris', unit: 'celsius' }, weather)).toEqual([]);
    expect(schemaProblems({ title: 'x', start: 's', end: 'e', location: null, reminder: { minutes_before: 10, method: 'popup' } }, event)).toEqual([]);
  });

  test('missing required keys, each named', () => {
    expect(schemaProblems({}, event)).toEqual(['title is required', 'start is required', 'end is required']);
  });

  test('wrong basic types say what was expected and what came', () => {
    expect(schemaProblems({ location: 42 }, weather)).toEqual(['location must be string (got number)']);
    expect(schemaProblems({ n: 1.5 }, { type: 'object', properties: { n: { type: 'integer' } } })).toEqual(['n must be integer (got number)']);
    expect(schemaProblems({ n: 2 }, { type: 'object', properties: { n: { type: 'integer' } } })).toEqual([]);
    expect(schemaProblems({ b: 'true' }, { type: 'object', properties: { b: { type: 'boolean' } } })).toEqual(['b must be boolean (got string)']);
    expect(schemaProblems([1], { type: 'object' })).toEqual(['the value must be object (got array)']);
    expect(schemaProblems(null, { type: 'object' })).toEqual(['the value must be object (got null)']);
  });

  test('enums and const', () => {
    expect(schemaProblems({ location: 'Paris', unit: 'kelvin' }, weather)).toEqual(['unit must be one of "celsius"|"fahrenheit"']);
    expect(schemaProblems('x', { const: 'y' })).toEqual(['the value must be "y"']);
    expect(schemaProblems(null, { type: 'string', enum: ['a'], nullable: true })).toEqual([]);
  });

  test('nullable forms accept null', () => {
    expect(schemaProblems({ a: null, b: null, c: null }, {
      type: 'object',
      properties: { a: { anyOf: [{ type: 'string' }, { type: 'null' }] }, b: { type: ['string', 'null'] }, c: { type: 'string', nullable: true } },
    })).toEqual([]);
  });

  test('unions: some member must fit', () => {
    const schema = { anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'integer' } }] };
    expect(schemaProblems('a', schema)).toEqual([]);
    expect(schemaProblems([1, 2], schema)).toEqual([]);
    expect(schemaProblems([1, 'x'], schema)).toEqual(['the value must be string|integer[]']);
    expect(schemaProblems(3, { oneOf: [{ type: 'string' }, { type: 'boolean' }] })).toEqual(['the value must be string|boolean']);
  });

  test('allOf: every part applies', () => {
    const schema = { allOf: [{ type: 'object', required: ['a'] }, { type: 'object', required: ['b'] }] };
    expect(schemaProblems({ a: 1 }, schema)).toEqual(['b is required']);
  });

  test('additional properties are allowed unless the schema says false; a schema for them is applied', () => {
    expect(schemaProblems({ location: 'Paris', extra: 1 }, weather)).toEqual([]);
    expect(schemaProblems({ query: 'x', extra: 1, 'odd key': 2 }, tool('search_web').parameters)).toEqual(['extra is not allowed', '["odd key"] is not allowed']);
    expect(schemaProblems({ a: 1, b: 'x' }, { type: 'object', additionalProperties: { type: 'number' } })).toEqual(['b must be number (got string)']);
  });

  test('nested paths: objects and array items', () => {
    expect(schemaProblems({ title: 't', start: 's', end: 'e', attendees: ['a', 3], reminder: { method: 'sms' } }, event)).toEqual([
      'attendees[1] must be string (got number)',
      'reminder.minutes_before is required',
      'reminder.method must be one of "email"|"popup"',
    ]);
    expect(schemaProblems({ title: 't', start: 's', end: 'e', reminder: { minutes_before: 5, sound: true } }, event)).toEqual(['reminder.sound is not allowed']);
  });

  test('tuples via prefixItems or an items list', () => {
    expect(schemaProblems([1, 'a'], { type: 'array', prefixItems: [{ type: 'integer' }, { type: 'integer' }] })).toEqual(['[1] must be integer (got string)']);
    expect(schemaProblems(['a', 1, true], { type: 'array', items: [{ type: 'string' }, { type: 'integer' }] })).toEqual([]);
  });

  test('a path prefix names where the value sits', () => {
    expect(schemaProblems({}, { type: 'object', required: ['x'] }, 'args')).toEqual(['args.x is required']);
  });

  test('$ref, unknown types and non-object schemas accept anything', () => {
    expect(schemaProblems({ a: 1 }, { $ref: '#/$defs/X' })).toEqual([]);
    expect(schemaProblems(5, { type: 'decimal' })).toEqual([]);
    expect(schemaProblems({ p: 1 }, { type: 'object', properties: { p: true } })).toEqual([]);
  });

  test('at most ten problems, and deep values end the walk instead of the stack', () => {
    const many = Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`k${i}`, 1]));
    expect(schemaProblems(many, { type: 'object', additionalProperties: false })).toHaveLength(10);
    let value: unknown = 'leaf';
    let schema: Record<string, unknown> = { type: 'integer' };
    for (let i = 0; i < 5000; i++) {
      value = [value];
      schema = { type: 'array', items: schema };
    }
    expect(schemaProblems(value, schema)).toEqual([]);
  });
});
