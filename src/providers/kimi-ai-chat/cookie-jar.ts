// One identity's cookies: seeded from the account file, updated from every Set-Cookie,
// honouring Max-Age/Expires and deletion. The gateway talks to a single site, so
// domain and path scoping are not needed. What the site may set is bounded like a
// browser bounds it (size per cookie, count, and the size of the Cookie header we send):
// a cookie past those bounds is refused, never stored nor resent.

/** name + value, as browsers count it. */
export const MAX_COOKIE_BYTES = 4096;
export const MAX_COOKIES = 50;
/** The whole Cookie header (nginx refuses request header lines over 8 KB by default). */
export const MAX_COOKIE_HEADER_BYTES = 8192;

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const CONTROL = /[\x00-\x1f\x7f]/;

/** A Set-Cookie the jar did not store. `name` is safe to log (cut short); the value is never kept. */
export interface CookieRefusal {
  name: string;
  reason: string;
}

interface StoredCookie {
  value: string;
  /** epoch ms, or null for a session cookie */
  expiresAt: number | null;
}

export type CookieJarSnapshot = Record<string, StoredCookie>;

export class CookieJar {
  private readonly cookies = new Map<string, StoredCookie>();
  private cachedHeader: string | null = null;
  private cachedUntil = Infinity;

  constructor(private readonly now: () => number = Date.now) {}

  /** Parses "name=value; other=value" as found in a browser's Cookie header. */
  static fromHeader(header: string, now: () => number = Date.now): CookieJar {
    const jar = new CookieJar(now);
    for (const pair of header.split(';')) {
      const eq = pair.indexOf('=');
      if (eq <= 0) continue;
      jar.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim(), null);
    }
    return jar;
  }

  /** Restores persisted cookies; any that break today's bounds (stored by an older version) are dropped. */
  static fromSnapshot(snapshot: CookieJarSnapshot, now: () => number = Date.now): CookieJar {
    const jar = new CookieJar(now);
    for (const [name, c] of Object.entries(snapshot)) {
      if (jar.refusalFor(name, c.value) === null) jar.set(name, c.value, c.expiresAt);
    }
    return jar;
  }

  snapshot(): CookieJarSnapshot {
    this.dropExpired();
    return Object.fromEntries(this.cookies);
  }

  get size(): number {
    this.dropExpired();
    return this.cookies.size;
  }

  /** Applies every Set-Cookie of a response; returns those it refused. */
  storeFrom(headers: Headers): CookieRefusal[] {
    const refused: CookieRefusal[] = [];
    for (const line of headers.getSetCookie()) {
      const refusal = this.storeSetCookie(line);
      if (refusal) refused.push(refusal);
    }
    return refused;
  }

  /** Stores one Set-Cookie line, or returns why it was refused (null when stored, deleted or ignored). */
  storeSetCookie(line: string): CookieRefusal | null {
    const parts = line.split(';');
    const first = parts[0] ?? '';
    const eq = first.indexOf('=');
    if (eq <= 0) return null;
    const name = first.slice(0, eq).trim();
    const value = first.slice(eq + 1).trim();
    let expiresAt: number | null = null;
    let maxAgeSeen = false;
    for (const attr of parts.slice(1)) {
      const [rawKey, ...rest] = attr.split('=');
      const key = rawKey!.trim().toLowerCase();
      const attrValue = rest.join('=').trim();
      if (key === 'max-age') {
        const seconds = Number(attrValue);
        if (Number.isFinite(seconds)) {
          expiresAt = this.now() + seconds * 1000;
          maxAgeSeen = true; // Max-Age wins over Expires (RFC 6265 §5.3)
        }
      } else if (key === 'expires' && !maxAgeSeen) {
        const t = Date.parse(attrValue);
        if (Number.isFinite(t)) expiresAt = t;
      }
    }
    const deletion = expiresAt !== null && expiresAt <= this.now();
    const refusal = deletion && TOKEN.test(name) ? null : this.refusalFor(name, value);
    if (refusal) return refusal;
    this.set(name, value, expiresAt);
    return null;
  }

  /** The Cookie request header, or '' when the jar is empty. */
  header(): string {
    const now = this.now();
    if (this.cachedHeader !== null && now < this.cachedUntil) return this.cachedHeader;
    this.dropExpired();
    let until = Infinity;
    const pairs: string[] = [];
    for (const [name, c] of this.cookies) {
      pairs.push(`${name}=${c.value}`);
      if (c.expiresAt !== null && c.expiresAt < until) until = c.expiresAt;
    }
    this.cachedHeader = pairs.join('; ');
    this.cachedUntil = until;
    return this.cachedHeader;
  }

  /** Why `name=value` may not be stored in this jar as it is now, or null. */
  private refusalFor(name: string, value: string): CookieRefusal | null {
    const shown = loggableName(name);
    if (!TOKEN.test(name)) return { name: shown, reason: 'the cookie name is not a token' };
    if (CONTROL.test(value)) return { name: shown, reason: 'the value contains control characters' };
    const bytes = name.length + value.length;
    if (bytes > MAX_COOKIE_BYTES) return { name: shown, reason: `${bytes} bytes, over the ${MAX_COOKIE_BYTES}-byte limit per cookie` };
    this.dropExpired();
    const existing = this.cookies.get(name);
    if (!existing && this.cookies.size >= MAX_COOKIES) return { name: shown, reason: `the jar already holds ${MAX_COOKIES} cookies` };
    let header = 0;
    for (const [n, c] of this.cookies) if (n !== name) header += n.length + c.value.length + 3;
    header += bytes + 1;
    if (header > MAX_COOKIE_HEADER_BYTES) {
      return { name: shown, reason: `the Cookie header would grow to ${header} bytes, over ${MAX_COOKIE_HEADER_BYTES}` };
    }
    return null;
  }

  private set(name: string, value: string, expiresAt: number | null): void {
    this.cachedHeader = null;
    if (expiresAt !== null && expiresAt <= this.now()) this.cookies.delete(name);
    else this.cookies.set(name, { value, expiresAt });
  }

  private dropExpired(): void {
    const now = this.now();
    for (const [name, c] of this.cookies) {
      if (c.expiresAt !== null && c.expiresAt <= now) {
        this.cookies.delete(name);
        this.cachedHeader = null;
      }
    }
  }
}

function loggableName(name: string): string {
  const printable = name.replace(/[^\x21-\x7e]/g, '?');
  return printable.length > 64 ? `${printable.slice(0, 64)}…` : printable;
}
