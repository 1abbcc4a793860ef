// A full disk under a running gateway (issue 9, defect 10), with a real full file system, not
// a simulated error: the gateway runs as its own process in a private mount namespace
// (`unshare -rm`: works for root and, where user namespaces are allowed, for any user) with
// DB_PATH on a 1 MiB tmpfs that only it sees. The test fills that tmpfs through
// /proc/<pid>/root until ENOSPC, then empties it again. The mount vanishes with the process.
//
// Asserted: storing a turn or deleting a session is 503 storage_unavailable (never 500), a
// stream ends in that error frame; one log line names the file; /readyz is 503 with the
// reason; once space returns the next turn is 200 and stored; every turn acknowledged before
// the fault is still there, and none that failed was stored.

import { afterAll, expect, test } from 'bun:test';
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmulator } from '../../emulator/emulator.ts';
import { TEST_KEY, readSse } from '../helpers/harness.ts';
import { gatewayCommand } from '../helpers/gateway-under-test.ts';
import { startProcess, type RunningProcess } from '../helpers/process.ts';

const ADMIN_KEY = 'admin-key-0123456789';
const emulator = startEmulator({ replyLength: 20 });
const mountPoint = mkdtempSync(join(tmpdir(), 'kimi-gw-full-'));
const dbPath = join(mountPoint, 'gateway.sqlite');
let gateway: RunningProcess | null = null;

afterAll(async () => {
  await gateway?.stop('SIGKILL');
  await emulator.stop();
  rmSync(mountPoint, { recursive: true, force: true });
});

function startGatewayOnTinyTmpfs(): RunningProcess {
  const probe = Bun.spawnSync(['unshare', '-rm', 'true'], { stderr: 'pipe' });
  if (probe.exitCode !== 0) {
    throw new Error(`this test needs a private tmpfs: run as root or allow unprivileged user namespaces (unshare -rm): ${probe.stderr.toString()}`);
  }
  const mountThenRun = 'mount -t tmpfs -o size=1m,mode=0700 tmpfs "$0" && exec "$@"';
  const command = [...gatewayCommand(), '--port', '0', '--db', dbPath, '--upstream', emulator.url];
  return startProcess(['unshare', '-rm', 'sh', '-c', mountThenRun, mountPoint, ...command], {
    cwd: `${import.meta.dir}/../..`,
    env: { ...process.env, API_KEYS: TEST_KEY, ADMIN_KEY, HOST: '127.0.0.1', LOG_LEVEL: 'info', NO_COLOR: '1' } as Record<string, string>,
  });
}

/** Writes a file on the gateway's tmpfs until the file system is full; returns its path. */
function fillTheDisk(pid: number): string {
  const filler = `/proc/${pid}/root${mountPoint}/filler`;
  const fd = openSync(filler, 'w');
  try {
    for (const size of [65_536, 4_096, 512, 1]) {
      const chunk = Buffer.alloc(size, 0x5a);
      try {
        for (;;) writeSync(fd, chunk);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
      }
    }
  } finally {
    closeSync(fd);
  }
  return filler;
}

interface ErrorBody {
  error: { code: string; type: string; message: string };
}

