// IdentityPool: hands out identities for requests and learns from how they went.
// acquire() picks the healthiest eligible identity (ready, within its limits, its pacing
// slot open) or waits in a bounded first-come queue for whichever identity frees up
// first; release() feeds the outcome back into health, limits, load and outlier
// detection, persists state changes and wakes waiters. Reload keeps identities by id with
// their state.

import { ClientGoneError, type GatewayError } from '../errors.ts';
import type { IdentityStateRepo } from '../store/identity-state-repo.ts';
import { outcomeDetail, type UpstreamOutcome } from '../providers/outcome.ts';
import { IdentityHealth, type HealthEvent, type HealthPolicy } from './health.ts';
import { sameTransport, transportOf, type IdentityConfig } from './identity-config.ts';
import { pickIdentity, WeightedMembers } from './pick-identity.ts';
import type { PoolListener } from './pool-events.ts';
import { DEFAULT_OUTLIER_POLICY, judgeOutlier, mayEjectOutlier, type OutlierPolicy } from './outliers.ts';
import { drawExtra, startedWith } from './pacing.ts';
import type { LedgerEvent, LedgerGrant, PoolLedger, SharedHealth } from './pool-ledger.ts';
import { noIdentityError } from './pool-errors.ts';
import { KeyedWaiters } from './keyed-waiters.ts';
import { PoolMember } from './pool-member.ts';
import { restoreMember, seedHash, snapshotForStore, type IdentityStates } from './pool-persistence.ts';
import { REAL_TIMERS, timerDelay, type PoolTimers, type TimerHandle } from './pool-timers.ts';

/**
 * The wake-up that serves the queue when a cooldown or the rpm window ends is set at most
 * this far out: waking early only re-checks the queue, and nothing (a clock jump, a stored
 * end in the far future) can leave waiters without one.
 */
export const MAX_WAKE_MS = 60_000;

/** How long one instance's claim on fetching an identity's credentials keeps the others from fetching too. */
const REFRESH_CLAIM_MS = 30_000;
/**
 * How long a request whose credentials the site refused waits for the ones another instance
 * fetches, before it fetches them itself (a page load takes a second or two; a claimant whose
 * fetch failed says nothing, and its claim lasts REFRESH_CLAIM_MS).
 */
const SHARED_CREDENTIALS_WAIT_MS = 5_000;
/** How long an event of a state shared a moment ago may take to arrive (pub/sub: milliseconds). */
const JUST_SHARED_WAIT_MS = 250;

export interface PoolOptions<S> {
  identities: readonly IdentityConfig[];
  /** Makes, saves and versions each identity's provider state. */
  states: IdentityStates<S>;
  policy: HealthPolicy;
  queueMax: number;
  queueTimeoutMs: number;
  /** Success-rate outlier detection; null turns it off. Default DEFAULT_OUTLIER_POLICY. */
  outliers?: OutlierPolicy | null;
  repo?: IdentityStateRepo;
  /** Limits, health and identity state shared with other instances (REDIS_URL); absent = this process alone. */
  ledger?: PoolLedger;
  now?: () => number;
  /** Picking draws and pacing jitter. */
  random?: () => number;
  timers?: PoolTimers;
}

export interface AcquireOptions {
  exclude?: ReadonlySet<string>;
  preferredId?: string | null;
  signal: AbortSignal;
  deadline: number;
}

export interface Lease<S> {
  member: PoolMember<S>;
  /** The lease's name in the shared ledger; null without one. */
  leaseId: string | null;
  /** When the lease was handed out: its call's answer is judged against the state at that time. */
  startedAt: number;
  /**
   * Takes one more call from the identity's rpm budget (e.g. a retry after a refresh); false if
   * none is left. It counts as a start for pacing (it reaches the site): the next call waits a
   * full gap from it. It is not held back by pacing itself: it completes the same attempt.
   */
  takeExtraCall(): boolean | Promise<boolean>;
}

