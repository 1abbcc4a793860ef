// Nonces and visitor ids: issue them, and judge whether a nonce is still good.

const MAX_NONCES = 200_000;

interface IssuedNonce {
  visitor: string;
  issuedAt: number;
}

export interface NonceCheck {
  nonce: string;
  identity: string;
  now: number;
  ttlMs: number;
  bindToCookie: boolean;
}

export function randomHex(length: number): string {
  const bytes = crypto.getRandomValues(new Uint8Array(Math.ceil(length / 2)));
  return Buffer.from(bytes).toString('hex').slice(0, length);
}

export class NonceStore {
  private readonly issued = new Map<string, IssuedNonce>();

  constructor(private readonly nonceLength: number) {}

  issue(visitor: string, now: number): string {
    let nonce = randomHex(this.nonceLength);
    while (this.issued.has(nonce)) nonce = randomHex(this.nonceLength);
    this.issued.set(nonce, { visitor, issuedAt: now });
    // Maps iterate in insertion order, so the first key is the oldest nonce.
    if (this.issued.size > MAX_NONCES) {
      const oldest = this.issued.keys().next();
      if (oldest.done !== true) this.issued.delete(oldest.value);
    }
    return nonce;
  }

  isValid(check: NonceCheck): boolean {
    const entry = this.issued.get(check.nonce);
    if (entry === undefined) return false;
    if (check.bindToCookie && entry.visitor !== check.identity) return false;
    return check.now - entry.issuedAt < check.ttlMs;
  }

  /** Every nonce issued so far becomes unknown, hence stale. */
  expireAll(): void {
    this.issued.clear();
  }
}
