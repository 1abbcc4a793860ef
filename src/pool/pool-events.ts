// What the pool tells the rest of the process (logs now, metrics later). The pool never
// imports a logger: listeners subscribe.

import type { UpstreamOutcomeKind } from '../providers/outcome.ts';
import type { HealthKind } from './health.ts';

export type PoolEvent =
  | { type: 'picked'; id: string; probe: boolean; waitedMs: number }
  | { type: 'outcome'; id: string; kind: UpstreamOutcomeKind; latencyMs: number }
  /** `remote`: another instance made the change (REDIS_URL) and this one took it over. */
  | { type: 'state'; id: string; from: HealthKind; to: HealthKind; reason: string; remote?: true }
  | { type: 'reloaded'; added: string[]; removed: string[]; kept: string[] }
  /** Saving identity state failed (first failure of an episode) or works again: never per request. */
  | { type: 'persist'; ok: false; error: string }
  | { type: 'persist'; ok: true };

export type PoolListener = (event: PoolEvent) => void;
