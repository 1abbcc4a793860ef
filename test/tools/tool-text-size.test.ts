// How many prompt characters the tools block takes for 1, 3 and 10 typical tools, at both
// levels: bounds that catch the rendering growing (CONTEXT_MAX_LENGTH defaults to 1000).

import { describe, expect, test } from 'bun:test';
import { toolsForChoice } from '../../src/tools/choice.ts';
import { DESCRIPTION_MAX, renderToolsBlock, type ToolTextLevel } from '../../src/tools/render.ts';
import { TYPICAL_TOOLS } from './fixtures.ts';

const size = (n: number, level: ToolTextLevel) => renderToolsBlock(TYPICAL_TOOLS.slice(0, n), { mode: 'auto' }, true, level).length;

describe('the size of the tools block for typical tools', () => {
  test.each([
    [1, 'full', 230],
    [1, 'signatures', 180],
    [3, 'full', 450],
    [3, 'signatures', 280],
    [10, 'full', 1310],
    [10, 'signatures', 770],
  ] as const)('%i tools, %s: at most %i characters', (n, level, bound) => {
    expect(size(n, level)).toBeLessThanOrEqual(bound);
  });

  test('signatures are the shorter level, and ten tools at that level leave room in the default budget', () => {
    for (const n of [1, 3, 10]) expect(size(n, 'signatures')).toBeLessThan(size(n, 'full'));
    expect(size(10, 'signatures')).toBeLessThan(800);
  });

  test('no description line runs past the bound', () => {
    const lines = renderToolsBlock(TYPICAL_TOOLS, { mode: 'auto' }, true, 'full').split('\n').slice(1, -1);
    expect(lines).toHaveLength(10);
    for (const line of lines) expect(line.slice(line.indexOf(') - ') + 4).length).toBeLessThanOrEqual(DESCRIPTION_MAX);
  });
});

describe('toolsForChoice', () => {
  test('none offers nothing, a named function only itself, auto and required everything', () => {
    expect(toolsForChoice(TYPICAL_TOOLS, { mode: 'none' })).toEqual([]);
    expect(toolsForChoice(TYPICAL_TOOLS, { mode: 'function', name: 'get_time' }).map((t) => t.name)).toEqual(['get_time']);
    expect(toolsForChoice(TYPICAL_TOOLS, { mode: 'function', name: 'missing' })).toEqual([]);
    expect(toolsForChoice(TYPICAL_TOOLS, { mode: 'auto' })).toHaveLength(10);
    expect(toolsForChoice(TYPICAL_TOOLS, { mode: 'required' })).toHaveLength(10);
  });
});
