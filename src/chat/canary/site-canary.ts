// The site canary: every CANARY_INTERVAL_MS, a check of the site's contract with a fresh
// anonymous request (Provider.checkSite), and — only when no upstream answer succeeded
// since the last run — one tiny message through one ready identity (Failover.probe, the
// admin probe's code). Under traffic it costs one page fetch per interval. Two failed runs in
// a row mark the site drift or down (site-status.ts); listeners turn runs and changes into
// metrics, log lines, alerts. The first run comes half an interval after start (start-up
// fetches the page for every identity anyway, and a restart loop must not hammer the site),
// so a site unreachable from the start is marked within 1.5 intervals. Runs never overlap;
// the next is due an interval after the last one began.

import type { IdentityPool } from '../../pool/identity-pool.ts';
import type { PoolMember } from '../../pool/pool-member.ts';
import { REAL_TIMERS, timerDelay, type PoolTimers, type TimerHandle } from '../../pool/pool-timers.ts';
import { outcomeDetail, type UpstreamOutcome, type UpstreamOutcomeKind } from '../../providers/outcome.ts';
import type { Provider, SiteCheck, SiteCheckResult } from '../../providers/provider.ts';
import type { Failover } from '../failover.ts';
import { SiteStatus, type SiteState, type SiteStateChange, type SiteVerdict } from './site-status.ts';

export interface SiteCanaryOptions<S> {
  provider: Provider<S>;
  pool: IdentityPool<S>;
  failover: Pick<Failover<S>, 'probe'>;
  /** 0 = off. */
  intervalMs: number;
  /** Bound of one page check and of the message round trip. */
  timeoutMs: number;
  now?: () => number;
  timers?: PoolTimers;
}

/** Why a run sent no message: answers succeeded since the last run (or start), the page check failed, no ready identity, a gateway bug. */
export const ROUND_TRIP_SKIPS = ['answers_succeeded', 'page_failed', 'no_ready_identity', 'gateway_error'] as const;

/** Why a run sent no message, or what the message it sent came to. */
export type CanaryRoundTrip =
  | { sent: false; why: (typeof ROUND_TRIP_SKIPS)[number] }
  | { sent: true; identity: string; outcome: UpstreamOutcomeKind; detail: string | null; latencyMs: number };

export interface CanaryRun extends SiteVerdict {
  /** When the run began (epoch ms). */
  at: number;
  durationMs: number;
  /** The page check's own result. */
  page: SiteCheckResult;
  roundTrip: CanaryRoundTrip;
}

export type CanaryEvent = { type: 'run'; run: CanaryRun } | { type: 'change'; change: SiteStateChange };
export type CanaryListener = (event: CanaryEvent) => void;

/** The canary as operators see it (GET /admin/canary); /readyz shows a part of it. */
export interface CanaryView {
  enabled: boolean;
  site: string;
  intervalMs: number;
  /** 'off' when CANARY_INTERVAL_MS is 0; 'unknown' until a run passed or two failed. */
  state: SiteState | 'off';
  reason: string | null;
  excerpt: string | null;
  since: number | null;
  consecutiveFailures: number;
  lastRun: CanaryRun | null;
  nextRunAt: number | null;
  runs: Record<SiteCheckResult, number>;
}

/** Outcomes of the round trip that say something about the site, not about the identity used. */
function roundTripVerdict(outcome: UpstreamOutcome): SiteVerdict | null {
  const detail = outcomeDetail(outcome);
  if (outcome.kind === 'transient') return { result: 'down', reason: `a message round trip failed: ${detail}`, excerpt: null };
  if (outcome.kind === 'protocol') return { result: 'drift', reason: `the answer to a message is not what the gateway reads: ${detail}`, excerpt: null };
  // ok, or about this identity (challenged, rate limited, nonce) or this message: the page check stands.
  return null;
}

function pageVerdict(check: SiteCheck): SiteVerdict {
  switch (check.result) {
    case 'ok':
      return { result: 'ok', reason: null, excerpt: null };
    case 'drift':
      return { result: 'drift', reason: check.reason, excerpt: check.excerpt };
    case 'down':
      return { result: 'down', reason: check.reason, excerpt: null };
  }
}

export class SiteCanary<S> {
  private readonly status: SiteStatus;
  private readonly listeners: CanaryListener[] = [];
  private readonly now: () => number;
  private readonly timers: PoolTimers;
  private readonly aborter = new AbortController();
  private timer: TimerHandle | undefined;
  private current: Promise<CanaryRun | null> | null = null;
  private started = false;
  private stopped = false;
  private nextRunAt: number | null = null;
  private lastRun: CanaryRun | null = null;
  private readonly runs: Record<SiteCheckResult, number> = { ok: 0, drift: 0, down: 0 };
  /** Successful upstream answers seen, and how many had been seen when the last run ended (or at start). */
  private answers = 0;
  private answersAtLastRun = 0;
  private rotation = 0;

  constructor(private readonly options: SiteCanaryOptions<S>) {
    this.now = options.now ?? Date.now;
    this.timers = options.timers ?? REAL_TIMERS;
    this.status = new SiteStatus(this.now());
    options.pool.onEvent((event) => {
      if (event.type === 'outcome' && event.kind === 'ok') this.answers++;
    });
  }

  get enabled(): boolean {
    return this.options.intervalMs > 0;
  }

