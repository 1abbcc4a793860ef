// Per-identity counters and the log of received messages, both bounded in size.

import type { IdentityStats, ReceivedMessage } from './types.ts';

export const MAX_RECEIVED = 10_000;
export const MAX_MESSAGE_TIMES = 10_000;

export class StatsBook {
  /** Mutated in place so a reference held by a test stays live across reset(). */
  readonly received: ReceivedMessage[] = [];
  private byIdentity = new Map<string, IdentityStats>();

  private entry(identity: string): IdentityStats {
    let stats = this.byIdentity.get(identity);
    if (stats === undefined) {
      stats = { pages: 0, messages: 0, inFlight: 0, maxInFlight: 0, messageTimes: [] };
      this.byIdentity.set(identity, stats);
    }
    return stats;
  }

  countPage(identity: string): void {
    this.entry(identity).pages += 1;
  }

  /** Returns the entry to hand back to endMessage, so a reset() in between cannot skew counts. */
  beginMessage(identity: string, at: number): IdentityStats {
    const stats = this.entry(identity);
    stats.messages += 1;
    stats.inFlight += 1;
    if (stats.inFlight > stats.maxInFlight) stats.maxInFlight = stats.inFlight;
    stats.messageTimes.push(at);
    // JSC's shift() on a plain array is O(1), so this exact cap stays cheap.
    if (stats.messageTimes.length > MAX_MESSAGE_TIMES) stats.messageTimes.shift();
    return stats;
  }

  endMessage(stats: IdentityStats): void {
    stats.inFlight -= 1;
  }

  record(message: ReceivedMessage): void {
    this.received.push(message);
    if (this.received.length > MAX_RECEIVED) this.received.shift();
  }

  snapshot(): Record<string, IdentityStats> {
    const out: Record<string, IdentityStats> = {};
    for (const [identity, stats] of this.byIdentity) {
      out[identity] = { ...stats, messageTimes: stats.messageTimes.slice() };
    }
    return out;
  }

  reset(): void {
    this.received.length = 0;
    this.byIdentity = new Map();
  }
}
