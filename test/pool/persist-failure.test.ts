// Saving identity state runs inside release(), on the request path: a failing database must
// never throw there. The pool keeps serving and reports the trouble once per episode, and
// once when saving works again (issue 9, defect 10).

import { expect, test } from 'bun:test';
import { DEFAULT_HEALTH_POLICY } from '../../src/pool/health.ts';
import type { IdentityConfig } from '../../src/pool/identity-config.ts';
import { IdentityPool } from '../../src/pool/identity-pool.ts';
import type { PoolEvent } from '../../src/pool/pool-events.ts';
import { openDatabase } from '../../src/store/database.ts';
import { IdentityStateRepo } from '../../src/store/identity-state-repo.ts';
import { tempDbPath } from '../helpers/harness.ts';
import { FakeProvider } from '../support/fake-provider.ts';

const identity = (id: string): IdentityConfig => ({ id, cookies: `kimi_visitor=${id}`, weight: 1, maxConcurrent: 4, rpm: 0, enabled: true });
const never = new AbortController().signal;

test('release() never throws when identity state cannot be saved; one report per episode', async () => {
  const db = openDatabase(tempDbPath());
  const repo = new IdentityStateRepo(db);
  let now = 1_000_000;
  const pool = new IdentityPool({ identities: [identity('a')], states: new FakeProvider(), policy: DEFAULT_HEALTH_POLICY, queueMax: 10, queueTimeoutMs: 1_000, repo, now: () => now });
  const persistEvents: PoolEvent[] = [];
  pool.onEvent((e) => e.type === 'persist' && persistEvents.push(e));

  db.exec('PRAGMA query_only = 1'); // every write now fails (SQLITE_READONLY), like a disk that refuses writes
  // Each of these changes the identity's state and so is saved at once.
  const outcomes = [
    { kind: 'rate_limited', retryAfterMs: 1_000, detail: 'HTTP 429' },
    { kind: 'ok', message: 'hi' },
    { kind: 'challenged', detail: 'Cloudflare' },
  ] as const;
  for (const outcome of outcomes) {
    now += 2_000;
    const lease = await pool.acquire({ signal: never, deadline: now + 10_000 });
    expect(() => pool.release(lease, { outcome, latencyMs: 10, timeoutCounts: true })).not.toThrow();
  }
  expect(() => pool.disable('a')).not.toThrow();
  expect(() => pool.flush()).not.toThrow();
  expect(pool.list()[0]!.health.state.kind).toBe('disabled');
  expect(persistEvents).toEqual([{ type: 'persist', ok: false, error: 'attempt to write a readonly database' }]);

  db.exec('PRAGMA query_only = 0');
  pool.enable('a');
  expect(persistEvents).toEqual([
    { type: 'persist', ok: false, error: 'attempt to write a readonly database' },
    { type: 'persist', ok: true },
  ]);
  expect(JSON.parse(repo.load('a')!.health).state.kind).toBe('ready');
  pool.close();
  db.close();
});
