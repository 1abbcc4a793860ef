// What serving a turn did, success or not: filled as the turn goes, read once by the
// request's trace (logs, metrics, the dashboard).

export interface TurnReport {
  /** The identity of the last attempt. */
  identityId: string | null;
  attempts: number;
  /** Time in upstream calls (connection-slot waits excluded). */
  upstreamMs: number;
  /** Time waiting for a free identity. */
  queueWaitMs: number;
  /** The last upstream outcome kind. */
  outcome: string | null;
  /** A streamed answer delivered although its turn could not be stored (the code of why); null = stored, or not a stream. */
  notStored: string | null;
}

export const newTurnReport = (): TurnReport => ({ identityId: null, attempts: 0, upstreamMs: 0, queueWaitMs: 0, outcome: null, notStored: null });
