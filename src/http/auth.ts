// Client keys: where a key may come from (request headers only) and the check itself:
// several keys allowed, compared in constant time (SHA-256 digests of equal length,
// every key checked) so neither timing nor length leaks a key.

import { timingSafeEqual } from 'node:crypto';
import { GatewayError } from '../errors.ts';

const unauthorized = (message: string) => new GatewayError('invalid_api_key', message);

const digest = (value: string): Buffer => Buffer.from(new Bun.CryptoHasher('sha256').update(value).digest());

/** Returns the caller's key name, or throws a 401 GatewayError. */
export type KeyCheck = (token: string | undefined) => string;

/** The caller's name when no key is configured. */
export const OPEN_ACCESS = 'open';

/** A key's name in logs, metrics and session ownership: a digest prefix, never the key. */
export const keyName = (key: string): string => `key-${digest(key).toString('hex').slice(0, 8)}`;

const HOW_TO_SEND = 'Send it in a request header: "Authorization: Bearer <key>" or "x-api-key: <key>" (never in the URL or the body).';

/** Returns a checker that throws a 401 GatewayError unless the token is one of the keys. */
export function createKeyCheck(keys: readonly string[]): KeyCheck {
  if (keys.length === 0) return () => OPEN_ACCESS;
  const digests = keys.map(digest);
  const names = keys.map(keyName);
  return (token) => {
    if (!token) throw unauthorized(`Missing API key. ${HOW_TO_SEND}`);
    const candidate = digest(token);
    let match = -1;
    digests.forEach((d, i) => {
      if (timingSafeEqual(d, candidate)) match = i;
    });
    if (match === -1) throw unauthorized('Invalid API key. Check the key your client sends (Authorization: Bearer or x-api-key) against API_KEYS.');
    return names[match]!;
  };
}

/**
 * The client check of the /v1 routes. `standardBearer` is what @elysiajs/bearer extracted;
 * it is used only for the exact "Bearer " prefix it handles, because for any other header
 * the plugin falls back to ?access_token= (URLs end up in logs and proxies).
 */
export function createClientCheck(keys: readonly string[]): (headers: Headers, standardBearer: string | undefined) => string {
  const check = createKeyCheck(keys);
  if (keys.length === 0) return () => OPEN_ACCESS;
  return (headers, standardBearer) => {
    const authorization = headers.get('authorization');
    const fromAuthorization = authorization?.startsWith('Bearer ') ? standardBearer?.trim() : bearerFromHeader(authorization);
    const key = fromAuthorization || headers.get('x-api-key')?.trim();
    if (!key && authorization?.trim()) {
      throw unauthorized(`The Authorization header must use the Bearer scheme with a key. ${HOW_TO_SEND}`);
    }
    return check(key);
  };
}

/**
 * "Bearer <token>" with the scheme in any case (RFC 9110 makes it case-insensitive; some
 * clients send "bearer") and spaces around the token trimmed.
 */
export function bearerFromHeader(authorization: string | null | undefined): string | undefined {
  if (!authorization) return undefined;
  const match = /^bearer\s+(.+)$/i.exec(authorization.trim());
  return match?.[1]?.trim();
}
