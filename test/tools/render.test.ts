import { describe, expect, test } from 'bun:test';
import { correctiveLine, DESCRIPTION_MAX, renderFormatLine, renderToolCall, renderToolsBlock, shortDescription } from '../../src/tools/render.ts';
import { parseToolAnswer } from '../../src/tools/parse-answer.ts';
import type { ToolSpec } from '../../src/tools/types.ts';
import { WEATHER_REPORT } from './fixtures.ts';

const WEATHER: ToolSpec = {
  name: 'get_weather',
  description: 'Get the current weather.',
  parameters: { type: 'object', properties: { city: { type: 'string' }, unit: { type: 'string', enum: ['c', 'f'] } }, required: ['city'] },
};
const SEARCH: ToolSpec = {
  name: 'search',
  description: null,
  parameters: { type: 'object', properties: { q: { type: 'string' }, limit: { type: 'integer' } }, required: ['q'] },
};
const INSTRUCTION = 'To call a tool, reply with only <tool_call>{"name":"NAME","arguments":{...}}</tool_call>, one block per call.';

describe('renderToolsBlock', () => {
  test('the contract example, exactly', () => {
    expect(renderToolsBlock([WEATHER, SEARCH], { mode: 'auto' }, true, 'full')).toBe(
      'Tools:\n' + 'get_weather(city: string, unit?: "c"|"f") - Get the current weather.\n' + 'search(q: string, limit?: integer)\n' + INSTRUCTION,
    );
  });

  test('signatures level leaves the descriptions out', () => {
    expect(renderToolsBlock([WEATHER, SEARCH], { mode: 'auto' }, true, 'signatures')).toBe(
      'Tools:\nget_weather(city: string, unit?: "c"|"f")\nsearch(q: string, limit?: integer)\n' + INSTRUCTION,
    );
  });

  test('no tools, or tool_choice none: no block at all', () => {
    expect(renderToolsBlock([], { mode: 'auto' }, true, 'full')).toBe('');
    expect(renderToolsBlock([WEATHER], { mode: 'none' }, true, 'full')).toBe('');
  });

  test('required and parallel off add the phrases the emulator looks for, on one line', () => {
    expect(renderToolsBlock([SEARCH], { mode: 'required' }, true, 'full')).toBe(`Tools:\nsearch(q: string, limit?: integer)\n${INSTRUCTION}\nYou must call a tool.`);
    expect(renderToolsBlock([SEARCH], { mode: 'auto' }, false, 'full')).toBe(`Tools:\nsearch(q: string, limit?: integer)\n${INSTRUCTION}\nCall at most one tool.`);
    expect(renderToolsBlock([SEARCH], { mode: 'required' }, false, 'full').split('\n').at(-1)).toBe('You must call a tool. Call at most one tool.');
  });

  test('a named function: only that function is offered, and the model is told to call it', () => {
    expect(renderToolsBlock([WEATHER, SEARCH], { mode: 'function', name: 'search' }, true, 'full')).toBe(
      `Tools:\nsearch(q: string, limit?: integer)\n${INSTRUCTION}\nYou must call search.`,
    );
    expect(renderToolsBlock([WEATHER], { mode: 'function', name: 'nope' }, true, 'full')).toBe('');
  });

  test('a function without parameters, an empty description', () => {
    expect(renderToolsBlock([{ name: 'now', description: '   ', parameters: { type: 'object', properties: {} } }], { mode: 'auto' }, true, 'full')).toBe(
      `Tools:\nnow()\n${INSTRUCTION}`,
    );
  });
});

