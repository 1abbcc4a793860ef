// Redactor: masks every secret the gateway knows in text that came from the site.

import { describe, expect, test } from 'bun:test';
import { proxySecrets, Redactor } from '../../src/providers/redactor.ts';

describe('Redactor', () => {
  test('masks each secret wherever it occurs, longest first', () => {
    const r = new Redactor(['s3cr3t-cookie', 's3cr3t-cookie-long', 'nonce12345']);
    expect(r.redact('a=s3cr3t-cookie-long; b=s3cr3t-cookie; n=nonce12345 and again nonce12345')).toBe('a=***; b=***; n=*** and again ***');
  });

  test('URL-encoded and decoded forms of a secret are masked too', () => {
    const r = new Redactor(['a b/c+d', 'x%20y%21z']);
    expect(r.redact(`enc=${encodeURIComponent('a b/c+d')} dec=x y!z raw=a b/c+d`)).toBe('enc=*** dec=*** raw=***');
  });

  test('values of known cookie names are masked even when the value is unknown', () => {
    const r = new Redactor([], ['wordpress_logged_in_abc']);
    expect(r.redact('Cookie: wordpress_logged_in_abc=fresh-value-from-site; other=1')).toBe('Cookie: wordpress_logged_in_abc=***; other=1');
  });

  test('values shorter than 4 characters are not secrets (they would garble the text)', () => {
    expect(new Redactor(['en', '1']).redact('lang en, count 1')).toBe('lang en, count 1');
  });

  test('excerpt: one line, masked, cut; a text ending in the start of a secret is masked too', () => {
    const secret = 'abcdefghijklmnop';
    const r = new Redactor([secret]);
    expect(r.excerpt(`line one\n\n  line   two ${secret}`, 100)).toBe('line one line two ***');
    // A text that ends with the start of a secret (cut before it got here).
    const cut = r.excerpt(`${'x'.repeat(10)} ${secret.slice(0, 8)}`, 100);
    expect(cut).toBe(`${'x'.repeat(10)} ***`);
    // A whole secret is masked before the cut, so the cut never splits it.
    const longer = r.excerpt(`${'y'.repeat(30)} ${secret}`, 36);
    expect(longer).toBe(`${'y'.repeat(30)} ***`);
    expect(r.excerpt(`${'z'.repeat(200)} ${secret}`, 20)).toBe(`${'z'.repeat(20)}…`);
  });

  test('Redactor.none leaves text as it is', () => {
    expect(Redactor.none.redact('anything')).toBe('anything');
  });
});

describe('proxySecrets', () => {
  test('the URL, the user name and the password', () => {
    expect(proxySecrets('http://bob:hunter22@proxy.example:3128')).toEqual(['http://bob:hunter22@proxy.example:3128', 'bob', 'hunter22']);
    expect(proxySecrets(undefined)).toEqual([]);
    expect(proxySecrets('not a url')).toEqual(['not a url']);
  });
});
