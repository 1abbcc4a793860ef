// Storage failures inside the process (issue 9, defect 10), on a real SQLite file. The fault
// is SQLite's own "database or disk is full": PRAGMA max_page_count set to the file's current
// size on the test's connection makes every write that needs a new page fail with SQLITE_FULL,
// and raising it is space returning. (test/store/disk-full.test.ts does it with a real full
// tmpfs under the gateway process.)

import { Database } from 'bun:sqlite';
import { describe, expect, test } from 'bun:test';
import type { ChatMessage } from '../../src/conversation/messages.ts';
import { GatewayError } from '../../src/errors.ts';
import type { Logger } from '../../src/log.ts';
import { SessionRepo } from '../../src/sessions/session-repo.ts';
import { SessionService } from '../../src/sessions/session-service.ts';
import { openDatabase } from '../../src/store/database.ts';
import { isStorageFailure } from '../../src/store/storage-errors.ts';
import { StorageHealth } from '../../src/store/storage-health.ts';
import { tempDbPath } from '../helpers/harness.ts';
import { ERROR_CATALOG } from '../../src/http/error-catalog.ts';

function recordingLog() {
  const lines: Array<{ level: string; msg: string; fields: Record<string, unknown> }> = [];
  const at = (level: string) => (msg: string, fields: Record<string, unknown> = {}) => lines.push({ level, msg, fields });
  const log: Logger = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
  return { log, lines };
}

function fixture() {
  const path = tempDbPath();
  const db = openDatabase(path);
  const repo = new SessionRepo(db);
  const { log, lines } = recordingLog();
  const probes: Array<{ callback: () => void; ms: number; stopped: boolean }> = [];
  const storage = new StorageHealth({
    file: path,
    log,
    probe: () => repo.probeWrite(),
    probeIntervalMs: 5_000,
    every: (callback, ms) => {
      const timer = { callback, ms, stopped: false };
      probes.push(timer);
      return () => (timer.stopped = true);
    },
  });
  const service = new SessionService({ repo, ttlMs: 3_600_000, maxSessions: 0, contextMaxLength: 1_000_000, newConversation: () => 'c', storage });
  const pages = () => db.query<{ page_count: number }, []>('PRAGMA page_count').get()!.page_count;
  return {
    path,
    db,
    repo,
    service,
    storage,
    lines,
    probes,
    /** No room for one more page, like a full disk. */
    // Free pages (a migration rebuilds a table) would take writes: a full disk has none to give.
    fill: () => {
      db.exec('VACUUM');
      db.exec(`PRAGMA max_page_count = ${pages()}`);
    },
    free: () => db.exec('PRAGMA max_page_count = 1073741823'),
  };
}

const user = (content: string): ChatMessage => ({ role: 'user', content });
const request = (name: string, content: string) => ({ owner: 'key-1', name, messages: [user(content)], signal: new AbortController().signal, deadline: Date.now() + 5_000 });

function caught(work: () => unknown): unknown {
  try {
    work();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

function expectStorageUnavailable(error: unknown) {
  expect(error).toBeInstanceOf(GatewayError);
  const e = error as GatewayError;
  expect([ERROR_CATALOG[e.errorCode].status, ERROR_CATALOG[e.errorCode].type, e.errorCode]).toEqual([503, 'server_error', 'storage_unavailable']);
  expect(e.message).toContain('cannot save conversations right now');
}

describe('SessionService on a full disk', () => {
  test('a turn that cannot be stored is a 503 storage_unavailable; logged once per episode, naming the file', async () => {
    const f = fixture();
    for (let i = 1; i <= 3; i++) {
      const t = await f.service.begin(request('kept', `kept ${i}`));
      await t.commit({ role: 'assistant', content: `answer ${i} ${'x'.repeat(3_000)}` }, 'id-1');
      t.release();
    }
    f.fill();

    const t4 = await f.service.begin(request('kept', 'lost 4'));
    expectStorageUnavailable(await t4.commit({ role: 'assistant', content: `answer 4 ${'x'.repeat(50_000)}` }, 'id-1').then(() => null, (error: unknown) => error));
    t4.release();
    expect(f.storage.status).toMatchObject({ ok: false, code: 'SQLITE_FULL', reason: 'database or disk is full' });

    // While failing, begin() probes first: refused before any upstream work.
    let refused: unknown = null;
    await f.service.begin(request('kept', 'lost 5')).catch((error: unknown) => (refused = error));
    expectStorageUnavailable(refused);
    // (A delete frees pages, so max_page_count does not stop it; the read-only case below and
    // disk-full.test.ts show DELETE failing.)

    const errors = f.lines.filter((l) => l.level === 'error');
    expect(errors).toHaveLength(1);
    expect(errors[0]!.msg).toContain('storage failing');
    expect(errors[0]!.fields).toMatchObject({ db: f.path, code: 'SQLITE_FULL', error: 'database or disk is full' });

    // Space returns: the next turn probes, goes through and is stored; the episode ends in one line.
    f.free();
    const t6 = await f.service.begin(request('kept', 'kept 6'));
    await t6.commit({ role: 'assistant', content: 'answer 6' }, 'id-1');
    t6.release();
    expect(f.storage.status).toEqual({ ok: true });
    expect(f.lines.filter((l) => l.msg.startsWith('storage recovered'))).toHaveLength(1);
    const history = f.repo.find('key-1', 'kept', Date.now())!.history.filter((m) => m.role === 'user').map((m) => m.content);
    expect(history).toEqual(['kept 1', 'kept 2', 'kept 3', 'kept 6']);
    expect(f.repo.countRows()).toBe(1); // the probe's row is never left behind
    f.db.close();
  });

  test('while failing, a periodic probe ends the episode without traffic', () => {
    const f = fixture();
    f.fill();
    expect(f.storage.status.ok).toBe(true);
    expectStorageUnavailable(caught(() => f.storage.write(() => f.repo.probeWrite())));
    expect(f.probes).toHaveLength(1);
    expect(f.probes[0]!.ms).toBe(5_000);

    f.probes[0]!.callback(); // still full: still failing, nothing more logged
    expect(f.storage.status.ok).toBe(false);
    expect(f.lines.filter((l) => l.level === 'error')).toHaveLength(1);

    f.free();
    f.probes[0]!.callback();
    expect(f.storage.status).toEqual({ ok: true });
    expect(f.probes[0]!.stopped).toBe(true);
    f.db.close();
  });

  test('a read-only file is a storage failure too (DELETE /v1/sessions on it is a 503)', async () => {
    const f = fixture();
    const t = await f.service.begin(request('s', 'hello'));
    await t.commit({ role: 'assistant', content: 'answer' }, 'id-1');
    t.release();
    f.db.exec('PRAGMA query_only = 1');
    expectStorageUnavailable(caught(() => f.service.delete('key-1', 's')));
    expect(f.storage.status).toMatchObject({ ok: false, code: 'SQLITE_READONLY' });
    f.db.close();
  });

  test('a bug is not a storage failure: it passes through unchanged (an internal error, logged as such)', () => {
    const { log, lines } = recordingLog();
    const storage = new StorageHealth({ file: 'x.sqlite', log });
    const db = new Database(':memory:');
    const bug = caught(() => storage.write(() => db.exec('INSERT INTO no_such_table VALUES (1)')));
    expect(isStorageFailure(bug)).toBe(false);
    expect(bug).not.toBeInstanceOf(GatewayError);
    expect(storage.status.ok).toBe(true);
    expect(lines).toEqual([]);
  });
});
