// Waits, per key, for the next value something hands over (wake), bounded by a time and an
// abort signal: both end the wait with null. Used by the pool to let a request wait for the
// credentials another instance is fetching for the same identity.

import type { PoolTimers, TimerHandle } from './pool-timers.ts';
import { timerDelay } from './pool-timers.ts';

/** A method, not a function property: a pool of a narrower state type stays assignable to IdentityPool<unknown>. */
interface Waiter<T> {
  settle(value: T | null): void;
}

export class KeyedWaiters<T> {
  private readonly waiting = new Map<string, Set<Waiter<T>>>();

  constructor(private readonly timers: PoolTimers) {}

  wait(key: string, ms: number, signal: AbortSignal): Promise<T | null> {
    if (signal.aborted || !(ms > 0)) return Promise.resolve(null);
    return new Promise((resolve) => {
      let set = this.waiting.get(key);
      if (!set) this.waiting.set(key, (set = new Set()));
      const waiters = set;
      let timer: TimerHandle | undefined;
      const waiter: Waiter<T> = {
        settle: (value) => {
          waiters.delete(waiter);
          if (waiters.size === 0 && this.waiting.get(key) === waiters) this.waiting.delete(key);
          this.timers.clearTimeout(timer);
          signal.removeEventListener('abort', abort);
          resolve(value);
        },
      };
      const abort = () => waiter.settle(null);
      waiters.add(waiter);
      timer = this.timers.setTimeout(abort, timerDelay(ms, ms));
      signal.addEventListener('abort', abort, { once: true });
    });
  }

  /** Hands `value` to everyone waiting on `key` now (null: nothing for them after all). */
  wake(key: string, value: T | null): void {
    const waiters = this.waiting.get(key);
    if (!waiters) return;
    for (const waiter of [...waiters]) waiter.settle(value);
  }

  /** How many wait on `key` (for tests and gauges). */
  count(key: string): number {
    return this.waiting.get(key)?.size ?? 0;
  }
}
