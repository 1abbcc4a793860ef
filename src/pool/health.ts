// One identity's health: exactly one state, with its reason and the time it was
// entered. Outcomes move it: rate limits cool it (never shortening a cooldown), a
// challenge takes it out until an operator acts or a long cooldown ends, repeated
// transient faults eject it for a growing time, and so does outlier detection (outliers.ts,
// through ejectOutlier); challenged and ejected identities come back through one probe
// request (a cooled one too: the site may still be limiting it). The answer of a call that
// started before the current state began says nothing about it: it neither lifts the state
// nor counts as the probe.
// No state outlasts its policy bound (holdLimitMs), not even one restored from an old file.
// Pure logic on an injected clock; serialisable.

import { MAX_RETRY_AFTER_MS } from '../providers/retry-after.ts';
import { backoffDelay } from './backoff.ts';

export type HealthState =
  | { kind: 'ready'; since: number; reason: string }
  | { kind: 'cooling'; since: number; until: number; reason: string }
  | { kind: 'challenged'; since: number; until: number; reason: string }
  /** `outlier`: ejected by outlier detection (counted against its cap), not by faults in a row. */
  | { kind: 'ejected'; since: number; until: number; reason: string; outlier?: true }
  | { kind: 'disabled'; since: number; reason: string };

export type HealthKind = HealthState['kind'];

/** Every health kind, in a fixed order (metrics, readiness, the OpenAPI document). A new kind is a compile error here. */
const KINDS: Record<HealthKind, 0> = { ready: 0, cooling: 0, challenged: 0, ejected: 0, disabled: 0 };
export const HEALTH_KINDS = Object.keys(KINDS) as readonly HealthKind[];

export interface HealthPolicy {
  /** Consecutive transient faults that eject an identity. */
  ejectAfter: number;
  ejectBaseMs: number;
  ejectMaxMs: number;
  /** How long a challenged identity stays out before one probe. */
  challengeCooldownMs: number;
  /** Cooldown after a 429 without Retry-After: backoff from this base. */
  rateLimitBaseMs: number;
  rateLimitMaxMs: number;
  /** Longest cooldown after a 429, whatever its Retry-After says. */
  maxCooldownMs: number;
  random?: () => number;
}

export const DEFAULT_HEALTH_POLICY: HealthPolicy = {
  ejectAfter: 3,
  ejectBaseMs: 30_000,
  ejectMaxMs: 30 * 60_000,
  challengeCooldownMs: 30 * 60_000,
  rateLimitBaseMs: 10_000,
  rateLimitMaxMs: 10 * 60_000,
  maxCooldownMs: MAX_RETRY_AFTER_MS,
};

/** Health-relevant results of one attempt (nonce rejections, refusals, cancels are not). */
export type HealthEvent =
  | { kind: 'success' }
  | { kind: 'rate_limited'; retryAfterMs: number | null; detail: string }
  | { kind: 'challenged'; detail: string }
  | { kind: 'fault'; detail: string };

export interface HealthSnapshot {
  state: HealthState;
  consecutiveFaults: number;
  rateLimitStreak: number;
  ejections: number;
  /** When the last ejection ended (its until); absent in files of older gateways. */
  lastEjectionEnd?: number;
}

export class IdentityHealth {
  state: HealthState;
  private consecutiveFaults = 0;
  private rateLimitStreak = 0;
  private ejections = 0;
  /** The end of the last ejection: the healthy spell that resets growth counts from here. */
  private lastEjectionEnd = -Infinity;
  /** A probe request is out: nobody else may use a challenged/ejected identity meanwhile. */
  probing = false;

  constructor(private readonly policy: HealthPolicy, now: number, snapshot?: HealthSnapshot) {
    this.state = { kind: 'ready', since: now, reason: 'started' };
    if (snapshot) this.restore(snapshot, now);
  }

  /** Takes over a stored or shared snapshot (another instance's change); a probe out here stays out. */
  restore(snapshot: HealthSnapshot, now: number): void {
    this.state = this.bounded(snapshot.state, now);
    this.consecutiveFaults = snapshot.consecutiveFaults;
    this.rateLimitStreak = snapshot.rateLimitStreak;
    this.ejections = snapshot.ejections;
    this.lastEjectionEnd = typeof snapshot.lastEjectionEnd === 'number' ? snapshot.lastEjectionEnd : -Infinity;
  }

  snapshot(): HealthSnapshot {
    const { state, consecutiveFaults, rateLimitStreak, ejections } = this;
    const snapshot: HealthSnapshot = { state, consecutiveFaults, rateLimitStreak, ejections };
    if (Number.isFinite(this.lastEjectionEnd)) snapshot.lastEjectionEnd = this.lastEjectionEnd;
    return snapshot;
  }

