// Hides the secrets the gateway knows (cookie values, the nonce, proxy credentials, API and
// admin keys) in text that came from the site, before it reaches a log line or the admin
// API. An upstream that echoes our request back must not turn into a leak.

const MASK = '***';
/** Shorter values (e.g. a language cookie "en") are not secrets, and masking them would garble the text. */
const MIN_SECRET_LENGTH = 4;

interface Known {
  secrets: Iterable<string>;
  names?: Iterable<string>;
}

export class Redactor {
  private prepared: { secrets: string[]; names: string[] } | null = null;

  /** `secrets`: values to mask wherever they occur; `names`: cookie names whose `name=value` value is masked too. */
  constructor(secrets: Iterable<string>, names: Iterable<string> = []) {
    this.known = () => ({ secrets, names });
  }

  /** A redactor that gathers what it knows only if it is ever used (most answers quote nothing). */
  static deferred(known: () => Known): Redactor {
    const redactor = new Redactor([]);
    redactor.known = known;
    return redactor;
  }

  static readonly none = new Redactor([]);

  private known: () => Known;

  private get secrets(): string[] {
    return this.prepare().secrets;
  }

  private get names(): string[] {
    return this.prepare().names;
  }

  private prepare(): { secrets: string[]; names: string[] } {
    if (this.prepared) return this.prepared;
    const { secrets, names = [] } = this.known();
    const all = new Set<string>();
    for (const secret of secrets) {
      if (secret.length < MIN_SECRET_LENGTH) continue;
      all.add(secret);
      // The same value as it may be echoed: URL-encoded or decoded.
      for (const variant of [safeDecode(secret), encodeURIComponent(secret)]) {
        if (variant.length >= MIN_SECRET_LENGTH) all.add(variant);
      }
    }
    // Longest first, so a secret that contains another is masked whole.
    this.prepared = { secrets: [...all].sort((a, b) => b.length - a.length), names: [...new Set(names)].filter((n) => n !== '') };
    return this.prepared;
  }

  redact(text: string): string {
    let out = text;
    for (const secret of this.secrets) if (out.includes(secret)) out = out.split(secret).join(MASK);
    for (const name of this.names) {
      if (!out.includes(`${name}=`)) continue;
      out = out.replace(new RegExp(`(${escapeRegExp(name)}=)[^;\\s&"'<>,]+`, 'g'), `$1${MASK}`);
    }
    return out;
  }

  /**
   * A short single-line excerpt: whitespace collapsed, secrets masked, cut to `max`
   * characters. A cut (this one, or the caller's before) can leave the start of a secret
   * at the end; that tail is masked too.
   */
  excerpt(text: string, max: number): string {
    const collapsed = text.replace(/\s+/g, ' ').trim();
    const redacted = this.redact(collapsed);
    if (redacted.length <= max) return this.maskPartialTail(redacted);
    return `${this.maskPartialTail(redacted.slice(0, max))}…`;
  }

  private maskPartialTail(text: string): string {
    for (const secret of this.secrets) {
      for (let n = Math.min(secret.length - 1, text.length); n >= MIN_SECRET_LENGTH; n--) {
        if (text.endsWith(secret.slice(0, n))) return text.slice(0, text.length - n) + MASK;
      }
    }
    return text;
  }
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The secrets inside a proxy URL: the whole URL, its user name and its password. */
export function proxySecrets(proxy: string | undefined): string[] {
  if (!proxy) return [];
  const out = [proxy];
  try {
    const url = new URL(proxy);
    for (const part of [url.username, url.password]) if (part) out.push(part);
  } catch {
    // Not a URL: the whole string is all there is to hide.
  }
  return out;
}
