// What picking compares: a peak-sensitive latency average (jumps up on a slow answer,
// decays back over ~10 s), the in-flight count and a decaying recent error rate.
// Lower is better. Weight is not in the score: it shapes which two are sampled.

const DECAY_MS = 10_000;
const ERROR_DECAY_MS = 30_000;
/** Assumed latency of an identity that has not answered yet, so new ones are tried soon. */
const INITIAL_LATENCY_MS = 1;

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

  observeResult(failed: boolean, now: number): void {
    const w = Math.exp(-(now - this.errorAt) / ERROR_DECAY_MS);
    this.errorRate = this.errorRate * w + (failed ? 1 - w : 0);
    this.errorAt = now;
  }

  score(inFlight: number): number {
    return this.latencyMs * (inFlight + 1) * (1 + 10 * this.errorRate);
  }
}
