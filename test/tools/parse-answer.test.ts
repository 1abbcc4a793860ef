import { describe, expect, test } from 'bun:test';
import { MAX_TAGS } from '../../src/tools/find-calls.ts';
import { parseToolAnswer } from '../../src/tools/parse-answer.ts';
import type { ToolSpec } from '../../src/tools/types.ts';
import { TYPICAL_TOOLS, tool } from './fixtures.ts';

function parse(text: string, options: { parallel?: boolean; tools?: readonly ToolSpec[] } = {}) {
  let n = 0;
  return parseToolAnswer(text, options.tools ?? TYPICAL_TOOLS, { parallel: options.parallel ?? true, newId: () => `call_${++n}` });
}
const tag = (json: string) => `<tool_call>${json}</tool_call>`;
const PARIS = '{"name":"get_weather","arguments":{"location":"Paris"}}';
const PARIS_CALL = { id: 'call_1', name: 'get_weather', arguments: '{"location":"Paris"}' };

describe('parseToolAnswer: where calls are found', () => {
  test('a <tool_call> tag', () => {
    expect(parse(tag(PARIS))).toEqual({ calls: [PARIS_CALL], content: null, problems: [] });
  });

  test('a tag split by whitespace and newlines, spaces inside the tag, any case', () => {
    const pretty = '<tool_call>\n{\n  "name": "get_weather",\n  "arguments": {\n    "location": "Paris"\n  }\n}\n</tool_call>';
    expect(parse(pretty).calls).toEqual([PARIS_CALL]);
    expect(parse(`< tool_call >\n${PARIS}\n</ tool_call\n>`).calls).toEqual([PARIS_CALL]);
    expect(parse(`<TOOL_CALL>${PARIS}</Tool_Call>`)).toEqual({ calls: [PARIS_CALL], content: null, problems: [] });
  });

  test('a tag with a ```json fence inside it', () => {
    expect(parse(`<tool_call>\n\`\`\`json\n${PARIS}\n\`\`\`\n</tool_call>`)).toEqual({ calls: [PARIS_CALL], content: null, problems: [] });
  });

  test('a fence wrapped around a tag leaves no stray backticks', () => {
    expect(parse(`\`\`\`\n${tag(PARIS)}\n\`\`\``)).toEqual({ calls: [PARIS_CALL], content: null, problems: [] });
  });

  test('a ```json fenced call with a line of prose, or a fence without a language', () => {
    expect(parse(`I'll check the weather for you.\n\`\`\`json\n${PARIS}\n\`\`\``)).toEqual({ calls: [PARIS_CALL], content: null, problems: [] });
    expect(parse(`\`\`\`\n${PARIS}\n\`\`\``).calls).toEqual([PARIS_CALL]);
  });

  test('a fence that holds other JSON, or other code, is content, not a call', () => {
    const text = 'Here is an example payload:\n```json\n{"location":"Paris","unit":"celsius"}\n```';
    expect(parse(text)).toEqual({ calls: [], content: text, problems: [] });
    const python = 'Use this:\n```python\n{"name": "get_weather", "arguments": {}}\n```';
    expect(parse(python)).toEqual({ calls: [], content: python, problems: [] });
  });

  test('a fenced object with a name but no arguments key is not taken for a call', () => {
    const text = '```json\n{"name":"get_weather"}\n```';
    expect(parse(text)).toEqual({ calls: [], content: text, problems: [] });
  });

  test('the whole answer being a bare call object', () => {
    expect(parse(`  ${PARIS}\n`)).toEqual({ calls: [PARIS_CALL], content: null, problems: [] });
    expect(parse('{"name":"Bob","age":3}')).toEqual({ calls: [], content: '{"name":"Bob","age":3}', problems: [] });
  });

  test('an unclosed tag whose JSON is complete is a call; the text before it stays', () => {
    expect(parse(`The API covers Europe only, so Paris it is.\n<tool_call>${PARIS}`)).toEqual({
      calls: [PARIS_CALL],
      content: 'The API covers Europe only, so Paris it is.',
      problems: [],
    });
  });

  test('an unclosed tag cut off mid-JSON is a problem, and none of it reaches the content', () => {
    const parsed = parse('Let me see.\n<tool_call>{"name":"get_weather","arguments":{"loca');
    expect(parsed.calls).toEqual([]);
    expect(parsed.problems).toEqual(['unclosed <tool_call> tag: "{\\"name\\":\\"get_weather\\",\\"arguments\\":{\\"loca"']);
    expect(parsed.content).toBeNull();
  });

  test('an unclosed tag followed by a good one: the problem, then the call', () => {
    const parsed = parse(`<tool_call>{"name":"get_weather",\n${tag('{"name":"get_time","arguments":{"timezone":"UTC"}}')}`);
    expect(parsed.calls).toEqual([{ id: 'call_1', name: 'get_time', arguments: '{"timezone":"UTC"}' }]);
    expect(parsed.problems).toHaveLength(1);
    expect(parsed.problems[0]).toStartWith('unclosed <tool_call> tag');
  });

  test('junk after complete JSON inside the tag is ignored', () => {
    expect(parse(tag(`${PARIS}}`))).toEqual({ calls: [PARIS_CALL], content: null, problems: [] });
    expect(parse(tag(`${PARIS} (weather)`))).toEqual({ calls: [PARIS_CALL], content: null, problems: [] });
  });

  test('a closing tag inside an argument string does not end the call', () => {
    const json = '{"name":"calculator","arguments":{"expression":"</tool_call> <tool_call>"}}';
    expect(parse(`${tag(json)} and done`)).toEqual({
      calls: [{ id: 'call_1', name: 'calculator', arguments: '{"expression":"</tool_call> <tool_call>"}' }],
      content: 'and done',
      problems: [],
    });
  });

  test('stray tags never reach the content', () => {
    expect(parse('The answer is 4.</tool_call>')).toEqual({ calls: [], content: 'The answer is 4.', problems: [] });
  });
});

