// Three gateway processes (the source, or the binary with GATEWAY_UNDER_TEST=binary) on one
// real redis-server and one emulator, sharing one account file: limits hold across them
// under a burst, a 429 on one cools the identity on all, credentials (aged or refused by the
// site) are fetched by one for all, an operator's action on one
// reaches all, a killed instance's lease is freed within the lease time, and a Redis that
// stops gives fast 503s and comes back by itself.

import { afterAll, afterEach, beforeAll, describe, expect, test } from 'bun:test';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmulator, type Emulator } from '../../emulator/emulator.ts';
import type { FaultRule } from '../../emulator/types.ts';
import { adminClient } from '../helpers/admin-client.ts';
import { spawnGateway, type GatewayProcess } from '../helpers/gateway-process.ts';
import { gatewayCommand } from '../helpers/gateway-under-test.ts';
import { eventually, HARNESS_ADMIN_KEY, poolOf, TEST_KEY, writeAccountsFile } from '../helpers/harness.ts';
import { startRedis, type RedisServer } from '../helpers/redis-server.ts';

let redis: RedisServer;
let prefixes = 0;
const running: GatewayProcess[] = [];
const emulators: Emulator[] = [];

beforeAll(async () => {
  redis = await startRedis();
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((g) => g.stop(20_000).catch(() => g.kill())));
  await Promise.all(emulators.splice(0).map((e) => e.stop()));
});
afterAll(async () => {
  await redis.stop();
});

interface Cluster {
  emulator: Emulator;
  gateways: GatewayProcess[];
  logs: string[][];
}

async function cluster(count: number, accounts: unknown, env: Record<string, string> = {}, latencyMs = 0, faults: FaultRule[] = []): Promise<Cluster> {
  const emulator = startEmulator({ latencyMs, faults });
  emulators.push(emulator);
  const accountsFile = writeAccountsFile(accounts);
  const prefix = `mi${++prefixes}:`;
  const gateways: GatewayProcess[] = [];
  const logs: string[][] = [];
  for (let i = 0; i < count; i++) {
    const lines: string[] = [];
    const gateway = await spawnGateway(
      [...gatewayCommand(), '--port', '0', '--upstream', emulator.url],
      {
        API_KEYS: TEST_KEY,
        ADMIN_KEY: HARNESS_ADMIN_KEY,
        HOST: '127.0.0.1',
        LOG_LEVEL: 'info',
        ACCOUNTS_FILE: accountsFile,
        DB_PATH: join(mkdtempSync(join(tmpdir(), 'kimi-gw-mi-')), 'gateway.sqlite'),
        REDIS_URL: redis.url,
        KEY_PREFIX: prefix,
        CANARY_INTERVAL_MS: '0',
        ...env,
      },
      lines,
    );
    running.push(gateway);
    gateways.push(gateway);
    logs.push(lines);
  }
  return { emulator, gateways, logs };
}

