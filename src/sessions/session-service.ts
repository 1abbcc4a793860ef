// Conversations that continue: finds the session a request belongs to (by name, or by
// the fingerprint of the history a stateless client resends, or the stored response a
// Responses API request continues), holds it for the turn so turns of one session never
// interleave, and stores the turn only once it was answered. The store is the SQLite file
// (every access through StorageHealth: a failing disk is a 503, never a 500) or Redis shared
// by several instances (its own 503 when unreachable; turns of one session are then held
// across instances too, behind this process's own lock).

import type { ChatMessage } from '../conversation/messages.ts';
import { ClientGoneError, clientText, GatewayError } from '../errors.ts';
import { silentLogger } from '../log.ts';
import { StorageHealth } from '../store/storage-health.ts';
import { answeredPrefix, conversationTip } from './fingerprint.ts';
import { KeyedMutex, type Unlock } from './keyed-mutex.ts';
import type { SharedSessionLocks } from './redis-session-locks.ts';
import type { MaybePromise, SessionStore, SessionSummary, StoredSession } from './session-store.ts';
import { andThen } from './session-store.ts';
import { continueConversation, historyWithinBudget } from './session-history.ts';

export interface SessionServiceOptions {
  repo: SessionStore;
  ttlMs: number;
  /** Most sessions kept; the least recently used go first. 0 = no cap. */
  maxSessions: number;
  /** Character budget of a prompt (CONTEXT_MAX_LENGTH): history beyond it is not kept. */
  contextMaxLength: number;
  /** A new conversation's handle on the site (Provider.newConversation). */
  newConversation: () => string;
  now?: () => number;
  /** Default: one that only maps errors (no log, no probe). */
  storage?: StorageHealth;
  /** One turn at a time per session across instances too (Redis); taken after this process's own lock. */
  sharedLocks?: SharedSessionLocks;
}

export interface TurnRequest {
  /** The client key's name: sessions of one key are invisible to another. */
  owner: string;
  /** The conversation's name (X-Session-Id or `user`); null = recognise it by its messages. */
  name: string | null;
  messages: ChatMessage[];
  signal: AbortSignal;
  deadline: number;
  /** A Responses API turn: its conversation is a stored response's (or new), and it is stored as a response (`name` is not used). */
  response?: ResponseLink;
}

/**
 * How a Responses API turn joins the stored responses. A stored response is a session row
 * keyed by its id: its history (the conversation up to and including its answer, within the
 * budget), its upstream handle and identity, and its payload (the response object).
 */
export interface ResponseLink {
  /** The new response's id (resp_…): its row, when stored. */
  id: string;
  /** previous_response_id: that response's history comes before `messages`; the turn holds its lock. */
  previousId: string | null;
  /** false (store: false): nothing of this turn is stored, so it cannot be continued or fetched. */
  store: boolean;
  /** This turn's instructions: first in its prompt, never stored (OpenAI does not carry them to the next response). */
  instructions: ChatMessage[];
}

/** What a stored response holds. */
export interface StoredResponse {
  /** The conversation up to and including its answer (instructions excluded), within the budget. */
  history: ChatMessage[];
  /** The response object, as JSON. */
  payload: string;
}

export interface SessionTurn {
  /** The session's public id, returned as X-Session-Id. */
  sessionId: string;
  /** The conversation to build the prompt from. */
  messages: ChatMessage[];
  /** The site's handle for the conversation (opaque). */
  conversation: string;
  preferredIdentityId: string | null;
  /**
   * Stores the answered turn (in one transaction, grouped with the turns answered at the same
   * moment). Call only with a complete answer, and let the client see it only once this
   * resolves: it rejects with the 503 storage_unavailable when the turn could not be stored.
   * `payload`: a Responses API turn's response object (JSON), for GET /v1/responses/{id}.
   */
  commit(answer: ChatMessage, identityId: string, payload?: string): Promise<void>;
  /** Lets the session's next turn go; always call it, answered or not. */
  release(): void;
}

/**
 * A recognised conversation's id: conv_ + the time + 64 random bits. Time first, so new rows
 * land at the end of the primary key's b-tree (one page touched, not a random one per turn).
 */
const newConversationId = (): string => {
  const random = crypto.getRandomValues(new BigUint64Array(1))[0]!.toString(16).padStart(16, '0');
  return `conv_${Date.now().toString(36).padStart(9, '0')}${random}`;
};

/** 404 for a previous_response_id this key cannot continue. */
export const previousResponseNotFound = (id: string) =>
  new GatewayError(
    'previous_response_not_found',
    `Previous response ${clientText(id)} not found for this API key: it expired, was deleted, was created with store: false, ` +
      'or was never made with this key. Send the whole conversation in "input" instead.',
    { param: 'previous_response_id' },
  );

export class SessionService {
  private readonly locks = new KeyedMutex();
  private readonly repo: SessionStore;
  private readonly now: () => number;
  private readonly storage: StorageHealth;

