// The sessions table: prepared statements only, one write transaction per turn. Expired
// rows are invisible to every read, so expiry is exact whatever the pruner's pace.

import type { Database, Statement } from 'bun:sqlite';
import type { ChatMessage } from '../conversation/messages.ts';
import type { SessionStore, SessionSummary, SessionWrite, StoredSession } from './session-store.ts';

export type { SessionSummary, StoredSession } from './session-store.ts';

type Row = {
  owner: string;
  id: string;
  tip: string | null;
  upstream_session_id: string;
  identity_id: string | null;
  history: string;
  turns: number;
  created_at: number;
  last_used_at: number;
  expires_at: number;
  payload: string | null;
};

type SummaryRow = Omit<Row, 'history' | 'payload'> & { messages: number };

/** A probe row's size: more than a page, so storing it needs new pages like a real turn. */
const PROBE_BYTES = 8_192;

export class SessionRepo implements SessionStore {
  private readonly byId: Statement<Row, [{ owner: string; id: string; now: number }]>;
  private readonly byTip: Statement<Row, [{ tip: string; now: number }]>;
  private readonly insertRow: Statement<unknown, [Row]>;
  private readonly updateRow: Statement<unknown, [Row]>;
  private readonly remove: Statement<unknown, [{ owner: string; id: string }]>;
  private readonly removeAnyOwner: Statement<unknown, [{ id: string }]>;
  private readonly removeResponse: Statement<unknown, [{ owner: string; id: string; now: number }]>;
  private readonly moveHandle: Statement<unknown, [{ owner: string; id: string; from: string; to: string }]>;
  private readonly pruneBatch: Statement<unknown, [{ now: number; limit: number }]>;
  private readonly evictOldest: Statement<unknown, [{ count: number }]>;
  private readonly countLive: Statement<{ n: number }, [{ now: number }]>;
  private readonly countAll: Statement<{ n: number }, []>;
  private readonly page: Statement<SummaryRow, [{ now: number; offset: number; limit: number }]>;

  /** Rows stored (expired ones not yet pruned included): kept here, where rows come and go. */
  private rows = 0;
  /** Writes waiting for the group commit at the end of this event-loop turn. */
  private group: GroupedWrite[] = [];

  constructor(private readonly db: Database) {
    this.byId = db.query('SELECT * FROM sessions WHERE owner = $owner AND id = $id AND expires_at > $now');
    // Two identical conversations can share a tip; the most recently used continues.
    this.byTip = db.query('SELECT * FROM sessions WHERE tip = $tip AND expires_at > $now ORDER BY last_used_at DESC LIMIT 1');
    this.insertRow = db.query(
      `INSERT INTO sessions (owner, id, tip, upstream_session_id, identity_id, history, turns, created_at, last_used_at, expires_at, payload)
       VALUES ($owner, $id, $tip, $upstream_session_id, $identity_id, $history, $turns, $created_at, $last_used_at, $expires_at, $payload)`,
    );
    this.updateRow = db.query(
      `UPDATE sessions SET tip = $tip, upstream_session_id = $upstream_session_id, identity_id = $identity_id, history = $history,
         turns = $turns, created_at = $created_at, last_used_at = $last_used_at, expires_at = $expires_at, payload = $payload
       WHERE owner = $owner AND id = $id`,
    );
    this.remove = db.query('DELETE FROM sessions WHERE owner = $owner AND id = $id');
    this.removeAnyOwner = db.query('DELETE FROM sessions WHERE id = $id');
    // An expired response is gone for its owner even before the pruner deletes it.
    this.removeResponse = db.query('DELETE FROM sessions WHERE owner = $owner AND id = $id AND payload IS NOT NULL AND expires_at > $now');
    this.moveHandle = db.query('UPDATE sessions SET upstream_session_id = $to WHERE owner = $owner AND id = $id AND upstream_session_id = $from');
    this.pruneBatch = db.query('DELETE FROM sessions WHERE rowid IN (SELECT rowid FROM sessions WHERE expires_at <= $now LIMIT $limit)');
    // With one TTL for all, the earliest expiry is the least recently used.
    this.evictOldest = db.query('DELETE FROM sessions WHERE rowid IN (SELECT rowid FROM sessions ORDER BY expires_at LIMIT $count)');
    this.countLive = db.query('SELECT count(*) AS n FROM sessions WHERE expires_at > $now');
    this.countAll = db.query('SELECT count(*) AS n FROM sessions');
    // With one TTL for all, expiry order is last-use order, and it has an index.
    this.page = db.query(
      `SELECT owner, id, tip, upstream_session_id, identity_id, turns, created_at, last_used_at, expires_at,
              json_array_length(history) AS messages
       FROM sessions WHERE expires_at > $now ORDER BY expires_at DESC, rowid DESC LIMIT $limit OFFSET $offset`,
    );
    this.rows = this.countAll.get()?.n ?? 0;
  }

