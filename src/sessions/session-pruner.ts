// Deletes expired sessions in small batches, handing the event loop back between
// batches so requests are never stalled behind a large prune.

import type { Logger } from '../log.ts';
import type { SessionRepo } from './session-repo.ts';

export interface PrunerOptions {
  intervalMs: number;
  /** Rows per DELETE; small enough that one batch takes a few milliseconds. */
  batchSize?: number;
  now?: () => number;
  log?: Logger;
  /** Called after a run that deleted rows. */
  onPruned?: (deleted: number) => void;
}

export class SessionPruner {
  private timer: ReturnType<typeof setInterval> | undefined;
  private running: Promise<number> | null = null;
  private stopped = false;

  constructor(
    private readonly repo: SessionRepo,
    private readonly options: PrunerOptions,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.run(), this.options.intervalMs);
    this.timer.unref?.();
  }

  /** Resolves when the current run (if any) has finished its batch. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.running;
  }

  /** One full pass; a pass already under way is joined, not doubled. */
  run(): Promise<number> {
    this.running ??= this.pass().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async pass(): Promise<number> {
    const batchSize = this.options.batchSize ?? 500;
    const now = (this.options.now ?? Date.now)();
    let deleted = 0;
    try {
      while (!this.stopped) {
        const n = this.repo.pruneExpired(now, batchSize);
        deleted += n;
        if (n < batchSize) break;
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    } catch (error) {
      this.options.log?.error('session pruning failed; will retry at the next interval', { error: (error as Error).message });
    }
    if (deleted > 0) {
      this.options.log?.info('expired sessions pruned', { deleted });
      this.options.onPruned?.(deleted);
    }
    return deleted;
  }
}
