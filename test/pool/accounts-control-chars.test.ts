// Account file values that end up in HTTP headers or a proxy URL (cookies, userAgent, proxy)
// must not carry CR/LF or other control characters: refused at load, naming the identity
// and the field, never the value (issue 9, defect 12).

import { describe, expect, test } from 'bun:test';
import { AccountsFileError, parseAccounts } from '../../src/pool/accounts-file.ts';

const SECRET = 'wordpress_logged_in_abc=s3cr3t-value';

function refusal(json: unknown): string {
  try {
    parseAccounts(json, 'accounts.json');
  } catch (error) {
    expect(error).toBeInstanceOf(AccountsFileError);
    return (error as Error).message;
  }
  throw new Error('expected the account file to be refused');
}

describe('control characters in header values', () => {
  const bad = { CR: '\r', LF: '\n', 'CR LF': '\r\n', NUL: '\u0000', TAB: '\t', ESC: '\u001b', DEL: '\u007f' };

  for (const [name, ch] of Object.entries(bad)) {
    test(`${name} in cookies, userAgent or proxy is refused, naming identity and field but not the value`, () => {
      const cases: Array<[string, Record<string, string>]> = [
        ['cookies', { cookies: `${SECRET}${ch}X-Injected: 1` }],
        ['userAgent', { userAgent: `Mozilla/5.0 s3cr3t-ua${ch}X-Injected: 1` }],
        ['proxy', { proxy: `http://user:s3cr3t-pass@proxy.example${ch}:8080` }],
      ];
      for (const [field, values] of cases) {
        const message = refusal({ identities: [{ id: 'acc-1', ...values }] });
        expect(message).toContain('identity "acc-1"');
        expect(message).toContain(`"${field}"`);
        expect(message).toContain('control character');
        expect(message).not.toContain('s3cr3t');
      }
      const viaDefaults = refusal({ defaults: { userAgent: `UA s3cr3t${ch}x` }, identities: [{ id: 'acc-1' }] });
      expect(viaDefaults).toContain('"defaults.userAgent"');
      expect(viaDefaults).not.toContain('s3cr3t');
    });
  }

  test('a control character in an id is refused by position, not echoed', () => {
    const message = refusal({ identities: [{ id: 'ok' }, { id: 'evil\r\nid' }] });
    expect(message).toContain('identities[1]');
    expect(message).not.toContain('evil');
  });

  test('ordinary values still pass', () => {
    const [config] = parseAccounts(
      { identities: [{ id: 'acc-1', cookies: `${SECRET}; other=1`, userAgent: 'Mozilla/5.0 (X11; Linux x86_64)', proxy: 'http://u:p@proxy.example:8080' }] },
      'accounts.json',
    );
    expect(config).toMatchObject({ id: 'acc-1', cookies: `${SECRET}; other=1`, proxy: 'http://u:p@proxy.example:8080' });
  });
});
