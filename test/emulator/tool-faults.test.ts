// The model faults (tool_* / json_*): each malformation, and that they only hit (and are only
// spent on) answers that are a tool call / JSON, with times, identity, probability and the control API.

import { afterEach, describe, expect, test } from 'bun:test';
import { buildReply } from '../../emulator/reply.ts';
import type { Emulator, FaultRule } from '../../emulator/types.ts';
import { emulatorHarness, MODEL, sendAs, sendMessage } from './helpers.ts';

const harness = emulatorHarness();
afterEach(() => harness.stopAll());

const INSTRUCTION = 'To call a tool, reply with only <tool_call>{"name":"NAME","arguments":{...}}</tool_call>, one block per call.';
const WEATHER = 'get_weather(city: string, unit?: "c"|"f") - Get the current weather.';
const TOOLS = ['Tools:', WEATHER, 'search(q: string)', INSTRUCTION].join('\n');
const CALL_PROMPT = `${TOOLS}\n\nUser: Use get_weather for Paris.`;
const TWO_CALLS_PROMPT = `${TOOLS}\n\nUser: get_weather and search for Paris`;
const REQUIRED_PROMPT = `${TOOLS}\nYou must call a tool.\n\nUser: How are things in Paris?`;
const JSON_PROMPT = 'Reply with only a JSON object.\n\nUser: Is Bern the capital?';
const GOOD_CALL = '<tool_call>{"name":"get_weather","arguments":{"city":"Paris"}}</tool_call>';
const RESULT_PROMPT = `${TOOLS}\n\nUser: Use get_weather for Paris.\n\nAssistant: ${GOOD_CALL}\n\nTool (get_weather): 21C`;
const PLAIN_PROMPT = 'User: hello\n\nAssistant: hi\n\nUser: how are you';
const GOOD_JSON = '{"answer":"Is Bern the capital?"}';

async function reply(emulator: Emulator, message: string, identity = 'a'): Promise<string> {
  const response = await sendAs(emulator, identity, { message });
  expect(response.status).toBe(200);
  const body = (await response.json()) as { success: boolean; data: { message: string } };
  expect(body.success).toBe(true);
  return body.data.message;
}

function withFault(rule: FaultRule, replyLength = 200): Emulator {
  return harness.start({ replyLength, faults: [rule] });
}

function fencedBlocks(text: string): unknown[] {
  return [...text.matchAll(/```json\n(.*?)\n```/gs)].map((m) => JSON.parse(m[1] ?? '') as unknown);
}

function tagBodies(text: string): string[] {
  return [...text.matchAll(/<tool_call>(.*?)<\/tool_call>/gs)].map((m) => m[1] ?? '');
}

describe('tool faults change a call', () => {
  test('tool_fenced: a line of filler prose, then a ```json fenced {name, arguments} block per call', async () => {
    const emulator = withFault({ kind: 'tool_fenced' });
    const text = await reply(emulator, TWO_CALLS_PROMPT);
    expect(text).not.toContain('<tool_call>');
    expect(text.split('\n')[0]).toBe('Sure, let me check.');
    expect(fencedBlocks(text)).toEqual([
      { name: 'get_weather', arguments: { city: 'Paris' } },
      { name: 'search', arguments: { q: 'Paris' } },
    ]);
    expect(emulator.received[0]?.outcome).toBe('tool_fenced');
  });

  test('tool_bad_json: the tag holds text no JSON parser reads', async () => {
    const emulator = withFault({ kind: 'tool_bad_json' });
    const bodies = tagBodies(await reply(emulator, CALL_PROMPT));
    expect(bodies).toHaveLength(1);
    expect(bodies[0]).toStartWith('{"name":"get_weather"');
    expect(() => JSON.parse(bodies[0] ?? '')).toThrow();
  });

  test('tool_undeclared: every call names undeclared_fn, arguments kept', async () => {
    const emulator = withFault({ kind: 'tool_undeclared' });
    const bodies = tagBodies(await reply(emulator, TWO_CALLS_PROMPT)).map((b) => JSON.parse(b) as unknown);
    expect(bodies).toEqual([
      { name: 'undeclared_fn', arguments: { city: 'Paris' } },
      { name: 'undeclared_fn', arguments: { q: 'Paris' } },
    ]);
  });

  test('tool_none: plain text (the Echo reply), no call, even when a call is required', async () => {
    const emulator = withFault({ kind: 'tool_none' }, 120);
    const text = await reply(emulator, REQUIRED_PROMPT);
    expect(text).toBe(buildReply(REQUIRED_PROMPT, MODEL, 120));
    expect(text).not.toContain('<tool_call>');
  });

  test('times: tool_none once, then the retried prompt gets its call', async () => {
    const emulator = withFault({ kind: 'tool_none', times: 1 });
    expect(await reply(emulator, CALL_PROMPT)).not.toContain('<tool_call>');
    expect(await reply(emulator, CALL_PROMPT)).toBe(GOOD_CALL);
    expect(emulator.received.map((r) => r.outcome)).toEqual(['tool_none', 'ok']);
  });
});

describe('json faults change a JSON answer', () => {
  test('json_fenced: a line of prose, then the JSON inside ```json fences', async () => {
    const emulator = withFault({ kind: 'json_fenced' });
    const text = await reply(emulator, JSON_PROMPT);
    expect(text).toStartWith('Here is the JSON:\n```json\n');
    expect(fencedBlocks(text)).toEqual([{ answer: 'Is Bern the capital?' }]);
    expect(emulator.received[0]?.outcome).toBe('json_fenced');
  });

  test('json_invalid: the answer is not JSON', async () => {
    const emulator = withFault({ kind: 'json_invalid' });
    const text = await reply(emulator, `Reply with only JSON matching: {city: string}\n\nUser: where?`);
    expect(text).toStartWith('{');
    expect(() => JSON.parse(text)).toThrow();
  });
});