export interface ReleaseInfo {
  outcome: UpstreamOutcome;
  latencyMs: number;
  /** False when a timeout was the request's deadline, not the identity's slowness. */
  timeoutCounts: boolean;
}

interface Waiter<S> {
  options: AcquireOptions;
  enqueuedAt: number;
  resolve(lease: Lease<S>): void;
  reject(error: Error): void;
}

export class IdentityPool<S = unknown> {
  private members: PoolMember<S>[] = [];
  private weighted = new WeightedMembers<PoolMember<S>>([]);
  private readonly queue: Waiter<S>[] = [];
  private readonly listeners: PoolListener[] = [];
  private wakeTimer: TimerHandle | undefined;
  /** Saving identity state is failing (reported once per episode). */
  private persistFailing = false;
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly timers: PoolTimers;
  private readonly outliers: OutlierPolicy | null;
  private readonly ledger: PoolLedger | null;
  /** Requests waiting for credentials another instance fetches, by identity id. */
  private readonly credentialWaiters: KeyedWaiters<S>;
  /** States shared for other cookies (another account file), counted by identity id: not ours to take. */
  private readonly foreignStates = new Map<string, number>();
  /** A shared drain is running (it awaits the ledger); another request for one runs it again after. */
  private draining = false;
  private drainAgain = false;

  constructor(private readonly options: PoolOptions<S>) {
    this.now = options.now ?? Date.now;
    this.random = options.random ?? Math.random;
    this.timers = options.timers ?? REAL_TIMERS;
    this.outliers = options.outliers === undefined ? DEFAULT_OUTLIER_POLICY : options.outliers;
    this.ledger = options.ledger ?? null;
    this.credentialWaiters = new KeyedWaiters<S>(this.timers);
    this.setMembers(options.identities.map((c) => this.createMember(c)));
    this.ledger?.onEvent((event) => this.onLedgerEvent(event));
  }

  /**
   * With a shared ledger, before serving: takes over the health and identity state other
   * instances left there, and shares this process's where there is none yet.
   */
  async syncShared(): Promise<void> {
    await Promise.all(this.members.map((m) => this.syncMember(m)));
  }

  onEvent(listener: PoolListener): void {
    this.listeners.push(listener);
  }

  get size(): number {
    return this.members.length;
  }

  list(): readonly PoolMember<S>[] {
    return this.members;
  }

  get queueDepth(): number {
    return this.queue.length;
  }

  /** Picks an identity now, or waits in the queue; throws when none can be had. */
  acquire(options: AcquireOptions): Promise<Lease<S>> {
    if (options.signal.aborted) return Promise.reject(new ClientGoneError());
    const now = this.now();
    if (this.ledger) return this.acquireShared(options, this.ledger, now);
    const member = this.pick(options, now);
    if (member) return Promise.resolve(this.lease(member, now, 0, null));
    if (!this.anyoneCouldServe(options.exclude)) return Promise.reject(new NoCandidateError());
    if (this.queue.length >= this.options.queueMax) return Promise.reject(noIdentityError(this.members, now, 'queue_full'));
    return this.enqueue(options, now);
  }

  /** The error for "nobody can take requests" (every identity challenged, disabled or gone). */
  unavailableError(): GatewayError {
    return noIdentityError(this.members, this.now(), 'wait_timeout');
  }

  /**
   * The error acquire() would give at once (queue full, or nobody can serve), so a
   * stream can still answer with a real status before its first byte.
   */
  admissionError(): GatewayError | null {
    const shared = this.ledger?.unavailableError();
    if (shared) return shared;
    const now = this.now();
    if (this.members.some((m) => m.isEligible(now))) return null;
    if (!this.anyoneCouldServe(undefined)) return this.unavailableError();
    if (this.queue.length >= this.options.queueMax) return noIdentityError(this.members, now, 'queue_full');
    return null;
  }

