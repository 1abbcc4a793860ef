// The visitor cookie: reading the identity key from a request, and the cookies a first page view sets.

export const VISITOR_COOKIE = 'kimi_visitor';
export const ANONYMOUS = 'anonymous';

const ONE_YEAR_MS = 365 * 24 * 60 * 60 * 1000;

/** The kimi_visitor cookie value, if the request carries a non-empty one. */
export function visitorOf(cookieHeader: string | null): string | undefined {
  if (cookieHeader === null || !cookieHeader.includes(VISITOR_COOKIE)) return undefined;
  for (const pair of cookieHeader.split(';')) {
    const eq = pair.indexOf('=');
    if (eq < 0 || pair.slice(0, eq).trim() !== VISITOR_COOKIE) continue;
    const value = pair.slice(eq + 1).trim();
    return value === '' ? undefined : value;
  }
  return undefined;
}

/** The identity key: the kimi_visitor cookie value, or "anonymous" when the request has none. */
export function identityOf(cookieHeader: string | null): string {
  return visitorOf(cookieHeader) ?? ANONYMOUS;
}

/** Set-Cookie values for a first visit, like a WordPress site with a language plugin. */
export function firstVisitCookies(visitor: string, now: number): string[] {
  const inAYear = new Date(now + ONE_YEAR_MS).toUTCString();
  return [
    `${VISITOR_COOKIE}=${visitor}; Path=/; Max-Age=86400; HttpOnly; SameSite=Lax`,
    `pll_language=en; Path=/; Expires=${inAYear}; SameSite=Lax`,
    'wordpress_test_cookie=WP%20Cookie%20check; Path=/; HttpOnly',
  ];
}
