// ALERT_WEBHOOK_URL: alerts as JSON POSTs, off the request path. notify() only records the
// change; a short window coalesces a burst into one POST, each subject keeps only its latest
// state, a change back to the last state sent is dropped, and a flapping identity (or pool)
// is heard of at most once per hold time. POSTs go out one at a time from a bounded queue
// (the oldest dropped when full), retried with exponential backoff on network errors,
// timeouts, 429 and 5xx, a bounded number of times. Redirects are not followed; the answer
// is read up to a few KB. Every text field is redacted again before it leaves, and the URL
// (its path or query may hold a token) is never logged: only its origin.

import type { Logger } from '../../log.ts';
import { backoffDelay } from '../../pool/backoff.ts';
import { REAL_TIMERS, timerDelay, type PoolTimers, type TimerHandle } from '../../pool/pool-timers.ts';
import { readCapped } from '../../providers/read-capped.ts';
import { Redactor } from '../../providers/redactor.ts';
import { parseRetryAfter } from '../../providers/retry-after.ts';
import { alertPayload, type Alert, type AlertPayload, type AlertRecord } from './alert.ts';

export interface AlertWebhookOptions {
  url: string;
  /** The site's name, in every payload. */
  site: string;
  version: string;
  log: Logger;
  /** Masks every secret the gateway knows; asked once per POST. */
  redactor?: () => Redactor;
  /** Changes within this window after the first go out in one POST. */
  windowMs?: number;
  /** A damped subject (an identity, the pool) is posted about at most once per this. */
  holdMs?: number;
  /** Tries per POST, the first included. */
  maxAttempts?: number;
  retryBaseMs?: number;
  retryMaxMs?: number;
  /** Bound of one POST, answer included. */
  timeoutMs?: number;
  /** POSTs waiting to be sent; beyond it the oldest waiting one is dropped. */
  maxQueue?: number;
  now?: () => number;
  timers?: PoolTimers;
  random?: () => number;
}

export interface AlertWebhookStats {
  sent: number;
  failed: number;
  dropped: number;
  /** Subjects with a change not yet posted. */
  pending: number;
  /** POSTs waiting or in flight. */
  queued: number;
}

export const ALERT_DEFAULTS = {
  windowMs: 2_000,
  holdMs: 60_000,
  maxAttempts: 5,
  retryBaseMs: 1_000,
  retryMaxMs: 60_000,
  timeoutMs: 10_000,
  maxQueue: 50,
} as const;

/** Enough of a webhook's answer to end the exchange; nobody reads it. */
const MAX_ANSWER_BYTES = 4_096;
/** Text fields are cut to this (the site's words are already short). */
const MAX_FIELD = 300;

interface Pending {
  alert: Alert;
  changes: number;
}

type Delivery = { ok: true } | { ok: false; retry: boolean; error: string; retryAfterMs?: number | null };

export class AlertWebhook {
  private readonly o: Required<Omit<AlertWebhookOptions, 'redactor'>> & { redactor: () => Redactor };
  private readonly origin: string;
  private readonly pending = new Map<string, Pending>();
  /** Per subject: the last state posted and when. */
  private readonly posted = new Map<string, { state: string; at: number }>();
  private readonly queue: AlertPayload[] = [];
  private flushTimer: TimerHandle | undefined;
  private flushAt = Infinity;
  private sending = false;
  private closed = false;
  private readonly aborter = new AbortController();
  private wakeSleeper: (() => void) | null = null;
  private idleWaiters: Array<() => void> = [];
  private counts = { sent: 0, failed: 0, dropped: 0 };

  constructor(options: AlertWebhookOptions) {
    this.o = {
      ...ALERT_DEFAULTS,
      now: Date.now,
      timers: REAL_TIMERS,
      random: Math.random,
      redactor: () => Redactor.none,
      ...stripUndefined(options),
    };
    this.origin = webhookOrigin(options.url);
  }

