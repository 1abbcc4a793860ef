// What picking compares: a peak-sensitive latency average (jumps up on a slow answer,
// decays back over ~10 s), the in-flight count and a decaying recent error rate.
// Lower is better. Weight is not in the score: it shapes which two are sampled.

const DECAY_MS = 10_000;
const ERROR_DECAY_MS = 30_000;
const ERROR_WEIGHT = 0.1;
/** Assumed latency of an identity that has not answered yet, so new ones are tried soon. */
const INITIAL_LATENCY_MS = 1;
/** Latency gaps below this are noise next to answers that take seconds. */
const LATENCY_FLOOR_MS = 50;

export class LoadScore {
  latencyMs = INITIAL_LATENCY_MS;
  errorRate = 0;
  private latencyAt = 0;
  private errorAt = 0;

  observeLatency(ms: number, now: number): void {
    if (ms > this.latencyMs) this.latencyMs = ms;
    else {
      const w = Math.exp(-(now - this.latencyAt) / DECAY_MS);
      this.latencyMs = this.latencyMs * w + ms * (1 - w);
    }
    this.latencyAt = now;
  }

  /** Per attempt: each result moves the rate by ERROR_WEIGHT; idle time also fades it. */
  observeResult(failed: boolean, now: number): void {
    this.errorRate *= Math.exp(-(now - this.errorAt) / ERROR_DECAY_MS);
    this.errorRate = this.errorRate * (1 - ERROR_WEIGHT) + (failed ? ERROR_WEIGHT : 0);
    this.errorAt = now;
  }

  score(inFlight: number): number {
    // One stray fault (rate 0.1 → ×1.2) does not flip a choice; a sustained error rate does.
    return Math.max(LATENCY_FLOOR_MS, this.latencyMs) * (inFlight + 1) * (1 + 2 * this.errorRate);
  }
}
