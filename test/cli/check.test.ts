// `kimi-gateway check` against the real emulator: one row per identity, failures shown
// per identity, exit status 0 / 1 / 2, exactly one message per enabled identity with
// --send, and no secret from the account file in the output. Plus one run as a process.

import { afterEach, describe, expect, test } from 'bun:test';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCheck } from '../../src/cli/check.ts';
import { startEmulator, type Emulator, type EmulatorOptions } from '../../emulator/emulator.ts';
import { poolOf, writeAccountsFile } from '../helpers/harness.ts';

const MAIN = join(import.meta.dir, '../../src/main.ts');
/** Not the repository: a developer's .env there must not leak into the child's settings. */
const CWD = tmpdir();
const running: Emulator[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((e) => e.stop()));
});

function emulator(options: EmulatorOptions = {}): Emulator {
  const e = startEmulator({ pageFillerBytes: 2_000, ...options });
  running.push(e);
  return e;
}

/** A loopback URL nothing listens on: an emulator that has been stopped. */
async function closedUrl(): Promise<string> {
  const e = startEmulator({ pageFillerBytes: 0 });
  await e.stop();
  return e.url;
}

async function check(argv: string[], env: Record<string, string | undefined> = {}): Promise<{ status: number; output: string; rowOf: (id: string) => string }> {
  const lines: string[] = [];
  const status = await runCheck(argv, env, (line) => lines.push(line));
  const output = lines.join('\n');
  const rowOf = (id: string) => lines.find((l) => l.startsWith(`${id} `)) ?? `(no row for ${id} in:\n${output})`;
  return { status, output, rowOf };
}

