// Pacing of one identity: at least minIntervalMs between the starts of two upstream calls,
// plus a random extra up to jitterMs drawn for each gap, so the cadence does not look like
// a bot. Plain serialisable state and pure functions of it (a shared store can hold it).
// The extra is drawn when a call starts, so the next slot is known in advance and the
// pool's wake-up can be set to it.

export interface PacingState {
  /** When the last call started; null = none yet. */
  lastStartAt: number | null;
  /** The random extra drawn for the gap after that start. */
  extraMs: number;
}

export interface PacingConfig {
  minIntervalMs?: number;
  jitterMs?: number;
}

export const UNPACED: PacingState = { lastStartAt: null, extraMs: 0 };

/**
 * When the next call may start (≤ now means now). Follows the current config, so a lowered
 * interval or jitter (a reload) applies to the gap already running.
 */
export function nextStartAt(state: PacingState, config: PacingConfig): number {
  if (state.lastStartAt === null) return -Infinity;
  return state.lastStartAt + (config.minIntervalMs ?? 0) + Math.min(state.extraMs, config.jitterMs ?? 0);
}

/** The state after a call started at `now`; `random` draws the extra for the gap that follows. */
export function afterStart(config: PacingConfig, now: number, random: () => number): PacingState {
  return startedWith(now, drawExtra(config, random));
}

/** The random extra for the gap after one start (0 without jitter). */
export function drawExtra(config: PacingConfig, random: () => number): number {
  const jitterMs = config.jitterMs ?? 0;
  return jitterMs > 0 ? Math.round(random() * jitterMs) : 0;
}

/** The state after a call started at `now` with the extra already drawn (the shared ledger needs it first). */
export function startedWith(now: number, extraMs: number): PacingState {
  return { lastStartAt: now, extraMs };
}
