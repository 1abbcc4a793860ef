import { describe, expect, test } from 'bun:test';
import { buildPrompt } from '../../src/conversation/prompt.ts';
import { GatewayError } from '../../src/errors.ts';
import type { ChatMessage } from '../../src/conversation/messages.ts';
import { ERROR_CATALOG } from '../../src/http/error-catalog.ts';

const u = (content: string): ChatMessage => ({ role: 'user', content });
const a = (content: string): ChatMessage => ({ role: 'assistant', content });
const s = (content: string): ChatMessage => ({ role: 'system', content });

describe('buildPrompt', () => {
  test('a lone user message goes up as it is', () => {
    expect(buildPrompt([u('hello')], 1000)).toEqual({ prompt: 'hello', droppedMessages: 0 });
  });

  test('the whole conversation is sent, system first, turns in order, labelled', () => {
    const { prompt, droppedMessages } = buildPrompt([u('q1'), s('be brief'), a('a1'), u('q2')], 1000);
    expect(prompt).toBe('System: be brief\n\nUser: q1\n\nAssistant: a1\n\nUser: q2');
    expect(droppedMessages).toBe(0);
  });

  test('drops the oldest turns first, keeps system and the newest user message whole', () => {
    const messages = [s('sys'), u('x'.repeat(40)), a('y'.repeat(40)), u('z'.repeat(10)), a('w'.repeat(10)), u('last question')];
    const { prompt, droppedMessages } = buildPrompt(messages, 80);
    expect(droppedMessages).toBe(2);
    expect(prompt).toBe(`System: sys\n\nUser: ${'z'.repeat(10)}\n\nAssistant: ${'w'.repeat(10)}\n\nUser: last question`);
    expect(prompt.length).toBeLessThanOrEqual(80);
  });

  test('the result never exceeds the budget', () => {
    const messages: ChatMessage[] = [s('rules')];
    for (let i = 0; i < 50; i++) messages.push(u(`question ${i} `.repeat(i % 7 + 1)), a(`answer ${i}`.repeat(i % 5 + 1)));
    messages.push(u('final'));
    for (const budget of [40, 100, 333, 1000]) {
      const { prompt } = buildPrompt(messages, budget);
      expect(prompt.length).toBeLessThanOrEqual(budget);
      expect(prompt.endsWith('User: final')).toBe(true);
      expect(prompt.startsWith('System: rules')).toBe(true);
    }
  });

  test('messages after the newest user message are kept with it', () => {
    const { prompt } = buildPrompt([u('old'), u('new'), a('prefill')], 1000);
    expect(prompt).toBe('User: old\n\nUser: new\n\nAssistant: prefill');
  });

  test('a system part plus latest message over the budget is a 400 context_length_exceeded naming the limit', () => {
    let error: unknown;
    try {
      buildPrompt([s('s'.repeat(600)), u('q'.repeat(600))], 1000);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(GatewayError);
    const g = error as GatewayError;
    expect(ERROR_CATALOG[g.errorCode].status).toBe(400);
    expect(g.errorCode).toBe('context_length_exceeded');
    expect(g.message).toContain('1000');
  });

  test('a lone message longer than the budget is refused, not cut', () => {
    expect(() => buildPrompt([u('q'.repeat(1001))], 1000)).toThrow(/1001 characters/);
  });

  test('a conversation without a user message is refused', () => {
    expect(() => buildPrompt([s('only system')], 1000)).toThrow(/role "user"/);
  });
});