  release(lease: Lease<S>, info: ReleaseInfo): void {
    const { member } = lease;
    const now = this.now();
    member.inFlight--;
    member.health.probing = false;
    member.counters.requests++;
    const { outcome } = info;
    if (outcome.kind === 'ok') {
      member.counters.successes++;
      member.counters.successLatencyMs += info.latencyMs;
      member.load.observeLatency(info.latencyMs, now);
    } else if (outcome.kind !== 'cancelled') {
      member.counters.failures[outcome.kind] = (member.counters.failures[outcome.kind] ?? 0) + 1;
      member.lastError = { kind: outcome.kind, detail: outcomeDetail(outcome), at: now };
    }
    const event = healthEvent(info);
    if (event) member.load.observeResult(event.kind !== 'success', now);
    const before = member.health.state.kind;
    let changed = event ? member.health.record(event, now, lease.startedAt) : false;
    // Per attempt, the events that count against health; a 429 is the site's pacing, not a sick identity.
    if (event && event.kind !== 'rate_limited') member.recent.record(event.kind !== 'success', now, lease.startedAt);
    if (event?.kind === 'fault' && member.health.state.kind === 'ready') changed = this.ejectIfOutlier(member, now) || changed;
    if (lease.leaseId !== null) {
      // After the outcome is recorded: the ledger keeps a lease for the next request only while the identity is ready.
      this.ledger?.release(member, lease.leaseId);
      // A slot of ours frees: a refusal this process saw for it may be over (its own release is not announced to it).
      member.blockedUntil = -Infinity;
    }
    this.emit({ type: 'outcome', id: member.id, kind: outcome.kind, latencyMs: info.latencyMs });
    if (changed) this.emit({ type: 'state', id: member.id, from: before, to: member.health.state.kind, reason: member.health.state.reason });
    if (changed && event) this.shareHealth(member, () => member.health.record(event, this.now(), lease.startedAt));
    this.persist(member, changed);
    if (member.removed && member.inFlight === 0) this.dropRemoved();
    this.drain();
  }

  /**
   * An operator's probe: a lease on this identity now, outside the scheduler (its state and
   * limits are not checked). Release it like any lease; a success brings it back to ready.
   */
  leaseForProbe(id: string): Lease<S> | null {
    const member = this.members.find((m) => m.id === id && !m.removed);
    return member ? this.lease(member, this.now(), 0, null) : null;
  }

  /**
   * Whether this process should fetch the identity's credentials now (at start-up, or when
   * they are only old): always alone; with a shared ledger only the instance that claims it
   * (the others go on with what they have and take its result over). Redis away: fetch.
   */
  async claimRefresh(id: string): Promise<boolean> {
    return this.ledger ? this.ledger.claimRefresh(id, REFRESH_CLAIM_MS).catch(() => true) : true;
  }

  /**
   * After the site refused the credentials in `current`: null when this process should fetch
   * new ones (alone, or it claims the fetch); else the identity's state with the ones another
   * instance fetched, once it shares them (at once if it did already), or null when they do
   * not come within SHARED_CREDENTIALS_WAIT_MS and the deadline.
   */
  async credentialsFromElsewhere(id: string, current: S, deadline: number, signal: AbortSignal): Promise<S | null> {
    const { ledger } = this;
    const member = this.members.find((m) => m.id === id && !m.removed);
    if (!ledger || !member) return null;
    if (member.state !== current) return member.state;
    // A claim nobody would use keeps the others waiting: none once the request is over.
    const over = () => signal.aborted || this.now() >= deadline;
    if (over()) return null;
    const waitUpTo = (ms: number) => this.credentialWaiters.wait(id, Math.min(ms, deadline - this.now()), signal);
    // Redis away: fetch here, as alone.
    const claim = (takeOverShared: boolean) => ledger.claimRefused(id, REFRESH_CLAIM_MS, takeOverShared).catch(() => 'mine' as const);
    // A state for other cookies may arrive while the claim is asked: then nothing comes for us.
    const foreign = this.foreignStates.get(id) ?? 0;
    const foreignArrived = () => (this.foreignStates.get(id) ?? 0) !== foreign;
    let claimed = await claim(false);
    if (claimed === 'shared') {
      // Shared a moment ago: a newer state whose event is on its way, or the one refused here.
      const arrived = member.state !== current ? member.state : foreignArrived() ? null : await waitUpTo(JUST_SHARED_WAIT_MS);
      if (arrived || over()) return arrived;
      claimed = await claim(true);
    }
    if (claimed === 'mine') return null;
    if (member.state !== current) return member.state;
    return foreignArrived() ? null : waitUpTo(SHARED_CREDENTIALS_WAIT_MS);
  }

