// One identity's cookies: seeded from the account file, updated from every Set-Cookie,
// honouring Max-Age/Expires and deletion. The gateway talks to a single site, so
// domain and path scoping are not needed.

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

  static fromSnapshot(snapshot: CookieJarSnapshot, now: () => number = Date.now): CookieJar {
    const jar = new CookieJar(now);
    for (const [name, c] of Object.entries(snapshot)) jar.set(name, c.value, c.expiresAt);
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

  /** Applies every Set-Cookie of a response. */
  storeFrom(headers: Headers): void {
    for (const line of headers.getSetCookie()) this.storeSetCookie(line);
  }

  storeSetCookie(line: string): void {
    const parts = line.split(';');
    const first = parts[0] ?? '';
    const eq = first.indexOf('=');
    if (eq <= 0) return;
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
    this.set(name, value, expiresAt);
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
