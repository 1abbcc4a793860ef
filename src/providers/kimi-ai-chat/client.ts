// The kimi-ai.chat client: fetches the chat page for a nonce, posts messages, and
// classifies every answer. Non-blocking I/O only; every call is bounded by a timeout and
// by the caller's AbortSignal, which reaches fetch so a gone client cancels it.
//
// Hostile-site rules: redirects are followed only within the site (redirects.ts), the
// message POST never; bodies are read up to UPSTREAM_MAX_BYTES (read-capped.ts); a cookie
// or nonce past its bounds is refused; details quote the site only redacted (redactor.ts).
// Each fetch first takes a slot of the process's FetchGate, and timers start only then:
// waiting for a connection is not the identity's latency (fetch-gate.ts).

import type { Logger } from '../../log.ts';
import { AjaxConfigError, extractAjaxConfig } from './ajax-config.ts';
import { browserHeaders, type BrowserHeaderSet } from './browser-headers.ts';
import { classifyHttpFailure, classifyUpstreamReply } from './classify.ts';
import type { CookieRefusal } from './cookie-jar.ts';
import { sharedFetchGate, type FetchGate } from '../fetch-gate.ts';
import type { UpstreamOutcome } from '../outcome.ts';
import type { SendJob, SendResult, SiteCheck } from '../provider.ts';
import { readCapped } from '../read-capped.ts';
import { proxySecrets, Redactor } from '../redactor.ts';
import { describeLocation, redirectDecision } from '../redirects.ts';
import { KimiIdentity, type NonceResult, type NonceState } from './identity.ts';
import { siteCheckOf, siteCheckOfPage } from './site-check.ts';

export interface KimiClientOptions {
  baseUrl: string;
  /** Refresh a nonce proactively once it is this old. */
  nonceMaxAgeMs: number;
  /** Upper bound for one chat-page fetch (shared by every request waiting on it), from the moment it holds a slot. */
  pageTimeoutMs?: number;
  /** Most bytes read from one upstream body, after decompression (UPSTREAM_MAX_BYTES). */
  maxBodyBytes?: number;
  /** More values to mask wherever the site's words are quoted: client API keys, the admin key. */
  secrets?: readonly string[];
  /** Default: the process-wide gate sized to Bun's fetch limit. */
  gate?: FetchGate;
  /** Where refused cookies are reported (name and reason, never the value). */
  log?: Logger;
  now?: () => number;
}


export const DEFAULT_UPSTREAM_MAX_BYTES = 2 * 1024 * 1024;
const MAX_REDIRECTS = 5;
const DEFAULT_AJAX_PATH = '/wp-admin/admin-ajax.php';


type PageResult = { ok: true; html: string } | { ok: false; outcome: UpstreamOutcome };

type Slot = { ok: true; release: () => void; waitedMs: number } | { ok: false; outcome: UpstreamOutcome; waitedMs: number };

export class KimiClient {
  private readonly baseUrl: string;
  private readonly site: URL;
  private readonly nonceMaxAgeMs: number;
  private readonly pageTimeoutMs: number;
  private readonly maxBodyBytes: number;
  private readonly secrets: readonly string[];
  private readonly gate: FetchGate;
  private readonly log: Logger | undefined;
  private readonly now: () => number;
  private readonly headerCache = new WeakMap<KimiIdentity, BrowserHeaderSet>();

  constructor(options: KimiClientOptions) {
    this.baseUrl = options.baseUrl;
    this.site = new URL(options.baseUrl);
    this.nonceMaxAgeMs = options.nonceMaxAgeMs;
    this.pageTimeoutMs = options.pageTimeoutMs ?? 20_000;
    this.maxBodyBytes = options.maxBodyBytes ?? DEFAULT_UPSTREAM_MAX_BYTES;
    this.secrets = options.secrets ?? [];
    this.gate = options.gate ?? sharedFetchGate();
    this.log = options.log;
    this.now = options.now ?? Date.now;
  }

