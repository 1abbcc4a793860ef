// A redis-server for the scale section: Debian's package, started in the foreground on a free
// loopback port and on a Unix socket, with its data in a temporary directory and the persistence docs/SCALING.md
// advises (append-only file, fsync every second), stopped with the bench's other children.

import { join } from 'node:path';
import { ServiceGroup, type ChildService } from './processes.ts';

export interface RedisProcess {
  service: ChildService;
  /** redis://127.0.0.1:PORT */
  url: string;
  /** The same server over its Unix socket: redis+unix:///…/redis.sock */
  unixUrl: string;
  port: number;
}

/** A port nobody listens on right now (a tiny race with other processes, acceptable for a bench). */
async function freePort(): Promise<number> {
  const server = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: () => new Response('') });
  const port = server.port;
  await server.stop(true);
  if (port === undefined) throw new Error('could not find a free port');
  return port;
}

export async function startRedisProcess(group: ServiceGroup, options: { cwd: string; dir: string }): Promise<RedisProcess> {
  const binary = Bun.which('redis-server');
  if (binary === null) {
    throw new Error('redis-server is not installed (Debian/Ubuntu: apt-get install redis-server; `node scripts/bootstrap.mjs` installs it): the scale section needs one');
  }
  const port = await freePort();
  const service = await group.start({
    name: 'redis',
    cwd: options.cwd,
    cmd: [
      binary,
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--unixsocket',
      join(options.dir, 'redis.sock'),
      '--unixsocketperm',
      '700',
      '--dir',
      options.dir,
      '--appendonly',
      'yes',
      '--appendfsync',
      'everysec',
      '--save',
      '',
      '--maxmemory-policy',
      'noeviction',
      '--protected-mode',
      'no',
    ],
    // Redis names no URL when it is ready; the pattern's group only has to match something.
    readyPattern: /(Ready to accept connections)/,
  });
  return { service, url: `redis://127.0.0.1:${port}`, unixUrl: `redis+unix://${join(options.dir, 'redis.sock')}`, port };
}
