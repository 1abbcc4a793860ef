// The emulator's reader of the compact type syntax: what it makes of odd signatures.

import { describe, expect, test } from 'bun:test';
import { fillFields, parseCompactType, parseSignatureLine } from '../../emulator/compact-types.ts';

describe('parseSignatureLine', () => {
  test('reads names, optional marks and types, and ignores the description', () => {
    const signature = parseSignatureLine('get_weather(city: string, unit?: "c"|"f") - Get it (now), fast.');
    expect(signature).toEqual({
      name: 'get_weather',
      params: [
        { name: 'city', optional: false, type: { kind: 'string' } },
        {
          name: 'unit',
          optional: true,
          type: {
            kind: 'union',
            options: [
              { kind: 'literal', value: 'c' },
              { kind: 'literal', value: 'f' },
            ],
          },
        },
      ],
    });
  });

  test('quoted enum values may hold commas, parentheses and escaped quotes', () => {
    const signature = parseSignatureLine('pick(v: "a, b)"|"say \\"hi\\"", n: integer)');
    expect(signature?.params.map((p) => p.name)).toEqual(['v', 'n']);
    expect(fillFields(signature?.params ?? [], 'W', false)).toEqual({ v: 'a, b)', n: 1 });
  });

  test('nested objects, arrays of objects and parenthesised unions', () => {
    const signature = parseSignatureLine('f(o: {a: string, b?: {c: number}}, list: {x: string}[], u: (string|number)[])');
    expect(signature?.params.map((p) => p.type.kind)).toEqual(['object', 'array', 'array']);
    expect(fillFields(signature?.params ?? [], 'W', false)).toEqual({ o: {}, list: [], u: [] });
  });

  test('unknown type names and unreadable parameters become any, and never throw', () => {
    const signature = parseSignatureLine('f(a: Date, b: ???, c: boolean)');
    expect(signature?.params).toEqual([
      { name: 'a', optional: false, type: { kind: 'any' } },
      { name: 'b', optional: false, type: { kind: 'any' } },
      { name: 'c', optional: false, type: { kind: 'boolean' } },
    ]);
    expect(parseSignatureLine('not a function line')).toBeUndefined();
    expect(parseSignatureLine('f(a: string')).toBeUndefined();
  });

  test('a parameter named __proto__ is an ordinary key of the arguments', () => {
    const args = fillFields(parseSignatureLine('f(__proto__: string)')?.params ?? [], 'W', false);
    expect(JSON.stringify(args)).toBe('{"__proto__":"W"}');
  });
});

describe('parseCompactType', () => {
  test('literals of every JSON kind', () => {
    expect(parseCompactType('1|2.5|true|null|"x"')).toEqual({
      kind: 'union',
      options: [
        { kind: 'literal', value: 1 },
        { kind: 'literal', value: 2.5 },
        { kind: 'literal', value: true },
        { kind: 'null' },
        { kind: 'literal', value: 'x' },
      ],
    });
  });
});

describe('hostile input', () => {
  test('deep nesting is read as any, without overflowing the stack', () => {
    const deep = `f(a: ${'{x: '.repeat(50_000)}string${'}'.repeat(50_000)}, b: integer)`;
    const signature = parseSignatureLine(deep);
    expect(signature?.params.map((p) => p.name)).toEqual(['a', 'b']);
    expect(fillFields(signature?.params ?? [], 'W', false)).toEqual({ a: {}, b: 1 });
    expect(parseCompactType('('.repeat(50_000))).toEqual({ kind: 'any' });
  });
});