  /** Sends one message; on a nonce rejection refreshes the nonce and retries once (when the job allows another call). */
  async send(identity: KimiIdentity, message: SendJob<KimiIdentity>): Promise<SendResult> {
    const startedAt = this.now();
    const { deadline } = message;
    let slotWaitMs = 0;
    let retried = false;
    const result = (outcome: UpstreamOutcome): SendResult => ({ outcome, slotWaitMs });
    for (;;) {
      // Another request here saw a refusal and waits for another instance's credentials: wait with it.
      if (!identity.nonce && identity.pendingShared) identity = (await this.waited(identity.pendingShared, (ms) => (slotWaitMs += ms))) ?? identity;
      const current = identity.nonce;
      let nonce: NonceResult;
      if (current && (!this.isStale(current) || (await this.someoneElseRefreshes(identity, message)))) nonce = { ok: true, nonce: current };
      else {
        const waitStart = this.now();
        nonce = await this.refreshNonce(identity, message.signal, deadline, message.refreshed);
        // A refresh joined late waited only part of the page's slot wait.
        slotWaitMs += Math.min(nonce.slotWaitMs ?? 0, this.now() - waitStart);
        // Only old, not refused: the site may still take it while the page cannot be fetched.
        if (!nonce.ok && current && !message.signal.aborted && this.now() < deadline) nonce = { ok: true, nonce: current };
      }
      if (!nonce.ok) return result(nonce.outcome);
      // The attempt's budget, less what has gone to slot waits; the deadline bounds everything.
      const budget = Math.min(message.timeoutMs - (this.now() - startedAt - slotWaitMs), deadline - this.now());
      const posted = await this.postMessage(identity, nonce.nonce, message, budget, deadline);
      slotWaitMs += posted.waitedMs;
      const { outcome } = posted;
      if (outcome.kind !== 'nonce_rejected') return result(outcome);
      if (retried) return result({ kind: 'nonce_rejected', detail: `${outcome.detail} (again, with a fresh nonce)`, afterRefresh: true });
      if (!(await message.mayCallAgain())) return result(outcome);
      retried = true;
      // Drop the nonce only if nobody replaced it meanwhile, so concurrent failures share one refresh.
      if (identity.nonce === nonce.nonce) identity.nonce = null;
      // Several instances: the one that claims the fetch fetches; the others take its nonce over.
      // The wait is not the identity's latency: it counts as a slot wait.
      identity = (await this.waited(this.sharedAfterRefusal(identity, nonce.nonce.value, message), (ms) => (slotWaitMs += ms))) ?? identity;
    }
  }

  /** One wait per identity in this process for the credentials another instance fetches after a refusal. */
  private sharedAfterRefusal(identity: KimiIdentity, refused: string, message: SendJob<KimiIdentity>): Promise<KimiIdentity | null> {
    if (!message.credentialsFromElsewhere) return Promise.resolve(null);
    identity.pendingShared ??= message
      .credentialsFromElsewhere(identity)
      .then(
        (shared) => (shared?.nonce && shared.nonce.value !== refused ? shared : null),
        () => null,
      )
      .finally(() => {
        identity.pendingShared = null;
      });
    return identity.pendingShared;
  }

  private async waited<T>(promise: Promise<T>, spent: (ms: number) => void): Promise<T> {
    const started = this.now();
    try {
      return await promise;
    } finally {
      spent(this.now() - started);
    }
  }

  /**
   * Starts (or joins) the identity's single in-flight refresh. The caller's signal (and
   * deadline) only stop its own wait; the refresh goes on for the others.
   */
  refreshNonce(identity: KimiIdentity, signal?: AbortSignal, deadline = Infinity, fetched?: () => void): Promise<NonceResult> {
    // `fetched` (the starter's) is told even if its own client has left: the others rely on the share.
    identity.pendingRefresh ??= this.fetchNonce(identity)
      .then((result) => {
        if (result.ok) fetched?.();
        return result;
      })
      .finally(() => {
        identity.pendingRefresh = null;
      });
    return signal || deadline !== Infinity ? raceWait(identity.pendingRefresh, signal, deadline - this.now()) : identity.pendingRefresh;
  }

  /** An old nonce another instance is already replacing: used until its new one arrives (the site still takes it). */
  private async someoneElseRefreshes(identity: KimiIdentity, message: SendJob<KimiIdentity>): Promise<boolean> {
    if (identity.pendingRefresh || !message.mayRefreshAged) return false;
    return !(await message.mayRefreshAged());
  }

  private isStale(nonce: NonceState): boolean {
    return this.now() - nonce.fetchedAt >= this.nonceMaxAgeMs;
  }

