// The dashboard's add/edit identity form in headless Chromium, against the real gateway and
// emulator: adding one (the table and the account file on disk), refusals shown next to the
// field they name, editing (fields prefilled, secrets never shown, new cookies clearing a
// challenge, emptied limits inheriting, cookies removed), Test before saving (the probe of
// unsaved settings), delete with a confirmation, and the 409 without an account file.

import { afterAll, afterEach, describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { dashboardBrowser, type OpenDashboard } from '../helpers/dashboard-browser.ts';
import { eventually, startHarness, type Harness, type HarnessOptions } from '../helpers/harness.ts';

const ADMIN_KEY = 'test-admin-key-3e9a1c7f5b2d4608';
const COOKIE_SECRET = 'cookie-secret-d41f99e2';
const PROXY_PASSWORD = 'proxy-pw-8c02b7a1';
/** The page polls identities every 2 s; allow slack for a busy machine. */
const WAIT_MS = 8_000;
const TEST_TIMEOUT = 90_000;

const browser = dashboardBrowser();
let h: Harness | null = null;
let open: OpenDashboard | null = null;

afterEach(async () => {
  await open?.context.close();
  open = null;
  await h?.stop();
  h = null;
});
afterAll(() => browser.close());

/** acct-1 and acct-2 in service (acct-2 with its own rpm and user agent); spare off, with secret cookies and a proxy password. */
const ACCOUNTS = {
  defaults: { maxConcurrent: 8 },
  identities: [
    { id: 'acct-1', cookies: 'kimi_visitor=acct-1' },
    { id: 'acct-2', cookies: 'kimi_visitor=acct-2', rpm: 30, userAgent: 'TestAgent/2.0' },
    { id: 'spare', cookies: `kimi_visitor=spare; token=${COOKIE_SECRET}`, proxy: `http://bob:${PROXY_PASSWORD}@127.0.0.1:9`, enabled: false },
  ],
};

async function start(options: HarnessOptions = {}): Promise<{ h: Harness; page: Page; file: string | null }> {
  h = await startHarness({ accounts: ACCOUNTS, ...options, env: { ADMIN_KEY, ...options.env } });
  open = await browser.open(h.gateway.url, ADMIN_KEY);
  await open.page.waitForSelector('tr[data-identity] [data-state]');
  return { h, page: open.page, file: h.config.accountsFile };
}

type Entry = Record<string, unknown> & { id: string };
const entries = (file: string): Entry[] => (JSON.parse(readFileSync(file, 'utf8')) as { identities: Entry[] }).identities;
const entry = (file: string, id: string): Entry | undefined => entries(file).find((e) => e.id === id);
const row = (id: string) => `tr[data-identity=${JSON.stringify(id)}]`;

/** Everything the page holds as text: the DOM, and the values of its inputs (not part of the markup). */
async function pageText(page: Page): Promise<string> {
  const values = await page.evaluate(() => [...document.querySelectorAll('input, textarea')].map((e) => `${(e as HTMLInputElement).value} ${(e as HTMLInputElement).placeholder}`).join('\n'));
  return `${await page.content()}\n${values}`;
}

async function actionResult(page: Page, prefix: string): Promise<string> {
  await page.waitForFunction((p) => document.getElementById('action-result')?.textContent?.startsWith(p) ?? false, prefix, { timeout: WAIT_MS });
  return (await page.textContent('#action-result')) ?? '';
}

async function openEdit(page: Page, id: string): Promise<void> {
  await page.click(`${row(id)} button[data-action="edit"]`);
  await page.waitForFunction((x) => (document.getElementById('f-id') as HTMLInputElement).value === x && !document.getElementById('f-delete')!.hidden, id);
}

describe('add', () => {
  test('the form saves a new identity: it appears in the table and in the account file; its cookies never come back into the page', async () => {
    const { page, file } = await start();
    await page.click('#id-add');
    expect(await page.isVisible('#id-form')).toBe(true);
    expect(await page.isHidden('#f-delete')).toBe(true);
    await page.fill('#f-id', 'acct-new');
    await page.fill('#f-cookies', `kimi_visitor=acct-new; token=${COOKIE_SECRET}`);
    await page.fill('#f-maxConcurrent', '2');
    await page.fill('#f-rpm', '5');
    await page.fill('#f-minIntervalMs', '10');
    await page.fill('#f-jitterMs', '3');
    await page.click('#f-save');

    expect(await actionResult(page, 'acct-new · add:')).toStartWith('acct-new · add: ok');
    await page.waitForSelector(`${row('acct-new')} [data-state="ready"]`, { timeout: WAIT_MS });
    expect(await page.isHidden('#id-form')).toBe(true);
    expect(entry(file!, 'acct-new')).toEqual({ id: 'acct-new', cookies: `kimi_visitor=acct-new; token=${COOKIE_SECRET}`, maxConcurrent: 2, rpm: 5, minIntervalMs: 10, jitterMs: 3 });
    expect(entries(file!).map((e) => e.id)).toEqual(['acct-1', 'acct-2', 'spare', 'acct-new']);
    // The pool serves through it.
    expect((await h!.admin.identity('acct-new')).maxConcurrent).toBe(2);

    // What was typed left the page with the form; the edit form shows no cookie either.
    expect(await pageText(page)).not.toContain(COOKIE_SECRET);
    await openEdit(page, 'acct-new');
    expect(await page.inputValue('#f-cookies')).toBe('');
    expect(await page.getAttribute('#f-cookies', 'placeholder')).toContain('kept');
    expect(await page.inputValue('#f-rpm')).toBe('5');
    expect(await pageText(page)).not.toContain(COOKIE_SECRET);
    expect(open!.problems).toEqual([]);
  }, TEST_TIMEOUT);

  test('refusals: a 400 next to the field it names, a 409 for an id in use; nothing is written', async () => {
    const { page, file } = await start();
    const before = readFileSync(file!, 'utf8');
    await page.click('#id-add');
    await page.fill('#f-id', 'acct-bad');
    await page.fill('#f-rpm', 'lots');
    await page.click('#f-save');
    await page.waitForSelector('#e-rpm:not([hidden])', { timeout: WAIT_MS });
    expect(await page.textContent('#e-rpm')).toContain('rpm');
    expect(await page.getAttribute('#f-rpm', 'aria-invalid')).toBe('true');
    expect(await page.textContent('#id-form-error')).toStartWith('HTTP 400: ');
    expect(await page.isHidden('#e-id')).toBe(true);
    expect(await page.isVisible('#id-form')).toBe(true);

    await page.fill('#f-rpm', '');
    await page.fill('#f-id', 'acct-1');
    await page.click('#f-save');
    await page.waitForFunction(() => document.getElementById('id-form-error')?.textContent?.startsWith('HTTP 409') ?? false, undefined, { timeout: WAIT_MS });
    expect(await page.textContent('#id-form-error')).toContain('acct-1');
    expect(await page.isHidden('#e-rpm')).toBe(true);
    expect(readFileSync(file!, 'utf8')).toBe(before);
    expect(await page.locator('tr[data-identity]').count()).toBe(3);
    expect(open!.problems).toEqual([]);
  }, TEST_TIMEOUT);
});

describe('edit', () => {
  test('fields start from its settings (no cookie, no proxy password); new cookies clear a challenge; an emptied limit inherits; cookies can be removed', async () => {
    const { page, file } = await start({ emulator: { faults: [{ kind: 'challenge', identity: 'acct-2' }] } });
    // Traffic until acct-2 has met its challenge.
    for (let i = 0; i < 40 && !h!.emulator.received.some((r) => r.identity === 'acct-2'); i++) {
      expect((await h!.call('/v1/chat/completions', { json: { messages: [{ role: 'user', content: `q${i}` }] } })).status).toBe(200);
    }
    expect((await h!.admin.identity('acct-2')).state).toBe('challenged');
    await page.waitForSelector(`${row('acct-2')} [data-state="challenged"]`, { timeout: WAIT_MS });

    // The proxy identity: masked proxy as a placeholder, no password, no cookie anywhere in the page.
    await openEdit(page, 'spare');
    expect(await page.getAttribute('#f-proxy', 'placeholder')).toContain('127.0.0.1:9');
    expect(await page.inputValue('#f-proxy')).toBe('');
    expect(await page.isVisible('#f-proxy-remove')).toBe(true);
    expect(await page.isChecked('#f-enabled')).toBe(false);
    const text = await pageText(page);
    for (const secret of [COOKIE_SECRET, PROXY_PASSWORD, 'bob']) expect({ secret, shown: text.includes(secret) }).toEqual({ secret, shown: false });
    await page.click('#f-cancel');
    expect(await page.isHidden('#id-form')).toBe(true);

    await openEdit(page, 'acct-2');
    expect(await page.isDisabled('#f-id')).toBe(true);
    expect(await page.inputValue('#f-cookies')).toBe('');
    expect(await page.inputValue('#f-rpm')).toBe('30'); // its own
    expect(await page.inputValue('#f-userAgent')).toBe('TestAgent/2.0');
    expect(await page.inputValue('#f-maxConcurrent')).toBe(''); // inherited from defaults
    expect(await page.getAttribute('#f-maxConcurrent', 'placeholder')).toBe('inherit (8)');
    expect(await page.isHidden('#f-proxy-remove')).toBe(true);

    await page.fill('#f-cookies', 'kimi_visitor=acct-2-fresh');
    await page.fill('#f-rpm', ''); // inherit
    await page.fill('#f-weight', '2');
    await page.click('#f-save');
    expect(await actionResult(page, 'acct-2 · save:')).toBe('acct-2 · save: ok — written to the account file; now ready');
    await page.waitForSelector(`${row('acct-2')} [data-state="ready"]`, { timeout: WAIT_MS });
    expect(entry(file!, 'acct-2')).toEqual({ id: 'acct-2', cookies: 'kimi_visitor=acct-2-fresh', userAgent: 'TestAgent/2.0', weight: 2 });
    expect((await h!.admin.identity('acct-2')).rpm).toBe(0);

    // Only what changed is sent: saving the untouched form changes nothing.
    await openEdit(page, 'acct-2');
    expect(await page.inputValue('#f-rpm')).toBe('');
    expect(await page.inputValue('#f-weight')).toBe('2');
    await page.click('#f-save');
    await page.waitForFunction(() => document.getElementById('f-status')?.textContent === 'nothing changed');

    // Remove the cookies (null), and the user agent by emptying it.
    await page.check('#f-cookies-remove');
    expect(await page.isDisabled('#f-cookies')).toBe(true);
    await page.fill('#f-userAgent', '');
    await page.click('#f-save');
    // The first save's "acct-2 · save: ok" is still shown: a save is done when its form closes.
    await page.waitForSelector('#id-form', { state: 'hidden', timeout: WAIT_MS });
    expect(await actionResult(page, 'acct-2 · save:')).toStartWith('acct-2 · save: ok');
    expect(entry(file!, 'acct-2')).toEqual({ id: 'acct-2', weight: 2 });
    expect(open!.problems).toEqual([]);
  }, TEST_TIMEOUT);
});

describe('test before saving', () => {
  test('Test probes the unsaved settings (a new identity, or an edit with ?base) and shows the result; nothing is saved', async () => {
    const { page, file } = await start({ emulator: { faults: [{ kind: 'challenge', identity: 'blocked' }] } });
    const before = readFileSync(file!, 'utf8');
    const receivedFrom = (key: string) => h!.emulator.received.filter((r) => r.identity === key).length;

    await page.click('#id-add');
    await page.fill('#f-id', 'trial');
    await page.fill('#f-cookies', 'kimi_visitor=trial');
    await page.click('#f-test');
    await page.waitForSelector('#id-probe:not([hidden])', { timeout: WAIT_MS });
    expect(await page.textContent('#id-probe')).toMatch(/^Test works \(not saved\): chat page and nonce ok in \d+ ms; message ok in \d+ ms$/);
    expect(await page.getAttribute('#id-probe', 'class')).not.toContain('failed');
    expect(receivedFrom('trial')).toBe(1);

    await page.fill('#f-cookies', 'kimi_visitor=blocked');
    await page.click('#f-test');
    await page.waitForFunction(() => document.getElementById('id-probe')?.textContent?.startsWith('Test FAILS') ?? false, undefined, { timeout: WAIT_MS });
    expect(await page.textContent('#id-probe')).toContain('message challenged');
    expect(await page.getAttribute('#id-probe', 'class')).toContain('failed');
    // The form stays as typed, to fix and save.
    expect(await page.inputValue('#f-id')).toBe('trial');
    await page.click('#f-cancel');

    // Editing: the changes on top of the saved identity.
    await openEdit(page, 'acct-1');
    await page.fill('#f-cookies', 'kimi_visitor=acct-1-next');
    await page.click('#f-test');
    await page.waitForFunction(() => document.getElementById('id-probe')?.textContent?.startsWith('Test works') ?? false, undefined, { timeout: WAIT_MS });
    expect(receivedFrom('acct-1-next')).toBe(1);
    expect(open!.requests).toContain('POST /admin/identities/probe?base=acct-1');

    expect(readFileSync(file!, 'utf8')).toBe(before);
    expect(await page.locator('tr[data-identity]').evaluateAll((rows) => rows.map((r) => (r as HTMLElement).dataset.identity))).toEqual(['acct-1', 'acct-2', 'spare']);
    expect(open!.problems).toEqual([]);
  }, TEST_TIMEOUT);
});

describe('delete', () => {
  test('asks first: dismissed keeps the identity, accepted removes it from the table and the account file', async () => {
    const { page, file } = await start();
    await openEdit(page, 'acct-2');
    const dialogs: string[] = [];
    page.once('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    await page.click('#f-delete');
    expect(await eventually(() => dialogs.length === 1, WAIT_MS)).toBe(true);
    expect(dialogs[0]).toContain('acct-2');
    expect(entry(file!, 'acct-2')).toBeDefined();
    expect(await page.isVisible('#id-form')).toBe(true);

    page.once('dialog', (dialog) => void dialog.accept());
    await page.click('#f-delete');
    expect(await actionResult(page, 'acct-2 · delete:')).toStartWith('acct-2 · delete: ok');
    await page.waitForSelector(row('acct-2'), { state: 'detached', timeout: WAIT_MS });
    expect(entries(file!).map((e) => e.id)).toEqual(['acct-1', 'spare']);
    expect(open!.requests.filter((r) => r.startsWith('DELETE '))).toEqual(['DELETE /admin/identities/acct-2']);
    expect(open!.problems).toEqual([]);
  }, TEST_TIMEOUT);
});

describe('without an account file', () => {
  test('saving shows the 409 that says how to start with one; Test still works', async () => {
    h = await startHarness({ env: { ADMIN_KEY } });
    open = await browser.open(h.gateway.url, ADMIN_KEY);
    const { page } = open;
    await page.waitForSelector(`${row('anonymous')} [data-state]`);

    await page.click('#id-add');
    await page.fill('#f-id', 'acct-3');
    await page.fill('#f-cookies', 'kimi_visitor=acct-3');
    await page.click('#f-save');
    await page.waitForSelector('#id-form-error:not([hidden])', { timeout: WAIT_MS });
    const message = (await page.textContent('#id-form-error')) ?? '';
    expect(message).toStartWith('HTTP 409: ');
    expect(message).toContain('ACCOUNTS_FILE');
    expect(await page.textContent('#f-status')).toBe('not saved');
    expect(await page.locator('tr[data-identity]').count()).toBe(1);

    await page.click('#f-test');
    await page.waitForFunction(() => document.getElementById('id-probe')?.textContent?.startsWith('Test works') ?? false, undefined, { timeout: WAIT_MS });

    await page.click('#f-cancel');
    await openEdit(page, 'anonymous');
    await page.fill('#f-rpm', '7');
    await page.click('#f-save');
    await page.waitForFunction(() => document.getElementById('id-form-error')?.textContent?.startsWith('HTTP 409') ?? false, undefined, { timeout: WAIT_MS });
    expect(open.problems).toEqual([]);
  }, TEST_TIMEOUT);
});