  /** The provider state of an identity changed outside a request (an operator's refresh, start-up): save and share it. */
  stateChanged(id: string): void {
    const member = this.members.find((m) => m.id === id && !m.removed);
    if (member) this.persist(member, false);
  }

  disable(id: string, reason = 'disabled by operator'): boolean {
    return this.operate(id, (m, now) => m.health.disable(reason, now));
  }

  enable(id: string, reason = 'enabled by operator'): boolean {
    return this.operate(id, (m, now) => {
      m.health.enable(reason, now);
      m.recent.clear(now);
    });
  }

  /** Applies a new account list: ids kept keep their state, new ones join, removed ones drain. */
  reload(identities: readonly IdentityConfig[]): { added: string[]; removed: string[]; kept: string[] } {
    const byId = new Map(this.members.map((m) => [m.id, m]));
    const next: PoolMember<S>[] = [];
    const added: string[] = [];
    const kept: string[] = [];
    for (const config of identities) {
      const existing = byId.get(config.id);
      if (existing && !existing.removed) {
        byId.delete(config.id);
        this.reconfigure(existing, config);
        next.push(existing);
        kept.push(config.id);
      } else {
        const member = this.createMember(config);
        // Another instance may know it already; until the ledger answers, the ledger's own checks hold.
        if (this.ledger) void this.syncMember(member).catch(() => undefined);
        next.push(member);
        added.push(config.id);
      }
    }
    const removed: string[] = [];
    for (const m of byId.values()) {
      m.removed = true;
      removed.push(m.id);
      if (m.inFlight > 0) next.push(m); // finishes its requests, then is dropped
    }
    this.setMembers(next);
    this.emit({ type: 'reloaded', added, removed, kept });
    this.drain();
    return { added, removed, kept };
  }

  /** Saves every identity's state (shutdown). */
  flush(): void {
    this.save(this.members);
  }

  close(): void {
    this.timers.clearTimeout(this.wakeTimer);
    this.flush();
    this.ledger?.close();
  }

  private pick(options: AcquireOptions, now: number): PoolMember<S> | null {
    return pickIdentity(this.weighted, { now, exclude: options.exclude, preferredId: options.preferredId, random: this.random });
  }

  /** `granted`: the shared ledger's lease (it says whether this is the probe); null = this process alone decides. */
  private lease(member: PoolMember<S>, now: number, waitedMs: number, granted: { leaseId: string; probe: boolean; extraMs: number } | null): Lease<S> {
    const probe = granted ? granted.probe : member.health.needsProbe(now);
    if (probe) member.health.probing = true;
    member.inFlight++;
    this.recordStart(member, now, granted ? granted.extraMs : drawExtra(member.config, this.random));
    this.emit({ type: 'picked', id: member.id, probe, waitedMs });
    const ledger = this.ledger;
    const leaseId = granted?.leaseId ?? null;
    return {
      member,
      leaseId,
      startedAt: now,
      takeExtraCall:
        ledger && leaseId !== null
          ? async () => {
              const extraMs = drawExtra(member.config, this.random);
              if (!member.window.hasRoom(this.now()) || !(await ledger.extraCall(member, leaseId, extraMs).catch(() => false))) return false;
              this.recordStart(member, this.now(), extraMs);
              return true;
            }
          : () => {
              const t = this.now();
              if (!member.window.hasRoom(t)) return false;
              this.recordStart(member, t, drawExtra(member.config, this.random));
              return true;
            },
    };
  }

