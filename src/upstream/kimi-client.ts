// The kimi-ai.chat client: fetches the chat page for a nonce, posts messages, and
// classifies every answer. Non-blocking I/O only; every call is bounded by a timeout
// and by the caller's AbortSignal, which reaches fetch so a gone client cancels it.

import { AjaxConfigError, extractAjaxConfig } from './ajax-config.ts';
import { browserHeaders, type BrowserHeaderSet } from './browser-headers.ts';
import { classifyHttpFailure, classifyUpstreamReply, excerpt } from './classify.ts';
import type { UpstreamOutcome } from './outcome.ts';
import type { NonceResult, NonceState, UpstreamIdentity } from './upstream-identity.ts';

export interface KimiClientOptions {
  baseUrl: string;
  /** Refresh a nonce proactively once it is this old. */
  nonceMaxAgeMs: number;
  /** Upper bound for one chat-page fetch (shared by every request waiting on it). */
  pageTimeoutMs?: number;
  now?: () => number;
}

export interface SendMessage {
  prompt: string;
  upstreamModel: string;
  sessionId: string;
  signal: AbortSignal;
  timeoutMs: number;
  /** Asked before the one retry after a nonce refresh (an extra call against the rpm budget). */
  mayRetry?: () => boolean;
}

export interface SendResult {
  outcome: UpstreamOutcome;
  /** HTTP calls made upstream for this send (page fetches included). */
  upstreamCalls: number;
}

const MAX_REDIRECTS = 5;
const DEFAULT_AJAX_PATH = '/wp-admin/admin-ajax.php';

export class KimiClient {
  private readonly baseUrl: string;
  private readonly nonceMaxAgeMs: number;
  private readonly pageTimeoutMs: number;
  private readonly now: () => number;
  private readonly headerCache = new WeakMap<UpstreamIdentity, BrowserHeaderSet>();

  constructor(options: KimiClientOptions) {
    this.baseUrl = options.baseUrl;
    this.nonceMaxAgeMs = options.nonceMaxAgeMs;
    this.pageTimeoutMs = options.pageTimeoutMs ?? 20_000;
    this.now = options.now ?? Date.now;
  }

  /** Sends one message; on a nonce rejection refreshes the nonce and retries once. */
  async send(identity: UpstreamIdentity, message: SendMessage): Promise<SendResult> {
    const deadline = this.now() + message.timeoutMs;
    let calls = 0;
    let retried = false;
    for (;;) {
      const current = identity.nonce;
      let nonce: NonceResult;
      if (current && !this.isStale(current)) nonce = { ok: true, nonce: current };
      else {
        calls++;
        nonce = await this.refreshNonce(identity, message.signal);
      }
      if (!nonce.ok) return { outcome: nonce.outcome, upstreamCalls: calls };
      calls++;
      const outcome = await this.postMessage(identity, nonce.nonce, message, deadline - this.now());
      if (outcome.kind !== 'nonce_rejected') return { outcome, upstreamCalls: calls };
      if (retried) {
        return { outcome: { kind: 'nonce_rejected', detail: `${outcome.detail} (again, with a fresh nonce)`, afterRefresh: true }, upstreamCalls: calls };
      }
      if (message.mayRetry && !message.mayRetry()) return { outcome, upstreamCalls: calls };
      retried = true;
      // Drop the nonce only if nobody replaced it meanwhile, so concurrent failures share one refresh.
      if (identity.nonce === nonce.nonce) identity.nonce = null;
    }
  }

  /** Starts (or joins) the identity's single in-flight refresh. The caller's signal only stops its own wait. */
  refreshNonce(identity: UpstreamIdentity, signal?: AbortSignal): Promise<NonceResult> {
    identity.pendingRefresh ??= this.fetchNonce(identity).finally(() => {
      identity.pendingRefresh = null;
    });
    return signal ? raceAbort(identity.pendingRefresh, signal) : identity.pendingRefresh;
  }

  private isStale(nonce: NonceState): boolean {
    return this.now() - nonce.fetchedAt >= this.nonceMaxAgeMs;
  }