describe('parseToolAnswer: call shapes', () => {
  test('arguments given as a JSON string', () => {
    expect(parse(tag('{"name":"get_weather","arguments":"{\\"location\\": \\"Paris\\"}"}')).calls).toEqual([PARIS_CALL]);
  });

  test('empty or missing arguments are {}', () => {
    const now: ToolSpec = { name: 'now', description: null, parameters: { type: 'object', properties: {} } };
    expect(parse(tag('{"name":"now"}'), { tools: [now] }).calls).toEqual([{ id: 'call_1', name: 'now', arguments: '{}' }]);
    expect(parse(tag('{"name":"now","arguments":""}'), { tools: [now] }).calls).toEqual([{ id: 'call_1', name: 'now', arguments: '{}' }]);
    expect(parse(tag('{"name":"now","arguments":null}'), { tools: [now] }).calls).toEqual([{ id: 'call_1', name: 'now', arguments: '{}' }]);
  });

  test.each([
    ['function', 'arguments'],
    ['tool', 'args'],
    ['tool_name', 'parameters'],
    ['function_name', 'input'],
    ['name', 'args'],
  ])('key variants: %s + %s', (nameKey, argsKey) => {
    const json = JSON.stringify({ [nameKey]: 'get_weather', [argsKey]: { location: 'Paris' } });
    expect(parse(tag(json))).toEqual({ calls: [PARIS_CALL], content: null, problems: [] });
    expect(parse(`\`\`\`json\n${json}\n\`\`\``).calls).toEqual([PARIS_CALL]);
  });

  test('a nested function object, with or without type, OpenAI style string arguments', () => {
    expect(parse(tag('{"type":"function","function":{"name":"get_weather","arguments":"{\\"location\\":\\"Paris\\"}"}}')).calls).toEqual([PARIS_CALL]);
    expect(parse(tag('{"function":{"name":"get_weather","arguments":{"location":"Paris"}}}')).calls).toEqual([PARIS_CALL]);
    expect(parse(tag('{"id":"x","type":"function","function":{"name":"get_weather","arguments":{"location":"Paris"}}}')).calls).toEqual([PARIS_CALL]);
  });

  test('an array of calls, and {"tool_calls": [...]}', () => {
    const two = `[${PARIS},{"name":"get_time","arguments":{"timezone":"Europe/Paris"}}]`;
    const expected = [PARIS_CALL, { id: 'call_2', name: 'get_time', arguments: '{"timezone":"Europe/Paris"}' }];
    expect(parse(tag(two)).calls).toEqual(expected);
    expect(parse(tag(`{"tool_calls":${two}}`)).calls).toEqual(expected);
    expect(parse(`\`\`\`json\n${two}\n\`\`\``).calls).toEqual(expected);
  });

  test('the functions. namespace prefix some models add is dropped', () => {
    expect(parse(tag('{"name":"functions.get_weather","arguments":{"location":"Paris"}}')).calls).toEqual([PARIS_CALL]);
  });
});

