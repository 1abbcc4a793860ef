// `kimi-gateway check --redis URL` against a real redis-server and the emulator: it reports
// the round trip, Redis's version, the shared state's layout and the instances connected,
// writes nothing, never prints the password, and exits 1 when Redis does not answer.

import { afterAll, beforeAll, expect, test } from 'bun:test';
import { runCheck } from '../../src/cli/check.ts';
import { createLogger } from '../../src/log.ts';
import { SHARED_SCHEMA_VERSION, SharedState } from '../../src/store/redis/shared-state.ts';
import { startEmulator, type Emulator } from '../../emulator/emulator.ts';
import { startRedis, type RedisServer } from '../helpers/redis-server.ts';

let redis: RedisServer;
let emulator: Emulator;
beforeAll(async () => {
  redis = await startRedis();
  emulator = startEmulator({ pageFillerBytes: 0 });
});
afterAll(async () => {
  await emulator.stop();
  await redis.stop();
});

async function check(argv: string[], env: Record<string, string | undefined> = {}) {
  const lines: string[] = [];
  const status = await runCheck(['--upstream', emulator.url, ...argv], env, (line) => lines.push(line));
  return { status, output: lines.join('\n'), redisLine: lines.find((l) => l.startsWith('Redis')) ?? '' };
}

test('before any gateway used the prefix: reachable, no shared state yet, nothing written', async () => {
  const { status, redisLine } = await check(['--redis', redis.url], { KEY_PREFIX: 'fresh:' });
  expect(status).toBe(0);
  expect(redisLine).toMatch(/^Redis at 127\.0\.0\.1:\d+: answers in \d+\.\d+ ms \(median of 5 PINGs\), Redis 7\.[\d.]+, no shared state yet under "fresh:", 0 gateway instances connected$/);
  expect(redis.cli('KEYS', 'fresh:*')).toBe('');
});

test('with a gateway instance on the prefix: its layout and one instance (REDIS_URL from the environment)', async () => {
  const log = createLogger({ level: 'error', write: () => undefined });
  const instance = new SharedState({ url: redis.url, prefix: 'kgw:', log });
  await instance.start();
  try {
    const { status, redisLine } = await check([], { REDIS_URL: redis.url });
    expect(status).toBe(0);
    expect(redisLine).toContain(`shared state layout ${SHARED_SCHEMA_VERSION} under "kgw:", 1 gateway instance connected`);
  } finally {
    instance.close();
  }
});

test('over its Unix socket (redis+unix://): the socket is named where the host would be', async () => {
  const { status, redisLine } = await check(['--redis', redis.unixUrl], { KEY_PREFIX: 'unix:' });
  expect(status).toBe(0);
  expect(redisLine).toStartWith(`Redis at unix:${redis.dir}/redis.sock: answers in `);
  expect(redisLine).toContain('no shared state yet under "unix:"');
});

test('a Unix socket that is not there: exit 1, naming the path', async () => {
  const { status, redisLine } = await check(['--redis', `redis+unix://${redis.dir}/missing.sock`]);
  expect(status).toBe(1);
  expect(redisLine).toStartWith(`Redis: cannot reach Redis at unix:${redis.dir}/missing.sock`);
});

test('a Redis that does not answer: exit 1, the password never printed', async () => {
  const url = 'redis://:s3cret-redis-pass@127.0.0.1:1';
  const { status, output, redisLine } = await check(['--redis', url]);
  expect(status).toBe(1);
  expect(redisLine).toStartWith('Redis: cannot reach Redis at 127.0.0.1:1');
  expect(output).not.toContain('s3cret-redis-pass');
});

test('a bad URL is a usage error that does not repeat it', async () => {
  const { status, output } = await check(['--redis', 'http://user:pw-in-url@host']);
  expect(status).toBe(2);
  expect(output).toContain('rediss://…, or redis+unix:///path/to/redis.sock');
  expect(output).not.toContain('pw-in-url');
});

test('a Unix socket URL with a password but no host is refused with the form Bun reads, never repeating it', async () => {
  const { status, output } = await check(['--redis', 'redis+unix://:pw-in-url@/run/redis/redis.sock']);
  expect(status).toBe(2);
  expect(output).toContain('redis+unix://:PASSWORD@localhost/path/to/redis.sock');
  expect(output).not.toContain('pw-in-url');
});