  get stats(): AlertWebhookStats {
    return { ...this.counts, pending: this.pending.size, queued: this.queue.length };
  }

  /** Records a change; returns at once. */
  notify(alert: Alert): void {
    if (this.closed) return;
    const before = this.pending.get(alert.subject);
    this.pending.set(alert.subject, { alert, changes: (before?.changes ?? 0) + 1 });
    this.scheduleFlush(this.o.now() + this.o.windowMs, false);
  }

  /** Posts what is pending now (holds ignored) and waits up to `graceMs` for the queue; then stops. */
  async close(graceMs: number): Promise<void> {
    if (this.closed) return;
    this.o.timers.clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    this.flush(true);
    if (this.queue.length > 0) {
      let timer: TimerHandle | undefined;
      await Promise.race([this.idle(), new Promise<void>((resolve) => (timer = this.o.timers.setTimeout(resolve, graceMs)))]);
      this.o.timers.clearTimeout(timer);
    }
    this.closed = true;
    this.aborter.abort();
    this.wakeSleeper?.();
  }

  /** Resolves once nothing is queued or in flight. */
  idle(): Promise<void> {
    if (this.queue.length === 0 && !this.sending) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Arms the flush for `at` unless one is due sooner (`force`: re-arm even if one is due later). */
  private scheduleFlush(at: number, force: boolean): void {
    if (this.flushTimer !== undefined && this.flushAt <= at && !force) return;
    this.o.timers.clearTimeout(this.flushTimer);
    this.flushAt = at;
    this.flushTimer = this.o.timers.setTimeout(() => {
      this.flushTimer = undefined;
      this.flushAt = Infinity;
      this.flush(false);
    }, timerDelay(at - this.o.now(), this.o.holdMs + this.o.windowMs));
  }

  /** Turns the pending changes that are due into one POST; held ones wait for their hold to end. */
  private flush(ignoreHolds: boolean): void {
    const now = this.o.now();
    const records: AlertRecord[] = [];
    let nextDue = Infinity;
    for (const [subject, { alert, changes }] of this.pending) {
      const last = this.posted.get(subject);
      const heldUntil = alert.damped && last && !ignoreHolds ? last.at + this.o.holdMs : -Infinity;
      if (heldUntil > now) {
        nextDue = Math.min(nextDue, heldUntil);
        continue;
      }
      this.pending.delete(subject);
      // Back where the last POST (or the quiet state) left it: nothing to say.
      if (alert.state === (last?.state ?? alert.quiet)) continue;
      this.posted.set(subject, { state: alert.state, at: now });
      records.push(this.record(alert, changes));
    }
    if (nextDue !== Infinity) this.scheduleFlush(nextDue, true);
    if (records.length === 0) return;
    this.enqueue(alertPayload(records, this.o.site, this.o.version, now));
  }

  private record(alert: Alert, changes: number): AlertRecord {
    return {
      event: alert.event,
      identity: alert.identity,
      state: alert.state,
      reason: alert.reason,
      excerpt: alert.excerpt,
      at: new Date(alert.at).toISOString(),
      changes,
      text: alert.text,
    };
  }

  private enqueue(payload: AlertPayload): void {
    this.queue.push(payload);
    // The one in flight stays; the oldest waiting one goes.
    while (this.queue.length > this.o.maxQueue) {
      const dropped = this.queue.splice(this.sending ? 1 : 0, 1)[0]!;
      this.counts.dropped++;
      this.o.log.warn('alert queue full: the oldest waiting alert was dropped', { webhook: this.origin, event: dropped.event, queue_max: this.o.maxQueue });
    }
    void this.pump();
  }

  private async pump(): Promise<void> {
    if (this.sending) return;
    this.sending = true;
    try {
      while (this.queue.length > 0 && !this.closed) {
        await this.deliver(this.queue[0]!);
        this.queue.shift();
      }
    } finally {
      this.sending = false;
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const resolve of waiters) resolve();
    }
  }

