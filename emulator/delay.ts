// An abortable wait: resolves after `ms`, or as soon as any of the signals aborts.

/** Resolves true when the full time elapsed, false when cut short by an abort. */
export function delay(ms: number, signals: readonly AbortSignal[]): Promise<boolean> {
  if (ms <= 0) return Promise.resolve(true);
  if (signals.some((signal) => signal.aborted)) return Promise.resolve(false);
  return new Promise((resolve) => {
    const finish = (completed: boolean): void => {
      clearTimeout(timer);
      for (const signal of signals) signal.removeEventListener('abort', onAbort);
      resolve(completed);
    };
    const onAbort = (): void => finish(false);
    const timer = setTimeout(() => finish(true), ms);
    for (const signal of signals) signal.addEventListener('abort', onAbort, { once: true });
  });
}