describe('kimi-gateway check', () => {
  test('every identity works: exit 0, one row each, a nonce fetched for each, nothing sent', async () => {
    const up = emulator();
    const file = writeAccountsFile(poolOf(['acc-1', 'acc-2', 'acc-3']));
    const { status, output, rowOf } = await check(['--accounts', file, '--upstream', up.url]);
    expect(status).toBe(0);
    for (const id of ['acc-1', 'acc-2', 'acc-3']) {
      expect(rowOf(id)).toMatch(/ok \d+ ms\s+works$/);
      expect(up.stats()[id]?.pages).toBe(1);
    }
    expect(output).toContain('3 of 3 enabled identities work');
    expect(up.received).toHaveLength(0);
  });

  test('no account file: the anonymous identity; ACCOUNTS_FILE and UPSTREAM_BASE_URL are read from the environment', async () => {
    const up = emulator();
    const anonymous = await check([], { UPSTREAM_BASE_URL: up.url });
    expect(anonymous.status).toBe(0);
    expect(anonymous.rowOf('anonymous')).toContain('works');

    const fromEnv = await check([], { UPSTREAM_BASE_URL: up.url, ACCOUNTS_FILE: writeAccountsFile(poolOf(['env-1'])) });
    expect(fromEnv.status).toBe(0);
    expect(fromEnv.rowOf('env-1')).toContain('works');
  });

  test('one challenged identity: its row shows the challenge, the others work, exit still 0', async () => {
    const up = emulator({ faults: [{ kind: 'challenge', on: 'page', identity: 'acc-2' }] });
    const file = writeAccountsFile(poolOf(['acc-1', 'acc-2', 'acc-3']));
    const { status, output, rowOf } = await check(['--accounts', file, '--upstream', up.url]);
    expect(status).toBe(0);
    expect(rowOf('acc-2')).toMatch(/challenged: Cloudflare challenge \(HTTP 403\)\s+FAILS$/);
    expect(rowOf('acc-1')).toEndWith('works');
    expect(rowOf('acc-3')).toEndWith('works');
    expect(output).toContain('2 of 3 enabled identities work');
  });

  test('no identity works (every page challenged): exit 1', async () => {
    const up = emulator({ faults: [{ kind: 'challenge', on: 'page' }] });
    const { status, rowOf } = await check(['--accounts', writeAccountsFile(poolOf(['acc-1', 'acc-2'])), '--upstream', up.url]);
    expect(status).toBe(1);
    expect(rowOf('acc-1')).toEndWith('FAILS');
    expect(rowOf('acc-2')).toEndWith('FAILS');
  });

  test('upstream on a closed loopback port: a transient network error, exit 1', async () => {
    const { status, output, rowOf } = await check(['--upstream', await closedUrl()]);
    expect(status).toBe(1);
    expect(rowOf('anonymous')).toMatch(/transient: network error on the chat page.*FAILS$/);
    expect(output).toContain('0 of 1 enabled identity works');
  });

  test('a working identity that is disabled does not count: exit 1', async () => {
    const up = emulator();
    const file = writeAccountsFile({ identities: [{ id: 'off', cookies: 'kimi_visitor=off', enabled: false }] });
    const { status, rowOf } = await check(['--accounts', file, '--upstream', up.url]);
    expect(status).toBe(1);
    expect(rowOf('off')).toMatch(/^off \(disabled\) .*disabled \(would work\)$/);
  });

  test('--send: exactly one message per enabled identity, none for a disabled one', async () => {
    const up = emulator();
    const file = writeAccountsFile({
      identities: [
        { id: 'acc-1', cookies: 'kimi_visitor=acc-1' },
        { id: 'acc-2', cookies: 'kimi_visitor=acc-2' },
        { id: 'acc-3', cookies: 'kimi_visitor=acc-3', enabled: false },
      ],
    });
    const { status, output, rowOf } = await check(['--accounts', file, '--upstream', up.url, '--send']);
    expect(status).toBe(0);
    expect(up.received.map((m) => m.identity).sort()).toEqual(['acc-1', 'acc-2']);
    expect(up.received.every((m) => m.outcome === 'ok' && m.message === 'ping' && /^session_\d+_[a-z0-9]{9}$/.test(m.sessionId))).toBe(true);
    expect(up.stats()['acc-3']).toMatchObject({ pages: 1, messages: 0 });
    expect(output).toContain('SEND');
    expect(rowOf('acc-1')).toMatch(/ok \d+ ms\s+ok \d+ ms\s+works$/);
    expect(rowOf('acc-3')).toMatch(/skipped \(disabled\)\s+disabled \(would work\)$/);
  });

  test('--send: a refused nonce is reported, not retried (still exactly one message)', async () => {
    const up = emulator({ faults: [{ kind: 'nonce_403', identity: 'acc-2' }] });
    const { status, rowOf } = await check(['--accounts', writeAccountsFile(poolOf(['acc-1', 'acc-2'])), '--upstream', up.url, '--send']);
    expect(status).toBe(0);
    expect(up.stats()['acc-2']?.messages).toBe(1);
    expect(rowOf('acc-2')).toMatch(/^acc-2 .*ok \d+ ms\s+nonce_rejected: HTTP 403 -1.*FAILS$/);
  });

  test('usage and config errors: exit 2 with a clear message', async () => {
    const invalidJson = await check(['--accounts', writeAccountsFile('{ not json')]);
    expect(invalidJson.status).toBe(2);
    expect(invalidJson.output).toContain('not valid JSON');

    const badField = await check(['--accounts', writeAccountsFile({ identities: [{ id: 'a', rpm: -1 }] })]);
    expect(badField.status).toBe(2);
    expect(badField.output).toContain('identity "a": "rpm": must be a whole number');

    const missing = await check(['--accounts', '/nonexistent/accounts.json']);
    expect(missing.status).toBe(2);
    expect(missing.output).toContain('file not found');

    const badUrl = await check(['--upstream', 'not a url']);
    expect(badUrl.status).toBe(2);
    expect(badUrl.output).toContain('--upstream: "not a url" is not a URL');

    const badFlag = await check(['--port', '1']);
    expect(badFlag.status).toBe(2);
    expect(badFlag.output).toContain('Unknown argument "--port"');

    expect((await check(['--accounts'])).output).toContain('--accounts needs a value');
  });

  test('--help prints the usage and exits 0', async () => {
    const { status, output } = await check(['--help']);
    expect(status).toBe(0);
    expect(output).toStartWith('Usage: kimi-gateway check');
  });

  test('proxy credentials and cookie values never appear in the output', async () => {
    const up = emulator();
    const deadProxy = new URL(await closedUrl());
    const file = writeAccountsFile({
      identities: [
        { id: 'via-proxy', cookies: 'kimi_visitor=via-proxy; wordpress_logged_in_x=S3cretCookieValue', proxy: `http://proxyuser:Pr0xyPassw0rd@${deadProxy.host}` },
        { id: 'direct', cookies: 'kimi_visitor=direct; wp_session=An0therSecretCookie' },
      ],
    });
    const { status, output, rowOf } = await check(['--accounts', file, '--upstream', up.url, '--send']);
    expect(status).toBe(0);
    expect(rowOf('via-proxy')).toContain(`http://***:***@${deadProxy.host}/`);
    expect(rowOf('via-proxy')).toEndWith('FAILS');
    expect(rowOf('direct')).toEndWith('works');
    for (const secret of ['Pr0xyPassw0rd', 'proxyuser', 'S3cretCookieValue', 'An0therSecretCookie']) expect(output).not.toContain(secret);
  });

  test('as a process: bun src/main.ts check --accounts FILE --upstream URL', async () => {
    const up = emulator({ faults: [{ kind: 'challenge', on: 'page', identity: 'bad' }] });
    const file = writeAccountsFile(poolOf(['good', 'bad']));
    const proc = Bun.spawn(['bun', MAIN, 'check', '--accounts', file, '--upstream', up.url], {
      cwd: CWD,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp' },
      stdout: 'pipe',
      stderr: 'pipe',
    });
    const [stdout, stderr, exitCode] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
    expect(stderr).toBe('');
    expect(exitCode).toBe(0);
    expect(stdout).toMatch(/^good .*works$/m);
    expect(stdout).toMatch(/^bad .*challenged.*FAILS$/m);

    const none = Bun.spawnSync(['bun', MAIN, 'check', '--upstream', await closedUrl()], { cwd: CWD, env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } });
    expect(none.exitCode).toBe(1);
    const usage = Bun.spawnSync(['bun', MAIN, 'check', '--accounts', writeAccountsFile('[]')], { cwd: CWD, env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } });
    expect(usage.exitCode).toBe(2);
    expect(usage.stdout.toString()).toContain('must be an object with "identities"');
  }, 20_000);
});
