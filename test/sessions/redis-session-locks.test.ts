// RedisSessionLocks against a real redis-server, between two SharedState clients (two
// instances): exclusive, woken by the holder's published release (not by polling), kept
// while renewed, freed when a dead holder's lock expires, and abandoned on abort.

import { expect, test } from 'bun:test';
import { RedisSessionLocks, type ReleaseSharedLock } from '../../src/sessions/redis-session-locks.ts';
import { sessionKeys } from '../../src/store/redis/session-keys.ts';
import { eventually } from '../helpers/harness.ts';
import { useRedis } from '../helpers/redis-for-file.ts';

const file = useRedis();
let prefixes = 0;

/** Two instances on one prefix of their own. */
async function twoInstances(options: { ttlMs?: number; pollMs?: number } = {}) {
  const prefix = `lock${++prefixes}:`;
  const make = async () => {
    const shared = await file.shared(prefix);
    return { shared, locks: new RedisSessionLocks(shared, options) };
  };
  return { prefix, a: await make(), b: await make() };
}

const never = () => new AbortController().signal;

function tracked(promise: Promise<ReleaseSharedLock>) {
  const state = { held: false, release: null as ReleaseSharedLock | null };
  void promise.then((release) => {
    state.held = true;
    state.release = release;
  });
  return state;
}

test('exclusive across instances; the release wakes the waiting instance at once (its poll is a minute away)', async () => {
  const { a, b } = await twoInstances({ pollMs: 60_000 });
  const releaseA = await a.locks.acquire('key-1', 's', never());
  const onB = tracked(b.locks.acquire('key-1', 's', never()));
  // Another session, and the same name of another owner, are not held up.
  await (await b.locks.acquire('key-1', 'other', never()))();
  await (await b.locks.acquire('key-2', 's', never()))();
  await Bun.sleep(150);
  expect(onB.held).toBe(false);
  await releaseA();
  expect(await eventually(() => onB.held, 3_000)).toBe(true);
  // A release twice is harmless, and never frees a lock held by someone else.
  await releaseA();
  const onA = tracked(a.locks.acquire('key-1', 's', never()));
  await Bun.sleep(150);
  expect(onA.held).toBe(false);
  await onB.release!();
  expect(await eventually(() => onA.held, 3_000)).toBe(true);
  await onA.release!();
});

test('a holder renews its lock while the turn runs, past the lock TTL', async () => {
  const { a, b } = await twoInstances({ ttlMs: 300, pollMs: 50 });
  const releaseA = await a.locks.acquire('key-1', 'long turn', never());
  const onB = tracked(b.locks.acquire('key-1', 'long turn', never()));
  await Bun.sleep(1_000);
  expect(onB.held).toBe(false);
  await releaseA();
  expect(await eventually(() => onB.held, 3_000)).toBe(true);
  await onB.release!();
});

test('the lock of a dead holder expires and the waiter takes it', async () => {
  const { prefix, a, b } = await twoInstances({ ttlMs: 400, pollMs: 100 });
  await a.locks.acquire('key-1', 'orphan', never());
  // The process dies: no renewal, no release.
  a.shared.close();
  const lockKey = sessionKeys(prefix).lock('key-1', 'orphan');
  expect(Number(file.server.cli('PTTL', lockKey))).toBeGreaterThan(0);
  const onB = tracked(b.locks.acquire('key-1', 'orphan', never()));
  expect(await eventually(() => onB.held, 5_000)).toBe(true);
  await onB.release!();
  expect(file.server.cli('EXISTS', lockKey)).toBe('0');
});

test('a waiter whose signal aborts gives up with its reason and holds nothing', async () => {
  const { a, b } = await twoInstances({ pollMs: 60_000 });
  const releaseA = await a.locks.acquire('key-1', 's', never());
  const controller = new AbortController();
  const waiting = b.locks.acquire('key-1', 's', controller.signal).then(
    () => null,
    (e: unknown) => e,
  );
  await Bun.sleep(50);
  controller.abort(new Error('client left'));
  expect(((await waiting) as Error).message).toBe('client left');
  await releaseA();
  await (await b.locks.acquire('key-1', 's', never()))();
});
