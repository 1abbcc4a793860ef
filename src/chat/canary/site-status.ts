// The site's state as the canary has seen it: one failed run is noise, two in a row mark the
// site `drift` (its contract changed) or `down` (unreachable), following the latest
// failure's kind; one passing run clears it. Pure logic on the caller's clock.

import type { SiteCheckResult } from '../../providers/provider.ts';

/** Every state, in a fixed order (the OpenAPI document lists them from here). */
export const SITE_STATES = ['unknown', 'ok', 'drift', 'down'] as const;
export type SiteState = (typeof SITE_STATES)[number];

/** Failed runs in a row that mark the site. */
export const FAILURES_TO_MARK = 2;

/** One run's finding. */
export interface SiteVerdict {
  result: SiteCheckResult;
  /** What was wrong (null when ok): the provider's words, secrets masked. */
  reason: string | null;
  /** A short redacted excerpt of what the site sent instead, when there is one. */
  excerpt: string | null;
}

export interface SiteStateChange {
  from: SiteState;
  to: SiteState;
  reason: string | null;
  excerpt: string | null;
  at: number;
}

export class SiteStatus {
  state: SiteState = 'unknown';
  reason: string | null = null;
  excerpt: string | null = null;
  /** When the current state began. */
  since: number;
  consecutiveFailures = 0;

  constructor(now: number) {
    this.since = now;
  }

  /** Whether the site is marked failing (drift or down). */
  get failing(): boolean {
    return this.state === 'drift' || this.state === 'down';
  }

  /** Applies one run's verdict; returns the change when the state moved. */
  record(verdict: SiteVerdict, now: number): SiteStateChange | null {
    const from = this.state;
    let to: SiteState = from;
    if (verdict.result === 'ok') {
      this.consecutiveFailures = 0;
      to = 'ok';
      this.reason = null;
      this.excerpt = null;
    } else {
      this.consecutiveFailures++;
      if (this.consecutiveFailures >= FAILURES_TO_MARK) {
        to = verdict.result;
        // While marked, the reason follows the latest failure.
        this.reason = verdict.reason;
        this.excerpt = verdict.excerpt;
      }
    }
    if (to === from) return null;
    this.state = to;
    this.since = now;
    return { from, to, reason: this.reason, excerpt: this.excerpt, at: now };
  }
}
