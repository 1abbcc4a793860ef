// Success-rate outlier detection, after Envoy's: an identity whose success rate over the
// recent window is far below its peers' is ejected for a while (the health state machine
// times it and lets one probe decide), within a cap on how much of the pool outlier
// detection may hold out at once. Pure functions of counts, so a shared store can feed them.
//
// Envoy compares each host with the mean and standard deviation of all hosts, itself
// included; one bad identity then inflates the deviation enough that it can never fall
// below mean − 1.9·σ in a pool of fewer than five. Here each identity is compared with its
// peers only (leave one out), with a least gap because peers that all succeed have σ ≈ 0.

export interface OutlierPolicy {
  /** The recent window rates are taken over. */
  windowMs: number;
  /** Attempts in the window an identity needs to be judged, or to count as a peer. */
  minVolume: number;
  /** Identities with that volume (the one judged and its peers) needed to judge at all. */
  minIdentities: number;
  /** Far below = more than this many standard deviations of the peers' rates under their mean (Envoy's 1.9)… */
  stdevFactor: number;
  /** …and at least this far under it (success-rate points)… */
  minGap: number;
  /**
   * …and at least this many standard errors of the difference under it (a two-proportion test
   * with the pooled rate): when the whole site fails now and then, 20 attempts of a sound
   * identity can show twice its peers' failures by chance, and a few dozen of its peers' half.
   */
  noiseFactor: number;
  /** The largest share of the pool (identities not disabled) outlier detection may hold ejected at once. */
  maxEjectedShare: number;
}

/**
 * Fixed defaults: a window of 5 minutes (calls take seconds: a busy identity makes dozens);
 * judged from 20 attempts, among at least 3 such identities; ejected when its success rate
 * is 1.9 σ, 3 standard errors and at least 15 points under its peers'; at most half the pool
 * out at once, and never the last identity that is ready.
 */
export const DEFAULT_OUTLIER_POLICY: OutlierPolicy = {
  windowMs: 5 * 60_000,
  minVolume: 20,
  minIdentities: 3,
  stdevFactor: 1.9,
  minGap: 0.15,
  noiseFactor: 3,
  maxEjectedShare: 0.5,
};

export interface OutlierSample {
  id: string;
  attempts: number;
  failures: number;
}

export type OutlierVerdict = { outlier: false } | { outlier: true; reason: string };

/** Whether `candidate` is an outlier among `others` (every other identity; those below the volume are left out). */
export function judgeOutlier(candidate: OutlierSample, others: readonly OutlierSample[], policy: OutlierPolicy): OutlierVerdict {
  if (candidate.attempts < policy.minVolume) return { outlier: false };
  const counted = others.filter((s) => s.id !== candidate.id && s.attempts >= policy.minVolume);
  if (counted.length + 1 < policy.minIdentities) return { outlier: false };
  const peers = counted.map(successRate);
  const mean = peers.reduce((a, b) => a + b, 0) / peers.length;
  const stdev = Math.sqrt(peers.reduce((sum, r) => sum + (r - mean) ** 2, 0) / peers.length);
  const rate = successRate(candidate);
  if (rate >= mean - Math.max(policy.stdevFactor * stdev, policy.minGap, policy.noiseFactor * standardError(candidate, counted))) {
    return { outlier: false };
  }
  const minutes = Math.round(policy.windowMs / 60_000);
  const figures = `${percent(rate)} of ${candidate.attempts} attempts succeeded in the last ${minutes} min`;
  return { outlier: true, reason: `outlier: ${figures}, its ${peers.length} peers ${percent(mean)}` };
}

export interface EjectionRoom {
  /** Identities in the pool that are not disabled (the judged one included). */
  live: number;
  /** Of those, how many outlier detection holds ejected now. */
  outlierEjected: number;
  /** Other identities that are ready. */
  otherReady: number;
}

/** Whether one more outlier ejection stays within the cap and leaves an identity ready. */
export function mayEjectOutlier(room: EjectionRoom, policy: OutlierPolicy): boolean {
  return room.otherReady >= 1 && room.outlierEjected + 1 <= Math.floor(policy.maxEjectedShare * room.live);
}

/** Standard error of the difference between the candidate's failure rate and its peers' together, under the pooled rate. */
function standardError(candidate: OutlierSample, peers: readonly OutlierSample[]): number {
  const peerAttempts = peers.reduce((n, s) => n + s.attempts, 0);
  const pooled = (candidate.failures + peers.reduce((n, s) => n + s.failures, 0)) / (candidate.attempts + peerAttempts);
  return Math.sqrt(pooled * (1 - pooled) * (1 / candidate.attempts + 1 / peerAttempts));
}

function successRate(s: OutlierSample): number {
  return s.attempts === 0 ? 1 : 1 - s.failures / s.attempts;
}

function percent(rate: number): string {
  return `${Math.round(rate * 100)} %`;
}