  /** A call to the site starts: it takes from the rpm budget and opens the next pacing gap. */
  private recordStart(member: PoolMember<S>, now: number, extraMs: number): void {
    member.window.record(now);
    member.pacing = startedWith(now, extraMs);
  }

  /**
   * Picks locally, then asks the shared ledger, which may know the identity busy, out of calls
   * or paced elsewhere: then the next best one, and the queue when none is granted.
   */
  private async acquireShared(options: AcquireOptions, ledger: PoolLedger, now: number): Promise<Lease<S>> {
    const lease = await this.tryShared(options, ledger, now);
    if (lease) {
      if (!options.signal.aborted) return lease;
      this.giveBack(lease);
      throw new ClientGoneError();
    }
    if (options.signal.aborted) throw new ClientGoneError();
    if (!this.anyoneCouldServe(options.exclude)) throw new NoCandidateError();
    if (this.queue.length >= this.options.queueMax) throw noIdentityError(this.members, this.now(), 'queue_full');
    return this.enqueue(options, this.now());
  }

  /** One granted lease, or null when the ledger refused every candidate. Throws when the ledger is unreachable. */
  private async tryShared(options: AcquireOptions, ledger: PoolLedger, enqueuedAt: number): Promise<Lease<S> | null> {
    const refused = new Set<string>(options.exclude);
    for (;;) {
      const member = this.pick({ ...options, exclude: refused }, this.now());
      if (!member) return null;
      refused.add(member.id);
      const extraMs = drawExtra(member.config, this.random);
      // Held here while the ledger answers, so concurrent picks in this process count it.
      member.inFlight++;
      let grant: LedgerGrant;
      try {
        grant = await ledger.acquire(member as PoolMember<unknown>, (member.config.minIntervalMs ?? 0) + extraMs);
      } finally {
        member.inFlight--;
      }
      const now = this.now();
      if (grant.ok) return this.lease(member, now, now - enqueuedAt, { leaseId: grant.leaseId, probe: grant.probe, extraMs });
      if (grant.health) this.adoptHealth(member, grant.health);
      member.blockedUntil = grant.retryAt ?? now + MAX_WAKE_MS;
    }
  }

  /** A lease nobody will use (its request left while the ledger answered): freed without an outcome. */
  private giveBack(lease: Lease<S>): void {
    const { member } = lease;
    member.inFlight--;
    member.health.probing = false;
    if (lease.leaseId !== null) this.ledger?.release(member, lease.leaseId);
    this.drain();
  }

  private onLedgerEvent(event: LedgerEvent): void {
    const member = this.members.find((m) => m.id === event.id && !m.removed);
    if (!member) return;
    switch (event.type) {
      case 'freed':
        member.blockedUntil = -Infinity;
        break;
      case 'health':
        member.blockedUntil = -Infinity;
        this.adoptHealth(member, event.health);
        break;
      case 'state':
        this.adoptState(member, event.state, event.seed);
        return;
    }
    this.drain();
  }

  /** Takes over a newer shared health (another instance's change); says so to listeners. */
  private adoptHealth(member: PoolMember<S>, shared: SharedHealth): void {
    if (shared.version <= member.sharedHealthVersion) return;
    member.sharedHealthVersion = shared.version;
    const before = member.health.state.kind;
    member.health.restore(shared.snapshot, this.now());
    const after = member.health.state;
    if (after.kind !== before) this.emit({ type: 'state', id: member.id, from: before, to: after.kind, reason: after.reason, remote: true });
    this.persist(member, true, false);
  }