  /** Sessions stored, expired ones not yet pruned included (O(1): for the cap and the metrics). */
  get size(): number {
    return this.rows;
  }

  find(owner: string, id: string, now: number): StoredSession | null {
    const row = this.byId.get({ owner, id, now });
    return row ? fromRow(row) : null;
  }

  findByTip(tip: string, now: number): StoredSession | null {
    const row = this.byTip.get({ tip, now });
    return row ? fromRow(row) : null;
  }

  /** A new session (its id must be free: delete an expired one first). */
  insert(session: StoredSession): void {
    this.insertRow.run(toRow(session));
    this.rows++;
  }

  /** A session that is stored already; false when it is not. */
  update(session: StoredSession): boolean {
    return this.updateRow.run(toRow(session)).changes > 0;
  }

  /** Stores a session, new or existing. */
  save(session: StoredSession): void {
    if (!this.update(session)) this.insert(session);
  }

  delete(owner: string, id: string): boolean {
    return this.removed(this.remove.run({ owner, id }).changes) > 0;
  }

  /** A stored response, live, with its payload; null for anything else (a chat session of that name included). */
  findResponse(owner: string, id: string, now: number): StoredSession | null {
    const row = this.byId.get({ owner, id, now });
    return row && row.payload !== null ? fromRow(row) : null;
  }

  /** Deletes a live stored response (never a chat session of the same name). */
  deleteResponse(owner: string, id: string, now: number): boolean {
    return this.removed(this.removeResponse.run({ owner, id, now }).changes) > 0;
  }

  /**
   * Gives a session a new upstream handle, if it still has `from`: the conversation it had
   * went on in another row, and a later branch must not share what was said there.
   */
  moveConversation(owner: string, id: string, from: string, to: string): boolean {
    return this.moveHandle.run({ owner, id, from, to }).changes > 0;
  }

  /** Operator's delete: the id under every key; returns how many went. */
  deleteEveryOwner(id: string): number {
    return this.removed(this.removeAnyOwner.run({ id }).changes);
  }

  /** Deletes up to `limit` expired sessions; returns how many went. */
  pruneExpired(now: number, limit: number): number {
    return this.removed(this.pruneBatch.run({ now, limit }).changes);
  }

  evictLeastRecentlyUsed(count: number): number {
    return count > 0 ? this.removed(this.evictOldest.run({ count }).changes) : 0;
  }

  countUnexpired(now: number): number {
    return this.countLive.get({ now })?.n ?? 0;
  }

  countRows(): number {
    return this.countAll.get()?.n ?? 0;
  }

  /** Live sessions, most recently used first. */
  list(now: number, limit: number, offset: number): SessionSummary[] {
    return this.page.all({ now, offset, limit }).map((r) => ({
      owner: r.owner,
      id: r.id,
      named: r.tip === null,
      upstreamSessionId: r.upstream_session_id,
      identityId: r.identity_id,
      turns: r.turns,
      messages: r.messages,
      createdAt: r.created_at,
      lastUsedAt: r.last_used_at,
      expiresAt: r.expires_at,
    }));
  }