describe('parseToolAnswer: several calls', () => {
  const three = [
    tag(PARIS),
    tag('{"name":"get_time","arguments":{"timezone":"Europe/Paris"}}'),
    tag('{"name":"search_web","arguments":{"query":"Paris events"}}'),
  ].join('\n');

  test('every call, in order, each with its own id', () => {
    expect(parse(three).calls).toEqual([
      PARIS_CALL,
      { id: 'call_2', name: 'get_time', arguments: '{"timezone":"Europe/Paris"}' },
      { id: 'call_3', name: 'search_web', arguments: '{"query":"Paris events"}' },
    ]);
  });

  test('tags and fenced calls mixed, in the order they appear', () => {
    const text = `\`\`\`json\n{"name":"get_time","arguments":{"timezone":"UTC"}}\n\`\`\`\n${tag(PARIS)}`;
    expect(parse(text).calls.map((c) => c.name)).toEqual(['get_time', 'get_weather']);
  });

  test('parallel calls off: only the first valid call', () => {
    expect(parse(three, { parallel: false })).toEqual({ calls: [PARIS_CALL], content: null, problems: [] });
  });

  test('parallel calls off: an invalid first call does not block the first valid one', () => {
    const parsed = parse(`${tag('{"name":"get_weather","arguments":{}}')}\n${three}`, { parallel: false });
    expect(parsed.calls).toEqual([PARIS_CALL]);
    expect(parsed.problems).toEqual(['get_weather: location is required']);
  });

  test('ids come from the caller, only for accepted calls', () => {
    const ids: string[] = [];
    const parsed = parseToolAnswer(`${tag('{"name":"nope","arguments":{}}')}${tag(PARIS)}`, TYPICAL_TOOLS, {
      parallel: true,
      newId: () => {
        ids.push('x');
        return 'call_fromcaller';
      },
    });
    expect(parsed.calls).toEqual([{ ...PARIS_CALL, id: 'call_fromcaller' }]);
    expect(ids).toHaveLength(1);
  });
});

describe('parseToolAnswer: rejected calls', () => {
  test('an undeclared function is never emitted', () => {
    const parsed = parse(`Let me try.\n${tag('{"name":"undeclared_fn","arguments":{"x":1}}')}`);
    expect(parsed).toEqual({ calls: [], content: null, problems: ['undeclared function "undeclared_fn"'] });
  });

  test('only the tools passed in count as declared', () => {
    expect(parse(tag(PARIS), { tools: [tool('get_time')] }).problems).toEqual(['undeclared function "get_weather"']);
  });

  test('bad JSON inside the tag', () => {
    const parsed = parse(`${tag('{"name": "get_weather", "arguments": {location: Paris}}')}`);
    expect(parsed.calls).toEqual([]);
    expect(parsed.content).toBeNull();
    expect(parsed.problems).toEqual(['invalid JSON in <tool_call>: "{\\"name\\": \\"get_weather\\", \\"arguments\\": {location: Paris}}"']);
  });

  test('arguments that are a string of bad JSON, or not an object', () => {
    expect(parse(tag('{"name":"get_weather","arguments":"{location: Paris"}')).problems).toEqual(['get_weather: arguments are not valid JSON: "{location: Paris"']);
    expect(parse(tag('{"name":"get_weather","arguments":["Paris"]}')).problems).toEqual(['get_weather: arguments must be a JSON object']);
    expect(parse(tag('{"name":"get_weather","arguments":"\\"Paris\\""}')).problems).toEqual(['get_weather: arguments must be a JSON object']);
  });

  test('a tag without a function name', () => {
    expect(parse(tag('{"arguments":{"location":"Paris"}}')).problems).toEqual(['a <tool_call> without a function name: "{\\"arguments\\":{\\"location\\":\\"Paris\\"}}"']);
    expect(parse(tag('{"name":"  ","arguments":{}}')).problems).toEqual(['a tool call without a function name']);
  });

  test('arguments that break the schema: required, types, enums, additionalProperties false', () => {
    expect(parse(tag('{"name":"get_weather","arguments":{"unit":"celsius"}}')).problems).toEqual(['get_weather: location is required']);
    expect(parse(tag('{"name":"get_weather","arguments":{"location":7,"unit":"kelvin"}}')).problems).toEqual([
      'get_weather: location must be string (got number); unit must be one of "celsius"|"fahrenheit"',
    ]);
    expect(parse(tag('{"name":"search_web","arguments":{"query":"x","page":2}}')).problems).toEqual(['search_web: page is not allowed']);
  });

  test('extra arguments are allowed when the schema does not forbid them, and kept', () => {
    expect(parse(tag('{"name":"get_weather","arguments":{"location":"Paris","days":3}}')).calls).toEqual([
      { id: 'call_1', name: 'get_weather', arguments: '{"location":"Paris","days":3}' },
    ]);
  });

  test('names that exist on Object.prototype are not declared functions', () => {
    for (const name of ['constructor', '__proto__', 'toString']) expect(parse(tag(`{"name":"${name}","arguments":{}}`)).problems).toEqual([`undeclared function "${name}"`]);
  });

  test(`a flood of tags ends after ${MAX_TAGS}, quickly, with the calls before it kept`, () => {
    const started = performance.now();
    const parsed = parse(`${tag(PARIS)}${'<tool_call>{"name":"get_weather", '.repeat(20_000)}`);
    expect(performance.now() - started).toBeLessThan(2000);
    expect(parsed.calls).toEqual([PARIS_CALL]);
    expect(parsed.problems).toHaveLength(MAX_TAGS);
    expect(parsed.problems.at(-1)).toBe(`more than ${MAX_TAGS} <tool_call> tags: the rest of the answer was ignored`);
    expect(parsed.content).toBeNull();
  });

  test('model text quoted in a problem is cut to about 80 characters', () => {
    const long = `{"name": "get_weather", "arguments": {location: "${'P'.repeat(500)}"}}`;
    const [problem] = parse(tag(long)).problems;
    expect(problem!.length).toBeLessThan(130);
    expect(problem).toContain('…');
    expect(parse(tag(`{"name":"${'z'.repeat(300)}","arguments":{}}`)).problems[0]!.length).toBeLessThan(110);
  });
});

