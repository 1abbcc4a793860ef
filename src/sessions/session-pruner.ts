// Deletes expired sessions in batches sized to a time budget, handing the event loop
// back between batches, and checkpoints the WAL after each batch in a turn of its own,
// so requests are not stalled behind a large prune (see the `sessions` benchmark). On
// Redis, which expires sessions itself, a batch only trims the last-use index.

import type { Logger } from '../log.ts';
import type { SessionStore } from './session-store.ts';

export interface PrunerOptions {
  intervalMs: number;
  /** Rows in the first DELETE (default 250). */
  batchSize?: number;
  /**
   * Milliseconds one batch may hold the event loop (default 2); the batch size follows
   * the measured cost per row, which varies 4x with how the expired rows lie in the
   * file. 0 keeps batchSize fixed.
   */
  batchBudgetMs?: number;
  now?: () => number;
  log?: Logger;
}

const yieldToRequests = () => new Promise<void>((resolve) => setImmediate(resolve));

export class SessionPruner {
  private timer: ReturnType<typeof setInterval> | undefined;
  private running: Promise<number> | null = null;
  private stopped = false;

  constructor(
    private readonly repo: Pick<SessionStore, 'pruneExpired' | 'checkpoint'>,
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
    const budgetMs = this.options.batchBudgetMs ?? 2;
    let batchSize = this.options.batchSize ?? 250;
    const now = (this.options.now ?? Date.now)();
    let deleted = 0;
    try {
      while (!this.stopped) {
        const started = performance.now();
        const pruned = this.repo.pruneExpired(now, batchSize);
        const n = typeof pruned === 'number' ? pruned : await pruned;
        const ms = performance.now() - started;
        deleted += n;
        // Checkpoint each batch's pages in a turn of their own: otherwise SQLite's automatic
        // checkpoint (every 1000 pages, fsync included) lands inside a batch or a request's commit.
        await yieldToRequests();
        this.repo.checkpoint?.();
        if (n < batchSize) break;
        // Follow the measured cost, growing at most twofold per step.
        if (budgetMs > 0) batchSize = Math.min(2000, batchSize * 2, Math.max(25, Math.round((batchSize * budgetMs) / Math.max(ms, 0.05))));
        await yieldToRequests();
      }
    } catch (error) {
      this.options.log?.error('session pruning failed; will retry at the next interval', { error: (error as Error).message });
    }
    if (deleted > 0) {
      this.options.log?.info('expired sessions pruned', { deleted });
    }
    return deleted;
  }
}
