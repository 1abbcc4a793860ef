// The shared state's layout across gateway versions, with the gateway process (the source, or
// the binary with GATEWAY_UNDER_TEST=binary) on a real redis-server: sessions written by a
// gateway of layout 1 (one hash each) are converted at start, their expiry kept, and go on
// (a named conversation, a recognised one, the admin list); the prefix is then marked as this
// layout. A layout newer than this gateway's stops it at start with a message that says why.

import { afterAll, afterEach, beforeAll, expect, test } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmulator, type Emulator } from '../../emulator/emulator.ts';
import { keyName } from '../../src/http/auth.ts';
import { conversationTip } from '../../src/sessions/fingerprint.ts';
import { SHARED_SCHEMA_VERSION } from '../../src/store/redis/shared-state.ts';
import { sessionKeys, sessionMember } from '../../src/store/redis/session-keys.ts';
import { adminClient } from '../helpers/admin-client.ts';
import { spawnGateway, type GatewayProcess } from '../helpers/gateway-process.ts';
import { gatewayCommand } from '../helpers/gateway-under-test.ts';
import { HARNESS_ADMIN_KEY, poolOf, TEST_KEY, writeAccountsFile } from '../helpers/harness.ts';
import { startRedis, type RedisServer } from '../helpers/redis-server.ts';

let redis: RedisServer;
let emulator: Emulator;
const running: GatewayProcess[] = [];
const dirs: string[] = [];

beforeAll(async () => {
  redis = await startRedis();
  emulator = startEmulator({});
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((g) => g.stop(20_000).catch(() => g.kill())));
});
afterAll(async () => {
  await emulator.stop();
  await redis.stop();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function gateway(prefix: string, lines: string[]): Promise<GatewayProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'kimi-gw-layout-'));
  dirs.push(dir);
  return spawnGateway(
    [...gatewayCommand(), '--port', '0', '--upstream', emulator.url],
    {
      API_KEYS: TEST_KEY,
      ADMIN_KEY: HARNESS_ADMIN_KEY,
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      ACCOUNTS_FILE: writeAccountsFile(poolOf(['acct-1'])),
      DB_PATH: join(dir, 'gateway.sqlite'),
      REDIS_URL: redis.url,
      KEY_PREFIX: prefix,
      CANARY_INTERVAL_MS: '0',
    },
    lines,
  );
}

const chat = (g: GatewayProcess, messages: { role: string; content: string }[], headers: Record<string, string> = {}) =>
  fetch(`${g.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TEST_KEY}`, 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ model: 'kimi-k2-instruct', messages }),
  });

/** A session as a layout-1 gateway wrote it: a hash, its expiry, its index entry and its tip pointer. */
function writeLayout1Session(prefix: string, s: { id: string; handle: string; tip: string | null; history: unknown[]; ttlMs: number }) {
  const keys = sessionKeys(prefix);
  const owner = keyName(TEST_KEY);
  const member = sessionMember(owner, s.id);
  const now = Date.now();
  const fields = ['owner', owner, 'id', s.id, 'handle', s.handle, 'history', JSON.stringify(s.history), 'messages', String(s.history.length), 'turns', '1'];
  fields.push('identity', 'acct-1', 'created', String(now), 'used', String(now), 'expires', String(now + s.ttlMs));
  if (s.tip) fields.push('tip', s.tip);
  redis.cli('HSET', keys.session(member), ...fields);
  redis.cli('PEXPIREAT', keys.session(member), String(now + s.ttlMs));
  redis.cli('ZADD', keys.lastUse, String((now + s.ttlMs) * 1000), member);
  if (s.tip) redis.cli('SET', keys.tip(s.tip), member, 'PXAT', String(now + s.ttlMs));
  return keys.session(member);
}

test('sessions of layout 1 are converted at start, expiry kept, and their conversations go on', async () => {
  const prefix = 'up1:';
  redis.cli('SET', `${prefix}schema`, '1');
  const named = writeLayout1Session(prefix, {
    id: 'legacy-chat',
    handle: 'session_1700000000000_legacy001',
    tip: null,
    history: [{ role: 'user', content: 'My name is Zed.' }, { role: 'assistant', content: 'Hello Zed.' }],
    ttlMs: 3_600_000,
  });
  const earlier = [{ role: 'user', content: 'hi "there", history' }, { role: 'assistant', content: 'an answer' }];
  const tip = conversationTip(keyName(TEST_KEY), earlier as never);
  const recognised = writeLayout1Session(prefix, { id: 'conv_legacy', handle: 'session_1700000000000_legacy002', tip, history: [], ttlMs: 600_000 });
  const ttlBefore = Number(redis.cli('PTTL', recognised));

  const lines: string[] = [];
  const g = await gateway(prefix, lines);
  running.push(g);
  expect(redis.cli('TYPE', named)).toBe('string');
  expect(redis.cli('TYPE', recognised)).toBe('string');
  // The expiry is the one the session had, not a new TTL.
  const ttlAfter = Number(redis.cli('PTTL', recognised));
  expect(ttlAfter).toBeLessThanOrEqual(ttlBefore);
  expect(ttlAfter).toBeGreaterThan(ttlBefore - 15_000);
  expect(redis.cli('GET', `${prefix}schema`)).toBe(String(SHARED_SCHEMA_VERSION));
  const upgraded = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((e) => String(e.msg).startsWith('shared state upgraded'));
  expect(upgraded).toMatchObject({ from: 1, to: SHARED_SCHEMA_VERSION, sessions: 2 });

  const page = await adminClient(() => g.url, HARNESS_ADMIN_KEY).sessions();
  expect(page.data.map((s) => [s.id, s.messages, s.upstreamSessionId])).toEqual(
    expect.arrayContaining([
      ['legacy-chat', 2, 'session_1700000000000_legacy001'],
      ['conv_legacy', 0, 'session_1700000000000_legacy002'],
    ]),
  );

  // Both conversations continue on the upstream sessions they had.
  const namedTurn = await chat(g, [{ role: 'user', content: 'What is my name?' }], { 'x-session-id': 'legacy-chat' });
  expect(namedTurn.status).toBe(200);
  expect(emulator.received.at(-1)!.sessionId).toBe('session_1700000000000_legacy001');
  const recognisedTurn = await chat(g, [...earlier, { role: 'user', content: 'and now?' }]);
  expect(recognisedTurn.status).toBe(200);
  expect(emulator.received.at(-1)!.sessionId).toBe('session_1700000000000_legacy002');
});

test('a layout newer than this gateway’s: it refuses to start and says what to do', async () => {
  const prefix = 'up2:';
  redis.cli('SET', `${prefix}schema`, String(SHARED_SCHEMA_VERSION + 1));
  const failed = await gateway(prefix, []).then(
    (g) => {
      running.push(g);
      return null;
    },
    (e: Error) => e.message,
  );
  expect(failed).toContain(`written by a newer gateway (layout ${SHARED_SCHEMA_VERSION + 1}; this one knows ${SHARED_SCHEMA_VERSION})`);
  expect(failed).toContain('upgrade this instance, or give it another KEY_PREFIX');
  expect(redis.cli('GET', `${prefix}schema`)).toBe(String(SHARED_SCHEMA_VERSION + 1));
});
