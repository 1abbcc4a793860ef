import { describe, expect, test } from 'bun:test';
import { visibleLength } from '../../src/tools/stream-guard.ts';

const shown = (text: string) => text.slice(0, visibleLength(text));

describe('visibleLength', () => {
  test('plain text is shown whole', () => {
    expect(shown('The weather in Paris is sunny.')).toBe('The weather in Paris is sunny.');
    expect(shown('a < b and c > d')).toBe('a < b and c > d');
    expect(shown('Use <b>bold</b>.')).toBe('Use <b>bold</b>.');
  });

  test('held back from a tag, complete or still growing, any case, spaces inside', () => {
    expect(shown('Let me check. <tool_call>{"name"')).toBe('Let me check. ');
    for (const partial of ['<', '<t', '<tool', '<tool_c', '< TOOL_CA', '<tool_call', '</', '</tool_ca']) expect(shown(`ok ${partial}`)).toBe('ok ');
    expect(shown('x </tool_call> y')).toBe('x ');
  });

  test('a < that can no longer become the tag is released', () => {
    expect(shown('ok <toolbox')).toBe('ok <toolbox');
    expect(shown('ok <t ')).toBe('ok <t ');
  });

  test('held back from a fence, or from one or two backticks at the end that may become one', () => {
    expect(shown('Here:\n```json\n{')).toBe('Here:\n');
    expect(shown('Here: `')).toBe('Here: ');
    expect(shown('Here: ``')).toBe('Here: ');
    expect(shown('Use `ls` here')).toBe('Use `ls` here'); // inline code cannot become a fence
  });

  test('an answer that starts like bare JSON, or only whitespace so far, is all held back', () => {
    expect(visibleLength('  {"name":"get_weather"')).toBe(0);
    expect(visibleLength('[{')).toBe(0);
    expect(visibleLength('  \n')).toBe(0);
    expect(visibleLength('')).toBe(0);
  });
});
