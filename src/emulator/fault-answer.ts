// The answer each fault kind produces (all kinds except 'slow', which only delays).

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
import type { FaultRule } from './types.ts';

export const DEFAULT_SLOW_DELAY_MS = 30_000;

export function faultAnswer(rule: FaultRule, target: FaultTarget): Response {
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
    case 'slow':
      throw new Error("'slow' delays the normal answer; it has no answer of its own");
  }
}