  /** Credentials another instance fetched for the same account (same cookies in the file). */
  private adoptState(member: PoolMember<S>, state: string, seed: string): void {
    // Another account file's cookies: not ours to take, so whoever waits for it fetches instead.
    if (seed !== seedHash(member.config)) {
      this.foreignStates.set(member.id, (this.foreignStates.get(member.id) ?? 0) + 1);
      return this.credentialWaiters.wake(member.id, null);
    }
    member.state = this.options.states.createIdentity(transportOf(member.config), JSON.parse(state) as unknown);
    member.savedVersion = this.options.states.version(member.state);
    this.persist(member, true, false);
    this.credentialWaiters.wake(member.id, member.state);
  }

  private async syncMember(member: PoolMember<S>): Promise<void> {
    const ledger = this.ledger;
    if (!ledger) return;
    const shared = await ledger.load(member.id);
    if (shared.health) this.adoptHealth(member, shared.health);
    else this.shareHealth(member, null);
    if (shared.state && shared.state.seed === seedHash(member.config)) this.adoptState(member, shared.state.state, shared.state.seed);
    else this.shareState(member);
  }

  /**
   * Writes this process's health change to the ledger unless another instance changed it
   * first: then takes theirs over and applies `redo` (this change) to it, and writes again if
   * that changed anything. Never throws: with the ledger away the change stays local.
   */
  private shareHealth(member: PoolMember<S>, redo: (() => boolean) | null): void {
    const ledger = this.ledger;
    if (!ledger) return;
    void (async () => {
      for (let attempt = 0; attempt < 3; attempt++) {
        const written = await ledger.writeHealth(member as PoolMember<unknown>, member.sharedHealthVersion);
        if (written.ok) {
          member.sharedHealthVersion = Math.max(member.sharedHealthVersion, written.version);
          return;
        }
        this.adoptHealth(member, written.health);
        if (!redo?.()) return;
      }
    })().catch(() => undefined);
  }

  private shareState(member: PoolMember<S>): void {
    const { states } = this.options;
    this.ledger?.writeState(member as PoolMember<unknown>, JSON.stringify(states.snapshot(member.state)), seedHash(member.config));
  }

  /**
   * After a fault of a ready identity: eject it if its success rate is far below its peers',
   * within the cap. True when it was ejected.
   */
  private ejectIfOutlier(member: PoolMember<S>, now: number): boolean {
    const policy = this.outliers;
    if (!policy) return false;
    const live = this.members.filter((m) => !m.removed && m.health.state.kind !== 'disabled');
    const verdict = judgeOutlier(
      { id: member.id, ...member.recent.counts(now) },
      live.map((m) => ({ id: m.id, ...m.recent.counts(now) })),
      policy,
    );
    if (!verdict.outlier) return false;
    const room = {
      live: live.length,
      outlierEjected: live.filter((m) => m.health.outlierEjected).length,
      otherReady: live.filter((m) => m !== member && m.health.state.kind === 'ready').length,
    };
    if (!mayEjectOutlier(room, policy)) return false;
    member.health.ejectOutlier(verdict.reason, now);
    member.recent.clear(now);
    return true;
  }

  /** Could any identity outside `exclude` serve at some point without an operator? */
  private anyoneCouldServe(exclude: ReadonlySet<string> | undefined): boolean {
    const now = this.now();
    return this.members.some((m) => {
      if (m.removed || exclude?.has(m.id)) return false;
      const kind = m.health.state.kind;
      return kind !== 'disabled' && (kind !== 'challenged' || m.health.isAvailable(now));
    });
  }

  private enqueue(options: AcquireOptions, now: number): Promise<Lease<S>> {
    return new Promise<Lease<S>>((resolve, reject) => {
      // QUEUE_TIMEOUT_MS is at most an hour (config); the clamp guards the timer against any deadline.
      const waitMs = timerDelay(options.deadline - now, this.options.queueTimeoutMs);
      const cleanup = () => {
        this.timers.clearTimeout(timer);
        options.signal.removeEventListener('abort', onAbort);
        const i = this.queue.indexOf(waiter);
        if (i >= 0) this.queue.splice(i, 1);
      };
      const onAbort = () => {
        cleanup();
        reject(new ClientGoneError());
      };
      const timer = this.timers.setTimeout(() => {
        cleanup();
        reject(noIdentityError(this.members, this.now(), 'wait_timeout'));
      }, waitMs);
      const waiter: Waiter<S> = {
        options,
        enqueuedAt: now,
        resolve: (lease) => {
          cleanup();
          resolve(lease);
        },
        reject: (error) => {
          cleanup();
          reject(error);
        },
      };
      options.signal.addEventListener('abort', onAbort, { once: true });
      this.queue.push(waiter);
      this.scheduleWake();
    });
  }

