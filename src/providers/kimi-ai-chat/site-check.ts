// What a failed chat-page load or a changed page means for the site canary: `drift` when
// the site answered but not as the gateway reads it (no kimi_ajax, no nonce, a redirect away,
// a page past its size), `down` when it could not be reached or would not serve us (network
// error, timeout, 5xx, a Cloudflare challenge or 429 for an anonymous visitor).

import type { UpstreamOutcome } from '../outcome.ts';
import type { SiteCheck } from '../provider.ts';
import type { Redactor } from '../redactor.ts';
import { AjaxConfigError, extractAjaxConfig } from './ajax-config.ts';
import { bodyExcerpt } from './classify.ts';

/** A page that loaded: ok when kimi_ajax and its nonce read, else drift with what was missing and the page's title or first words. */
export function siteCheckOfPage(html: string, redactor: Redactor): SiteCheck {
  try {
    extractAjaxConfig(html);
    return { result: 'ok' };
  } catch (error) {
    if (!(error instanceof AjaxConfigError)) throw error;
    return { result: 'drift', reason: redactor.redact(error.message), excerpt: bodyExcerpt(html, redactor) || null };
  }
}

/** A page load that stopped before there was a page (the outcome already redacted). */
export function siteCheckOf(outcome: UpstreamOutcome): SiteCheck {
  switch (outcome.kind) {
    case 'protocol':
      return { result: 'drift', reason: outcome.detail, excerpt: null };
    case 'transient':
      return { result: 'down', reason: outcome.detail };
    case 'challenged':
      return { result: 'down', reason: `the site challenges an anonymous visitor: ${outcome.detail}` };
    case 'rate_limited':
      return { result: 'down', reason: `the site rate-limits an anonymous visitor: ${outcome.detail}` };
    case 'nonce_rejected':
      return { result: 'down', reason: outcome.detail };
    case 'refused':
      return { result: 'down', reason: outcome.reason };
    case 'cancelled':
      return { result: 'down', reason: 'the check was cancelled' };
    case 'ok':
      return { result: 'ok' };
  }
}