test(
  'disk full: 503 storage_unavailable for turns and deletes, /readyz says so, recovery by itself, nothing acknowledged lost',
  async () => {
    gateway = startGatewayOnTinyTmpfs();
    const url = /http:\/\/127\.0\.0\.1:\d+/.exec(await gateway.waitForLine(/listening on http:\/\/127\.0\.0\.1:\d+/, 15_000))![0];
    const headers = { authorization: `Bearer ${TEST_KEY}`, 'content-type': 'application/json' };
    const turn = (session: string, content: string, stream = false) =>
      fetch(`${url}/v1/chat/completions`, {
        method: 'POST',
        headers: { ...headers, 'x-session-id': session },
        body: JSON.stringify({ stream, messages: [{ role: 'user', content }] }),
      });
    const upstreamGot = (content: string) => emulator.received.some((r) => r.message.endsWith(`User: ${content}`));

    // Acknowledged before the fault.
    for (const content of ['kept 1', 'kept 2', 'kept 3']) expect((await turn('kept', content)).status).toBe(200);
    expect((await turn('doomed', 'doomed 1')).status).toBe(200);
    expect((await fetch(`${url}/readyz`)).status).toBe(200);

    const filler = fillTheDisk(gateway.proc.pid);

    // The site answers, but the turn cannot be stored: the client gets the 503, not the answer.
    const failed = await turn('kept', 'lost 4');
    expect(failed.status).toBe(503);
    const failedBody = (await failed.json()) as ErrorBody;
    expect(failedBody.error.code).toBe('storage_unavailable');
    expect(failedBody.error.type).toBe('server_error');
    expect(failedBody.error.message).toContain('cannot save conversations right now');
    expect(upstreamGot('lost 4')).toBe(true);

    // While the disk stays full, a turn is refused before it costs an upstream call.
    const refused = await turn('kept', 'lost 5');
    expect(refused.status).toBe(503);
    expect(((await refused.json()) as ErrorBody).error.code).toBe('storage_unavailable');
    expect(upstreamGot('lost 5')).toBe(false);

    // A stream has sent its 200 already: it ends with the error frame, no content.
    const streamed = await turn('kept', 'lost 6', true);
    expect(streamed.status).toBe(200);
    const { events } = await readSse(streamed);
    const errorFrame = events.map((e) => e.data).find((d) => d.includes('"error"'));
    expect(errorFrame).toBeDefined();
    expect((JSON.parse(errorFrame!) as ErrorBody).error.code).toBe('storage_unavailable');
    expect(events.some((e) => e.data.includes('"content":"') && !e.data.includes('"content":""'))).toBe(false);

    const deleted = await fetch(`${url}/v1/sessions/doomed`, { method: 'DELETE', headers: { authorization: `Bearer ${TEST_KEY}` } });
    expect(deleted.status).toBe(503);
    expect(((await deleted.json()) as ErrorBody).error.code).toBe('storage_unavailable');

    const notReady = await fetch(`${url}/readyz`);
    expect(notReady.status).toBe(503);
    const notReadyBody = (await notReady.json()) as { status: string; storage: { status: string; reason: string } };
    expect(notReadyBody.status).toBe('storage_unavailable');
    expect(notReadyBody.storage).toMatchObject({ status: 'failing', reason: 'database or disk is full' });

    // One log line for the episode, naming the file; no request was a 500.
    const failingLines = gateway.output().split('\n').filter((l) => l.includes('storage failing'));
    expect(failingLines.length).toBe(1);
    expect(failingLines[0]).toContain(dbPath);
    expect(failingLines[0]).toContain('database or disk is full');
    expect(gateway.output()).not.toContain('internal_error');
    expect(gateway.output()).not.toContain('"status":500');

    // Space returns: the next turn is answered and stored, with no restart.
    rmSync(filler);
    expect((await turn('kept', 'kept 7')).status).toBe(200);
    const ready = await fetch(`${url}/readyz`);
    expect(ready.status).toBe(200);
    expect(((await ready.json()) as { storage: { status: string } }).storage.status).toBe('ok');
    expect(gateway.output()).toContain('storage recovered');

    // Every acknowledged turn is in the conversation the site is sent next; no failed one is.
    expect((await turn('kept', 'kept 8')).status).toBe(200);
    const sent = emulator.received.at(-1)!.message;
    const userLines = sent.split('\n').filter((l) => l.startsWith('User: '));
    expect(userLines).toEqual(['User: kept 1', 'User: kept 2', 'User: kept 3', 'User: kept 7', 'User: kept 8']);

    // The session whose delete failed is still there, and can be deleted now.
    const admin = await fetch(`${url}/admin/sessions`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } });
    const { data: sessions } = (await admin.json()) as { data: Array<{ id: string; turns: number }> };
    expect(sessions.find((s) => s.id === 'kept')?.turns).toBe(5);
    expect(sessions.find((s) => s.id === 'doomed')?.turns).toBe(1);
    expect((await fetch(`${url}/v1/sessions/doomed`, { method: 'DELETE', headers: { authorization: `Bearer ${TEST_KEY}` } })).status).toBe(200);

    expect(await gateway.stop('SIGTERM')).toBe(0);
  },
  30_000,
);