  private async fetchNonce(identity: KimiIdentity): Promise<NonceResult> {
    const slot = await this.takeSlot();
    if (!slot.ok) return { ok: false, outcome: slot.outcome, slotWaitMs: slot.waitedMs };
    const fail = (outcome: UpstreamOutcome): NonceResult => ({ ok: false, outcome: this.redacted(outcome, identity), slotWaitMs: slot.waitedMs });
    try {
      const page = await this.loadPage(identity, AbortSignal.timeout(this.pageTimeoutMs));
      if (!page.ok) return fail(page.outcome);
      const config = extractAjaxConfig(page.html);
      const nonce: NonceState = { value: config.nonce, ajaxPath: ajaxPath(config.ajaxUrl), fetchedAt: this.now() };
      identity.nonce = nonce;
      return { ok: true, nonce, slotWaitMs: slot.waitedMs };
    } catch (error) {
      if (error instanceof AjaxConfigError) return fail({ kind: 'protocol', detail: error.message });
      return fail(transportFailure(error, undefined, 'chat page'));
    } finally {
      slot.release();
    }
  }

  /**
   * The site's contract as a new anonymous visitor finds it: the chat page loads and carries
   * kimi_ajax with a nonce. A throwaway visitor (its own empty jar) makes the request, so no
   * identity's cookies or nonce are used or changed; `via` lends only a proxy and user agent.
   */
  async checkSite(signal: AbortSignal, via: { proxy?: string; userAgent?: string } = {}): Promise<SiteCheck> {
    const visitor = new KimiIdentity({ id: 'site-check', proxy: via.proxy, userAgent: via.userAgent }, this.now);
    const slot = await this.takeSlot(signal);
    if (!slot.ok) return siteCheckOf(slot.outcome);
    try {
      const page = await this.loadPage(visitor, AbortSignal.any([signal, AbortSignal.timeout(this.pageTimeoutMs)]), signal);
      if (!page.ok) return siteCheckOf(this.redacted(page.outcome, visitor));
      return siteCheckOfPage(page.html, this.redactorFor(visitor));
    } catch (error) {
      return siteCheckOf(this.redacted(transportFailure(error, signal, 'chat page'), visitor));
    } finally {
      slot.release();
    }
  }

  /**
   * GET the chat page as `visitor` (its cookies sent and stored, redirects followed only within
   * the site): the page's text, or the outcome that stopped it. Not redacted: callers do that.
   */
  private async loadPage(visitor: KimiIdentity, signal: AbortSignal, clientSignal?: AbortSignal): Promise<PageResult> {
    let url = new URL(`${this.baseUrl}/chat/`);
    try {
      for (let hop = 0; ; hop++) {
        const res = await fetch(url, {
          headers: this.headersFor(visitor).pageWith(visitor.jar.header()),
          redirect: 'manual',
          signal,
          proxy: visitor.proxy,
        });
        const refused = this.storeCookies(visitor, res.headers, 'chat page');
        if (refused) {
          await discard(res);
          return { ok: false, outcome: refused };
        }
        if (res.status >= 300 && res.status < 400 && res.headers.has('location')) {
          await discard(res);
          const next = redirectDecision(res.headers.get('location'), url, this.site);
          if ('refuse' in next) return { ok: false, outcome: { kind: 'protocol', detail: `the chat page answered HTTP ${res.status}, ${next.refuse}: not followed` } };
          if (hop >= MAX_REDIRECTS) return { ok: false, outcome: { kind: 'protocol', detail: `the chat page redirected more than ${MAX_REDIRECTS} times` } };
          url = next.follow;
          continue;
        }
        const body = await readCapped(res, this.maxBodyBytes);
        if (!body.ok) return { ok: false, outcome: this.tooLarge('chat page') };
        const failure = classifyHttpFailure({ status: res.status, headers: res.headers, body: body.text }, this.now(), this.redactorFor(visitor));
        if (failure) return { ok: false, outcome: failure.kind === 'nonce_rejected' ? asTransient(failure.detail) : failure };
        return { ok: true, html: body.text };
      }
    } catch (error) {
      return { ok: false, outcome: transportFailure(error, clientSignal, 'chat page') };
    }
  }