  constructor(private readonly options: SessionServiceOptions) {
    this.repo = options.repo;
    this.now = options.now ?? Date.now;
    this.storage = options.storage ?? new StorageHealth({ file: 'database', log: silentLogger });
  }

  async begin(request: TurnRequest): Promise<SessionTurn> {
    // While the disk is failing, a turn that cannot be stored is refused before it costs an upstream call.
    this.storage.ensureWritable();
    if (request.response) return this.beginResponse(request, request.response);
    return request.name === null ? this.beginRecognised(request) : this.beginNamed(request, request.name);
  }

  // The methods below answer at once from the SQLite store (a failure throws now) and with a
  // promise from Redis; callers await them either way.

  /** A live stored response of this owner; throws 404 previous_response_not_found when there is none. */
  previousResponse(owner: string, id: string): MaybePromise<StoredResponse> {
    return andThen(this.read(() => this.repo.findResponse(owner, id, this.now())), (stored) => {
      if (!stored) throw previousResponseNotFound(id);
      return { history: stored.history, payload: stored.payload! };
    });
  }

  /** A live stored response's object (JSON) for its owner; null when there is none. */
  responsePayload(owner: string, id: string): MaybePromise<string | null> {
    return andThen(this.read(() => this.repo.findResponse(owner, id, this.now())), (stored) => stored?.payload ?? null);
  }

  /** Deletes a live stored response of this owner (never a chat session of that name). */
  deleteResponse(owner: string, id: string): MaybePromise<boolean> {
    return this.write(() => this.repo.deleteResponse(owner, id, this.now()));
  }

  delete(owner: string, id: string): MaybePromise<boolean> {
    return this.write(() => this.repo.delete(owner, id));
  }

  /** Operator's delete: one owner's session, or the id under every owner when owner is null. */
  deleteAnyOwner(id: string, owner: string | null): MaybePromise<number> {
    return this.write(() => (owner === null ? this.repo.deleteEveryOwner(id) : andThen(this.repo.delete(owner, id), Number)));
  }

  /** Live sessions, most recently used first (no content). */
  list(limit: number, offset: number): MaybePromise<SessionSummary[]> {
    return this.read(() => this.repo.list(this.now(), limit, offset));
  }

  /** Sessions that have not expired (a count query: for operators, not per request). */
  liveCount(): MaybePromise<number> {
    return this.read(() => this.repo.countUnexpired(this.now()));
  }

  /** Sessions stored, expired ones not yet pruned included (Redis: as of this instance's last write; live ones after a prune). */
  get size(): number {
    return this.repo.size;
  }

  // StorageHealth maps the SQLite file's failures, which are synchronous; the Redis store
  // rejects with its own 503 (shared_state_unavailable), which passes through unchanged.
  private read<T>(work: () => MaybePromise<T>): MaybePromise<T> {
    return this.storage.read(work);
  }

  private write<T>(work: () => MaybePromise<T>): MaybePromise<T> {
    return this.storage.write(work);
  }

  private async beginNamed(request: TurnRequest, name: string): Promise<SessionTurn> {
    const unlock = await this.lock(request.owner, name, request);
    try {
      const found = this.read(() => this.repo.find(request.owner, name, this.now()));
      const stored = found instanceof Promise ? await found : found;
      const messages = continueConversation(stored?.history ?? [], request.messages);
      return this.turn(request.owner, name, stored, messages, unlock, { named: true });
    } catch (error) {
      unlock();
      throw error;
    }
  }

  private async beginRecognised(request: TurnRequest): Promise<SessionTurn> {
    const prefix = answeredPrefix(request.messages);
    let forkedFrom: StoredSession | null = null;
    if (prefix) {
      const tip = conversationTip(request.owner, prefix);
      // A concurrent turn may move the tip while we wait for the lock; then look again.
      for (let look = 0; look < 3; look++) {
        const byTip = this.read(() => this.repo.findByTip(tip, this.now()));
        const candidate = byTip instanceof Promise ? await byTip : byTip;
        if (!candidate) break;
        forkedFrom = candidate;
        const unlock = await this.lock(request.owner, candidate.id, request);
        let current: StoredSession | null;
        try {
          const found = this.read(() => this.repo.find(request.owner, candidate.id, this.now()));
          current = found instanceof Promise ? await found : found;
        } catch (error) {
          unlock();
          throw error;
        }
        if (current?.tip === tip) return this.turn(request.owner, current.id, current, request.messages, unlock, { named: false });
        unlock();
      }
    }
    // A new conversation, or a branch of one (an edited or regenerated turn): a new
    // upstream session, so nothing said on the other branch leaks into it.
    const id = newConversationId();
    const turn = this.turn(request.owner, id, null, request.messages, () => {}, { named: false });
    return { ...turn, preferredIdentityId: forkedFrom?.identityId ?? null };
  }

