// GET /chat/: page faults, the visitor cookie for first-time visitors, and a fresh nonce
// (or, with a page drift fault, the page as after a redesign).

import { ANONYMOUS, firstVisitCookies, visitorOf } from './cookies.ts';
import { delay } from './delay.ts';
import { DEFAULT_SLOW_DELAY_MS, faultAnswer } from './fault-answer.ts';
import { bigCookie, DEFAULT_BIG_COOKIE_BYTES } from './hostile.ts';
import { randomHex } from './nonces.ts';
import type { ChatPage } from './page.ts';
import { driftedPage, isPageDrift } from './page-drift.ts';
import type { RequestTimeouts, UpstreamState } from './state.ts';

const VISITOR_ID_LENGTH = 16;

export type PageRoute = (req: Request, server: RequestTimeouts) => Promise<Response>;

/** `page` is a getter because the page embeds the port, known only once the server listens. */
export function createPageRoute(state: UpstreamState, page: () => ChatPage): PageRoute {
  return async function handlePage(req, server) {
    const visitor = visitorOf(req.headers.get('cookie'));
    state.stats.countPage(visitor ?? ANONYMOUS);
    const fault = state.faults.match('page', visitor ?? ANONYMOUS);
    if (fault !== undefined && fault.kind !== 'big_cookie' && !isPageDrift(fault.kind)) {
      if (fault.kind !== 'slow') return faultAnswer(fault, 'page', { cookie: req.headers.get('cookie'), nonce: null });
      server.timeout(req, 0);
      const completed = await delay(fault.delayMs ?? DEFAULT_SLOW_DELAY_MS, [req.signal, state.lifetime]);
      if (!completed) return new Response(null, { status: 499 });
    }
    const now = Date.now();
    const owner = visitor ?? randomHex(VISITOR_ID_LENGTH);
    const { headers, render } = page();
    const normal = render(state.nonces.issue(owner, now));
    const body = fault !== undefined && isPageDrift(fault.kind) ? driftedPage(fault.kind, normal) : normal;
    const cookies = visitor !== undefined ? [] : firstVisitCookies(owner, now);
    if (fault?.kind === 'big_cookie') cookies.push(bigCookie(fault.bytes ?? DEFAULT_BIG_COOKIE_BYTES));
    if (cookies.length === 0) return new Response(body, { headers });
    const withCookies = new Headers(headers);
    for (const cookie of cookies) withCookies.append('Set-Cookie', cookie);
    return new Response(body, { headers: withCookies });
  };
}