  private async postMessage(
    identity: KimiIdentity,
    nonce: NonceState,
    message: SendJob<KimiIdentity>,
    budgetMs: number,
    deadline: number,
  ): Promise<{ outcome: UpstreamOutcome; waitedMs: number }> {
    if (budgetMs <= 0) return { outcome: { kind: 'transient', detail: 'no time left before the request deadline', timedOut: true }, waitedMs: 0 };
    const slot = await this.takeSlot(message.signal, deadline);
    if (!slot.ok) return { outcome: slot.outcome, waitedMs: slot.waitedMs };
    // One controller for the client's signal and the attempt's timer (cheaper than AbortSignal.any + timeout).
    const aborter = new AbortController();
    const timer = setTimeout(() => aborter.abort(new DOMException('the attempt timed out', 'TimeoutError')), timerMs(Math.min(budgetMs, deadline - this.now())));
    const onClientAbort = () => aborter.abort(message.signal.reason);
    message.signal.addEventListener('abort', onClientAbort, { once: true });
    const done = (outcome: UpstreamOutcome) => ({ outcome: this.redacted(outcome, identity, nonce.value), waitedMs: slot.waitedMs });
    const url = `${this.baseUrl}${nonce.ajaxPath}`;
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: this.headersFor(identity).ajaxWith(identity.jar.header()),
        body: messageForm(nonce.value, message),
        redirect: 'manual',
        signal: aborter.signal,
        proxy: identity.proxy,
      });
      const refused = this.storeCookies(identity, res.headers, 'message');
      if (refused) {
        await discard(res);
        return done(refused);
      }
      if (res.status >= 300 && res.status < 400) {
        await discard(res);
        const where = describeLocation(res.headers.get('location'), new URL(url));
        return done({ kind: 'protocol', detail: `the site answered the message with HTTP ${res.status} to ${where}: a message is never redirected` });
      }
      const body = await readCapped(res, this.maxBodyBytes);
      if (!body.ok) return done(this.tooLarge('answer'));
      return done(classifyUpstreamReply({ status: res.status, headers: res.headers, body: body.text }, this.now(), this.redactorFor(identity, nonce.value)));
    } catch (error) {
      return done(transportFailure(error, message.signal, 'message'));
    } finally {
      clearTimeout(timer);
      message.signal.removeEventListener('abort', onClientAbort);
      slot.release();
    }
  }

  /** Waits for a connection slot; only the caller's signal and deadline end the wait (never the attempt timer). */
  private async takeSlot(signal?: AbortSignal, deadline = Infinity): Promise<Slot> {
    const start = this.now();
    const remaining = deadline - start;
    if (remaining <= 0) return { ok: false, outcome: deadlineOutcome('a free upstream connection'), waitedMs: 0 };
    const free = this.gate.tryAcquire();
    if (free) return { ok: true, release: free, waitedMs: 0 };
    const limit = remaining === Infinity ? signal : AbortSignal.any([...(signal ? [signal] : []), AbortSignal.timeout(timerMs(remaining))]);
    try {
      const release = await this.gate.acquire(limit);
      return { ok: true, release, waitedMs: this.now() - start };
    } catch {
      const waitedMs = this.now() - start;
      return { ok: false, outcome: signal?.aborted ? { kind: 'cancelled' } : deadlineOutcome('a free upstream connection'), waitedMs };
    }
  }

  /** Stores the response's cookies; a refused one makes the whole answer a protocol outcome. */
  private storeCookies(identity: KimiIdentity, headers: Headers, what: string): UpstreamOutcome | null {
    const refused: CookieRefusal[] = identity.jar.storeFrom(headers);
    if (refused.length === 0) return null;
    for (const r of refused) this.log?.warn('upstream cookie refused', { identity: identity.id, on: what, cookie: r.name, reason: r.reason });
    const first = refused[0]!;
    const more = refused.length > 1 ? ` (and ${refused.length - 1} more)` : '';
    return { kind: 'protocol', detail: `the ${what} set a cookie the gateway refused: ${first.name}, ${first.reason}${more}` };
  }

  private tooLarge(what: string): UpstreamOutcome {
    return { kind: 'protocol', detail: `the ${what} is larger than UPSTREAM_MAX_BYTES (${this.maxBodyBytes} bytes): reading stopped`, tooLarge: true };
  }

  /** Masks everything secret this identity holds (cookies, nonces, proxy credentials) and the configured keys. */
  private redactorFor(identity: KimiIdentity, sentNonce?: string): Redactor {
    return Redactor.deferred(() => {
      const cookies = identity.jar.snapshot();
      const secrets = [...Object.values(cookies).map((c) => c.value), ...proxySecrets(identity.proxy), ...this.secrets];
      if (identity.nonce) secrets.push(identity.nonce.value);
      if (sentNonce) secrets.push(sentNonce);
      return { secrets, names: Object.keys(cookies) };
    });
  }

  /** Details built from error messages and the gateway's own words pass through the redactor too. */
  private redacted(outcome: UpstreamOutcome, identity: KimiIdentity, sentNonce?: string): UpstreamOutcome {
    if (outcome.kind === 'ok' || outcome.kind === 'cancelled') return outcome;
    const redactor = this.redactorFor(identity, sentNonce);
    if (outcome.kind === 'refused') return { ...outcome, reason: redactor.redact(outcome.reason) };
    return { ...outcome, detail: redactor.redact(outcome.detail) };
  }

  private headersFor(identity: KimiIdentity): BrowserHeaderSet {
    let set = this.headerCache.get(identity);
    if (!set) {
      set = browserHeaders(this.baseUrl, identity.userAgent);
      this.headerCache.set(identity, set);
    }
    return set;
  }
}

