// A FIFO semaphore in front of fetch. Bun runs at most BUN_CONFIG_MAX_HTTP_REQUESTS
// fetches at once per process (default 256) and queues the rest inside fetch, where an
// attempt timer started before the call would count the wait against the identity. The
// client takes a slot here first and starts its timers once it holds one; a slot is held
// until the body has been read or cancelled, as Bun's own is.
//
// Measured (bun 1.4.5, source and compiled binary): the variable is read once at process
// start. Set in process.env (or with setenv) at run time, even before the first fetch,
// it has no effect; outside 1-65535 Bun prints an error and keeps 256.

export const BUN_DEFAULT_MAX_HTTP_REQUESTS = 256;
export const BUN_MAX_HTTP_REQUESTS_LIMIT = 65_535;

/** The process's fetch concurrency as Bun sees it, from the environment the process started with. */
export function processFetchLimit(env: Record<string, string | undefined> = process.env): number {
  const raw = env.BUN_CONFIG_MAX_HTTP_REQUESTS?.trim();
  if (!raw || !/^\d+$/.test(raw)) return BUN_DEFAULT_MAX_HTTP_REQUESTS;
  const n = Number(raw);
  return n >= 1 && n <= BUN_MAX_HTTP_REQUESTS_LIMIT ? n : BUN_DEFAULT_MAX_HTTP_REQUESTS;
}

export class FetchSlotAborted extends Error {
  override name = 'AbortError';
  constructor() {
    super('gave up waiting for a free upstream connection slot');
  }
}

interface Waiter {
  grant: () => void;
}

export class FetchGate {
  private inUse = 0;
  private readonly waiters: Waiter[] = [];

  constructor(readonly size: number) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`fetch gate size must be a positive integer, got ${size}`);
  }

  get active(): number {
    return this.inUse;
  }

  get waiting(): number {
    return this.waiters.length;
  }

  /** A release function when a slot is free right now (nobody waiting), else null: no promise, no signal. */
  tryAcquire(): (() => void) | null {
    if (this.inUse >= this.size || this.waiting > 0) return null;
    this.inUse++;
    return this.releaser();
  }

  /**
   * Resolves with a release function once a slot is free (at once when one is). Rejects
   * with an AbortError if `signal` aborts first; the slot is then never taken.
   */
  acquire(signal?: AbortSignal): Promise<() => void> {
    if (signal?.aborted) return Promise.reject(new FetchSlotAborted());
    if (this.inUse < this.size && this.waiting === 0) {
      this.inUse++;
      return Promise.resolve(this.releaser());
    }
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        grant: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve(this.releaser());
        },
      };
      const onAbort = (): void => {
        const at = this.waiters.indexOf(waiter);
        if (at >= 0) this.waiters.splice(at, 1);
        reject(new FetchSlotAborted());
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      // The slot passes straight to the next waiter (inUse unchanged). JSC's shift() on a plain array is O(1).
      const next = this.waiters.shift();
      if (next) next.grant();
      else this.inUse--;
    };
  }
}

let processGate: FetchGate | null = null;

/** One gate per process, as Bun's fetch limit is per process. */
export function sharedFetchGate(): FetchGate {
  processGate ??= new FetchGate(processFetchLimit());
  return processGate;
}
