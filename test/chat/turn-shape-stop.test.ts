// Stop sequences in the turn's shape: the answer's text is cut before the earliest one and the
// answer says which; tool calls stand (only the text around them is cut); JSON output is never
// cut; without stop sequences nothing changes.

import { describe, expect, test } from 'bun:test';
import { cutAtStop, PLAIN_TEXT, readAnswer, type TurnShape } from '../../src/chat/turn-shape.ts';

const weather = { name: 'get_weather', description: null, parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } };
const shape = (extra: Partial<TurnShape>): TurnShape => ({ ...PLAIN_TEXT, ...extra });
const answerOf = (text: string, s: TurnShape) => {
  const reading = readAnswer(text, s);
  if (!reading.ok) throw new Error(reading.problem);
  return reading.answer;
};

describe('cutAtStop', () => {
  test('the earliest occurrence wins, whatever the order listed; a tie goes to the first listed', () => {
    expect(cutAtStop('one two three', ['three', 'two'])).toEqual({ text: 'one ', stoppedBy: 'two' });
    expect(cutAtStop('abcdef', ['cd', 'c'])).toEqual({ text: 'ab', stoppedBy: 'cd' });
    expect(cutAtStop('abcdef', ['c', 'cd'])).toEqual({ text: 'ab', stoppedBy: 'c' });
    expect(cutAtStop('Stop right there', ['Stop'])).toEqual({ text: '', stoppedBy: 'Stop' });
    expect(cutAtStop('nothing here', ['zzz'])).toEqual({ text: 'nothing here', stoppedBy: null });
    expect(cutAtStop('nothing here', [])).toEqual({ text: 'nothing here', stoppedBy: null });
  });
});

describe('readAnswer with stop sequences', () => {
  test('plain text is cut and the stop sequence reported; without any the answer is as written', () => {
    expect(answerOf('Hello.\nUser: next question', shape({ stop: ['\nUser:'] }))).toEqual({ content: 'Hello.', toolCalls: [], stoppedBy: '\nUser:' });
    expect(answerOf('Hello.\nUser: next question', PLAIN_TEXT)).toEqual({ content: 'Hello.\nUser: next question', toolCalls: [], stoppedBy: null });
  });

  test('tool calls stand; the text around them is cut, and cut to nothing it is null', () => {
    const call = '<tool_call>{"name":"get_weather","arguments":{"city":"Paris"}}</tool_call>';
    const tools = shape({ tools: [weather], stop: ['STOP'] });
    const kept = answerOf(`The forecast matters here. STOP and more\n${call}`, tools);
    expect(kept.content).toBe('The forecast matters here. ');
    expect(kept.stoppedBy).toBe('STOP');
    expect(kept.toolCalls.map((c) => [c.name, c.arguments])).toEqual([['get_weather', '{"city":"Paris"}']]);
    const emptied = answerOf(`STOP here is a long explanation of the call\n${call}`, tools);
    expect(emptied.content).toBeNull();
    expect(emptied.toolCalls).toHaveLength(1);
  });

  test('a JSON answer is not cut', () => {
    const json = answerOf('{"answer":"a STOP b"}', shape({ format: { type: 'json_object' }, stop: ['STOP'] }));
    expect(json).toEqual({ content: '{"answer":"a STOP b"}', toolCalls: [], stoppedBy: null });
  });
});
