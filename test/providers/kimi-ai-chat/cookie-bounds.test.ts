// What the site may store in an identity's cookie jar is bounded: per cookie, in count,
// and in the size of the Cookie header sent back. A refused cookie is not stored.

import { describe, expect, test } from 'bun:test';
import { CookieJar, MAX_COOKIE_BYTES, MAX_COOKIE_HEADER_BYTES, MAX_COOKIES } from '../../../src/providers/kimi-ai-chat/cookie-jar.ts';

describe('CookieJar bounds', () => {
  test('a 60 KB Set-Cookie is refused, not stored, not resent', () => {
    const jar = CookieJar.fromHeader('kimi_visitor=alice');
    const refusal = jar.storeSetCookie(`big=${'a'.repeat(60 * 1024)}; Path=/`);
    expect(refusal).toMatchObject({ name: 'big', reason: expect.stringContaining(`${MAX_COOKIE_BYTES}-byte limit`) });
    expect(jar.header()).toBe('kimi_visitor=alice');
    expect(JSON.stringify(refusal)).not.toContain('aaaa');
  });

  test('a cookie just under the per-cookie limit is stored', () => {
    const jar = new CookieJar();
    expect(jar.storeSetCookie(`ok=${'b'.repeat(MAX_COOKIE_BYTES - 2)}`)).toBeNull();
    expect(jar.header()).toHaveLength(MAX_COOKIE_BYTES + 1);
  });

  test(`at most ${MAX_COOKIES} cookies; replacing one that exists still works`, () => {
    const jar = new CookieJar();
    for (let i = 0; i < MAX_COOKIES; i++) expect(jar.storeSetCookie(`c${i}=v`)).toBeNull();
    expect(jar.storeSetCookie('one_more=v')?.reason).toContain(`${MAX_COOKIES} cookies`);
    expect(jar.storeSetCookie('c0=new')).toBeNull();
    expect(jar.size).toBe(MAX_COOKIES);
    expect(jar.header()).toContain('c0=new');
  });

  test(`the Cookie header stays under ${MAX_COOKIE_HEADER_BYTES} bytes`, () => {
    const jar = new CookieJar();
    const value = 'x'.repeat(3000);
    expect(jar.storeSetCookie(`a=${value}`)).toBeNull();
    expect(jar.storeSetCookie(`b=${value}`)).toBeNull();
    expect(jar.storeSetCookie(`c=${value}`)?.reason).toContain('Cookie header');
    expect(jar.header().length).toBeLessThanOrEqual(MAX_COOKIE_HEADER_BYTES);
    // Replacing a cookie counts its new size, not both.
    expect(jar.storeSetCookie(`a=${'y'.repeat(3000)}`)).toBeNull();
  });

  test('names must be tokens; values without control characters', () => {
    const jar = new CookieJar();
    expect(jar.storeSetCookie('bad name=1')?.reason).toContain('token');
    expect(jar.storeSetCookie('x=a\u0001b')?.reason).toContain('control');
    expect(jar.size).toBe(0);
  });

  test('a refusal names a hostile name only cut short and printable', () => {
    const refusal = new CookieJar().storeSetCookie(`${'n'.repeat(10_000)}=${'v'.repeat(10_000)}`);
    expect(refusal!.name.length).toBeLessThanOrEqual(65);
  });

  test('a deletion is applied even when the jar is full', () => {
    const jar = new CookieJar();
    for (let i = 0; i < MAX_COOKIES; i++) jar.storeSetCookie(`c${i}=v`);
    expect(jar.storeSetCookie('c1=; Max-Age=0')).toBeNull();
    expect(jar.size).toBe(MAX_COOKIES - 1);
  });

  test('storeFrom stores the good ones and returns the refused ones', () => {
    const jar = new CookieJar();
    const headers = new Headers();
    headers.append('Set-Cookie', 'good=1; Path=/');
    headers.append('Set-Cookie', `huge=${'z'.repeat(5000)}; Path=/`);
    const refused = jar.storeFrom(headers);
    expect(refused.map((r) => r.name)).toEqual(['huge']);
    expect(jar.header()).toBe('good=1');
  });

  test('a persisted oversized cookie (from an older version) is dropped on restore', () => {
    const restored = CookieJar.fromSnapshot({ small: { value: 's', expiresAt: null }, big: { value: 'q'.repeat(60_000), expiresAt: null } });
    expect(restored.header()).toBe('small=s');
  });
});
