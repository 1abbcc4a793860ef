// The emulator playing a tool-using model: each rule of the tools contract, driven over HTTP
// with prompts written exactly as the gateway renders them, and ordinary prompts still echoed.

import { afterEach, describe, expect, test } from 'bun:test';
import { predictReply } from '../../emulator/emulator.ts';
import { buildReply } from '../../emulator/reply.ts';
import type { Emulator } from '../../emulator/types.ts';
import { emulatorHarness, MODEL, sendAs } from './helpers.ts';

const harness = emulatorHarness();
afterEach(() => harness.stopAll());

const INSTRUCTION = 'To call a tool, reply with only <tool_call>{"name":"NAME","arguments":{...}}</tool_call>, one block per call.';
const WEATHER = 'get_weather(city: string, unit?: "c"|"f") - Get the current weather.';
const SEARCH = 'search(q: string, limit?: integer)';
const TOOLS = ['Tools:', WEATHER, SEARCH, INSTRUCTION].join('\n');

/** Blocks joined the way the gateway joins them: a blank line between. */
function prompt(...blocks: string[]): string {
  return blocks.join('\n\n');
}

function toolsWith(...modeLines: string[]): string {
  return [TOOLS, ...modeLines].join('\n');
}

function tag(name: string, args: Record<string, unknown>): string {
  return `<tool_call>${JSON.stringify({ name, arguments: args })}</tool_call>`;
}

async function reply(emulator: Emulator, message: string): Promise<string> {
  const response = await sendAs(emulator, 'a', { message });
  expect(response.status).toBe(200);
  const body = (await response.json()) as { success: boolean; data: { message: string } };
  expect(body.success).toBe(true);
  return body.data.message;
}

describe('calls', () => {
  test('the newest user turn naming a listed function gets a call with the required parameters filled', async () => {
    const emulator = harness.start();
    const text = await reply(emulator, prompt(TOOLS, 'User: Use get_weather for Paris, please.'));
    expect(text).toBe(tag('get_weather', { city: 'Paris' }));
  });

  test('a System block first, the lone unlabelled user message after the tools block', async () => {
    const emulator = harness.start();
    expect(await reply(emulator, prompt('System: You are terse.', TOOLS, 'User: search for Rome'))).toBe(tag('search', { q: 'Rome' }));
    expect(await reply(emulator, prompt(TOOLS, 'run search on the Tiber\n\nthen stop'))).toBe(tag('search', { q: 'Tiber' }));
  });

  test('each parameter type is filled by the contract rule; optional ones are left out', async () => {
    const emulator = harness.start();
    const signature =
      'probe(s: string, n: number, i: integer, b: boolean, e: "x,1"|"y", a: string[], o: {a: string}, z: null, ' +
      'u: string|null, w: any, "odd key": string, opt?: string, later?: {deep: integer}[])';
    const tools = ['Tools:', `${signature} - Exercise every type.`, INSTRUCTION].join('\n');
    const text = await reply(emulator, prompt(tools, 'User: call probe with (Tokyo)! now'));
    expect(text).toBe(
      tag('probe', { s: 'Tokyo', n: 1, i: 1, b: true, e: 'x,1', a: [], o: {}, z: null, u: 'Tokyo', w: 'Tokyo', 'odd key': 'Tokyo' }),
    );
  });

  test('a string parameter takes the last word when no word starts with an upper-case letter', async () => {
    const emulator = harness.start();
    expect(await reply(emulator, prompt(TOOLS, 'User: get_weather in lyon?'))).toBe(tag('get_weather', { city: 'lyon' }));
  });

  test('a function with no parameters is called with {}', async () => {
    const emulator = harness.start();
    const tools = ['Tools:', 'now() - The time.', INSTRUCTION].join('\n');
    expect(await reply(emulator, prompt(tools, 'User: what does now say'))).toBe(tag('now', {}));
  });

  test('several named functions: one call each, in the order the user names them, one per line', async () => {
    const emulator = harness.start();
    const text = await reply(emulator, prompt(TOOLS, 'User: search for Oslo, then get_weather there'));
    expect(text).toBe(`${tag('search', { q: 'Oslo' })}\n${tag('get_weather', { city: 'Oslo' })}`);
  });

  test('"Call at most one tool." keeps only the first', async () => {
    const emulator = harness.start();
    const text = await reply(emulator, prompt(toolsWith('Call at most one tool.'), 'User: search for Oslo, then get_weather there'));
    expect(text).toBe(tag('search', { q: 'Oslo' }));
  });

  test('a name counts only as a whole name, not inside a longer one', async () => {
    const emulator = harness.start();
    const tools = ['Tools:', 'search(q: string)', 'search_web(q: string)', INSTRUCTION].join('\n');
    expect(await reply(emulator, prompt(tools, 'User: use search_web for Bern'))).toBe(tag('search_web', { q: 'Bern' }));
  });

  test('only the newest user turn counts: an older one naming a function does not', async () => {
    const emulator = harness.start({ replyLength: 120 });
    const message = prompt(TOOLS, 'User: get_weather for Paris', 'Assistant: It is sunny.', 'User: thanks a lot');
    expect(await reply(emulator, message)).toBe(buildReply(message, MODEL, 120));
  });

  test('"You must call a tool." with no function named calls the first listed one', async () => {
    const emulator = harness.start();
    const text = await reply(emulator, prompt(toolsWith('You must call a tool.'), 'User: How is it in Madrid today?'));
    expect(text).toBe(tag('get_weather', { city: 'Madrid' }));
  });

  test('"You must call a tool." with a function named calls that one', async () => {
    const emulator = harness.start();
    const text = await reply(emulator, prompt(toolsWith('You must call a tool.'), 'User: search for Madrid'));
    expect(text).toBe(tag('search', { q: 'Madrid' }));
  });

  test('"You must call NAME." calls NAME, and only NAME, whatever the user names', async () => {
    const emulator = harness.start();
    const mode = toolsWith('You must call search.');
    expect(await reply(emulator, prompt(mode, 'User: Anything about Lisbon?'))).toBe(tag('search', { q: 'Lisbon' }));
    expect(await reply(emulator, prompt(mode, 'User: get_weather in Lisbon'))).toBe(tag('search', { q: 'Lisbon' }));
  });
});

