// Whether the database file can be written. A storage failure (disk full, I/O error…) starts
// an episode: logged once, naming the file; every request that must write gets 503
// storage_unavailable; /readyz says so. The next write that succeeds ends it, and while it
// lasts a small probe write runs every few seconds so it ends without traffic too.

import { GatewayError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { isStorageFailure, storageUnavailable } from './storage-errors.ts';

export type StorageStatus = { ok: true } | { ok: false; reason: string; code: string; since: number };

export interface StorageHealthOptions {
  /** The database file, for log lines. */
  file: string;
  log: Logger;
  /** A small write that proves a turn could be stored now (SessionRepo.probeWrite). */
  probe?: () => void;
  probeIntervalMs?: number;
  now?: () => number;
  /** Starts the periodic probe; returns a function that stops it (tests drive it by hand). */
  every?: (callback: () => void, ms: number) => () => void;
}

const realEvery = (callback: () => void, ms: number) => {
  const timer = setInterval(callback, ms);
  timer.unref?.();
  return () => clearInterval(timer);
};

export class StorageHealth {
  private failing: { reason: string; code: string; since: number } | null = null;
  private stopProbing: (() => void) | null = null;
  private readonly now: () => number;

  constructor(private readonly options: StorageHealthOptions) {
    this.now = options.now ?? Date.now;
  }

  get status(): StorageStatus {
    return this.failing ? { ok: false, ...this.failing } : { ok: true };
  }

  /** Runs a write. A storage failure becomes the 503 (and may start an episode); a success ends one. */
  write<T>(work: () => T): T {
    let result: T;
    try {
      result = work();
    } catch (error) {
      throw this.failed(error);
    }
    if (this.failing) this.recovered();
    return result;
  }

  /** write(), for a write that completes later (a group commit). */
  async writeSoon<T>(work: () => Promise<T>): Promise<T> {
    let result: T;
    try {
      result = await work();
    } catch (error) {
      throw this.failed(error);
    }
    if (this.failing) this.recovered();
    return result;
  }

  /** Runs a read: a storage failure becomes the 503; a success proves nothing about writes. */
  read<T>(work: () => T): T {
    try {
      return work();
    } catch (error) {
      throw this.failed(error);
    }
  }

  /**
   * Before work that is only worth doing if it can be stored (an upstream call for a turn):
   * during an episode, the probe decides now — a 503 at once instead of after the answer.
   */
  ensureWritable(): void {
    if (this.failing && this.options.probe) this.write(this.options.probe);
  }

  stop(): void {
    this.stopProbing?.();
    this.stopProbing = null;
  }

  private failed(error: unknown): unknown {
    if (!isStorageFailure(error)) return error;
    if (!this.failing) {
      this.failing = { reason: error.message, code: error.code, since: this.now() };
      const msg = 'storage failing: the database file cannot be used; requests that store, delete or read conversations get 503 until it recovers';
      this.options.log.error(msg, { db: this.options.file, code: error.code, error: error.message });
      const { probe } = this.options;
      if (probe) this.stopProbing = (this.options.every ?? realEvery)(() => this.probeQuietly(probe), this.options.probeIntervalMs ?? 5_000);
    }
    return storageUnavailable();
  }

  private recovered(): void {
    const failedForMs = this.now() - this.failing!.since;
    this.failing = null;
    this.stop();
    this.options.log.info('storage recovered: the database file accepts writes again', { db: this.options.file, failed_for_ms: failedForMs });
  }

  private probeQuietly(probe: () => void): void {
    try {
      this.write(probe);
    } catch (error) {
      // Still failing: the episode was logged when it began. Anything else is a bug.
      if (error instanceof GatewayError) return;
      this.options.log.error('storage probe failed', { db: this.options.file, error: (error as Error).message });
    }
  }
}
