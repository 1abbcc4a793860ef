// "At most `limit` calls in any rolling 60 seconds", in O(1): a ring of the last
// `limit` call times. A new call fits only if the oldest of them is 60 s old.

export const WINDOW_MS = 60_000;

export class RateWindow {
  private ring: number[];
  private head = 0;

  /** limit 0 = no limit */
  constructor(private limit: number) {
    this.ring = new Array<number>(limit).fill(-Infinity);
  }

  setLimit(limit: number): void {
    if (limit === this.limit) return;
    const recent = this.recent().slice(-limit);
    this.limit = limit;
    this.ring = [...new Array<number>(Math.max(0, limit - recent.length)).fill(-Infinity), ...recent];
    this.head = 0;
  }

  /** When a call may next start (≤ now means now). */
  nextFreeAt(now: number): number {
    if (this.limit === 0) return now;
    return Math.max(now, this.ring[this.head]! + WINDOW_MS);
  }

  hasRoom(now: number): boolean {
    return this.nextFreeAt(now) <= now;
  }

  /** Records a call; the caller has checked hasRoom. */
  record(now: number): void {
    if (this.limit === 0) return;
    this.ring[this.head] = now;
    this.head = (this.head + 1) % this.limit;
  }

  private recent(): number[] {
    const ordered = [...this.ring.slice(this.head), ...this.ring.slice(0, this.head)];
    return ordered.filter((t) => t !== -Infinity);
  }
}