  /** Serves waiters in arrival order; one that cannot be served does not block the next. */
  private drain(): void {
    if (this.ledger) return this.drainShared(this.ledger);
    this.timers.clearTimeout(this.wakeTimer);
    this.wakeTimer = undefined;
    const now = this.now();
    for (const waiter of [...this.queue]) {
      if (!this.anyoneCouldServe(waiter.options.exclude)) {
        waiter.reject(new NoCandidateError());
        continue;
      }
      const member = this.pick(waiter.options, now);
      if (member) waiter.resolve(this.lease(member, now, now - waiter.enqueuedAt, null));
    }
    this.scheduleWake();
  }

  /** drain() with the shared ledger: one waiter at a time (each grant is a round trip), never two drains at once. */
  private drainShared(ledger: PoolLedger): void {
    if (this.draining) {
      this.drainAgain = true;
      return;
    }
    this.draining = true;
    void (async () => {
      do {
        this.drainAgain = false;
        this.timers.clearTimeout(this.wakeTimer);
        this.wakeTimer = undefined;
        for (const waiter of [...this.queue]) {
          if (!this.queue.includes(waiter)) continue;
          if (!this.anyoneCouldServe(waiter.options.exclude)) {
            waiter.reject(new NoCandidateError());
            continue;
          }
          let lease: Lease<S> | null;
          try {
            lease = await this.tryShared(waiter.options, ledger, waiter.enqueuedAt);
          } catch (error) {
            waiter.reject(error as Error);
            continue;
          }
          if (!lease) continue;
          // It left (or timed out) while the ledger answered.
          if (this.queue.includes(waiter)) waiter.resolve(lease);
          else this.giveBack(lease);
        }
        this.scheduleWake();
      } while (this.drainAgain);
    })().finally(() => {
      this.draining = false;
    });
  }

  /** Wakes the queue when time alone (a cooldown, the rpm window) frees an identity. */
  private scheduleWake(): void {
    if (this.queue.length === 0 || this.wakeTimer) return;
    const now = this.now();
    let soonest = Infinity;
    for (const m of this.members) {
      // Only a release frees a busy identity or one with its probe out, and release() drains the
      // queue itself; an identity every waiter has tried is no use to them. Waking for these
      // would re-arm a 1 ms timer until something else changed.
      if (m.inFlight >= m.config.maxConcurrent || m.health.probing) continue;
      if (this.queue.every((w) => w.options.exclude?.has(m.id))) continue;
      const at = m.eligibleByTimeAt(now);
      if (at !== null && at < soonest) soonest = at;
    }
    if (!Number.isFinite(soonest)) return;
    this.wakeTimer = this.timers.setTimeout(() => this.drain(), Math.max(1, timerDelay(soonest - now + 1, MAX_WAKE_MS)));
  }

  private operate(id: string, action: (m: PoolMember<S>, now: number) => void): boolean {
    const member = this.members.find((m) => m.id === id && !m.removed);
    if (!member) return false;
    const now = this.now();
    const before = member.health.state.kind;
    action(member, now);
    this.emit({ type: 'state', id, from: before, to: member.health.state.kind, reason: member.health.state.reason });
    this.persist(member, true);
    // An operator's word stands whatever another instance wrote meanwhile.
    this.shareHealth(member, () => {
      action(member, this.now());
      return true;
    });
    this.drain();
    return true;
  }