  /** drift or down once two runs in a row failed; null otherwise (and when the canary is off). */
  get failing(): { state: 'drift' | 'down'; reason: string | null } | null {
    const { state, reason } = this.status;
    return state === 'drift' || state === 'down' ? { state, reason } : null;
  }

  onEvent(listener: CanaryListener): void {
    this.listeners.push(listener);
  }

  /** Schedules the first run half an interval from now and the next ones every interval (nothing when off). */
  start(): void {
    if (!this.enabled || this.started || this.stopped) return;
    this.started = true;
    this.schedule(Math.round(this.options.intervalMs / 2));
  }

  /** Stops scheduling, cancels a page check in flight and waits for the run to end (a round trip ends within its timeout). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.timers.clearTimeout(this.timer);
    this.timer = undefined;
    this.nextRunAt = null;
    this.aborter.abort();
    await this.current;
  }

  /** One run now, or the one in progress; null when stopped meanwhile. */
  runNow(): Promise<CanaryRun | null> {
    this.current ??= this.run().finally(() => {
      this.current = null;
    });
    return this.current;
  }

  view(): CanaryView {
    const s = this.status;
    return {
      enabled: this.enabled,
      site: this.options.provider.site,
      intervalMs: this.options.intervalMs,
      state: this.enabled ? s.state : 'off',
      reason: s.reason,
      excerpt: s.excerpt,
      since: this.enabled ? s.since : null,
      consecutiveFailures: s.consecutiveFailures,
      lastRun: this.lastRun,
      nextRunAt: this.nextRunAt,
      runs: { ...this.runs },
    };
  }

  private schedule(delayMs: number): void {
    this.nextRunAt = this.now() + delayMs;
    this.timer = this.timers.setTimeout(() => {
      this.timer = undefined;
      void this.runNow().then((run) => {
        if (this.stopped) return;
        const next = run ? run.at + this.options.intervalMs - this.now() : this.options.intervalMs;
        this.schedule(timerDelay(next, this.options.intervalMs));
      });
    }, delayMs);
  }

  private async run(): Promise<CanaryRun | null> {
    const at = this.now();
    const check = await this.checkPage();
    if (this.stopped) return null;
    const answered = this.answers > this.answersAtLastRun;
    let verdict = pageVerdict(check);
    let roundTrip: CanaryRoundTrip;
    if (check.result !== 'ok') roundTrip = { sent: false, why: 'page_failed' };
    else if (answered) roundTrip = { sent: false, why: 'answers_succeeded' };
    else {
      const sent = await this.roundTrip();
      if (this.stopped) return null;
      roundTrip = sent.trip;
      if (sent.outcome) verdict = roundTripVerdict(sent.outcome) ?? verdict;
    }
    // The round trip's own answer is not traffic: it must not spare the next interval's.
    this.answersAtLastRun = this.answers;
    const run: CanaryRun = { at, durationMs: Math.max(0, this.now() - at), page: check.result, roundTrip, ...verdict };
    this.lastRun = run;
    this.runs[run.result]++;
    this.emit({ type: 'run', run });
    const change = this.status.record(verdict, this.now());
    if (change) this.emit({ type: 'change', change });
    return run;
  }

  private async checkPage(): Promise<SiteCheck> {
    const signal = AbortSignal.any([this.aborter.signal, AbortSignal.timeout(this.options.timeoutMs)]);
    try {
      return await this.options.provider.checkSite(signal, this.route());
    } catch (error) {
      // checkSite answers every site problem; a throw is a gateway bug, and says nothing of the site.
      return { result: 'down', reason: `the check itself failed (a gateway bug): ${(error as Error)?.name ?? 'error'}` };
    }
  }

  /** The way to the site: the proxy and user agent of a ready identity (else any enabled one), never its cookies. */
  private route(): { proxy?: string; userAgent?: string } | undefined {
    const members = this.options.pool.list().filter((m) => !m.removed && m.config.enabled);
    const member = members.find((m) => m.health.state.kind === 'ready') ?? members[0];
    return member ? { proxy: member.config.proxy, userAgent: member.config.userAgent } : undefined;
  }

  private async roundTrip(): Promise<{ trip: CanaryRoundTrip; outcome: UpstreamOutcome | null }> {
    const none = { trip: { sent: false, why: 'no_ready_identity' }, outcome: null } as const;
    const member = this.readyMember();
    if (!member) return none;
    let result;
    try {
      result = await this.options.failover.probe(member.id, this.options.timeoutMs);
    } catch {
      // A provider bug: the failover released the identity, and the error says nothing of the site.
      return { trip: { sent: false, why: 'gateway_error' }, outcome: null };
    }
    if (!result) return none;
    const { outcome } = result;
    const detail = outcomeDetail(outcome) || null;
    return { trip: { sent: true, identity: member.id, outcome: outcome.kind, detail, latencyMs: Math.round(result.latencyMs) }, outcome };
  }

  /** A ready identity with room for one more call, taken in turn so the round trips spread over the pool. */
  private readyMember(): PoolMember<S> | null {
    const now = this.now();
    const ready = this.options.pool.list().filter((m) => m.health.state.kind === 'ready' && m.isEligible(now));
    if (ready.length === 0) return null;
    return ready[this.rotation++ % ready.length]!;
  }

  private emit(event: CanaryEvent): void {
    for (const listener of this.listeners) listener(event);
  }
}
