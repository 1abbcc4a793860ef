import { describe, expect, test } from 'bun:test';
import { CookieJar } from '../../../src/providers/kimi-ai-chat/cookie-jar.ts';

describe('CookieJar', () => {
  test('seeds from a browser Cookie header', () => {
    expect(CookieJar.fromHeader('a=1; b=two=2;  c=3').header()).toBe('a=1; b=two=2; c=3');
  });

  test('stores several Set-Cookie headers of one response', () => {
    const jar = new CookieJar();
    const headers = new Headers();
    headers.append('Set-Cookie', 'kimi_visitor=abc; Path=/; HttpOnly');
    headers.append('Set-Cookie', 'lang=en; Path=/; Max-Age=3600');
    jar.storeFrom(headers);
    expect(jar.header()).toBe('kimi_visitor=abc; lang=en');
  });

  test('honours Max-Age and Expires, and deletes on Max-Age=0', () => {
    let now = 1_000_000;
    const jar = new CookieJar(() => now);
    jar.storeSetCookie('short=1; Max-Age=10');
    jar.storeSetCookie(`dated=2; Expires=${new Date(now + 60_000).toUTCString()}`);
    jar.storeSetCookie('keep=3');
    expect(jar.header()).toBe('short=1; dated=2; keep=3');
    now += 11_000;
    expect(jar.header()).toBe('dated=2; keep=3');
    now += 60_000;
    expect(jar.header()).toBe('keep=3');
    jar.storeSetCookie('keep=; Max-Age=0');
    expect(jar.header()).toBe('');
  });

  test('a snapshot restores the same cookies', () => {
    const jar = CookieJar.fromHeader('a=1; b=2');
    expect(CookieJar.fromSnapshot(jar.snapshot()).header()).toBe('a=1; b=2');
  });
});