  private async beginResponse(request: TurnRequest, link: ResponseLink): Promise<SessionTurn> {
    const { owner } = request;
    let previous: StoredSession | null = null;
    let unlock: Unlock = () => {};
    if (link.previousId !== null) {
      // One turn at a time per stored response: branching from it twice is allowed, in turn.
      unlock = await this.lock(owner, link.previousId, request);
      try {
        const found = this.read(() => this.repo.findResponse(owner, link.previousId!, this.now()));
        previous = found instanceof Promise ? await found : found;
        if (!previous) throw previousResponseNotFound(link.previousId);
      } catch (error) {
        unlock();
        throw error;
      }
    }
    const history = previous?.history ?? [];
    const conversation = previous?.upstreamSessionId ?? this.options.newConversation();
    return {
      sessionId: link.id,
      messages: [...link.instructions, ...history, ...request.messages],
      conversation,
      preferredIdentityId: previous?.identityId ?? null,
      commit: (answer, identityId, payload) => {
        if (link.store && payload === undefined) throw new Error('a stored response is committed with its payload');
        const now = this.now();
        const session: StoredSession = {
          owner,
          id: link.id,
          tip: null,
          upstreamSessionId: conversation,
          identityId,
          history: historyWithinBudget([...history, ...request.messages, answer], this.options.contextMaxLength),
          turns: (previous?.turns ?? 0) + 1,
          createdAt: now,
          lastUsedAt: now,
          expiresAt: now + this.options.ttlMs,
          payload: payload ?? null,
        };
        if (!previous && !link.store) return Promise.resolve();
        // The upstream handle goes on with this response; the previous one takes a new handle, so a
        // later branch from it starts a conversation of its own on the site (as a chat fork does).
        const move = previous ? { owner, id: previous.id, from: conversation, to: this.options.newConversation() } : undefined;
        return this.storage.writeSoon(() =>
          this.repo.commit({ session: link.store ? session : null, mode: 'insert', move, maxSessions: this.options.maxSessions }),
        );
      },
      release: unlock,
    };
  }

  private turn(
    owner: string,
    id: string,
    stored: StoredSession | null,
    messages: ChatMessage[],
    unlock: Unlock,
    { named }: { named: boolean },
  ): SessionTurn {
    const conversation = stored?.upstreamSessionId ?? this.options.newConversation();
    return {
      sessionId: id,
      messages,
      conversation,
      preferredIdentityId: stored?.identityId ?? null,
      commit: (answer, identityId) => {
        const now = this.now();
        const answered: ChatMessage[] = [...messages, answer];
        const session: StoredSession = {
          owner,
          id,
          // Named sessions are found by name; recognised ones by the conversation's new tip.
          // Their content is not stored: the client resends it every time.
          tip: named ? null : conversationTip(owner, answered),
          upstreamSessionId: conversation,
          identityId,
          history: named ? historyWithinBudget(answered, this.options.contextMaxLength) : [],
          turns: (stored?.turns ?? 0) + 1,
          createdAt: stored?.createdAt ?? now,
          lastUsedAt: now,
          expiresAt: now + this.options.ttlMs,
          // A chat turn on a row named like a stored response makes it a chat session.
          payload: null,
        };
        // A new named session may reuse the name of an expired one (a generated id never does).
        // Evicting over the cap is part of the same step: the turn is stored wholly or not at all.
        const mode = stored ? 'update' : named ? 'replace' : 'insert';
        return this.storage.writeSoon(() => this.repo.commit({ session, mode, maxSessions: this.options.maxSessions }));
      },
      release: unlock,
    };
  }

  private async lock(owner: string, id: string, request: TurnRequest): Promise<Unlock> {
    const key = `${owner}\u0000${id}`;
    const shared = this.options.sharedLocks;
    if (!this.locks.isLocked(key) && !shared) {
      if (request.signal.aborted) throw new ClientGoneError();
      return this.locks.lock(key);
    }
    // Someone may hold the session: wait, but not past the request's deadline (wall clock;
    // this.now may be a test's clock).
    const signal = AbortSignal.any([request.signal, AbortSignal.timeout(Math.max(0, request.deadline - Date.now()))]);
    let local: Unlock | undefined;
    try {
      local = await this.locks.lock(key, signal);
      if (!shared) return local;
      // Then across instances; this process's other waiters queue behind `local`, not on Redis.
      const release = await shared.acquire(owner, id, signal);
      const unlockLocal = local;
      let released = false;
      return () => {
        if (released) return;
        released = true;
        // This process's next waiter goes once Redis has the session free, so its first try takes it.
        void release().finally(unlockLocal);
      };
    } catch (error) {
      local?.();
      if (request.signal.aborted) throw new ClientGoneError();
      if (signal.aborted) {
        throw new GatewayError(
          'session_busy',
          `Timed out waiting for the previous turn of session "${id}" to finish. Send one turn of a conversation at a time, or retry.`,
        );
      }
      throw error;
    }
  }
}
