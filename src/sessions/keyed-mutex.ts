// One turn at a time per session: waiters queue in arrival order, per key, and leave the
// queue when their request is aborted. Keys with no holder and no waiter use no memory.

export type Unlock = () => void;

interface Waiter {
  grant: (unlock: Unlock) => void;
}

export class KeyedMutex {
  private readonly queues = new Map<string, Waiter[]>();

  /** Resolves once the caller holds `key`; rejects with the signal's reason if it aborts first. */
  lock(key: string, signal?: AbortSignal): Promise<Unlock> {
    signal?.throwIfAborted();
    const queue = this.queues.get(key);
    if (!queue) {
      this.queues.set(key, []);
      return Promise.resolve(this.unlockFor(key));
    }
    return new Promise<Unlock>((resolve, reject) => {
      const waiter: Waiter = {
        grant: (unlock) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(unlock);
        },
      };
      const onAbort = () => {
        const i = queue.indexOf(waiter);
        if (i !== -1) queue.splice(i, 1);
        reject(signal!.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      queue.push(waiter);
    });
  }

  isLocked(key: string): boolean {
    return this.queues.has(key);
  }

  private unlockFor(key: string): Unlock {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const queue = this.queues.get(key)!;
      const next = queue.shift();
      if (next) next.grant(this.unlockFor(key));
      else this.queues.delete(key);
    };
  }
}