describe('a model fault leaves other answers alone and stays unspent', () => {
  test('json faults: a call, a tool result and an Echo reply are unchanged; the next JSON answer gets the fault', async () => {
    for (const kind of ['json_fenced', 'json_invalid'] as const) {
      const emulator = withFault({ kind, times: 1 }, 90);
      expect(await reply(emulator, CALL_PROMPT)).toBe(GOOD_CALL);
      expect(await reply(emulator, RESULT_PROMPT)).toBe('Result of get_weather: 21C');
      expect(await reply(emulator, PLAIN_PROMPT)).toBe(buildReply(PLAIN_PROMPT, MODEL, 90));
      expect(emulator.received.map((r) => r.outcome)).toEqual(['ok', 'ok', 'ok']);
      expect(await reply(emulator, JSON_PROMPT)).not.toBe(GOOD_JSON);
      expect(await reply(emulator, JSON_PROMPT)).toBe(GOOD_JSON);
      expect(emulator.received.map((r) => r.outcome)).toEqual(['ok', 'ok', 'ok', kind, 'ok']);
    }
  });

  test('tool faults: a JSON answer, a tool result and an Echo reply are unchanged; the next call gets the fault', async () => {
    for (const kind of ['tool_fenced', 'tool_bad_json', 'tool_undeclared', 'tool_none'] as const) {
      const emulator = withFault({ kind, times: 1 }, 90);
      expect(await reply(emulator, JSON_PROMPT)).toBe(GOOD_JSON);
      expect(await reply(emulator, RESULT_PROMPT)).toBe('Result of get_weather: 21C');
      expect(await reply(emulator, PLAIN_PROMPT)).toBe(buildReply(PLAIN_PROMPT, MODEL, 90));
      expect(await reply(emulator, CALL_PROMPT)).not.toBe(GOOD_CALL);
      expect(await reply(emulator, CALL_PROMPT)).toBe(GOOD_CALL);
      expect(emulator.received.map((r) => r.outcome)).toEqual(['ok', 'ok', 'ok', kind, 'ok']);
    }
  });

  test('a request that fails its checks does not spend a model fault', async () => {
    const emulator = withFault({ kind: 'tool_fenced', times: 1 });
    const stale = await sendMessage(emulator, { nonce: 'unknown', cookie: 'kimi_visitor=a', message: CALL_PROMPT });
    expect(await stale.json()).toEqual({ success: false, data: 'Invalid security token' });
    expect(emulator.received[0]?.outcome).toBe('stale_nonce');
    expect(await reply(emulator, CALL_PROMPT)).toStartWith('Sure, let me check.');
  });

  test('an inapplicable model rule does not shadow a later rule', async () => {
    const emulator = harness.start({ faults: [{ kind: 'tool_fenced' }, { kind: 'server_error', times: 1 }] });
    expect((await sendAs(emulator, 'a', { message: 'Hello' })).status).toBe(502);
    expect(await reply(emulator, CALL_PROMPT)).toStartWith('Sure, let me check.');
  });
});

describe('model fault rules', () => {
  test('identity: only that identity gets the fault', async () => {
    const emulator = withFault({ kind: 'tool_undeclared', identity: 'acc-bad' });
    expect(await reply(emulator, CALL_PROMPT, 'acc-good')).toBe(GOOD_CALL);
    expect(await reply(emulator, CALL_PROMPT, 'acc-bad')).toContain('"name":"undeclared_fn"');
  });

  test('probability 0 never fires, 1 always fires', async () => {
    const never = withFault({ kind: 'json_invalid', probability: 0 });
    const always = withFault({ kind: 'json_invalid', probability: 1 });
    for (let i = 0; i < 3; i++) {
      expect(await reply(never, JSON_PROMPT)).toBe(GOOD_JSON);
      expect(await reply(always, JSON_PROMPT)).toBe('{answer: unquoted');
    }
  });

  test('the control API takes the new kinds, and lists them when a kind is wrong', async () => {
    const emulator = harness.start();
    const post = (body: unknown): Promise<Response> =>
      fetch(`${emulator.url}/__emulator/faults`, {
        method: 'POST',
        body: JSON.stringify(body),
        headers: { 'content-type': 'application/json' },
      });
    const added = await post([{ kind: 'tool_bad_json', times: 1 }, { kind: 'json_fenced', times: 1 }]);
    expect(await added.json()).toEqual({ ok: true, added: 2 });
    const [badTag] = tagBodies(await reply(emulator, CALL_PROMPT));
    expect(badTag).toBeDefined();
    expect(() => JSON.parse(badTag ?? '')).toThrow();
    expect(await reply(emulator, JSON_PROMPT)).toStartWith('Here is the JSON:');
    const onPage = await post({ kind: 'tool_none', on: 'page' });
    expect(onPage.status).toBe(400);
    expect(((await onPage.json()) as { error: string }).error).toContain("'on' must be 'message'");
    expect(() => emulator.addFault({ kind: 'json_invalid', on: 'page' })).toThrow("'on' must be 'message'");
    expect((await fetch(`${emulator.url}/chat/`)).status).toBe(200);
    const wrong = await post({ kind: 'tool_garbled' });
    expect(wrong.status).toBe(400);
    const error = ((await wrong.json()) as { error: string }).error;
    for (const kind of ['tool_fenced', 'tool_bad_json', 'tool_undeclared', 'tool_none', 'json_fenced', 'json_invalid']) {
      expect(error).toContain(kind);
    }
  });
});
