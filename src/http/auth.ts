// Client keys: several allowed, compared in constant time (SHA-256 digests of equal
// length, every key checked) so neither timing nor length leaks a key.

import { timingSafeEqual } from 'node:crypto';
import { unauthorized } from '../errors.ts';

const digest = (value: string): Buffer => Buffer.from(new Bun.CryptoHasher('sha256').update(value).digest());

/** Returns the caller's key name, or throws a 401 GatewayError. */
export type KeyCheck = (token: string | undefined) => string;

/** The caller's name when no key is configured. */
export const OPEN_ACCESS = 'open';

/** A key's name in logs, metrics and session ownership: a digest prefix, never the key. */
export const keyName = (key: string): string => `key-${digest(key).toString('hex').slice(0, 8)}`;

/** Returns a checker that throws a 401 GatewayError unless the token is one of the keys. */
export function createKeyCheck(keys: readonly string[]): KeyCheck {
  if (keys.length === 0) return () => OPEN_ACCESS;
  const digests = keys.map(digest);
  const names = keys.map(keyName);
  return (token) => {
    if (!token) throw unauthorized('Missing API key. Send it as "Authorization: Bearer <key>".');
    const candidate = digest(token);
    let match = -1;
    digests.forEach((d, i) => {
      if (timingSafeEqual(d, candidate)) match = i;
    });
    if (match === -1) throw unauthorized('Invalid API key. Check the key configured in your client against API_KEYS.');
    return names[match]!;
  };
}

/**
 * @elysiajs/bearer matches the "Bearer" scheme case-sensitively; RFC 9110 makes the
 * scheme case-insensitive and some clients send "bearer". This covers that case.
 */
export function bearerFromHeader(authorization: string | null): string | undefined {
  if (!authorization) return undefined;
  const match = /^bearer\s+(.+)$/i.exec(authorization.trim());
  return match?.[1]?.trim();
}
