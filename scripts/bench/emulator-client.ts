// Talking to the emulator directly: as a browser would (chat page for a cookie and a
// nonce, then admin-ajax posts) for the "emulator alone" ceiling, and its control API.

import type { Outcome } from './load.ts';
import { checkReply, readTimedBody, transportErrorKind } from './http-timing.ts';

export const UPSTREAM_MODEL = 'moonshotai/Kimi-K2-Instruct-0905';

const USER_AGENT = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
const SESSION_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

/** One browser visitor of the emulator: its cookies and the nonce its page carried. */
export interface EmulatorVisitor {
  baseUrl: string;
  cookie: string;
  nonce: string;
  /** Request headers for admin-ajax, built once (the same set a browser page sends). */
  headers: Record<string, string>;
  replyLength: number;
}

export async function visitChatPage(baseUrl: string, replyLength: number, signal: AbortSignal): Promise<EmulatorVisitor> {
  const response = await fetch(`${baseUrl}/chat/`, {
    headers: { 'User-Agent': USER_AGENT, Accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' },
    signal,
  });
  const html = await response.text();
  if (response.status !== 200) throw new Error(`GET /chat/ answered ${response.status}`);
  const nonce = /"nonce":"([^"]+)"/.exec(html)?.[1];
  if (nonce === undefined) throw new Error('GET /chat/: no nonce in the page');
  const cookies = response.headers
    .getSetCookie()
    .map((line) => line.split(';', 1)[0]?.trim() ?? '')
    .filter((pair) => pair.includes('='));
  if (!cookies.some((pair) => pair.startsWith('kimi_visitor='))) throw new Error('GET /chat/: no kimi_visitor cookie');
  const cookie = cookies.join('; ');
  return {
    baseUrl,
    cookie,
    nonce,
    replyLength,
    headers: {
      'User-Agent': USER_AGENT,
      'Accept-Language': 'en-US,en;q=0.9',
      'Cache-Control': 'no-cache',
      Accept: 'application/json, text/javascript, */*; q=0.01',
      'Content-Type': 'application/x-www-form-urlencoded; charset=UTF-8',
      'X-Requested-With': 'XMLHttpRequest',
      Origin: baseUrl,
      Referer: `${baseUrl}/chat/`,
      'Sec-Fetch-Dest': 'empty',
      'Sec-Fetch-Mode': 'cors',
      'Sec-Fetch-Site': 'same-origin',
      Cookie: cookie,
    },
  };
}

export function newSessionId(now: number = Date.now()): string {
  let suffix = '';
  for (const b of crypto.getRandomValues(new Uint8Array(9))) suffix += SESSION_ALPHABET[b % SESSION_ALPHABET.length];
  return `session_${now}_${suffix}`;
}

interface AjaxShape {
  success?: unknown;
  data?: { message?: unknown } | string;
}

/** One admin-ajax message, timed like a gateway request (first content = whole answer). */
export async function sendToEmulator(visitor: EmulatorVisitor, message: string, signal: AbortSignal): Promise<Outcome> {
  const t0 = performance.now();
  try {
    const body = new URLSearchParams({
      action: 'kimi_send_message',
      nonce: visitor.nonce,
      message,
      model: UPSTREAM_MODEL,
      session_id: newSessionId(),
    }).toString();
    const response = await fetch(`${visitor.baseUrl}/wp-admin/admin-ajax.php`, { method: 'POST', headers: visitor.headers, body, signal });
    const timed = await readTimedBody(response, t0);
    if (response.status !== 200) return { ok: false, error: `http ${response.status}`, totalMs: timed.totalMs };
    let parsed: AjaxShape;
    try {
      parsed = JSON.parse(timed.text) as AjaxShape;
    } catch {
      return { ok: false, error: 'malformed: not JSON', totalMs: timed.totalMs };
    }
    const text = typeof parsed.data === 'object' && parsed.data !== null ? parsed.data.message : undefined;
    if (parsed.success !== true || typeof text !== 'string') return { ok: false, error: 'malformed: not a success answer', totalMs: timed.totalMs };
    const problem = checkReply(text, message, visitor.replyLength);
    if (problem !== null) return { ok: false, error: `malformed: ${problem}`, totalMs: timed.totalMs };
    return { ok: true, ttfbMs: timed.ttfbMs, ttfcMs: timed.totalMs, totalMs: timed.totalMs };
  } catch (error) {
    return { ok: false, error: transportErrorKind(error), totalMs: performance.now() - t0 };
  }
}

export interface EmulatorConfigPatch {
  latencyMs?: number;
  replyLength?: number;
  nonceTtlMs?: number;
  maxMessageLength?: number;
}

export async function configureEmulator(baseUrl: string, patch: EmulatorConfigPatch): Promise<void> {
  const response = await fetch(`${baseUrl}/__emulator/config`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(patch),
  });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`POST /__emulator/config ${JSON.stringify(patch)} answered ${response.status}: ${text}`);
}

export interface EmulatorIdentityStats {
  pages: number;
  messages: number;
  inFlight: number;
  maxInFlight: number;
}

export interface EmulatorStats {
  identities: Record<string, EmulatorIdentityStats>;
  received: number;
}

export async function readEmulatorStats(baseUrl: string): Promise<EmulatorStats> {
  const response = await fetch(`${baseUrl}/__emulator/stats`);
  if (response.status !== 200) throw new Error(`GET /__emulator/stats answered ${response.status}`);
  return (await response.json()) as EmulatorStats;
}
