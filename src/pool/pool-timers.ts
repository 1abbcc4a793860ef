// The pool's timers (queue waits, the wake-up), injectable so tests drive them with a fake
// clock. setTimeout fires at once for a delay above 2^31-1 ms (~24.8 days), with a
// TimeoutOverflowWarning, so a far-off wake-up would spin: every delay goes through timerDelay.

export type TimerHandle = unknown;

export interface PoolTimers {
  setTimeout(callback: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

export const REAL_TIMERS: PoolTimers = {
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/** The largest delay setTimeout honours. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** `ms` within [0, min(maxMs, MAX_TIMER_MS)]; NaN counts as 0. */
export function timerDelay(ms: number, maxMs: number): number {
  if (Number.isNaN(ms)) return 0;
  return Math.max(0, Math.min(ms, maxMs, MAX_TIMER_MS));
}