describe('shortDescription', () => {
  test('whitespace collapsed, first sentence kept', () => {
    expect(shortDescription('Get the weather.\n\n  Use it for forecasts too. Costs one credit.')).toBe('Get the weather.');
    expect(shortDescription('Does  a\tthing')).toBe('Does a thing');
    // A LangChain @tool docstring: the summary line, not the Args section.
    expect(shortDescription('Get weather.\n\nArgs:\n    city: The city name.')).toBe('Get weather.');
  });

  test('abbreviations and very short first sentences do not end the sentence', () => {
    expect(shortDescription('Look up a city, e.g. San Francisco. Then more.')).toBe('Look up a city, e.g. San Francisco.');
    expect(shortDescription('Hi. Look up a city by name. More text.')).toBe('Hi. Look up a city by name.');
  });

  test(`cut at a word boundary to at most ${DESCRIPTION_MAX} characters, marked with …`, () => {
    const long = 'Search the internal knowledge base of the company for documents that mention the given query and rank them by relevance';
    const short = shortDescription(long);
    expect(short.length).toBeLessThanOrEqual(DESCRIPTION_MAX);
    expect(short).toBe('Search the internal knowledge base of the company for documents that mention…');
    expect(shortDescription('x'.repeat(300))).toBe(`${'x'.repeat(DESCRIPTION_MAX - 1)}…`);
  });

  test('never leaves half of a surrogate pair', () => {
    const cut = shortDescription('😀'.repeat(100));
    expect(cut.endsWith('…')).toBe(true);
    expect(cut.length).toBeLessThanOrEqual(DESCRIPTION_MAX);
    expect(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/.test(cut)).toBe(false);
  });
});

describe('renderFormatLine', () => {
  test('text: nothing; json_object: the fixed line; json_schema: the compact signature', () => {
    expect(renderFormatLine({ type: 'text' })).toBe('');
    expect(renderFormatLine({ type: 'json_object' })).toBe('Reply with only a JSON object.');
    expect(renderFormatLine(WEATHER_REPORT)).toBe(
      'Reply with only JSON matching: {city: string, temperature: number, conditions: "sunny"|"cloudy"|"rain"|"snow", advice: string|null}',
    );
    const schema = { type: 'object', properties: { city: { type: 'string' }, temp: { type: 'number' } }, required: ['city', 'temp'] };
    expect(renderFormatLine({ type: 'json_schema', name: 'x', strict: false, schema })).toBe(
      'Reply with only JSON matching: {city: string, temp: number}',
    );
  });
});

describe('renderToolCall', () => {
  test('compact JSON arguments inside the tag', () => {
    expect(renderToolCall({ name: 'get_weather', arguments: '{ "city" : "Paris" }' })).toBe('<tool_call>{"name":"get_weather","arguments":{"city":"Paris"}}</tool_call>');
  });

  test('empty arguments are {}; arguments that are not JSON are shown as a string', () => {
    expect(renderToolCall({ name: 'now', arguments: '' })).toBe('<tool_call>{"name":"now","arguments":{}}</tool_call>');
    expect(renderToolCall({ name: 'f', arguments: 'city=Paris' })).toBe('<tool_call>{"name":"f","arguments":"city=Paris"}</tool_call>');
  });

  test('what it renders, the parser reads back as the same call', () => {
    const rendered = renderToolCall({ name: 'get_weather', arguments: '{"city":"Paris","unit":"c"}' });
    const parsed = parseToolAnswer(rendered, [WEATHER], { parallel: true, newId: () => 'call_1' });
    expect(parsed).toEqual({ calls: [{ id: 'call_1', name: 'get_weather', arguments: '{"city":"Paris","unit":"c"}' }], content: null, problems: [] });
  });
});

describe('correctiveLine', () => {
  test('no call: says a call is required, naming the function when one was named', () => {
    expect(correctiveLine({ kind: 'no_call' }, { mode: 'required' })).toBe(
      'Your answer had no tool call. You must call a tool. Reply with only <tool_call>{"name":"NAME","arguments":{...}}</tool_call>.',
    );
    expect(correctiveLine({ kind: 'no_call' }, { mode: 'function', name: 'get_weather' })).toContain('You must call get_weather.');
  });

  test('an invalid call or invalid JSON: the detail, cut short', () => {
    expect(correctiveLine({ kind: 'invalid_call', detail: 'get_weather: city is required' }, { mode: 'auto' })).toBe(
      'Your tool call was invalid (get_weather: city is required). Reply with only a corrected <tool_call>{"name":"NAME","arguments":{...}}</tool_call>.',
    );
    expect(correctiveLine({ kind: 'invalid_json', detail: 'temperature is required' }, { mode: 'auto' })).toBe(
      'Your answer was not valid JSON (temperature is required). Reply with only the JSON, no other text.',
    );
    const line = correctiveLine({ kind: 'invalid_json', detail: 'y '.repeat(500) }, { mode: 'auto' });
    expect(line.length).toBeLessThan(250);
    expect(line).not.toContain('\n');
  });
});
