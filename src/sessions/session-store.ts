// Where conversations are kept, as SessionService sees it: the SQLite file of one process
// (SessionRepo: synchronous, group commit) or the Redis several instances share
// (RedisSessionRepo). Reads answer a value or a promise of one, so the SQLite path keeps
// answering at once, without a hop through the microtask queue per read.

import type { ChatMessage } from '../conversation/messages.ts';

export type MaybePromise<T> = T | Promise<T>;

export interface StoredSession {
  owner: string;
  id: string;
  /** Fingerprint of the conversation after its latest turn (sessions found by content); null for named ones. */
  tip: string | null;
  upstreamSessionId: string;
  identityId: string | null;
  history: ChatMessage[];
  turns: number;
  createdAt: number;
  lastUsedAt: number;
  expiresAt: number;
  /** A stored Responses API response: its response object as JSON (null or absent: a chat session). */
  payload?: string | null;
}

export type SessionSummary = Omit<StoredSession, 'history' | 'tip' | 'payload'> & { named: boolean; messages: number };

/** One answered turn: everything it changes, stored as one atomic step (wholly or not at all). */
export interface SessionWrite {
  /** The session as the turn leaves it; null when nothing of the turn is stored (a response with store: false). */
  session: StoredSession | null;
  /**
   * update: a session found at the turn's start (one deleted meanwhile stays deleted);
   * insert: a new id (an id already taken fails the write); replace: a name whose old session is gone.
   */
  mode: 'update' | 'insert' | 'replace';
  /** Gives a session a new upstream handle if it still has `from` (a continued stored response). */
  move?: { owner: string; id: string; from: string; to: string };
  /** SESSION_MAX: over it after this write, the least recently used go (0 = no cap). Not applied on update. */
  maxSessions: number;
}

export interface SessionStore {
  /** Sessions stored: for the metrics gauge, read often, so never a query (Redis: as of this instance's last write or prune). */
  readonly size: number;
  find(owner: string, id: string, now: number): MaybePromise<StoredSession | null>;
  /** The most recently used live session whose conversation ends at `tip`. */
  findByTip(tip: string, now: number): MaybePromise<StoredSession | null>;
  /** A stored response, live, with its payload; null for anything else (a chat session of that name included). */
  findResponse(owner: string, id: string, now: number): MaybePromise<StoredSession | null>;
  delete(owner: string, id: string): MaybePromise<boolean>;
  /** Deletes a live stored response (never a chat session of the same name). */
  deleteResponse(owner: string, id: string, now: number): MaybePromise<boolean>;
  /** Operator's delete: the id under every owner; returns how many went. */
  deleteEveryOwner(id: string): MaybePromise<number>;
  countUnexpired(now: number): MaybePromise<number>;
  /** Live sessions, most recently used first. */
  list(now: number, limit: number, offset: number): MaybePromise<SessionSummary[]>;
  /** Stores an answered turn; resolves once it is stored, rejects if it could not be. */
  commit(write: SessionWrite): Promise<void>;
  /** Forgets up to `limit` expired sessions (SQLite: deletes rows; Redis, where expiry is Redis's: trims the last-use index). */
  pruneExpired(now: number, limit: number): MaybePromise<number>;
  /** After a prune batch (SQLite: copies the WAL into the file). */
  checkpoint?(): void;
}

/** Runs `next` on a value now, or on a promise's value once it settles (a throw in `next` stays synchronous for a value). */
export function andThen<T, U>(value: MaybePromise<T>, next: (value: T) => U): MaybePromise<U> {
  return value instanceof Promise ? value.then(next) : next(value);
}
