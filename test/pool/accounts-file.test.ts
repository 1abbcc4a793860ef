import { describe, expect, test } from 'bun:test';
import { join } from 'node:path';
import { loadAccountsFile, parseAccounts, redactProxy } from '../../src/pool/accounts-file.ts';

const parse = (json: unknown) => parseAccounts(json, 'accounts.json');

describe('account pool file', () => {
  test('accounts.example.json is valid and documents every field', async () => {
    const identities = await loadAccountsFile(join(import.meta.dir, '../../accounts.example.json'));
    expect(identities.map((i) => i.id)).toEqual(['acc-1', 'acc-2', 'visitor-1', 'spare']);
    expect(identities[1]).toMatchObject({ maxConcurrent: 2, rpm: 20, weight: 1, enabled: true });
    expect(identities[3]!.enabled).toBe(false);
    const text = await Bun.file(join(import.meta.dir, '../../accounts.example.json')).text();
    for (const field of ['id', 'cookies', 'userAgent', 'proxy', 'weight', 'maxConcurrent', 'rpm', 'enabled', 'minIntervalMs', 'jitterMs']) expect(text).toContain(`  ${field} `);
  });

  test('only id is required; built-in defaults apply', () => {
    expect(parse({ identities: [{ id: 'x' }] })).toEqual([{ id: 'x', weight: 1, maxConcurrent: 4, rpm: 0, enabled: true, minIntervalMs: 0, jitterMs: 0 }]);
  });

  test('errors name the identity, the field and the problem', () => {
    expect(() => parse({ identities: [{ id: 'a', maxConcurrent: 0 }] })).toThrow('identity "a": "maxConcurrent": must be a whole number ≥ 1 (got 0)');
    expect(() => parse({ identities: [{ id: 'a', weigth: 2 }] })).toThrow('identity "a": unknown field "weigth"');
    expect(() => parse({ identities: [{ cookies: 'a=b' }] })).toThrow('identities[0]: "id" is required');
    expect(() => parse({ identities: [{ id: 'a', cookies: 'just-a-token' }] })).toThrow('"cookies" must look like "name=value; other=value"');
    expect(() => parse({ identities: [] })).toThrow('"identities": must be a non-empty array');
    expect(() => parse({ defaults: { rpm: 'ten' }, identities: [{ id: 'a' }] })).toThrow('"defaults.rpm": must be a whole number');
  });

  test('errors never repeat a secret value', () => {
    let message = '';
    try {
      parse({ identities: [{ id: 'a', proxy: 'socks5://user:hunter2@10.0.0.1:1080' }] });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain('"proxy" must be an http:// or https:// URL');
    expect(message).not.toContain('hunter2');
    expect(redactProxy('http://user:hunter2@10.0.0.1:3128')).toBe('http://***:***@10.0.0.1:3128/');
  });
});