  private createMember(config: IdentityConfig): PoolMember<S> {
    const now = this.now();
    const stored = this.options.repo?.load(config.id) ?? null;
    const member = restoreMember(config, stored, this.options.states, this.options.policy, now, this.outliers?.windowMs);
    if (!config.enabled && member.health.state.kind !== 'disabled') member.health.disable('disabled in the account file', now);
    return member;
  }

  private reconfigure(member: PoolMember<S>, config: IdentityConfig): void {
    const now = this.now();
    const cookiesChanged = (config.cookies ?? '') !== (member.config.cookies ?? '');
    if (!sameTransport(config, member.config)) member.state = this.options.states.createIdentity(transportOf(config), null);
    member.window.setLimit(config.rpm);
    const before = member.health.state.kind;
    if (!config.enabled && member.health.state.kind !== 'disabled') member.health.disable('disabled in the account file', now);
    else if (config.enabled && member.config.enabled === false && member.health.state.kind === 'disabled') member.health.enable('enabled in the account file', now);
    else if (cookiesChanged && member.health.state.kind === 'challenged') member.health.enable('new cookies in the account file', now);
    member.config = config;
    this.persist(member, true);
    if (member.health.state.kind !== before) this.shareHealth(member, null);
  }

  private setMembers(members: PoolMember<S>[]): void {
    this.members = members;
    this.weighted = new WeightedMembers(members.filter((m) => !m.removed));
  }

  private dropRemoved(): void {
    this.setMembers(this.members.filter((m) => !m.removed || m.inFlight > 0));
  }

  /** Saves the identity's state when it changed (or `force`), and shares new credentials (`share`). */
  private persist(member: PoolMember<S>, force: boolean, share = true): void {
    const version = this.options.states.version(member.state);
    const stateChanged = version !== member.savedVersion;
    if (share && stateChanged) this.shareState(member);
    const repo = this.options.repo;
    if (!repo) {
      member.savedVersion = version;
      return;
    }
    if (!force && !stateChanged) return;
    if (this.save([member])) member.savedVersion = version;
  }

  /**
   * Writes identity state; never throws: this runs inside release(), on the request path, and a
   * full disk must not fail requests the pool can serve. Failures are reported once per episode.
   */
  private save(members: readonly PoolMember<S>[]): boolean {
    const repo = this.options.repo;
    if (!repo) return true;
    try {
      repo.saveMany(members.map((m) => snapshotForStore(m, this.options.states, this.now())));
    } catch (error) {
      if (!this.persistFailing) this.emit({ type: 'persist', ok: false, error: (error as Error).message });
      this.persistFailing = true;
      return false;
    }
    if (this.persistFailing) this.emit({ type: 'persist', ok: true });
    this.persistFailing = false;
    return true;
  }

  private emit(event: Parameters<PoolListener>[0]): void {
    for (const listener of this.listeners) listener(event);
  }
}

/** No identity outside the request's already-tried set can serve: the caller reports its last failure. */
export class NoCandidateError extends Error {
  override name = 'NoCandidateError';
  constructor() {
    super('no untried identity can serve this request');
  }
}

function healthEvent({ outcome, timeoutCounts }: ReleaseInfo): HealthEvent | null {
  switch (outcome.kind) {
    case 'ok':
      return { kind: 'success' };
    case 'rate_limited':
      return { kind: 'rate_limited', retryAfterMs: outcome.retryAfterMs, detail: outcome.detail };
    case 'challenged':
      return { kind: 'challenged', detail: outcome.detail };
    case 'transient':
      return outcome.timedOut && !timeoutCounts ? null : { kind: 'fault', detail: outcome.detail };
    case 'nonce_rejected':
      // Rejected again right after a fresh nonce: these cookies are not accepted.
      return outcome.afterRefresh ? { kind: 'fault', detail: outcome.detail } : null;
    case 'refused':
    case 'protocol':
    case 'cancelled':
      return null;
  }
}
