// A clock for unit tests that only moves when the test says so, and PoolTimers driven by it:
// advance(ms) fires every timer that falls due on the way, in time order, each with the
// clock set to its own due time (timers set by a callback fire too if they fall due in
// the same stretch). Nothing here waits for real time.

import type { PoolTimers } from '../../src/pool/pool-timers.ts';

/** Some fixed instant, so failures read the same on every run. */
export const FAKE_EPOCH = Date.parse('2026-12-01T12:00:00Z');

interface PendingTimer {
  at: number;
  seq: number;
  callback: () => void;
}

export class FakeClock {
  private time: number;
  private seq = 0;
  private readonly timersDue = new Map<number, PendingTimer>();
  /** Every delay asked of setTimeout, in order. */
  readonly delays: number[] = [];

  constructor(start = FAKE_EPOCH) {
    this.time = start;
  }

  /** Bound: pass it as `now` wherever a clock is injected. */
  readonly now = (): number => this.time;

  readonly timers: PoolTimers = {
    setTimeout: (callback, ms) => {
      this.delays.push(ms);
      const seq = ++this.seq;
      this.timersDue.set(seq, { at: this.time + Math.max(0, ms), seq, callback });
      return seq;
    },
    clearTimeout: (handle) => {
      this.timersDue.delete(handle as number);
    },
  };

  /** Moves time forward by `ms`, firing the timers due on the way. */
  advance(ms: number): void {
    const end = this.time + ms;
    for (let next = this.nextDue(end); next; next = this.nextDue(end)) {
      this.timersDue.delete(next.seq);
      this.time = next.at;
      next.callback();
    }
    this.time = end;
  }

  /** Timers set and neither fired nor cleared. */
  get pending(): number {
    return this.timersDue.size;
  }

  private nextDue(end: number): PendingTimer | null {
    let soonest: PendingTimer | null = null;
    for (const t of this.timersDue.values()) {
      if (t.at <= end && (!soonest || t.at < soonest.at || (t.at === soonest.at && t.seq < soonest.seq))) soonest = t;
    }
    return soonest;
  }
}

/** Lets promise callbacks that are already due run (no timers, no real time). */
export async function settle(rounds = 20): Promise<void> {
  for (let i = 0; i < rounds; i++) await Promise.resolve();
}

export interface Tracked<T> {
  readonly state: 'pending' | 'resolved' | 'rejected';
  readonly value: T | undefined;
  readonly error: unknown;
}

/** A promise's state, readable synchronously after `settle()`. */
export function track<T>(promise: Promise<T>): Tracked<T> {
  const tracked: { -readonly [K in keyof Tracked<T>]: Tracked<T>[K] } = { state: 'pending', value: undefined, error: undefined };
  promise.then(
    (value) => {
      tracked.state = 'resolved';
      tracked.value = value;
    },
    (error: unknown) => {
      tracked.state = 'rejected';
      tracked.error = error;
    },
  );
  return tracked;
}
