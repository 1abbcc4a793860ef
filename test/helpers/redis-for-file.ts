// One real redis-server for a test file: started before its tests, stopped after them, with
// the SharedState clients the file opened on it closed first. Call it at the file's top level.

import { afterAll, beforeAll } from 'bun:test';
import { silentLogger } from '../../src/log.ts';
import { SharedState } from '../../src/store/redis/shared-state.ts';
import { startRedis, type RedisServer } from './redis-server.ts';

export interface FileRedis {
  /** The running server (throws before beforeAll has started it). */
  readonly server: RedisServer;
  /** A started SharedState client on `prefix` (one instance), closed after the file. */
  shared(prefix: string): Promise<SharedState>;
}

export function useRedis(): FileRedis {
  let server: RedisServer | undefined;
  const opened: SharedState[] = [];
  beforeAll(async () => {
    server = await startRedis();
  });
  afterAll(async () => {
    for (const s of opened) s.close();
    await server?.stop();
  });
  const running = (): RedisServer => {
    if (!server) throw new Error('redis-server is not started yet: useRedis() starts it in beforeAll');
    return server;
  };
  return {
    get server() {
      return running();
    },
    async shared(prefix) {
      const s = new SharedState({ url: running().url, prefix, log: silentLogger, commandTimeoutMs: 1_000 });
      await s.start();
      opened.push(s);
      return s;
    },
  };
}