describe('tool results', () => {
  const history = [
    'System: You are a weather bot.',
    TOOLS,
    'User: Use get_weather for Paris.',
    `Assistant: ${tag('get_weather', { city: 'Paris' })}`,
  ];

  test('a transcript ending in a Tool (fn) block gets "Result of fn: <result>"', async () => {
    const emulator = harness.start();
    const text = await reply(emulator, prompt(...history, 'Tool (get_weather): {"temp":21,"sky":"clear"}'));
    expect(text).toBe('Result of get_weather: {"temp":21,"sky":"clear"}');
  });

  test('the result is given as it is, blank lines included', async () => {
    const emulator = harness.start();
    expect(await reply(emulator, prompt(...history, 'Tool (get_weather): line one\n\nline two'))).toBe(
      'Result of get_weather: line one\n\nline two',
    );
  });

  test('parallel results: one line per Tool block the transcript ends with', async () => {
    const emulator = harness.start();
    const calls = `Assistant: Checking both.\n${tag('get_weather', { city: 'Paris' })}\n${tag('search', { q: 'Paris' })}`;
    const results = ['Tool (get_weather): 21C', 'Tool (search): 3 hits'];
    const text = await reply(emulator, prompt(TOOLS, 'User: get_weather and search for Paris', calls, ...results));
    expect(text).toBe('Result of get_weather: 21C\nResult of search: 3 hits');
  });

  test('a result followed by a new user turn is history: that turn decides', async () => {
    const emulator = harness.start({ replyLength: 100 });
    const thanks = prompt(...history, 'Tool (get_weather): 21C', 'Assistant: It is 21C.', 'User: thanks');
    expect(await reply(emulator, thanks)).toBe(buildReply(thanks, MODEL, 100));
    const again = prompt(...history, 'Tool (get_weather): 21C', 'Assistant: It is 21C.', 'User: now search for Nice');
    expect(await reply(emulator, again)).toBe(tag('search', { q: 'Nice' }));
  });

  test('a result wins over must-call: the model continues with text', async () => {
    const emulator = harness.start();
    const call = `Assistant: ${tag('get_weather', { city: 'x' })}`;
    const message = prompt(toolsWith('You must call a tool.'), 'User: weather?', call, 'Tool (get_weather): 9C');
    expect(await reply(emulator, message)).toBe('Result of get_weather: 9C');
  });
});