/**
 * The form the site's page posts (application/x-www-form-urlencoded). Built by hand: the
 * same fields URLSearchParams would give, for a fraction of its cost per message. A lone
 * surrogate in the prompt becomes U+FFFD, as URLSearchParams would make it.
 */
function messageForm(nonce: string, job: SendJob<KimiIdentity>): string {
  return (
    `action=kimi_send_message&nonce=${encodeURIComponent(nonce)}&message=${encodeURIComponent(job.prompt.toWellFormed())}` +
    `&model=${encodeURIComponent(job.model.upstream)}&session_id=${encodeURIComponent(job.conversation)}`
  );
}

/** Ends a response whose body is not wanted, so its connection (and Bun's fetch slot) is freed. */
async function discard(res: Response): Promise<void> {
  await res.body?.cancel().catch(() => undefined);
}

/** Only the path of the page's ajax_url is used: the gateway never follows it to another host. */
function ajaxPath(ajaxUrl: string | null): string {
  if (!ajaxUrl) return DEFAULT_AJAX_PATH;
  try {
    return new URL(ajaxUrl, 'http://placeholder').pathname || DEFAULT_AJAX_PATH;
  } catch {
    return DEFAULT_AJAX_PATH;
  }
}

function asTransient(detail: string): UpstreamOutcome {
  return { kind: 'transient', detail, timedOut: false };
}

function deadlineOutcome(what: string): UpstreamOutcome {
  return { kind: 'transient', detail: `no ${what} before the request deadline`, timedOut: true };
}

/** setTimeout and AbortSignal.timeout overflow past 2^31-1 ms. */
function timerMs(ms: number): number {
  return Math.max(1, Math.min(ms, 2_147_483_647));
}

function transportFailure(error: unknown, clientSignal: AbortSignal | undefined, what: string): UpstreamOutcome {
  if (clientSignal?.aborted) return { kind: 'cancelled' };
  const e = error as { name?: string; code?: string; message?: string };
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') {
    return { kind: 'transient', detail: `timed out waiting for the ${what}`, timedOut: true };
  }
  const reason = e?.code ?? String(e?.message ?? error).replace(/\s+/g, ' ').slice(0, 80);
  return { kind: 'transient', detail: `network error on the ${what}: ${reason}`, timedOut: false };
}

/** Waits for a shared refresh until it settles, the caller's signal aborts, or `timeoutMs` passes. */
function raceWait(promise: Promise<NonceResult>, signal: AbortSignal | undefined, timeoutMs: number): Promise<NonceResult> {
  if (signal?.aborted) return Promise.resolve({ ok: false, outcome: { kind: 'cancelled' } });
  if (timeoutMs <= 0) return Promise.resolve({ ok: false, outcome: deadlineOutcome('nonce') });
  return new Promise((resolve) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const finish = (result: NonceResult): void => {
      signal?.removeEventListener('abort', onAbort);
      clearTimeout(timer);
      resolve(result);
    };
    const onAbort = (): void => finish({ ok: false, outcome: { kind: 'cancelled' } });
    signal?.addEventListener('abort', onAbort, { once: true });
    if (timeoutMs !== Infinity) timer = setTimeout(() => finish({ ok: false, outcome: deadlineOutcome('nonce') }), timerMs(timeoutMs));
    void promise.then(finish);
  });
}