  /**
   * May serve a request now: ready, or past its cooldown/ejection/challenge time — then
   * only one request (a probe) until an answer shows whether it is really back.
   */
  isAvailable(now: number): boolean {
    const s = this.state;
    switch (s.kind) {
      case 'ready':
        return true;
      case 'cooling':
      case 'challenged':
      case 'ejected':
        return now >= s.until && !this.probing;
      case 'disabled':
        return false;
    }
  }

  /** The next request is a probe (half-open). */
  needsProbe(now: number): boolean {
    const s = this.state;
    return (s.kind === 'cooling' || s.kind === 'challenged' || s.kind === 'ejected') && now >= s.until;
  }

  /** When the identity can serve again, or null if only an operator can bring it back. */
  availableAt(now: number): number | null {
    const s = this.state;
    if (s.kind === 'ready') return now;
    if (s.kind === 'disabled') return null;
    return Math.max(now, s.until);
  }

  /**
   * Applies the result of an attempt that started at `startedAt`; returns true when the
   * state kind changed.
   */
  record(event: HealthEvent, now: number, startedAt = now): boolean {
    const before = this.state.kind;
    this.probing = false;
    if (this.state.kind === 'disabled') return false;
    if ((event.kind === 'success' || event.kind === 'fault') && this.predates(startedAt)) return false;
    switch (event.kind) {
      case 'success':
        // Ejection times grow only while faults keep recurring; a healthy spell longer than the longest ejection resets them.
        if (now - this.lastEjectionEnd > this.policy.ejectMaxMs) this.ejections = 0;
        this.consecutiveFaults = 0;
        this.rateLimitStreak = 0;
        if (before !== 'ready') this.state = { kind: 'ready', since: now, reason: `recovered from ${before}` };
        break;
      case 'rate_limited': {
        const { rateLimitBaseMs: baseMs, rateLimitMaxMs: maxMs, random } = this.policy;
        const delay = event.retryAfterMs ?? backoffDelay(this.rateLimitStreak, { baseMs, maxMs, random });
        this.rateLimitStreak++;
        const current = this.state.kind === 'cooling' ? this.state.until : 0;
        const until = Math.max(current, now + Math.min(Math.max(0, delay), this.policy.maxCooldownMs));
        this.state = { kind: 'cooling', since: now, until, reason: `rate limited: ${event.detail}` };
        break;
      }
      case 'challenged':
        this.state = { kind: 'challenged', since: now, until: now + this.policy.challengeCooldownMs, reason: event.detail };
        break;
      case 'fault': {
        this.consecutiveFaults++;
        const wasProbe = before === 'ejected';
        if (wasProbe || this.consecutiveFaults >= this.policy.ejectAfter) {
          this.eject(`${this.consecutiveFaults} faults in a row, last: ${event.detail}`, now, false);
        }
        break;
      }
    }
    return this.state.kind !== before;
  }

  /** Outlier detection's verdict: ejected like after faults (the same growing time, then one probe). */
  ejectOutlier(reason: string, now: number): void {
    this.eject(reason, now, true);
  }

  /** Whether the state is an ejection by outlier detection. */
  get outlierEjected(): boolean {
    return this.state.kind === 'ejected' && this.state.outlier === true;
  }

  private eject(reason: string, now: number, outlier: boolean): void {
    const duration = Math.min(this.policy.ejectMaxMs, this.policy.ejectBaseMs * 2 ** this.ejections);
    this.ejections++;
    this.lastEjectionEnd = now + duration;
    this.state = { kind: 'ejected', since: now, until: now + duration, reason, ...(outlier ? { outlier: true as const } : {}) };
  }

  /** A call that started before a cooling, challenged or ejected state began: its answer predates the state. */
  private predates(startedAt: number): boolean {
    const { kind, since } = this.state;
    return startedAt < since && (kind === 'cooling' || kind === 'challenged' || kind === 'ejected');
  }

  /** The longest a state may last: its policy's bound (ready and disabled have no end). */
  private holdLimitMs(kind: HealthKind): number {
    switch (kind) {
      case 'cooling':
        return this.policy.maxCooldownMs;
      case 'challenged':
        return this.policy.challengeCooldownMs;
      case 'ejected':
        return this.policy.ejectMaxMs;
      case 'ready':
      case 'disabled':
        return 0;
    }
  }

  /** A stored state with its end within the policy's bound from now (an old file may hold years). */
  private bounded(state: HealthState, now: number): HealthState {
    if (state.kind === 'ready' || state.kind === 'disabled') return state;
    const until = Number.isFinite(state.until) ? state.until : now;
    return { ...state, until: Math.min(until, now + this.holdLimitMs(state.kind)) };
  }

  disable(reason: string, now: number): void {
    this.probing = false;
    this.state = { kind: 'disabled', since: now, reason };
  }

  /** Operator action (or new cookies): back in rotation, history forgotten. */
  enable(reason: string, now: number): void {
    this.probing = false;
    this.consecutiveFaults = 0;
    this.rateLimitStreak = 0;
    this.ejections = 0;
    this.state = { kind: 'ready', since: now, reason };
  }
}
