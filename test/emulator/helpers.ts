// Shared helpers for the emulator tests: start/stop emulators, visit the page, post messages.

import { startEmulator } from '../../emulator/emulator.ts';
import type { Emulator, EmulatorOptions } from '../../emulator/types.ts';

export const MODEL = 'moonshotai/Kimi-K2-Instruct-0905';
export const KIMI_AJAX_RE = /var kimi_ajax = (\{.*?\});/;

/** Starts emulators and stops every one of them in stopAll (call it from afterEach). */
export function emulatorHarness() {
  const running: Emulator[] = [];
  return {
    start(options: EmulatorOptions = {}): Emulator {
      const emulator = startEmulator({ pageFillerBytes: 2_000, ...options });
      running.push(emulator);
      return emulator;
    },
    async stopAll(): Promise<void> {
      await Promise.all(running.splice(0).map((emulator) => emulator.stop()));
    },
  };
}

export interface PageVisit {
  response: Response;
  html: string;
  nonce: string;
  ajaxUrl: string;
  /** Cookie header to send back: the given cookie, or the cookies the page set. */
  cookie: string;
  setCookies: string[];
}

export async function visitPage(emulator: Emulator, cookie?: string): Promise<PageVisit> {
  const response = await fetch(`${emulator.url}/chat/`, { headers: cookie === undefined ? {} : { cookie } });
  const html = await response.text();
  const match = KIMI_AJAX_RE.exec(html);
  if (match?.[1] === undefined) throw new Error(`no kimi_ajax in page (status ${response.status})`);
  const ajax = JSON.parse(match[1]) as { ajax_url: string; nonce: string };
  const setCookies = response.headers.getSetCookie();
  return {
    response,
    html,
    nonce: ajax.nonce,
    ajaxUrl: ajax.ajax_url,
    cookie: cookie ?? setCookies.map((line) => line.split(';')[0]).join('; '),
    setCookies,
  };
}

export interface SendOptions {
  nonce?: string;
  cookie?: string;
  message?: string;
  model?: string;
  action?: string;
  sessionId?: string;
  signal?: AbortSignal;
}

export function sendMessage(emulator: Emulator, options: SendOptions = {}): Promise<Response> {
  const body = new URLSearchParams({
    action: options.action ?? 'kimi_send_message',
    nonce: options.nonce ?? '',
    message: options.message ?? 'Hello',
    model: options.model ?? MODEL,
    session_id: options.sessionId ?? 'session_1732200000000_abc123xyz',
  });
  const headers: Record<string, string> = {
    'content-type': 'application/x-www-form-urlencoded; charset=UTF-8',
    'x-requested-with': 'XMLHttpRequest',
  };
  if (options.cookie !== undefined) headers.cookie = options.cookie;
  return fetch(`${emulator.url}/wp-admin/admin-ajax.php`, {
    method: 'POST',
    body,
    headers,
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  });
}

/** Visits the page as `identity` and posts one message with the nonce it got. */
export async function sendAs(emulator: Emulator, identity: string, options: SendOptions = {}): Promise<Response> {
  const cookie = `kimi_visitor=${identity}`;
  const { nonce } = await visitPage(emulator, cookie);
  return sendMessage(emulator, { nonce, cookie, ...options });
}

/** Waits for an asynchronous server-side effect (e.g. a disconnect being noticed). */
export async function waitFor(condition: () => boolean, timeoutMs = 1_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await Bun.sleep(5);
  }
}

export type Settled =
  | { kind: 'fetch_rejected'; error: unknown }
  | { kind: 'body_failed'; status: number; error: unknown }
  | { kind: 'ok'; status: number; body: string };

/** Distinguishes "fetch rejected" from "headers arrived but the body read failed". */
export async function settle(request: Promise<Response>): Promise<Settled> {
  let response: Response;
  try {
    response = await request;
  } catch (error) {
    return { kind: 'fetch_rejected', error };
  }
  try {
    return { kind: 'ok', status: response.status, body: await response.text() };
  } catch (error) {
    return { kind: 'body_failed', status: response.status, error };
  }
}
