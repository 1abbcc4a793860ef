// SIGTERM on the real process: stop accepting, let in-flight requests and streams finish
// within the grace period, save state, close the DB, exit 0.

import { Database } from 'bun:sqlite';
import { afterAll, afterEach, expect, test } from 'bun:test';
import { tmpdir } from 'node:os';
import { startEmulator } from '../../emulator/emulator.ts';
import { gatewayCommand } from '../helpers/gateway-under-test.ts';
import { readSse, TEST_KEY, tempDbPath } from '../helpers/harness.ts';
import { startProcess, type RunningProcess } from '../helpers/process.ts';

const emulator = startEmulator({ replyLength: 40 });
let gateway: RunningProcess | null = null;
afterEach(async () => {
  await gateway?.stop('SIGKILL');
  gateway = null;
});
afterAll(() => emulator.stop());

async function startGatewayProcess(dbPath: string, env: Record<string, string>): Promise<string> {
  // The source (bun src/main.ts) or, with GATEWAY_UNDER_TEST=binary, dist/kimi-gateway.
  gateway = startProcess([...gatewayCommand(), '--port', '0', '--db', dbPath, '--upstream', emulator.url], {
    cwd: tmpdir(),
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', API_KEYS: TEST_KEY, HOST: '127.0.0.1', LOG_LEVEL: 'info', ...env },
  });
  const line = await gateway.waitForLine(/listening on http:\/\/127\.0\.0\.1:\d+/, 10_000);
  return /http:\/\/127\.0\.0\.1:\d+/.exec(line)![0];
}

const post = (url: string, body: unknown) =>
  fetch(`${url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${TEST_KEY}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });

test(
  'SIGTERM lets an in-flight answer and stream finish, refuses new connections, saves the turn and exits 0',
  async () => {
    emulator.configure({ latencyMs: 700 });
    const dbPath = tempDbPath();
    const url = await startGatewayProcess(dbPath, { SHUTDOWN_GRACE_MS: '10000' });
    const before = emulator.received.length;
    const plain = post(url, { user: 'sd', messages: [{ role: 'user', content: 'finish me' }] });
    const streamed = post(url, { stream: true, messages: [{ role: 'user', content: 'stream me' }] });
    while (emulator.received.length < before + 2) await Bun.sleep(5);

    gateway!.proc.kill('SIGTERM');
    await gateway!.waitForLine(/waiting for in-flight requests/, 5_000);
    // No new connections while draining.
    expect(await fetch(`${url}/healthz`).then(() => 'answered', () => 'refused')).toBe('refused');

    const plainRes = await plain;
    expect(plainRes.status).toBe(200);
    expect(((await plainRes.json()) as { choices: { message: { content: string } }[] }).choices[0]!.message.content).toStartWith('Echo[');
    const { events } = await readSse(await streamed);
    expect(events.at(-1)!.data).toBe('[DONE]');

    expect(await gateway!.proc.exited).toBe(0);
    const db = new Database(dbPath, { readonly: true });
    expect(db.query<{ turns: number }, []>("SELECT turns FROM sessions WHERE id = 'sd'").get()?.turns).toBe(1);
    db.close();
  },
  30_000,
);

test(
  'requests still running when the grace period ends are cut, and the process still exits 0',
  async () => {
    emulator.configure({ latencyMs: 20_000 });
    const url = await startGatewayProcess(tempDbPath(), { SHUTDOWN_GRACE_MS: '300' });
    const before = emulator.received.length;
    const slow = post(url, { messages: [{ role: 'user', content: 'too slow' }] }).then((r) => r.status, () => 'cut');
    while (emulator.received.length < before + 1) await Bun.sleep(5);
    const t0 = performance.now();
    gateway!.proc.kill('SIGTERM');
    expect(await gateway!.proc.exited).toBe(0);
    expect(performance.now() - t0).toBeLessThan(5_000);
    expect(gateway!.output()).toContain('grace period over');
    expect(await slow).toBe('cut');
    emulator.configure({ latencyMs: 0 });
  },
  30_000,
);
