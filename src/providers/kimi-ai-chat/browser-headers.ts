// Request headers that make the gateway look like the site's own page in a desktop browser.

export const DEFAULT_USER_AGENT =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';

export interface BrowserHeaderSet {
  /** The chat page's headers with this Cookie header ('' = none): the same object while the cookies stay the same. */
  pageWith(cookie: string): Record<string, string>;
  /** The message post's headers, likewise. */
  ajaxWith(cookie: string): Record<string, string>;
}

/** Built once per identity: only the Cookie header changes between requests, and it is merged in once per change. */
export function browserHeaders(baseUrl: string, userAgent: string): BrowserHeaderSet {
  const origin = new URL(baseUrl).origin;
  const common = { 'User-Agent': userAgent, 'Accept-Language': 'en-US,en;q=0.9', 'Cache-Control': 'no-cache' };
  const page = {
    ...common,
    Accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8',
    'Sec-Fetch-Dest': 'document',
    'Sec-Fetch-Mode': 'navigate',
    'Sec-Fetch-Site': 'none',
    'Upgrade-Insecure-Requests': '1',
  };
  const ajax = {
    ...common,
    Accept: 'application/json, text/javascript, */*; q=0.01',
    'Content-Type': 'application/x-www-form-urlencoded; charset=UTF-8',
    'X-Requested-With': 'XMLHttpRequest',
    Origin: origin,
    Referer: `${baseUrl}/chat/`,
    'Sec-Fetch-Dest': 'empty',
    'Sec-Fetch-Mode': 'cors',
    'Sec-Fetch-Site': 'same-origin',
  };
  return { pageWith: withCookie(page), ajaxWith: withCookie(ajax) };
}

function withCookie(base: Record<string, string>): (cookie: string) => Record<string, string> {
  let lastCookie = '';
  let last = base;
  return (cookie) => {
    if (cookie !== lastCookie) {
      lastCookie = cookie;
      last = cookie === '' ? base : { ...base, Cookie: cookie };
    }
    return last;
  };
}
