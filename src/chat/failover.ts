// Sends one prompt with failover: takes an identity from the pool, sends through the
// provider, and on a failure that another identity might not have (rate limit, challenge,
// fault, timeout) moves to a different identity — never the same one twice in a request —
// within the attempt limit and the request's deadline. An operator's probe is one attempt
// of the same code on a chosen identity.

import { ClientGoneError, type GatewayError } from '../errors.ts';
import { IdentityPool, NoCandidateError, type Lease } from '../pool/identity-pool.ts';
import type { UpstreamOutcome } from '../providers/outcome.ts';
import type { ModelInfo, Provider } from '../providers/provider.ts';
import { newTurnReport, type TurnReport } from './turn-report.ts';
import { upstreamError } from './upstream-errors.ts';

export interface FailoverJob {
  prompt: string;
  model: ModelInfo;
  /** The site's conversation handle. */
  conversation: string;
  /** The identity that served this conversation before, preferred while eligible. */
  preferredIdentityId: string | null;
  signal: AbortSignal;
  /** epoch ms by which the answer must be in */
  deadline: number;
}

export interface FailoverOptions<S> {
  provider: Provider<S>;
  pool: IdentityPool<S>;
  maxAttempts: number;
  attemptTimeoutMs: number;
  now?: () => number;
}

export interface ProbeResult {
  outcome: UpstreamOutcome;
  latencyMs: number;
}

const FAILOVER_KINDS = new Set<UpstreamOutcome['kind']>(['rate_limited', 'challenged', 'transient', 'nonce_rejected']);
const PROBE_PROMPT = 'ping';

interface Attempt {
  prompt: string;
  model: ModelInfo;
  conversation: string;
  signal: AbortSignal;
  deadline: number;
  timeoutMs: number;
  /** A probe's timeout always counts against the identity; a request's only when the identity had its whole budget. */
  probe?: boolean;
}

export class Failover<S> {
  private readonly now: () => number;

  constructor(private readonly options: FailoverOptions<S>) {
    this.now = options.now ?? Date.now;
  }

  /** The error the pool would refuse a request with at once (queue full, nobody can serve), or null. */
  admissionError(): GatewayError | null {
    return this.options.pool.admissionError();
  }

  /** The answer's text and who gave it; throws a GatewayError (or ClientGoneError) otherwise. `report` is filled as it goes. */
  async send(job: FailoverJob, report: TurnReport = newTurnReport()): Promise<{ text: string; identityId: string }> {
    const { pool, provider, maxAttempts, attemptTimeoutMs } = this.options;
    const tried = new Set<string>();
    let lastFailure: GatewayError | ClientGoneError | null = null;

    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      let lease: Lease<S>;
      const waitStart = this.now();
      try {
        lease = await pool.acquire({ exclude: tried, preferredId: job.preferredIdentityId, signal: job.signal, deadline: job.deadline });
      } catch (error) {
        if (error instanceof NoCandidateError) throw lastFailure ?? pool.unavailableError();
        throw error;
      } finally {
        report.queueWaitMs += this.now() - waitStart;
      }
      tried.add(lease.member.id);
      report.identityId = lease.member.id;
      report.attempts++;
      const timeoutMs = Math.min(attemptTimeoutMs, job.deadline - this.now());
      const { outcome, latencyMs } = await this.attempt(lease, { ...job, timeoutMs });
      report.upstreamMs += latencyMs;
      report.outcome = outcome.kind;
      if (outcome.kind === 'ok') return { text: outcome.message, identityId: lease.member.id };

      // A client that left mid-attempt is gone, whatever the site answered.
      if (job.signal.aborted) throw new ClientGoneError();
      const error = upstreamError(outcome, provider.site);
      if (error instanceof ClientGoneError || !FAILOVER_KINDS.has(outcome.kind) || this.now() >= job.deadline) throw error;
      lastFailure = error;
    }
    throw lastFailure!;
  }

  /**
   * One tiny message through this identity now, outside the scheduler (its state and limits
   * are not checked); its outcome counts like any other. Null when there is no such identity.
   */
  async probe(identityId: string, timeoutMs: number): Promise<ProbeResult | null> {
    const lease = this.options.pool.leaseForProbe(identityId);
    if (!lease) return null;
    const { provider } = this.options;
    return this.attempt(lease, {
      prompt: PROBE_PROMPT,
      model: provider.defaultModel,
      conversation: provider.newConversation(),
      signal: AbortSignal.timeout(timeoutMs),
      deadline: this.now() + timeoutMs,
      timeoutMs,
      probe: true,
    });
  }

  /** One call through a leased identity, released with its outcome. Slot waits are not the identity's latency. */
  private async attempt(lease: Lease<S>, call: Attempt): Promise<ProbeResult> {
    const startedAt = this.now();
    let sent;
    try {
      const { pool } = this.options;
      const id = lease.member.id;
      sent = await this.options.provider.send(lease.member.state, {
        ...call,
        mayCallAgain: lease.takeExtraCall,
        mayRefreshAged: () => pool.claimRefresh(id),
        refreshed: () => pool.stateChanged(id),
        credentialsFromElsewhere: (current) => pool.credentialsFromElsewhere(id, current, call.deadline, call.signal),
      });
    } catch (error) {
      // A provider bug (send never throws for a site problem): free the identity, then let it surface as an internal error.
      this.options.pool.release(lease, { outcome: { kind: 'protocol', detail: 'the provider failed (a gateway bug, logged)' }, latencyMs: 0, timeoutCounts: false });
      throw error;
    }
    const { outcome, slotWaitMs } = sent;
    const latencyMs = Math.max(0, this.now() - startedAt - slotWaitMs);
    const timeoutCounts = call.probe === true || call.deadline - startedAt - slotWaitMs >= this.options.attemptTimeoutMs;
    this.options.pool.release(lease, { outcome, latencyMs, timeoutCounts });
    return { outcome, latencyMs };
  }
}
