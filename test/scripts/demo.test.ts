// scripts/demo.ts as a user runs it (a process): a busy port is one clean line and a
// non-zero exit, --help documents its flags and DEMO_LATENCY_MS, and stopping it says so.

import { afterEach, expect, test } from 'bun:test';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startProcess, type RunningProcess } from '../helpers/process.ts';

const DEMO = join(import.meta.dir, '../../scripts/demo.ts');
const running: RunningProcess[] = [];
afterEach(async () => {
  for (const p of running.splice(0)) await p.stop('SIGKILL');
});

/** The demo from an empty directory with its own DB: a developer's ./data and .env stay out of it. */
function demo(args: string[], env: Record<string, string> = {}): RunningProcess {
  const cwd = mkdtempSync(join(tmpdir(), 'kimi-gw-demo-'));
  const p = startProcess([process.execPath, DEMO, ...args], { cwd, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', DB_PATH: join(cwd, 'demo.sqlite'), ...env } });
  running.push(p);
  return p;
}

/** Exit code and everything it printed (stdout and stderr). */
async function finished(p: RunningProcess): Promise<{ code: number; output: string }> {
  const code = await p.finished();
  return { code, output: p.output() };
}

test('a busy port is one clean line naming the port and what to do, and a non-zero exit', async () => {
  const busy = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: () => new Response('taken') });
  try {
    const { code, output } = await finished(demo(['--port', String(busy.port)]));
    expect(code).not.toBe(0);
    const lines = output.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`127.0.0.1:${busy.port}`);
    expect(lines[0]).toContain('in use');
    expect(lines[0]).toContain('--port');
  } finally {
    busy.stop(true);
  }
}, 20_000);

test('--help documents the flags and DEMO_LATENCY_MS, and starts nothing', async () => {
  const { code, output } = await finished(demo(['--help']));
  expect(code).toBe(0);
  expect(output).toContain('Usage:');
  for (const documented of ['--port', 'DEMO_LATENCY_MS', 'DB_PATH', 'kimi-gateway --help']) expect(output).toContain(documented);
  expect(output).not.toContain('http://127.0.0.1');
}, 20_000);

test('a bad DEMO_LATENCY_MS or flag is one clean line and exit 2', async () => {
  const latency = await finished(demo([], { DEMO_LATENCY_MS: 'soon' }));
  expect(latency.code).toBe(2);
  expect(latency.output.trim().split('\n')).toEqual([expect.stringContaining('DEMO_LATENCY_MS: "soon"')]);
  const flag = await finished(demo(['--prot', '9000']));
  expect(flag.code).toBe(2);
  expect(flag.output.trim().split('\n')).toEqual([expect.stringContaining('Unknown argument "--prot"')]);
}, 20_000);

test('it prints where it listens, and a line when stopping and when stopped', async () => {
  const p = demo(['--port', '0'], { DEMO_LATENCY_MS: '0' });
  const line = await p.waitForLine(/gateway\s+http:\/\/127\.0\.0\.1:\d+/, 15_000);
  const url = /http:\/\/127\.0\.0\.1:\d+/.exec(line)![0];
  expect((await fetch(`${url}/healthz`)).status).toBe(200);
  p.proc.kill('SIGINT');
  expect(await p.finished()).toBe(0);
  const out = p.output();
  const stopping = out.indexOf('demo: stopping');
  expect(stopping).toBeGreaterThan(out.indexOf(url));
  expect(out.indexOf('demo: stopped', stopping)).toBeGreaterThan(stopping);
}, 20_000);
