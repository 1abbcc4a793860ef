// The dashboard's activity feed: finished requests counted per time bucket (ok, client
// errors, failed — see requestResult — and by outcome) over a sliding window, plus the last
// few records. Fixed memory (a ring of buckets and a ring of records), O(1) per record, on
// an injected clock.

import { requestResult, type RequestRecord, type RequestResult } from './request-record.ts';

export interface ActivityFeedOptions {
  /** Bucket width; default 10 s. */
  bucketMs?: number;
  /** How far back buckets are kept; default 15 min. */
  windowMs?: number;
  /** How many recent records are kept; default 50. */
  recentMax?: number;
  now?: () => number;
}

export interface ActivityBucket {
  /** Bucket start, epoch ms. */
  t: number;
  ok: number;
  /** Refused for the client's own doing (4xx but 429, a client that left): not failures. */
  clientErrors: number;
  /** What the gateway or the site failed. */
  failed: number;
  /** Count per outcome ('ok' included). */
  outcomes: Record<string, number>;
}

/** A recent request with its result class. */
export interface ActivityRequest extends RequestRecord {
  result: RequestResult;
}

export interface ActivitySnapshot {
  bucketMs: number;
  /** Oldest first, continuous, the current (partial) bucket last. */
  buckets: ActivityBucket[];
  /** Newest first. */
  recent: ActivityRequest[];
}

interface Slot {
  /** Bucket index (start / bucketMs); -1 = never used. */
  index: number;
  ok: number;
  clientErrors: number;
  failed: number;
  outcomes: Map<string, number>;
}

export class ActivityFeed {
  readonly bucketMs: number;
  readonly windowMs: number;
  private readonly now: () => number;
  private readonly slots: Slot[];
  private readonly recentRing: (ActivityRequest | undefined)[];
  /** Where the next recent record goes. */
  private recentNext = 0;
  private recentCount = 0;
  /** Newest bucket index written: a clock stepping back counts into it, never erases newer buckets. */
  private latestIndex = -Infinity;

  constructor(options: ActivityFeedOptions = {}) {
    this.bucketMs = options.bucketMs ?? 10_000;
    this.windowMs = options.windowMs ?? 15 * 60_000;
    const recentMax = options.recentMax ?? 50;
    if (!Number.isInteger(this.bucketMs) || this.bucketMs <= 0) throw new RangeError(`bucketMs must be a positive integer, got ${this.bucketMs}`);
    if (!Number.isFinite(this.windowMs) || this.windowMs < this.bucketMs) throw new RangeError(`windowMs must be at least bucketMs (${this.bucketMs}), got ${this.windowMs}`);
    if (!Number.isInteger(recentMax) || recentMax < 0) throw new RangeError(`recentMax must be a non-negative integer, got ${recentMax}`);
    this.now = options.now ?? Date.now;
    const count = Math.ceil(this.windowMs / this.bucketMs);
    this.slots = Array.from({ length: count }, () => ({ index: -1, ok: 0, clientErrors: 0, failed: 0, outcomes: new Map<string, number>() }));
    this.recentRing = new Array<ActivityRequest | undefined>(recentMax).fill(undefined);
  }

  /** Counts a finished request in the bucket of the moment it is recorded. */
  record(r: RequestRecord): void {
    const index = Math.max(Math.floor(this.now() / this.bucketMs), this.latestIndex);
    this.latestIndex = index;
    const slot = this.slots[index % this.slots.length]!;
    if (slot.index !== index) {
      slot.index = index;
      slot.ok = 0;
      slot.clientErrors = 0;
      slot.failed = 0;
      slot.outcomes.clear();
    }
    const result = requestResult(r);
    if (result === 'ok') slot.ok++;
    else if (result === 'client_error') slot.clientErrors++;
    else slot.failed++;
    slot.outcomes.set(r.outcome, (slot.outcomes.get(r.outcome) ?? 0) + 1);

    if (this.recentRing.length === 0) return;
    this.recentRing[this.recentNext] = { ...r, result };
    this.recentNext = (this.recentNext + 1) % this.recentRing.length;
    this.recentCount = Math.min(this.recentCount + 1, this.recentRing.length);
  }

  /**
   * The last `minutes` (default and at most the window; at least one bucket; a
   * non-finite value means the window) as continuous buckets, empty ones as zeros.
   */
  snapshot(minutes?: number): ActivitySnapshot {
    const spanMs = minutes === undefined || !Number.isFinite(minutes) ? this.windowMs : Math.min(minutes * 60_000, this.windowMs);
    const count = Math.min(this.slots.length, Math.max(1, Math.ceil(spanMs / this.bucketMs)));
    const current = Math.floor(this.now() / this.bucketMs);
    const buckets: ActivityBucket[] = [];
    for (let index = current - count + 1; index <= current; index++) {
      const slot = this.slots[((index % this.slots.length) + this.slots.length) % this.slots.length]!;
      const t = index * this.bucketMs;
      if (slot.index === index) buckets.push({ t, ok: slot.ok, clientErrors: slot.clientErrors, failed: slot.failed, outcomes: Object.fromEntries(slot.outcomes) });
      else buckets.push({ t, ok: 0, clientErrors: 0, failed: 0, outcomes: {} });
    }

    const recent: ActivityRequest[] = [];
    const size = this.recentRing.length;
    for (let i = 1; i <= this.recentCount; i++) recent.push(this.recentRing[(this.recentNext - i + size) % size]!);
    return { bucketMs: this.bucketMs, buckets, recent };
  }
}
