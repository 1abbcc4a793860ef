// The mutable state one emulator instance shares between its request handlers.

import type { FaultBook } from './faults.ts';
import type { NonceStore } from './nonces.ts';
import type { Settings } from './settings.ts';
import type { StatsBook } from './stats.ts';

export interface UpstreamState {
  settings: Settings;
  nonces: NonceStore;
  faults: FaultBook;
  stats: StatsBook;
  /** Aborts when the emulator stops, ending every pending wait. */
  lifetime: AbortSignal;
}

/** The one Server method handlers need: lifting the idle timeout before a long wait. */
export interface RequestTimeouts {
  timeout(request: Request, seconds: number): void;
}
