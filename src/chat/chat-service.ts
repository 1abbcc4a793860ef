// Serves one chat turn: takes an identity from the pool, sends the prompt, and on a
// failure that another identity might not have (rate limit, challenge, fault, timeout)
// moves to a different identity — never the same one twice in a request — before any
// content reaches the client, within the attempt limit and the request's deadline.

import type { IdentityPool } from '../pool/identity-pool.ts';
import { NoCandidateError } from '../pool/identity-pool.ts';
import type { KimiClient } from '../upstream/kimi-client.ts';
import type { UpstreamOutcome } from '../upstream/outcome.ts';
import { newUpstreamSessionId } from '../upstream/session-id.ts';
import { upstreamError } from './upstream-errors.ts';

export interface ChatJob {
  prompt: string;
  upstreamModel: string;
  /** The upstream session_id; a fresh one per request when the conversation has none. */
  sessionId?: string;
  /** The identity that served this conversation before, preferred while eligible. */
  preferredIdentityId?: string | null;
  signal: AbortSignal;
  /** epoch ms by which the answer must be in */
  deadline: number;
  /** Filled in as the turn goes, success or not (request logs and metrics). */
  trace?: TurnTrace;
}

export interface TurnTrace {
  identityId: string | null;
  attempts: number;
  upstreamMs: number;
  queueWaitMs: number;
  /** The last upstream outcome kind. */
  outcome: string | null;
}

export const newTurnTrace = (): TurnTrace => ({ identityId: null, attempts: 0, upstreamMs: 0, queueWaitMs: 0, outcome: null });

export interface ChatAnswer {
  text: string;
  identityId: string;
  attempts: number;
  /** HTTP calls made upstream for this turn, page fetches included. */
  upstreamCalls: number;
}

export interface ChatServiceDeps {
  client: KimiClient;
  pool: IdentityPool;
  maxAttempts: number;
  attemptTimeoutMs: number;
  now?: () => number;
}

const FAILOVER_KINDS = new Set<UpstreamOutcome['kind']>(['rate_limited', 'challenged', 'transient', 'nonce_rejected']);

export class ChatService {
  private readonly now: () => number;

  constructor(private readonly deps: ChatServiceDeps) {
    this.now = deps.now ?? Date.now;
  }

  /** Throws now if the pool would refuse the request outright (see IdentityPool.admissionError). */
  checkAdmission(): void {
    const error = this.deps.pool.admissionError();
    if (error) throw error;
  }

  async complete(job: ChatJob): Promise<ChatAnswer> {
    const { client, pool, maxAttempts, attemptTimeoutMs } = this.deps;
    const sessionId = job.sessionId ?? newUpstreamSessionId();
    const trace = job.trace ?? newTurnTrace();
    const tried = new Set<string>();
    let lastFailure: Error | null = null;
    let upstreamCalls = 0;

    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      let lease;
      const waitStart = this.now();
      try {
        lease = await pool.acquire({ exclude: tried, preferredId: job.preferredIdentityId, signal: job.signal, deadline: job.deadline });
      } catch (error) {
        if (error instanceof NoCandidateError) throw lastFailure ?? pool.unavailableError();
        throw error;
      } finally {
        trace.queueWaitMs += this.now() - waitStart;
      }
      tried.add(lease.member.id);
      trace.identityId = lease.member.id;
      trace.attempts = attempt;
      const startedAt = this.now();
      const { outcome, upstreamCalls: calls, slotWaitMs } = await client.send(lease.identity, {
        prompt: job.prompt,
        upstreamModel: job.upstreamModel,
        sessionId,
        signal: job.signal,
        timeoutMs: attemptTimeoutMs,
        deadline: job.deadline,
        mayRetry: lease.takeExtraCall,
      });
      upstreamCalls += calls;
      // Waiting for a free connection slot (the process's fetch limit) is the gateway's
      // saturation, not this identity's latency; nor is a time-out the deadline cut short.
      const latencyMs = Math.max(0, this.now() - startedAt - slotWaitMs);
      trace.upstreamMs += latencyMs;
      trace.outcome = outcome.kind;
      pool.release(lease, { outcome, latencyMs, timeoutCounts: job.deadline - startedAt - slotWaitMs >= attemptTimeoutMs });
      if (outcome.kind === 'ok') return { text: outcome.message, identityId: lease.member.id, attempts: attempt, upstreamCalls };

      const error = upstreamError(outcome, 'kimi-ai.chat');
      if (!FAILOVER_KINDS.has(outcome.kind) || job.signal.aborted || this.now() >= job.deadline) throw error;
      lastFailure = error;
    }
    throw lastFailure!;
  }
}