  private async fetchNonce(identity: UpstreamIdentity): Promise<NonceResult> {
    const signal = AbortSignal.timeout(this.pageTimeoutMs);
    let url = `${this.baseUrl}/chat/`;
    try {
      for (let hop = 0; ; hop++) {
        const res = await fetch(url, {
          headers: { ...this.headersFor(identity).page, ...cookieHeader(identity) },
          redirect: 'manual',
          signal,
          proxy: identity.proxy,
        });
        identity.jar.storeFrom(res.headers);
        const location = res.headers.get('location');
        if (res.status >= 300 && res.status < 400 && location && hop < MAX_REDIRECTS) {
          await res.body?.cancel();
          url = new URL(location, url).href;
          continue;
        }
        const body = await res.text();
        const failure = classifyHttpFailure({ status: res.status, headers: res.headers, body }, this.now());
        if (failure) return { ok: false, outcome: failure.kind === 'nonce_rejected' ? asTransient(failure.detail) : failure };
        const config = extractAjaxConfig(body);
        const nonce: NonceState = { value: config.nonce, ajaxPath: ajaxPath(config.ajaxUrl), fetchedAt: this.now() };
        identity.nonce = nonce;
        return { ok: true, nonce };
      }
    } catch (error) {
      if (error instanceof AjaxConfigError) return { ok: false, outcome: { kind: 'protocol', detail: error.message } };
      return { ok: false, outcome: transportFailure(error, undefined, 'chat page') };
    }
  }

  private async postMessage(identity: UpstreamIdentity, nonce: NonceState, message: SendMessage, timeoutMs: number): Promise<UpstreamOutcome> {
    if (timeoutMs <= 0) return { kind: 'transient', detail: 'no time left before the request deadline', timedOut: true };
    const signal = AbortSignal.any([message.signal, AbortSignal.timeout(timeoutMs)]);
    const form = new URLSearchParams({
      action: 'kimi_send_message',
      nonce: nonce.value,
      message: message.prompt,
      model: message.upstreamModel,
      session_id: message.sessionId,
    });
    try {
      const res = await fetch(`${this.baseUrl}${nonce.ajaxPath}`, {
        method: 'POST',
        headers: { ...this.headersFor(identity).ajax, ...cookieHeader(identity) },
        body: form.toString(),
        redirect: 'manual',
        signal,
        proxy: identity.proxy,
      });
      identity.jar.storeFrom(res.headers);
      const body = await res.text();
      return classifyUpstreamReply({ status: res.status, headers: res.headers, body }, this.now());
    } catch (error) {
      return transportFailure(error, message.signal, 'message');
    }
  }

  private headersFor(identity: UpstreamIdentity): BrowserHeaderSet {
    let set = this.headerCache.get(identity);
    if (!set) {
      set = browserHeaders(this.baseUrl, identity.userAgent);
      this.headerCache.set(identity, set);
    }
    return set;
  }
}

function cookieHeader(identity: UpstreamIdentity): Record<string, string> {
  const cookie = identity.jar.header();
  return cookie ? { Cookie: cookie } : {};
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

function transportFailure(error: unknown, clientSignal: AbortSignal | undefined, what: string): UpstreamOutcome {
  if (clientSignal?.aborted) return { kind: 'cancelled' };
  const e = error as { name?: string; code?: string; message?: string };
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') {
    return { kind: 'transient', detail: `timed out waiting for the ${what}`, timedOut: true };
  }
  return { kind: 'transient', detail: `network error on the ${what}: ${e?.code ?? excerpt(String(e?.message ?? error), 80)}`, timedOut: false };
}

function raceAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T | { ok: false; outcome: UpstreamOutcome }> {
  if (signal.aborted) return Promise.resolve({ ok: false, outcome: { kind: 'cancelled' } });
  return new Promise((resolve) => {
    const onAbort = () => resolve({ ok: false, outcome: { kind: 'cancelled' } });
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then((value) => {
      signal.removeEventListener('abort', onAbort);
      resolve(value);
    });
  });
}
