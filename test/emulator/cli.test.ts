import { afterEach, describe, expect, test } from 'bun:test';
import type { Subprocess } from 'bun';
import { parseCliArgs } from '../../emulator/cli-args.ts';

const MAIN = new URL('../../emulator/main.ts', import.meta.url).pathname;
const spawned: Subprocess[] = [];

afterEach(() => {
  for (const child of spawned.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});

async function firstLine(stream: ReadableStream<Uint8Array>): Promise<string> {
  const decoder = new TextDecoder();
  let text = '';
  for await (const chunk of stream) {
    text += decoder.decode(chunk, { stream: true });
    const end = text.indexOf('\n');
    if (end >= 0) return text.slice(0, end);
  }
  return text;
}

function spawnCli(args: string[]) {
  const child = Bun.spawn([process.execPath, MAIN, ...args], { stdout: 'pipe', stderr: 'pipe' });
  spawned.push(child);
  return child;
}

describe('CLI', () => {
  test('prints its listening line, serves the page, and exits 0 on SIGTERM', async () => {
    const child = spawnCli(['--port', '0', '--latency', '0', '--reply-length', '50']);
    const line = await firstLine(child.stdout);
    expect(line).toMatch(/^kimi emulator listening on http:\/\/127\.0\.0\.1:\d+$/);
    const url = line.slice('kimi emulator listening on '.length);
    expect((await fetch(`${url}/chat/`)).status).toBe(200);
    child.kill('SIGTERM');
    expect(await child.exited).toBe(0);
  });

  test('exits 0 on SIGINT', async () => {
    const child = spawnCli(['--port', '0']);
    expect(await firstLine(child.stdout)).toStartWith('kimi emulator listening on ');
    child.kill('SIGINT');
    expect(await child.exited).toBe(0);
  });

  test('--help prints usage and exits 0', async () => {
    const child = spawnCli(['--help']);
    spawned.push(child);
    expect(await new Response(child.stdout).text()).toContain('Usage: bun emulator/main.ts');
    expect(await child.exited).toBe(0);
  });

  test('a bad flag prints the error and exits 2', async () => {
    const child = spawnCli(['--latency', 'soon']);
    expect(await new Response(child.stderr).text()).toContain('--latency must be a non-negative integer');
    expect(await child.exited).toBe(2);
  });
});

describe('parseCliArgs', () => {
  test('maps flags to options, defaulting the port to 8090', () => {
    expect(parseCliArgs([])).toEqual({ kind: 'run', options: { port: 8090 } });
    expect(
      parseCliArgs(['--port', '0', '--latency=250', '--reply-length', '900', '--nonce-ttl', '1000', '--max-message-length', '500']),
    ).toEqual({
      kind: 'run',
      options: { port: 0, latencyMs: 250, replyLength: 900, nonceTtlMs: 1000, maxMessageLength: 500 },
    });
  });

  test('rejects unknown flags and missing values', () => {
    expect(() => parseCliArgs(['--colour'])).toThrow('unknown option');
    expect(() => parseCliArgs(['--port'])).toThrow('--port needs a value');
    expect(() => parseCliArgs(['--stale-nonce-style', 'xml'])).toThrow('json or 403');
  });
});
