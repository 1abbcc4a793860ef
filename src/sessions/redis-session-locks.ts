// One turn at a time per session across instances: a lock key per session (SET NX PX with a
// random token), renewed while the turn runs, released by compare-and-delete so a holder
// never frees a lock that expired and went to someone else. A release is published: an
// instance waiting for that session tries again at once. A slow poll covers a lost event and
// a holder that died (its lock expires: LOCK_TTL_MS). SessionService keeps its in-process
// KeyedMutex in front, so only one waiter per session and instance asks Redis.

import type { Script, SharedState } from '../store/redis/shared-state.ts';
import { sessionKeys, type SessionKeys } from '../store/redis/session-keys.ts';

/** Frees the session for the other instances; never rejects (a lock Redis could not free expires by itself). */
export type ReleaseSharedLock = () => Promise<void>;

export interface SharedSessionLocks {
  /** Resolves once this instance holds (owner, id); rejects when `signal` aborts first or Redis does not answer (503). */
  acquire(owner: string, id: string, signal: AbortSignal): Promise<ReleaseSharedLock>;
}

export interface RedisSessionLocksOptions {
  /** How long a lock outlives a holder that stopped renewing it (default 30 s). */
  ttlMs?: number;
  /** Longest wait between two tries when no release event arrives (default 1 s). */
  pollMs?: number;
}

const LOCK_TTL_MS = 30_000;
const POLL_MS = 1_000;
const UNLOCKED = 'session-unlocked';

const RENEW: Script = {
  name: 'session-lock-renew',
  lua: "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end return 0",
};
/**
 * KEYS: lock, its waiters flag. ARGV: token, channel, unlocked event. Compare-and-delete; the
 * release is announced only when some instance flagged that it waits (most turns wait for none).
 */
const RELEASE: Script = {
  name: 'session-lock-release',
  lua: `if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
if redis.call('DEL', KEYS[2]) == 1 then redis.call('PUBLISH', ARGV[2], ARGV[3]) end
return 1`,
};

export class RedisSessionLocks implements SharedSessionLocks {
  private readonly keys: SessionKeys;
  private readonly ttlMs: number;
  private readonly pollMs: number;
  /** Per lock key, the waiters of this instance to wake when another instance releases it. */
  private readonly waiting = new Map<string, Set<() => void>>();

  constructor(
    private readonly shared: SharedState,
    options: RedisSessionLocksOptions = {},
  ) {
    this.keys = sessionKeys(shared.prefix);
    this.ttlMs = options.ttlMs ?? LOCK_TTL_MS;
    this.pollMs = options.pollMs ?? POLL_MS;
    shared.onEvent((event) => {
      if (event.type === UNLOCKED && typeof event.lock === 'string') this.wake(event.lock);
    });
  }

  async acquire(owner: string, id: string, signal: AbortSignal): Promise<ReleaseSharedLock> {
    const key = this.keys.lock(owner, id);
    const token = crypto.randomUUID();
    for (;;) {
      signal.throwIfAborted();
      // Listening before trying: a release between the try and the wait is not missed.
      const wait = this.nextWake(key, signal);
      let taken: unknown;
      try {
        taken = await this.shared.send('SET', [key, token, 'NX', 'PX', this.ttlMs]);
        if (taken !== 'OK') {
          // Held: flag that someone waits (so its release is announced), then try once more, so a
          // release between the first try and the flag is not missed.
          await this.shared.send('SET', [`${key}:waiting`, '1', 'PX', this.ttlMs]);
          taken = await this.shared.send('SET', [key, token, 'NX', 'PX', this.ttlMs]);
        }
      } catch (error) {
        wait.cancel();
        throw error;
      }
      if (taken === 'OK') {
        wait.cancel();
        return this.hold(key, token);
      }
      await wait.done;
    }
  }

  private hold(key: string, token: string): ReleaseSharedLock {
    // A failed renewal is not fatal: the next one may pass; a lock lost meanwhile only lets another turn start.
    const renew = () => void this.shared.run(RENEW, [key], [token, this.ttlMs]).catch(() => undefined);
    const renewal = setInterval(renew, Math.max(10, Math.floor(this.ttlMs / 3)));
    renewal.unref?.();
    let released = false;
    return async () => {
      if (released) return;
      released = true;
      clearInterval(renewal);
      try {
        await this.shared.run<number>(RELEASE, [key, `${key}:waiting`], [token, ...this.shared.eventArgs({ type: UNLOCKED, lock: key })]);
      } catch {
        // Redis is away: the lock expires by itself within ttlMs.
      }
    };
  }

  /** Resolves on a release event for `key` or after the poll interval; rejects when `signal` aborts. */
  private nextWake(key: string, signal: AbortSignal): { done: Promise<void>; cancel: () => void } {
    let finish!: () => void;
    let fail!: (reason: unknown) => void;
    const done = new Promise<void>((resolve, reject) => {
      finish = resolve;
      fail = reject;
    });
    const waiters = this.waiting.get(key) ?? new Set<() => void>();
    this.waiting.set(key, waiters);
    const cancel = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      waiters.delete(wake);
      if (waiters.size === 0 && this.waiting.get(key) === waiters) this.waiting.delete(key);
    };
    const wake = () => {
      cancel();
      finish();
    };
    const onAbort = () => {
      cancel();
      fail(signal.reason);
    };
    const timer = setTimeout(wake, this.pollMs);
    signal.addEventListener('abort', onAbort, { once: true });
    waiters.add(wake);
    // Nobody awaits `done` when the first try succeeds.
    done.catch(() => undefined);
    return { done, cancel };
  }

  private wake(key: string): void {
    for (const wake of [...(this.waiting.get(key) ?? [])]) wake();
  }
}
