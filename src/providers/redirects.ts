// Which redirects the gateway follows: only within the configured site's origin (plus the
// same host upgraded from http to https on default ports), only http(s). Everything else
// would hand the identity's cookies to another host or read a local file as the chat page.
// Refusals name the target's host, never its path or query (which may carry tokens).

export type RedirectDecision = { follow: URL } | { refuse: string };

export function redirectDecision(location: string | null, current: URL, site: URL): RedirectDecision {
  if (location === null || location.trim() === '') return { refuse: 'a redirect without a Location header' };
  let target: URL;
  try {
    target = new URL(location, current);
  } catch {
    return { refuse: 'a redirect to an unreadable Location' };
  }
  if (target.protocol !== 'http:' && target.protocol !== 'https:') return { refuse: `a redirect to a ${schemeOf(target)} URL` };
  if (target.username !== '' || target.password !== '') return { refuse: `a redirect to ${target.host} with credentials in the URL` };
  if (!isSameSite(target, site)) return { refuse: `a redirect to ${target.host} (not ${site.host})` };
  return { follow: target };
}

/** The site's own origin, or the same host upgraded from http to https on default ports. */
export function isSameSite(url: URL, site: URL): boolean {
  if (url.origin === site.origin) return true;
  return site.protocol === 'http:' && url.protocol === 'https:' && url.hostname === site.hostname && site.port === '' && url.port === '';
}

/** Where a redirect points, for a message: host only, or the scheme when it is not http(s). */
export function describeLocation(location: string | null, current: URL): string {
  if (location === null || location.trim() === '') return 'no Location';
  try {
    const target = new URL(location, current);
    return target.protocol === 'http:' || target.protocol === 'https:' ? target.host : `a ${schemeOf(target)} URL`;
  } catch {
    return 'an unreadable Location';
  }
}

/** "file:", "data:"...: the scheme is cut short so a hostile Location cannot fill the message. */
function schemeOf(url: URL): string {
  return url.protocol.length > 16 ? `${url.protocol.slice(0, 16)}…` : url.protocol;
}
