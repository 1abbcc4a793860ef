// The answer each fault kind produces (all kinds except 'slow', which only delays,
// 'big_cookie', which adds a cookie to the normal answer, the page drifts page_no_*, which
// change the chat page (page-drift.ts), and the model faults tool_* / json_*, which change the
// normal answer's text: see tool-play.ts).

import {
  ajaxDie,
  ajaxError,
  ajaxRateLimited,
  connectionReset,
  nginxError,
  phpFatalFragment,
  staleNonce,
} from './answers.ts';
import { challengePage, rateLimitPage } from './cloudflare.ts';
import type { FaultTarget } from './faults.ts';
import {
  DEFAULT_GZIP_BOMB_BYTES,
  DEFAULT_HUGE_HTML_BYTES,
  DEFAULT_HUGE_JSON_BYTES,
  DEFAULT_SCRIPT_FLOOD_COUNT,
  echoRequest,
  gzipBomb,
  hugeHtml,
  hugeJson,
  redirectTo,
  scriptFlood,
} from './hostile.ts';
import { isPageDrift } from './page-drift.ts';
import { isModelFault } from './tool-play.ts';
import type { FaultKind, FaultRule } from './types.ts';

export const DEFAULT_SLOW_DELAY_MS = 30_000;

/** Kinds that change the normal answer instead of replacing it. */
export function shapesNormalAnswer(kind: FaultKind): boolean {
  return kind === 'slow' || kind === 'big_cookie' || isPageDrift(kind) || isModelFault(kind);
}

/** What an echoing fault can print back: the request's Cookie header and the form's nonce. */
export interface EchoSource {
  cookie: string | null;
  nonce: string | null;
}

export function faultAnswer(rule: FaultRule, target: FaultTarget, echo: EchoSource = { cookie: null, nonce: null }): Response {
  switch (rule.kind) {
    case 'nonce_invalid':
      return staleNonce('json');
    case 'nonce_403':
      return ajaxDie('-1', 403);
    case 'bad_request':
      return ajaxDie('0', 400);
    case 'refused':
      return ajaxError(rule.text ?? 'Message is too long');
    case 'rate_limited':
      return target === 'page' ? rateLimitPage(rule.retryAfter) : ajaxRateLimited(rule.retryAfter);
    case 'challenge':
      return challengePage(rule.status ?? 403, true);
    case 'challenge_html':
      return challengePage(rule.status ?? 200, false);
    case 'server_error':
      return nginxError(rule.status ?? 502);
    case 'not_json':
      return phpFatalFragment();
    case 'reset':
      return connectionReset();
    case 'redirect':
      return redirectTo(rule.location ?? '/chat/', rule.status ?? 302);
    case 'huge_json':
      return hugeJson(rule.bytes ?? DEFAULT_HUGE_JSON_BYTES);
    case 'huge_html':
      return hugeHtml(rule.bytes ?? DEFAULT_HUGE_HTML_BYTES);
    case 'gzip_bomb':
      return gzipBomb(rule.bytes ?? DEFAULT_GZIP_BOMB_BYTES);
    case 'echo':
      return echoRequest(rule.status ?? 500, echo.cookie, echo.nonce);
    case 'script_flood':
      return scriptFlood(rule.count ?? DEFAULT_SCRIPT_FLOOD_COUNT);
    case 'slow':
    case 'big_cookie':
    case 'page_no_ajax':
    case 'page_no_nonce':
    case 'tool_fenced':
    case 'tool_bad_json':
    case 'tool_undeclared':
    case 'tool_none':
    case 'json_fenced':
    case 'json_invalid':
      throw new Error(`'${rule.kind}' changes the normal answer; it has no answer of its own`);
  }
}