  /**
   * An answered turn in one transaction of the group commit: the handle moved, the row
   * stored, and (for a new row) the least recently used evicted over the cap.
   */
  commit({ session, mode, move, maxSessions }: SessionWrite): Promise<void> {
    return this.commitSoon(() => {
      if (move) this.moveConversation(move.owner, move.id, move.from, move.to);
      if (!session) return;
      if (mode === 'update') {
        this.update(session);
        return;
      }
      // A name may belong to an expired row that is not pruned yet (a generated id never does).
      if (mode === 'replace') this.delete(session.owner, session.id);
      this.insert(session);
      if (maxSessions > 0) this.evictLeastRecentlyUsed(this.rows - maxSessions);
    });
  }

  /**
   * Stores and removes a turn-sized row in one transaction: proves a turn could be stored
   * now (a full disk refuses it). The owner is one no API key can have.
   */
  probeWrite(): void {
    const owner = '\u0000storage-probe';
    this.transaction(() => {
      this.insertRow.run({
        owner,
        id: 'probe',
        tip: null,
        upstream_session_id: 'probe',
        identity_id: null,
        history: 'x'.repeat(PROBE_BYTES),
        turns: 0,
        created_at: 0,
        last_used_at: 0,
        expires_at: 0,
        payload: null,
      });
      this.remove.run({ owner, id: 'probe' });
    });
  }

  /** Copies the WAL into the database file now, without waiting for readers or writers. */
  checkpoint(): void {
    this.db.exec('PRAGMA wal_checkpoint(PASSIVE)');
  }

  /**
   * Runs `work` in a transaction shared with every other write asked for in this event-loop
   * turn (group commit: one WAL commit for a burst of turns instead of one each); resolves
   * once that transaction has committed, rejects if `work` could not be stored. A write that
   * fails does not fail the others: the group is then retried one write at a time.
   */
  commitSoon(work: () => void): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.group.push({ work, resolve, reject }) === 1) setImmediate(() => this.commitGroup());
    });
  }

  private commitGroup(): void {
    const group = this.group;
    this.group = [];
    if (group.length > 1) {
      try {
        this.transaction(() => {
          for (const write of group) write.work();
        });
        for (const write of group) write.resolve();
        return;
      } catch {
        // Some write (or the disk) failed: find out which, one transaction each.
      }
    }
    for (const write of group) {
      try {
        this.transaction(write.work);
        write.resolve();
      } catch (error) {
        write.reject(error);
      }
    }
  }

  /** Runs `work` in one transaction; if it fails, the count is what it was before. */
  transaction<T>(work: () => T): T {
    const before = this.rows;
    try {
      return this.db.transaction(work)();
    } catch (error) {
      this.rows = before;
      throw error;
    }
  }

  private removed(changes: number): number {
    this.rows -= changes;
    return changes;
  }
}

interface GroupedWrite {
  work: () => void;
  resolve: () => void;
  reject: (error: unknown) => void;
}

function toRow(session: StoredSession): Row {
  return {
    owner: session.owner,
    id: session.id,
    tip: session.tip,
    upstream_session_id: session.upstreamSessionId,
    identity_id: session.identityId,
    history: JSON.stringify(session.history),
    turns: session.turns,
    created_at: session.createdAt,
    last_used_at: session.lastUsedAt,
    expires_at: session.expiresAt,
    payload: session.payload ?? null,
  };
}

function fromRow(row: Row): StoredSession {
  return {
    owner: row.owner,
    id: row.id,
    tip: row.tip,
    upstreamSessionId: row.upstream_session_id,
    identityId: row.identity_id,
    history: JSON.parse(row.history) as ChatMessage[],
    turns: row.turns,
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
    expiresAt: row.expires_at,
    payload: row.payload,
  };
}
