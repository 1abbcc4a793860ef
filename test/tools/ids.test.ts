import { expect, test } from 'bun:test';
import { newToolCallId } from '../../src/tools/ids.ts';

test('call_ and 24 letters or digits, different every time', () => {
  const ids = Array.from({ length: 2000 }, newToolCallId);
  for (const id of ids) expect(id).toMatch(/^call_[A-Za-z0-9]{24}$/);
  expect(new Set(ids).size).toBe(ids.length);
  // Every character of the alphabet turns up: the ids are not drawn from a narrower set.
  expect(new Set(ids.join('').replaceAll('call_', '')).size).toBe(62);
});