  private async deliver(payload: AlertPayload): Promise<void> {
    const body = JSON.stringify(redactPayload(payload, this.o.redactor()));
    for (let attempt = 1; ; attempt++) {
      const result = await this.post(body);
      if (result.ok) {
        this.counts.sent++;
        this.o.log.debug('alert sent', { webhook: this.origin, event: payload.event, attempts: attempt });
        return;
      }
      if (!result.retry || attempt >= this.o.maxAttempts || this.closed) {
        this.counts.failed++;
        this.o.log.warn('alert not delivered to the webhook', { webhook: this.origin, event: payload.event, attempts: attempt, error: result.error });
        return;
      }
      const backoff = backoffDelay(attempt - 1, { baseMs: this.o.retryBaseMs, maxMs: this.o.retryMaxMs, random: this.o.random });
      await this.sleep(Math.min(this.o.retryMaxMs, result.retryAfterMs ?? backoff));
    }
  }

  private async post(body: string): Promise<Delivery> {
    const signal = AbortSignal.any([this.aborter.signal, AbortSignal.timeout(this.o.timeoutMs)]);
    try {
      const res = await fetch(this.o.url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'User-Agent': `kimi-gateway/${this.o.version}` },
        body,
        redirect: 'manual',
        signal,
      });
      await readCapped(res, MAX_ANSWER_BYTES);
      const { status } = res;
      if (status >= 200 && status < 300) return { ok: true };
      if (status >= 300 && status < 400) {
        return { ok: false, retry: false, error: `HTTP ${status}: a redirect, not followed (point ALERT_WEBHOOK_URL at its target)` };
      }
      if (status === 408 || status === 429 || status >= 500) {
        return { ok: false, retry: true, error: `HTTP ${status}`, retryAfterMs: parseRetryAfter(res.headers.get('retry-after'), this.o.now()) };
      }
      return { ok: false, retry: false, error: `HTTP ${status}` };
    } catch (error) {
      // Only the error's name or code: a message may quote the URL.
      const e = error as { name?: string; code?: string };
      const timedOut = e?.name === 'TimeoutError' || (e?.name === 'AbortError' && !this.aborter.signal.aborted);
      return { ok: false, retry: true, error: timedOut ? `no answer within ${this.o.timeoutMs} ms` : `network error: ${e?.code ?? e?.name ?? 'unknown'}` };
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const handle = this.o.timers.setTimeout(() => {
        this.wakeSleeper = null;
        resolve();
      }, ms);
      this.wakeSleeper = () => {
        this.o.timers.clearTimeout(handle);
        this.wakeSleeper = null;
        resolve();
      };
    });
  }
}

/** Scheme, host and port: what a log line may say of the webhook. */
export function webhookOrigin(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return '(unreadable URL)';
  }
}

/** What in a webhook URL may be a token: the whole URL, its path, its query and each query value, its credentials. */
export function webhookSecrets(url: string): string[] {
  const out = [url];
  try {
    const u = new URL(url);
    if (u.pathname !== '/') out.push(u.pathname, ...u.pathname.split('/').filter((part) => part.length >= 8));
    if (u.search) out.push(u.search.slice(1), ...[...u.searchParams.values()]);
    for (const part of [u.username, u.password]) if (part) out.push(part);
  } catch {
    // Not a URL: the whole string is all there is to hide.
  }
  return out;
}

function redactPayload(payload: AlertPayload, redactor: Redactor): AlertPayload {
  const text = (value: string, max = MAX_FIELD): string => redactor.excerpt(value, max);
  const maybe = (value: string | null): string | null => (value === null ? null : text(value));
  return {
    ...payload,
    text: text(payload.text, 1_000),
    reason: maybe(payload.reason),
    excerpt: maybe(payload.excerpt),
    alerts: payload.alerts.map((r) => ({ ...r, text: text(r.text), reason: maybe(r.reason), excerpt: maybe(r.excerpt) })),
  };
}

function stripUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