describe('JSON answers', () => {
  test('"Reply with only a JSON object." answers {"answer": <newest user text>}', async () => {
    const emulator = harness.start();
    const text = await reply(emulator, prompt('System: Be brief.', 'Reply with only a JSON object.', 'User: Is Bern the capital?'));
    expect(JSON.parse(text)).toEqual({ answer: 'Is Bern the capital?' });
    expect(text).toBe('{"answer":"Is Bern the capital?"}');
  });

  test('the JSON line in a lone-message prompt, user text with blank lines kept whole', async () => {
    const emulator = harness.start();
    const text = await reply(emulator, prompt('Reply with only a JSON object.', 'first part\n\nsecond part'));
    expect(JSON.parse(text)).toEqual({ answer: 'first part\n\nsecond part' });
  });

  test('"Reply with only JSON matching: <sig>" fills every property, optional ones too', async () => {
    const emulator = harness.start();
    const line =
      'Reply with only JSON matching: {city: string, temp: number, unit: "c"|"f", tags?: string[], ok?: boolean, at: {lat: number}}';
    const text = await reply(emulator, prompt(line, 'User: the weather in Quito please'));
    expect(JSON.parse(text)).toEqual({ city: 'Quito', temp: 1, unit: 'c', tags: [], ok: true, at: {} });
  });

  test('a schema that is not an object is filled by the same rules', async () => {
    const emulator = harness.start();
    expect(JSON.parse(await reply(emulator, prompt('Reply with only JSON matching: string[]', 'User: list them')))).toEqual([]);
  });

  test('tools and a JSON line: a named function is still a call, otherwise JSON', async () => {
    const emulator = harness.start();
    const head = [TOOLS, 'Reply with only a JSON object.'].join('\n');
    expect(await reply(emulator, prompt(head, 'User: search for Kyiv'))).toBe(tag('search', { q: 'Kyiv' }));
    expect(JSON.parse(await reply(emulator, prompt(head, 'User: hello there')))).toEqual({ answer: 'hello there' });
  });

  test('after a tool result with a JSON line, the answer is JSON', async () => {
    const emulator = harness.start();
    const message = prompt(
      [TOOLS, 'Reply with only a JSON object.'].join('\n'),
      'User: get_weather for Paris',
      `Assistant: ${tag('get_weather', { city: 'Paris' })}`,
      'Tool (get_weather): 21C',
    );
    expect(JSON.parse(await reply(emulator, message))).toEqual({ answer: 'get_weather for Paris' });
  });
});

describe('ordinary prompts keep the Echo reply', () => {
  const ordinary = [
    'Hello',
    'User: what tools do you have?\n\nAssistant: none\n\nUser: ok',
    'System: be kind\n\nUser: hi',
    // Today's renderer labels an unmatched tool message "Tool:" without a name: not a result block.
    'User: hi\n\nAssistant: \n\nTool: {"temp":21}',
    'Tools: hammer, nails and glue',
    'Tool (get_weather) is what I would call it',
    // A tools block but no function named and no call required.
    prompt(TOOLS, 'User: tell me a joke'),
  ];

  for (const message of ordinary) {
    test(`echo: ${JSON.stringify(message.slice(0, 40))}`, async () => {
      const emulator = harness.start({ replyLength: 150 });
      const text = await reply(emulator, message);
      expect(text).toBe(buildReply(message, MODEL, 150));
      expect(text).toHaveLength(150);
      expect(emulator.received[0]?.outcome).toBe('ok');
    });
  }
});

describe('predictReply', () => {
  test('predicts the answer of every kind of prompt', async () => {
    const emulator = harness.start({ replyLength: 80 });
    const messages = [
      'Hello',
      prompt(TOOLS, 'User: search for Oslo'),
      prompt(TOOLS, 'User: search for Oslo', `Assistant: ${tag('search', { q: 'Oslo' })}`, 'Tool (search): 2 hits'),
      prompt('Reply with only a JSON object.', 'User: hi'),
    ];
    const answers = new Set<string>();
    for (const message of messages) {
      const text = await reply(emulator, message);
      expect(text).toBe(predictReply(message, MODEL, 80));
      answers.add(text);
    }
    expect(answers.size).toBe(messages.length);
  });
});

describe('CLI help', () => {
  test('documents the tool playing and the model faults', async () => {
    const main = new URL('../../emulator/main.ts', import.meta.url).pathname;
    const child = Bun.spawn([process.execPath, main, '--help'], { stdout: 'pipe', stderr: 'pipe' });
    const text = await new Response(child.stdout).text();
    expect(await child.exited).toBe(0);
    expect(text).toContain('"Tools:" block');
    expect(text).toContain('Result of fn');
    for (const kind of ['tool_fenced', 'tool_bad_json', 'tool_undeclared', 'tool_none', 'json_fenced', 'json_invalid']) {
      expect(text).toContain(kind);
    }
  });
});
