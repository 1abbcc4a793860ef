// One identity inside the pool: its config, the provider's state for it (opaque here), its
// health, its limits, its pacing, its load and its recent success rate. Eligibility is
// decided here.

import type { UpstreamOutcomeKind } from '../providers/outcome.ts';
import type { IdentityHealth } from './health.ts';
import type { IdentityConfig } from './identity-config.ts';
import { LoadScore } from './load-score.ts';
import { DEFAULT_OUTLIER_POLICY } from './outliers.ts';
import { nextStartAt, UNPACED, type PacingState } from './pacing.ts';
import { RateWindow } from './rate-window.ts';
import { SuccessWindow } from './success-window.ts';

export interface MemberCounters {
  requests: number;
  successes: number;
  failures: Partial<Record<UpstreamOutcomeKind, number>>;
  /** Sum of successful attempts' latencies, for the average shown to operators. */
  successLatencyMs: number;
}

export class PoolMember<S = unknown> {
  inFlight = 0;
  /** Removed by a reload: finishes its in-flight requests, takes no new ones. */
  removed = false;
  readonly window: RateWindow;
  readonly load = new LoadScore();
  /** Attempts and failures over the outlier window. */
  readonly recent: SuccessWindow;
  pacing: PacingState = UNPACED;
  readonly counters: MemberCounters = { requests: 0, successes: 0, failures: {}, successLatencyMs: 0 };
  lastError: { kind: UpstreamOutcomeKind; detail: string; at: number } | null = null;
  /** The provider's version of the state as last saved, to know when to save again. */
  savedVersion = '';
  /** With a shared ledger: the version of the shared health this mirror follows. */
  sharedHealthVersion = 0;
  /** With a shared ledger: refused there (busy, rpm, pacing elsewhere) until this time, or until it frees the identity. */
  blockedUntil = -Infinity;

  constructor(
    public config: IdentityConfig,
    public state: S,
    readonly health: IdentityHealth,
    outlierWindowMs = DEFAULT_OUTLIER_POLICY.windowMs,
  ) {
    this.window = new RateWindow(config.rpm);
    this.recent = new SuccessWindow(outlierWindowMs);
  }

  get id(): string {
    return this.config.id;
  }

  isEligible(now: number): boolean {
    return (
      !this.removed &&
      this.inFlight < this.config.maxConcurrent &&
      this.health.isAvailable(now) &&
      this.window.hasRoom(now) &&
      this.nextStartAt() <= now &&
      this.blockedUntil <= now
    );
  }

  /** When pacing lets the next call start (≤ now: now). */
  nextStartAt(): number {
    return nextStartAt(this.pacing, this.config);
  }

  /** When time alone (not a release) makes it eligible; null = never without an operator. */
  eligibleByTimeAt(now: number): number | null {
    if (this.removed) return null;
    const healthAt = this.health.availableAt(now);
    return healthAt === null ? null : Math.max(healthAt, this.window.nextFreeAt(now), this.nextStartAt(), this.blockedUntil);
  }
}
