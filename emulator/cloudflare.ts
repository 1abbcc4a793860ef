// Cloudflare's answers: the "Just a moment..." managed challenge and the 1015 rate-limit page.

import { randomHex } from './nonces.ts';

function cfHeaders(): Record<string, string> {
  return {
    'content-type': 'text/html; charset=UTF-8',
    server: 'cloudflare',
    'cf-ray': `${randomHex(16)}-FRA`,
    'cache-control': 'private, max-age=0, no-store, no-cache, must-revalidate, post-check=0, pre-check=0',
    expires: 'Thu, 01 Jan 1970 00:00:01 GMT',
    'x-frame-options': 'SAMEORIGIN',
    'referrer-policy': 'same-origin',
  };
}

const CHALLENGE_HTML = `<!DOCTYPE html><html lang="en-US"><head><title>Just a moment...</title><meta http-equiv="Content-Type" content="text/html; charset=UTF-8"><meta http-equiv="X-UA-Compatible" content="IE=Edge"><meta name="robots" content="noindex,nofollow"><meta name="viewport" content="width=device-width,initial-scale=1"><style>*{box-sizing:border-box;margin:0;padding:0}html{line-height:1.15;-webkit-text-size-adjust:100%;color:#313131;font-family:system-ui,-apple-system,BlinkMacSystemFont,"Segoe UI",Roboto,"Helvetica Neue",Arial,"Noto Sans",sans-serif}body{display:flex;flex-direction:column;height:100vh;min-height:100vh}.main-content{margin:8rem auto;max-width:60rem;padding-left:1.5rem}.h2{font-size:1.5rem;font-weight:500;line-height:2.25rem}</style><meta http-equiv="refresh" content="390"></head><body class="no-js"><div class="main-wrapper" role="main"><div class="main-content"><noscript><div class="h2"><span id="challenge-error-text">Enable JavaScript and cookies to continue</span></div></noscript></div></div><script>(function(){window._cf_chl_opt={cvId: '3',cZone: "kimi-ai.chat",cType: 'managed',cRay: '8f1c2a3b4d5e6f70',cH: 'Xq1.kZ0vY3nTn8pQe5oKc6rVb7sLw2mAf9gJh4iUd-1732200000-1.2.1.1',cUPMDTk: "\\/chat\\/?__cf_chl_tk=Zp3mN7qR",cFPWv: 'b',cITimeS: '1732200000',cTTimeMs: '1000',cMTimeMs: '390000',cTplC: 0,cTplV: 5,cTplB: 'cf',cK: "",fa: "\\/chat\\/?__cf_chl_f_tk=Zp3mN7qR",md: 'kJ8sT2vWx',mdrd: 'hY6uI0oPq'};var cpo = document.createElement('script');cpo.src = '/cdn-cgi/challenge-platform/h/b/orchestrate/chl_page/v1?ray=8f1c2a3b4d5e6f70';window._cf_chl_opt.cOgUHash = location.hash === '' && location.href.indexOf('#') !== -1 ? '#' : location.hash;window._cf_chl_opt.cOgUQuery = location.search === '' && location.href.slice(0, location.href.length - window._cf_chl_opt.cOgUHash.length).indexOf('?') !== -1 ? '?' : location.search;document.getElementsByTagName('head')[0].appendChild(cpo);}());</script></body></html>`;

const RATE_LIMIT_HTML = `<!DOCTYPE html>
<html class="no-js" lang="en-US"><head><title>Access denied | kimi-ai.chat used Cloudflare to restrict access</title><meta charset="UTF-8" /><meta name="robots" content="noindex, nofollow" /></head>
<body><div id="cf-wrapper"><div id="cf-error-details" class="cf-error-details-wrapper"><div class="cf-wrapper cf-header cf-error-overview"><h1><span class="cf-error-type">Error</span> <span class="cf-error-code">1015</span></h1><h2 class="cf-subheadline">You are being rate limited</h2></div>
<div class="cf-section cf-wrapper"><h2>What happened?</h2><p>The owner of this website (kimi-ai.chat) has banned you temporarily from accessing this website.</p></div></div></div></body></html>
`;

/** Managed challenge; `mitigatedHeader` false gives the page without `cf-mitigated`. */
export function challengePage(status: number, mitigatedHeader: boolean): Response {
  const headers = cfHeaders();
  if (mitigatedHeader) headers['cf-mitigated'] = 'challenge';
  return new Response(CHALLENGE_HTML, { status, headers });
}

export function rateLimitPage(retryAfter: string | undefined): Response {
  const headers = cfHeaders();
  if (retryAfter !== undefined) headers['retry-after'] = retryAfter;
  return new Response(RATE_LIMIT_HTML, { status: 429, headers });
}
