import { describe, expect, test } from 'bun:test';
import { extractJson, schemaProblems } from '../../src/tools/json-output.ts';
import type { OutputFormat } from '../../src/tools/types.ts';
import { WEATHER_REPORT } from './fixtures.ts';

const OBJECT = { type: 'json_object' } as const;
const REPORT = { city: 'Paris', temperature: 21.5, conditions: 'sunny', advice: null };
const REPORT_JSON = JSON.stringify(REPORT);
const loose = (schema: Record<string, unknown>): Exclude<OutputFormat, { type: 'text' }> => ({ type: 'json_schema', name: 'x', strict: false, schema });

describe('extractJson: where the JSON is', () => {
  test('the whole answer, returned compact', () => {
    expect(extractJson('  {\n  "answer": "yes",\n  "n": [1, 2]\n}\n', OBJECT)).toEqual({ ok: true, json: '{"answer":"yes","n":[1,2]}' });
  });

  test('a ```json fence with prose around it, or a bare ``` fence', () => {
    const answer = `Here is the report:\n\`\`\`json\n${JSON.stringify(REPORT, null, 2)}\n\`\`\`\nHope that helps!`;
    expect(extractJson(answer, WEATHER_REPORT)).toEqual({ ok: true, json: REPORT_JSON });
    expect(extractJson(`\`\`\`\n${REPORT_JSON}\n\`\`\``, WEATHER_REPORT)).toEqual({ ok: true, json: REPORT_JSON });
  });

  test('the first balanced object in prose, braces inside strings ignored', () => {
    expect(extractJson('Sure! {"answer": "a } brace", "ok": true} is what you asked for.', OBJECT)).toEqual({ ok: true, json: '{"answer":"a } brace","ok":true}' });
  });

  test('candidates that do not fit are skipped for one that does', () => {
    // A citation [1] and a fence with another shape come before the object that fits.
    const text = `As noted in [1]:\n\`\`\`json\n{"city":"Paris"}\n\`\`\`\nThe full report: ${REPORT_JSON}`;
    expect(extractJson(text, WEATHER_REPORT)).toEqual({ ok: true, json: REPORT_JSON });
    expect(extractJson('See [1] and [2]. Result: {"a":1}', OBJECT)).toEqual({ ok: true, json: '{"a":1}' });
  });

  test('braces in prose that are not JSON are stepped over', () => {
    expect(extractJson('Use {curly} braces like {this}: {"a": {"b": 2}}', OBJECT)).toEqual({ ok: true, json: '{"a":{"b":2}}' });
  });
});

describe('extractJson: failures', () => {
  test('invalid JSON: the parser error and the start of the answer', () => {
    const result = extractJson('{answer: unquoted', OBJECT);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.problem).toStartWith('the answer is not valid JSON (');
      expect(result.problem).toEndWith(': "{answer: unquoted"');
    }
  });

  test('invalid JSON inside a fence names the fence body', () => {
    const result = extractJson('Here:\n```json\n{"a": 1,}\n```', OBJECT);
    expect(result).toMatchObject({ ok: false });
    if (!result.ok) expect(result.problem).toEndWith(': "{\\"a\\": 1,}"');
  });

  test('no JSON at all, and an empty answer', () => {
    const result = extractJson('I cannot answer that in JSON, sorry.', OBJECT);
    expect(result).toMatchObject({ ok: false });
    if (!result.ok) expect(result.problem).toContain('"I cannot answer that in JSON, sorry."');
    expect(extractJson('   ', OBJECT)).toEqual({ ok: false, problem: 'the answer was empty' });
  });

  test('json_object wants an object', () => {
    expect(extractJson('[1, 2, 3]', OBJECT)).toEqual({ ok: false, problem: 'the JSON must be object (got array)' });
    expect(extractJson('"just a string"', OBJECT)).toEqual({ ok: false, problem: 'the JSON must be object (got string)' });
  });

  test('the quoted answer is cut short', () => {
    const result = extractJson(`{oops ${'x'.repeat(2000)}`, OBJECT);
    if (result.ok) throw new Error('expected a failure');
    expect(result.problem.length).toBeLessThan(200);
  });

  test('a long answer with many unbalanced braces and no JSON ends quickly', () => {
    const text = '{'.repeat(200_000);
    const started = performance.now();
    expect(extractJson(text, OBJECT).ok).toBe(false);
    expect(performance.now() - started).toBeLessThan(2000);
  });
});

describe('extractJson: json_schema, strict and not', () => {
  test('strict: a schema mismatch is a problem naming the keys', () => {
    expect(extractJson('{"city":"Paris","temperature":"warm","conditions":"foggy"}', WEATHER_REPORT)).toEqual({
      ok: false,
      problem: 'advice is required; temperature must be number (got string); conditions must be one of "sunny"|"cloudy"|"rain"|"snow"',
    });
    expect(extractJson(JSON.stringify({ ...REPORT, extra: 1 }), WEATHER_REPORT)).toEqual({ ok: false, problem: 'extra is not allowed' });
  });

  test('not strict: any JSON of the top-level type passes, extra or missing keys or not', () => {
    const notStrict = { ...WEATHER_REPORT, strict: false };
    expect(extractJson('{"city":"Paris","temperature":"warm"}', notStrict)).toEqual({ ok: true, json: '{"city":"Paris","temperature":"warm"}' });
    expect(extractJson('[{"city":"Paris"}]', notStrict)).toEqual({ ok: false, problem: 'the JSON must be object (got array)' });
  });

  test("not strict: the schema's own top-level type, an object when it states none", () => {
    expect(extractJson('Numbers: [3, 1, 2]', loose({ type: 'array', items: { type: 'integer' } }))).toEqual({ ok: true, json: '[3,1,2]' });
    expect(extractJson('[1]', loose({ properties: { a: { type: 'string' } } }))).toEqual({ ok: false, problem: 'the JSON must be object (got array)' });
    expect(extractJson('[1]', loose({}))).toEqual({ ok: false, problem: 'the JSON must be object (got array)' });
    expect(extractJson('"x"', loose({ anyOf: [{ type: 'string' }, { type: 'object' }] }))).toEqual({ ok: true, json: '"x"' });
  });

  test('strict with a non-object top level', () => {
    const list: Exclude<OutputFormat, { type: 'text' }> = { type: 'json_schema', name: 'l', strict: true, schema: { type: 'array', items: { type: 'string' } } };
    expect(extractJson('```json\n["a","b"]\n```', list)).toEqual({ ok: true, json: '["a","b"]' });
    expect(extractJson('["a",2]', list)).toEqual({ ok: false, problem: '[1] must be string (got number)' });
    expect(extractJson('{"a":"b"}', list)).toEqual({ ok: false, problem: 'the JSON must be array (got object)' });
  });

  test('schemaProblems is the same validator the tool arguments use', () => {
    expect(schemaProblems({ city: 'x' }, WEATHER_REPORT.schema)).toEqual(['temperature is required', 'conditions is required', 'advice is required']);
  });
});
