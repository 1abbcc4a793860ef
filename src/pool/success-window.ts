// One identity's recent attempts and failures, in time buckets over a sliding window: the
// evidence outlier detection judges. Plain serialisable state (a shared store can hold it);
// the methods are small pure steps over it.

export interface WindowCounts {
  attempts: number;
  failures: number;
}

interface Bucket extends WindowCounts {
  /** floor(time / bucketMs) of the stretch this bucket counts. */
  slot: number;
}

export const WINDOW_BUCKETS = 10;

export class SuccessWindow {
  private buckets: Bucket[] = [];
  private readonly bucketMs: number;
  /** Attempts that started before this are not counted (cleared then). */
  private since: number | null = null;

  constructor(windowMs: number) {
    this.bucketMs = Math.max(1, Math.ceil(windowMs / WINDOW_BUCKETS));
  }

  /** Counts the result of an attempt that started at `startedAt`. */
  record(failed: boolean, now: number, startedAt = now): void {
    if (this.since !== null && startedAt < this.since) return;
    const slot = Math.floor(now / this.bucketMs);
    let bucket = this.buckets.find((b) => b.slot === slot);
    if (!bucket) {
      this.buckets = this.buckets.filter((b) => b.slot > slot - WINDOW_BUCKETS);
      bucket = { slot, attempts: 0, failures: 0 };
      this.buckets.push(bucket);
    }
    bucket.attempts++;
    if (failed) bucket.failures++;
  }

  /** Attempts and failures within the window ending now. */
  counts(now: number): WindowCounts {
    const oldest = Math.floor(now / this.bucketMs) - WINDOW_BUCKETS;
    const counts = { attempts: 0, failures: 0 };
    for (const b of this.buckets) {
      if (b.slot <= oldest) continue;
      counts.attempts += b.attempts;
      counts.failures += b.failures;
    }
    return counts;
  }

  /** Forgets everything, and attempts already out (after an ejection the identity is judged on new evidence only). */
  clear(now: number): void {
    this.buckets = [];
    this.since = now;
  }
}