const chat = (gateway: GatewayProcess, content = 'hello', extra: Record<string, unknown> = {}) =>
  fetch(`${gateway.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TEST_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'kimi-k2-instruct-0905', messages: [{ role: 'user', content }], ...extra }),
  });

const admin = (gateway: GatewayProcess) => adminClient(() => gateway.url, HARNESS_ADMIN_KEY);
const stateOf = async (gateway: GatewayProcess, id: string) => (await admin(gateway).identities()).find((i) => i.id === id)?.state;

describe('limits across instances', () => {
  test('a burst spread over three instances never exceeds an identity maxConcurrent or rpm', async () => {
    const { emulator, gateways } = await cluster(3, poolOf(['acct-a', 'acct-b'], {}, { maxConcurrent: 2, rpm: 5 }), { QUEUE_TIMEOUT_MS: '3000' }, 250);
    const answers = await Promise.all(Array.from({ length: 24 }, (_, i) => chat(gateways[i % 3]!, `burst ${i}`)));
    const statuses = answers.map((r) => r.status);
    await Promise.all(answers.map((r) => r.arrayBuffer()));
    const stats = emulator.stats();
    for (const id of ['acct-a', 'acct-b']) {
      expect(stats[id]!.maxInFlight).toBeLessThanOrEqual(2);
      expect(stats[id]!.messages).toBeLessThanOrEqual(5);
    }
    // Per-process limits would have let three times as many through.
    expect(statuses.filter((s) => s === 200)).toHaveLength(10);
    expect(statuses.filter((s) => s !== 200).every((s) => s === 429)).toBe(true);
    const refused = answers.find((r) => r.status === 429)!;
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
  }, 30_000);

  test('a 429 seen by one instance cools the identity on all of them at once', async () => {
    const { emulator, gateways } = await cluster(3, poolOf(['acct-a', 'acct-b'], {}, { maxConcurrent: 4 }));
    emulator.addFault({ kind: 'rate_limited', identity: 'acct-a', retryAfter: '300', times: 1 });
    // Until acct-a has answered its 429 (the client sees no error: it fails over).
    for (let i = 0; i < 20 && !emulator.received.some((m) => m.outcome === 'rate_limited'); i++) expect((await chat(gateways[0]!)).status).toBe(200);
    expect(emulator.received.some((m) => m.outcome === 'rate_limited')).toBe(true);
    const before = emulator.stats()['acct-a']!.messages;
    for (let i = 0; i < 12; i++) expect((await chat(gateways[1 + (i % 2)]!)).status).toBe(200);
    expect(emulator.stats()['acct-a']!.messages).toBe(before);
    expect(await stateOf(gateways[1]!, 'acct-a')).toBe('cooling');
    expect(await stateOf(gateways[2]!, 'acct-a')).toBe('cooling');
  }, 30_000);

  test('credentials are fetched once for every instance: the others take them over', async () => {
    // A slow chat page: every instance is up while the first fetch still runs.
    const { emulator, gateways } = await cluster(3, poolOf(['acct-a', 'acct-b']), {}, 0, [{ kind: 'slow', on: 'page', delayMs: 4_000 }]);
    expect(await eventually(() => emulator.stats()['acct-a']?.pages === 1 && emulator.stats()['acct-b']?.pages === 1, 10_000)).toBe(true);
    emulator.clearFaults();
    for (let i = 0; i < 9; i++) expect((await chat(gateways[i % 3]!)).status).toBe(200);
    expect(emulator.stats()['acct-a']!.pages).toBe(1);
    expect(emulator.stats()['acct-b']!.pages).toBe(1);
  }, 30_000);

  test('an aged nonce is fetched again by one instance; the others go on with theirs and take the new one over', async () => {
    const maxAgeMs = 4_000;
    const { emulator, gateways } = await cluster(3, poolOf(['acct-a']), { NONCE_MAX_AGE_MS: String(maxAgeMs) });
    expect(await eventually(() => emulator.stats()['acct-a']?.pages === 1, 10_000)).toBe(true);
    for (const gateway of gateways) expect((await chat(gateway)).status).toBe(200);
    expect(emulator.stats()['acct-a']!.pages).toBe(1);
    // The nonce ages past NONCE_MAX_AGE_MS on every instance at once (time has to pass here).
    await Bun.sleep(maxAgeMs + 100);
    const answers = await Promise.all(gateways.map((g, i) => chat(g, `aged ${i}`)));
    expect(answers.map((r) => r.status)).toEqual([200, 200, 200]);
    // One page fetch for the three (one each without the claim).
    expect(emulator.stats()['acct-a']!.pages).toBe(2);
    const fresh = async () => (await Promise.all(gateways.map((g) => admin(g).identities()))).every((list) => (list.find((i) => i.id === 'acct-a')?.nonceAgeMs ?? Infinity) < maxAgeMs);
    expect(await eventually(fresh, 2_000)).toBe(true);
  }, 30_000);

  test('a nonce the site refuses is fetched again by one instance; the others wait for it and take it over', async () => {
    const { emulator, gateways } = await cluster(3, poolOf(['acct-a']));
    expect(await eventually(() => emulator.stats()['acct-a']?.pages === 1, 10_000)).toBe(true);
    for (const gateway of gateways) expect((await chat(gateway)).status).toBe(200);
    // The site drops every nonce it gave; its page is slow, so all three see the refusal before a new one exists.
    emulator.expireNonces();
    emulator.addFault({ kind: 'slow', on: 'page', delayMs: 1_000 });
    const answers = await Promise.all(gateways.map((g, i) => chat(g, `refused ${i}`)));
    expect(answers.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(emulator.received.filter((m) => m.outcome === 'stale_nonce')).toHaveLength(3);
    // One page fetch for the three (one each without the claim).
    expect(emulator.stats()['acct-a']!.pages).toBe(2);
    const retried = emulator.received.filter((m) => m.outcome === 'ok').slice(-3);
    expect(new Set(retried.map((m) => m.nonce)).size).toBe(1);
  }, 30_000);

  test("an operator's disable on one instance reaches the others within a second", async () => {
    const { gateways } = await cluster(3, poolOf(['acct-a', 'acct-b']));
    expect((await admin(gateways[0]!).disable('acct-a')).ok).toBe(true);
    for (const g of gateways.slice(1)) expect(await eventually(async () => (await stateOf(g, 'acct-a')) === 'disabled', 1_000)).toBe(true);
    expect((await admin(gateways[2]!).enable('acct-a')).ok).toBe(true);
    for (const g of gateways.slice(0, 2)) expect(await eventually(async () => (await stateOf(g, 'acct-a')) === 'ready', 1_000)).toBe(true);
  }, 30_000);

  test("kill -9 of an instance holding an identity's only slot frees it within the lease time", async () => {
    const { emulator, gateways } = await cluster(2, poolOf(['solo'], {}, { maxConcurrent: 1 }), { SHARED_LEASE_MS: '3000', QUEUE_TIMEOUT_MS: '20000' });
    emulator.addFault({ kind: 'slow', identity: 'solo', delayMs: 60_000, times: 1 });
    const doomed = chat(gateways[0]!).catch(() => null);
    expect(await eventually(() => emulator.stats()['solo']?.inFlight === 1, 5_000)).toBe(true);
    await gateways[0]!.kill();
    running.splice(running.indexOf(gateways[0]!), 1);
    await doomed;
    const started = performance.now();
    const answer = await chat(gateways[1]!);
    const waited = performance.now() - started;
    expect(answer.status).toBe(200);
    // Held by the dead instance's lease until it ran out, not longer.
    expect(waited).toBeGreaterThan(1_000);
    expect(waited).toBeLessThan(8_000);
  }, 30_000);
});

describe('Redis stopped and restarted', () => {
  test('requests fail fast with 503 shared_state_unavailable, /readyz says so, and both recover by themselves', async () => {
    const { gateways } = await cluster(2, poolOf(['acct-a', 'acct-b']), {}, 0);
    expect((await chat(gateways[0]!)).status).toBe(200);
    await redis.stop();
    try {
      const started = performance.now();
      const answer = await chat(gateways[1]!);
      expect(performance.now() - started).toBeLessThan(3_000);
      expect(answer.status).toBe(503);
      expect(Number(answer.headers.get('retry-after'))).toBeGreaterThan(0);
      const body = (await answer.json()) as { error: { code: string; type: string; message: string } };
      expect(body.error.code).toBe('shared_state_unavailable');
      expect(body.error.message).not.toContain(redis.url);
      // A stream is refused before its 200, not answered 200 and then an error frame.
      const stream = await chat(gateways[0]!, 'hello', { stream: true });
      expect(stream.status).toBe(503);
      expect(((await stream.json()) as { error: { code: string } }).error.code).toBe('shared_state_unavailable');
      const ready = await fetch(`${gateways[0]!.url}/readyz`);
      expect(ready.status).toBe(503);
      expect(((await ready.json()) as { status: string }).status).toBe('shared_state_unavailable');
    } finally {
      await redis.restart();
    }
    for (const g of gateways) {
      expect(await eventually(async () => (await chat(g)).status === 200, 10_000)).toBe(true);
      expect(await eventually(async () => (await fetch(`${g.url}/readyz`)).status === 200, 5_000)).toBe(true);
    }
  }, 40_000);

  test('a stream already running when Redis stops finishes, and its log line says the turn was not stored', async () => {
    const { emulator, gateways, logs } = await cluster(1, poolOf(['acct-a']), {}, 1_500);
    const stream = await chat(gateways[0]!, 'a long one', { stream: true });
    expect(stream.status).toBe(200);
    // Running: its call is at the site (the 200 goes out before the identity is leased).
    expect(await eventually(() => emulator.stats()['acct-a']?.inFlight === 1, 5_000)).toBe(true);
    await redis.stop();
    try {
      const text = await stream.text();
      expect(text).toContain('data: [DONE]');
      expect(text).not.toContain('"error"');
    } finally {
      await redis.restart();
    }
    const requestLine = async () => logs[0]!.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.msg === 'request' && l.route === '/v1/chat/completions');
    expect(await eventually(async () => (await requestLine()) !== undefined, 5_000)).toBe(true);
    expect(await requestLine()).toMatchObject({ status: 200, not_stored: 'shared_state_unavailable' });
  }, 30_000);
});
