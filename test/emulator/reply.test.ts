import { describe, expect, test } from 'bun:test';
import { buildReply } from '../../emulator/reply.ts';

const MODEL = 'moonshotai/Kimi-K2-Instruct-0905';

describe('buildReply', () => {
  test('starts with Echo[length]: and the last 40 characters of the message', () => {
    const message = `${'x'.repeat(100)}THE-LAST-FORTY-CHARACTERS-OF-THE-PROMPT!`;
    const reply = buildReply(message, MODEL, 200);
    expect(reply.startsWith(`Echo[140]: ${message.slice(-40)}`)).toBe(true);
  });

  test('is exactly the requested length', () => {
    for (const length of [1, 10, 57, 200, 5_000, 100_000]) {
      expect(buildReply('hello', MODEL, length)).toHaveLength(length);
    }
  });

  test('replaces newlines in the echoed tail with spaces', () => {
    expect(buildReply('line one\r\nline two\nend', MODEL, 200).startsWith('Echo[22]: line one  line two end')).toBe(true);
  });

  test('cuts the prefix when the length is shorter than it', () => {
    expect(buildReply('hello world', MODEL, 8)).toBe('Echo[11]');
  });

  test('is deterministic and contains non-ASCII filler', () => {
    const reply = buildReply('hi', MODEL, 300);
    expect(buildReply('hi', MODEL, 300)).toBe(reply);
    expect(reply).toContain('你好');
  });

  test('never ends in half a surrogate pair', () => {
    const message = '😀'.repeat(30);
    for (let length = 1; length <= 60; length++) {
      const reply = buildReply(message, MODEL, length);
      expect(reply).toHaveLength(length);
      const last = reply.charCodeAt(reply.length - 1);
      expect(last >= 0xd800 && last <= 0xdbff).toBe(false);
      expect(reply.isWellFormed()).toBe(true);
    }
  });

  test('never starts the echoed tail with half a surrogate pair', () => {
    const message = `${'😀'.repeat(30)}a`; // 61 code units: slice(-40) starts on a low surrogate
    expect(message.slice(-40).isWellFormed()).toBe(false);
    const reply = buildReply(message, MODEL, 200);
    expect(reply.isWellFormed()).toBe(true);
    expect(reply.startsWith(`Echo[61]: ${message.slice(-39)}`)).toBe(true);
  });

  test('is empty for a non-positive length', () => {
    expect(buildReply('hello', MODEL, 0)).toBe('');
  });
});
