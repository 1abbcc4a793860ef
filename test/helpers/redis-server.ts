// A real redis-server for tests (Debian's package; scripts/bootstrap.mjs installs it): started
// in the foreground on a free loopback port, and on a Unix socket in its temp directory (for
// redis+unix:// URLs), with append-only persistence in that directory,
// ready once it answers PING; stopped (and restartable on the same data) by the test.

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Subprocess } from 'bun';

export interface RedisServer {
  url: string;
  /** The same server over its Unix socket: redis+unix:///…/redis.sock. */
  unixUrl: string;
  port: number;
  dir: string;
  /** Stops it: SIGTERM (Redis saves its append-only file), or SIGKILL for a crash. */
  stop(signal?: 'SIGTERM' | 'SIGKILL'): Promise<void>;
  /** Starts it again on the same port and data directory. */
  restart(): Promise<void>;
  /** One redis-cli command against it (for tests that look at the keys). */
  cli(...args: string[]): string;
}

async function freePort(): Promise<number> {
  const server = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: () => new Response('') });
  const port = server.port!;
  await server.stop(true);
  return port;
}

export async function startRedis(): Promise<RedisServer> {
  const dir = mkdtempSync(join(tmpdir(), 'kimi-gw-redis-'));
  const port = await freePort();
  let proc: Subprocess | null = null;
  const cli = (...args: string[]) => Bun.spawnSync(['redis-cli', '-p', String(port), ...args]).stdout.toString().trim();
  const launch = async () => {
    const unix = ['--unixsocket', join(dir, 'redis.sock'), '--unixsocketperm', '700'];
    proc = Bun.spawn(['redis-server', '--port', String(port), '--bind', '127.0.0.1', ...unix, '--dir', dir, '--appendonly', 'yes', '--save', '', '--protected-mode', 'no'], {
      stdout: 'ignore',
      stderr: 'pipe',
    });
    for (let i = 0; i < 200; i++) {
      if (cli('ping') === 'PONG') return;
      await Bun.sleep(25);
    }
    throw new Error(`redis-server did not answer PING on port ${port}`);
  };
  await launch();
  return {
    url: `redis://127.0.0.1:${port}`,
    unixUrl: `redis+unix://${join(dir, 'redis.sock')}`,
    port,
    dir,
    cli,
    async stop(signal = 'SIGTERM') {
      const p = proc as Subprocess | null;
      if (!p || p.exitCode !== null) return;
      p.kill(signal);
      await p.exited;
    },
    restart: launch,
  };
}
