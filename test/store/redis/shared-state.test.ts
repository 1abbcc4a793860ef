// SharedState against a real redis-server: commands and scripts, events between two
// instances, and a Redis that goes away: fast 503s, one log line per episode, recovery.

import { afterAll, beforeAll, expect, test } from 'bun:test';
import { GatewayError } from '../../../src/errors.ts';
import { createLogger } from '../../../src/log.ts';
import { SharedState, safeHost, type SharedEvent } from '../../../src/store/redis/shared-state.ts';
import { eventually } from '../../helpers/harness.ts';
import { startRedis, type RedisServer } from '../../helpers/redis-server.ts';

let redis: RedisServer;
const lines: string[] = [];
const log = createLogger({ level: 'debug', pretty: false, write: (l) => lines.push(l) });
const states: SharedState[] = [];
const shared = async () => {
  const s = new SharedState({ url: redis.url, prefix: `t${states.length}:`, log, commandTimeoutMs: 500 });
  await s.start();
  states.push(s);
  return s;
};

beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  for (const s of states) s.close();
  await redis.stop();
});

test('commands and Lua scripts (loaded once, reloaded after Redis forgets them)', async () => {
  const s = await shared();
  expect(await s.send('SET', ['t0:k', 'v'])).toBe('OK');
  const incr = { name: 'incr', lua: "return redis.call('INCRBY', KEYS[1], ARGV[1])" };
  expect(await s.run(incr, ['t0:n'], [2])).toBe(2);
  redis.cli('SCRIPT', 'FLUSH');
  expect(await s.run(incr, ['t0:n'], [3])).toBe(5);
});

test('an event published by one instance reaches the others, not itself', async () => {
  const a = await shared();
  const b = new SharedState({ url: redis.url, prefix: a.prefix, log, commandTimeoutMs: 500 });
  await b.start();
  states.push(b);
  const seenByA: SharedEvent[] = [];
  const seenByB: SharedEvent[] = [];
  a.onEvent((e) => seenByA.push(e));
  b.onEvent((e) => seenByB.push(e));
  await a.publish({ type: 'freed', identity: 'x' });
  expect(await eventually(() => seenByB.length === 1)).toBe(true);
  expect(seenByB[0]).toMatchObject({ type: 'freed', identity: 'x', from: a.instance });
  expect(seenByA).toEqual([]);
});

test('Redis gone: commands fail fast with shared_state_unavailable, one log line; back: recovery, and events flow again', async () => {
  const a = await shared();
  const b = new SharedState({ url: redis.url, prefix: a.prefix, log, commandTimeoutMs: 500 });
  await b.start();
  states.push(b);
  const seen: SharedEvent[] = [];
  b.onEvent((e) => seen.push(e));
  await redis.stop();
  for (let i = 0; i < 3; i++) {
    const started = performance.now();
    const error = await a.send('GET', ['k']).then(() => null, (e: unknown) => e);
    expect(error).toBeInstanceOf(GatewayError);
    expect((error as GatewayError).errorCode).toBe('shared_state_unavailable');
    expect(performance.now() - started).toBeLessThan(2_000);
  }
  expect(a.status.ok).toBe(false);
  expect(lines.filter((l) => l.includes('shared state unavailable'))).toHaveLength(1);
  await redis.restart();
  let back = false;
  for (let i = 0; i < 100 && !back; i++) {
    back = await a.send('PING', []).then(() => true, () => false);
    if (!back) await Bun.sleep(50);
  }
  expect(back).toBe(true);
  expect(a.status).toEqual({ ok: true });
  expect(lines.some((l) => l.includes('shared state recovered'))).toBe(true);
  // The subscriber took its subscription again.
  let delivered = false;
  for (let i = 0; i < 100 && !delivered; i++) {
    await a.publish({ type: 'after-restart' });
    delivered = await eventually(() => seen.some((e) => e.type === 'after-restart'), 50);
  }
  expect(delivered).toBe(true);
}, 20_000);

test('the host is shown without credentials', () => {
  expect(safeHost('redis://user:s3cret@10.0.0.5:6380/2')).toBe('10.0.0.5:6380');
  expect(safeHost('rediss://:pw@cache.example')).toBe('cache.example');
  expect(safeHost('redis+unix://:pw@localhost/run/redis/redis.sock')).toBe('unix:/run/redis/redis.sock');
});
