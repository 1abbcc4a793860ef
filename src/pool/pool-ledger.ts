// Where the facts several gateway instances must agree on live (REDIS_URL): each identity's
// leases (concurrency), its rpm window, its pacing slot, its health and its provider state.
// Without a ledger the pool keeps them in memory (one process). With one, the pool still
// decides locally from its mirror, then asks the ledger, which grants or refuses atomically
// for every instance; health and state changes go out to the others and theirs come in.

import type { GatewayError } from '../errors.ts';
import type { HealthSnapshot } from './health.ts';
import type { PoolMember } from './pool-member.ts';

/** Why the ledger refused a lease: what another instance holds, or a health it already knows. */
export type LedgerRefusal = 'busy' | 'rpm' | 'paced' | 'unavailable' | 'probe_taken';

export type LedgerGrant =
  | { ok: true; leaseId: string; probe: boolean }
  /** `retryAt` (this process's clock): when time alone may lift the refusal; null = only a change elsewhere. */
  | { ok: false; reason: LedgerRefusal; retryAt: number | null; health: SharedHealth | null };

/** An identity's health as shared: the snapshot and the version it was written at. */
export interface SharedHealth {
  snapshot: HealthSnapshot;
  version: number;
}

/** What the ledger tells the pool about other instances' doings. */
export type LedgerEvent =
  /** A lease was released elsewhere: waiters may find the identity free. */
  | { type: 'freed'; id: string }
  | { type: 'health'; id: string; health: SharedHealth }
  /** Another instance fetched new credentials (the provider's snapshot, JSON). */
  | { type: 'state'; id: string; state: string; seed: string };

export interface PoolLedger {
  /** The error a request gets at once while the ledger cannot be reached (a stream: before its 200); null while it can. */
  unavailableError(): GatewayError | null;
  /** Takes a lease (and one call of the rpm window, and the pacing slot) atomically, or says why not. Throws when the ledger is unreachable. */
  acquire(member: PoolMember<unknown>, jitterMs: number): Promise<LedgerGrant>;
  /** One more call of the same lease (a retry after a refresh): false when the rpm window is full. */
  extraCall(member: PoolMember<unknown>, leaseId: string, jitterMs: number): Promise<boolean>;
  /** Frees the lease and tells waiting instances. Never throws (an unreleased lease expires). */
  release(member: PoolMember<unknown>, leaseId: string): void;
  /**
   * Writes a health change made here if the shared version is still `baseVersion`; otherwise
   * returns the newer shared health (the caller adopts it and decides again). Throws when unreachable.
   */
  writeHealth(member: PoolMember<unknown>, baseVersion: number): Promise<{ ok: true; version: number } | { ok: false; health: SharedHealth }>;
  /** The shared health and state of an identity, as other instances left them (null: none yet). */
  load(id: string): Promise<{ health: SharedHealth | null; state: { state: string; seed: string } | null }>;
  /** Shares the provider state (after a refresh here). Never throws. */
  writeState(member: PoolMember<unknown>, state: string, seed: string): void;
  /**
   * Claims the fetch of an identity's credentials (one instance fetches, the others take its
   * result over): held until this instance shares the new state, or `ms` at most; true also
   * when this instance holds it already; false: another one does.
   */
  claimRefresh(id: string, ms: number): Promise<boolean>;
  /**
   * The same after the site refused this instance's credentials: `mine` (fetch), `theirs`
   * (another instance fetches: wait for its state), or `shared` when a state was shared a
   * moment ago (wait for its event; then ask again with takeOverShared, which never answers `shared`).
   */
  claimRefused(id: string, ms: number, takeOverShared: boolean): Promise<'mine' | 'theirs' | 'shared'>;
  onEvent(handler: (event: LedgerEvent) => void): void;
  close(): void;
}
