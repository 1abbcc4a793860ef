// KeyedWaiters on a fake clock: a wake hands the value to everyone waiting on that key (and no
// other), the time bound and the abort signal end a wait with null, and nothing is left behind.

import { expect, test } from 'bun:test';
import { KeyedWaiters } from '../../src/pool/keyed-waiters.ts';
import { FakeClock } from '../support/fake-clock.ts';

test('a wake reaches every waiter of its key, only them, once', async () => {
  const clock = new FakeClock();
  const waiters = new KeyedWaiters<string>(clock.timers);
  const signal = new AbortController().signal;
  const [a1, a2, b] = [waiters.wait('a', 1_000, signal), waiters.wait('a', 1_000, signal), waiters.wait('b', 1_000, signal)];
  expect(waiters.count('a')).toBe(2);
  waiters.wake('a', 'new');
  expect(await a1).toBe('new');
  expect(await a2).toBe('new');
  expect(waiters.count('a')).toBe(0);
  // Their timers went with them: only b's is left.
  expect(clock.pending).toBe(1);
  waiters.wake('a', 'later'); // nobody waits: nothing happens
  clock.advance(1_000);
  expect(await b).toBeNull();
  expect(waiters.count('b')).toBe(0);
  expect(clock.pending).toBe(0);
});

test('the time bound and the signal end a wait with null; a wait of no time or on an aborted signal ends at once', async () => {
  const clock = new FakeClock();
  const waiters = new KeyedWaiters<number>(clock.timers);
  const timed = waiters.wait('k', 500, new AbortController().signal);
  clock.advance(499);
  expect(waiters.count('k')).toBe(1);
  clock.advance(1);
  expect(await timed).toBeNull();

  const leaving = new AbortController();
  const left = waiters.wait('k', 500, leaving.signal);
  leaving.abort();
  expect(await left).toBeNull();
  expect(waiters.count('k')).toBe(0);
  waiters.wake('k', 1);

  expect(await waiters.wait('k', 0, new AbortController().signal)).toBeNull();
  expect(await waiters.wait('k', -5, new AbortController().signal)).toBeNull();
  expect(await waiters.wait('k', 500, leaving.signal)).toBeNull();
  expect(waiters.count('k')).toBe(0);
});