describe('parseToolAnswer: content', () => {
  test('no calls: the whole text, trimmed, filler or not', () => {
    expect(parse('  The weather in Paris is sunny.  ')).toEqual({ calls: [], content: 'The weather in Paris is sunny.', problems: [] });
    expect(parse('Sure, let me check that for you.').content).toBe('Sure, let me check that for you.');
    expect(parse('')).toEqual({ calls: [], content: null, problems: [] });
    expect(parse(' \n ')).toEqual({ calls: [], content: null, problems: [] });
  });

  test.each([
    'Sure, let me check that for you.',
    "I'll call the tool.",
    'I’ll call the tool.',
    'Okay!',
    'Let me look up the weather in Paris.',
    "I'm going to search the web for that.",
    'One moment, please.',
    'Here is the tool call:',
    "Sure! I'll check the weather. Let me also get the time.",
    'Sure. Let me check. One moment. Okay.',
    'Checking the weather now…',
    'Of course. I need to call get_weather first.',
  ])('filler next to a call is dropped: %p', (filler) => {
    expect(parse(`${filler}\n${tag(PARIS)}`)).toEqual({ calls: [PARIS_CALL], content: null, problems: [] });
    expect(parse(`${tag(PARIS)}\n${filler}`).content).toBeNull();
  });

  test.each([
    "The API only returns data for Europe, so I'll use Paris.",
    "I'll check the weather. Note that the forecast may be a day old.",
    'Paris is lovely in spring!',
    "I'm sorry, but I need your exact location first.",
    '我来查一下天气。',
    `Let me check the weather in Paris, ${'and then compare it with the seasonal averages for the last ten years, '.repeat(2)}for you.`,
  ])('substantive text next to a call is kept: %p', (text) => {
    expect(parse(`${text}\n${tag(PARIS)}`)).toEqual({ calls: [PARIS_CALL], content: text, problems: [] });
  });

  test('text before and after the calls is joined, the calls cut out', () => {
    const text = `Paris first.\n\n${tag(PARIS)}\n\nThen Tokyo, if you like.`;
    expect(parse(text).content).toBe('Paris first.\n\nThen Tokyo, if you like.');
  });

  test('deterministic: the same answer parses the same way', () => {
    const text = `Weather first. ${tag(PARIS)} ${tag('{"name":"nope","arguments":{}}')} \`\`\`json\n{"name":"get_time","arguments":{"timezone":"UTC"}}\n\`\`\``;
    expect(parse(text)).toEqual(parse(text));
  });
});
