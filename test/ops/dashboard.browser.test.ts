// The operator dashboard in headless Chromium against the real gateway and emulator:
// Basic auth, the identities table following pool state and its action buttons, and the
// playground answering through the emulator. Needs Chromium (apt-get install chromium);
// CHROMIUM_PATH overrides /usr/bin/chromium. Never skips: a missing browser fails.

import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { existsSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { poolOf, startHarness, TEST_KEY, type Harness } from '../helpers/harness.ts';

const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ADMIN_KEY = 'test-admin-key-5f1c2d9e8a7b6c4d';
// One id needs URL-encoding in /admin/identities/{id}/... ('@').
const IDS = ['acct-1', 'acct-2', 'ops@team-3'];
/** The page polls identities every 2 s and activity every 5 s; allow slack for a busy machine. */
const IDENTITY_WAIT_MS = 6_000;
const ACTIVITY_WAIT_MS = 12_000;

let h: Harness;
let browserPromise: Promise<Browser> | undefined;

/** Launches Chromium once for the file; a missing or broken browser fails the test that needs it. */
function browser(): Promise<Browser> {
  browserPromise ??= (async () => {
    if (!existsSync(CHROMIUM_PATH)) {
      throw new Error(`Chromium not found at ${CHROMIUM_PATH}. Install it (as root: apt-get update && apt-get install -y chromium) or set CHROMIUM_PATH.`);
    }
    try {
      return await chromium.launch({ executablePath: CHROMIUM_PATH, timeout: 30_000 });
    } catch (error) {
      throw new Error(`Chromium at ${CHROMIUM_PATH} did not start (reinstall with apt-get install chromium): ${(error as Error).message}`);
    }
  })();
  return browserPromise;
}

interface OpenPage {
  context: BrowserContext;
  page: Page;
  /** Script errors and CSP refusals seen by the page. */
  problems: string[];
}

async function openDashboard(): Promise<OpenPage> {
  const context = await (await browser()).newContext({ httpCredentials: { username: 'admin', password: ADMIN_KEY } });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error' && /Content Security Policy|Refused to/i.test(message.text())) problems.push(`console: ${message.text()}`);
  });
  const response = await page.goto(`${h.gateway.url}/dashboard`);
  expect(response?.status()).toBe(200);
  return { context, page, problems };
}

const row = (id: string) => `tr[data-identity=${JSON.stringify(id)}]`;
const stateOf = async (id: string) => (await h.admin.identity(id)).state;

/** Waits until #action-result names this identity and action, and returns its text. */
async function actionResult(page: Page, id: string, action: string): Promise<string> {
  const prefix = `${id} · ${action}:`;
  await page.waitForFunction((p) => document.getElementById('action-result')?.textContent?.startsWith(p) ?? false, prefix, { timeout: IDENTITY_WAIT_MS });
  return (await page.textContent('#action-result')) ?? '';
}

beforeAll(async () => {
  h = await startHarness({ env: { ADMIN_KEY }, accounts: poolOf(IDS) });
});

afterAll(async () => {
  const launched = browserPromise;
  browserPromise = undefined;
  await launched?.then((b) => b.close(), () => {});
  await h?.stop();
});

describe('dashboard in a browser', () => {
  test('without the admin key /dashboard and /admin/* answer 401 (Basic challenge for the page)', async () => {
    const url = `${h.gateway.url}/dashboard`;
    const bare = await fetch(url);
    expect(bare.status).toBe(401);
    expect(bare.headers.get('www-authenticate') ?? '').toMatch(/^Basic\b/i);
    expect((await fetch(url, { headers: { authorization: `Basic ${btoa('admin:not-the-key')}` } })).status).toBe(401);
    expect((await fetch(`${h.gateway.url}/admin/identities`)).status).toBe(401);
    // A client API key is not the admin key.
    expect((await fetch(`${h.gateway.url}/admin/identities`, { headers: { authorization: `Basic ${btoa(`admin:${TEST_KEY}`)}` } })).status).toBe(401);
    const good = await fetch(url, { headers: { authorization: `Basic ${btoa(`anyone:${ADMIN_KEY}`)}` } });
    expect(good.status).toBe(200);
    expect(good.headers.get('content-type')).toStartWith('text/html');

    // The browser without credentials gets the 401, not the page. (Headless Chromium with
    // nobody to type a password fails the navigation with ERR_INVALID_AUTH_CREDENTIALS.)
    const context = await (await browser()).newContext();
    try {
      const page = await context.newPage();
      const statuses: number[] = [];
      page.on('response', (response) => {
        if (response.url() === url) statuses.push(response.status());
      });
      const outcome = await page.goto(url).then(
        (response) => String(response?.status()),
        (error: Error) => error.message,
      );
      expect(outcome).toMatch(/^401$|ERR_INVALID_AUTH_CREDENTIALS/);
      expect(statuses).toContain(401);
      expect(statuses).not.toContain(200);
      expect(await page.locator('#identities-body').count()).toBe(0);
    } finally {
      await context.close();
    }
  }, 60_000);

  test('a row per identity; state changes show up; the action buttons work', async () => {
    const { context, page, problems } = await openDashboard();
    try {
      await page.waitForSelector(`${row(IDS[2]!)} [data-state]`);
      expect(await page.locator('tr[data-identity]').evaluateAll((rows) => rows.map((r) => (r as HTMLElement).dataset.identity))).toEqual(IDS);
      for (const id of IDS) expect(await page.getAttribute(`${row(id)} [data-state]`, 'data-state')).toBe('ready');

      // A change made by another operator appears within the refresh interval.
      expect((await h.admin.disable('acct-2')).ok).toBe(true);
      await page.waitForSelector(`${row('acct-2')} [data-state="disabled"]`, { timeout: IDENTITY_WAIT_MS });
      await page.waitForSelector(`${row('acct-2')} button[data-action="enable"]`, { timeout: IDENTITY_WAIT_MS });

      // Disable then Enable through the buttons (the id travels URL-encoded).
      await page.click(`${row('ops@team-3')} button[data-action="disable"]`);
      expect(await actionResult(page, 'ops@team-3', 'disable')).toStartWith('ops@team-3 · disable: ok');
      await page.waitForSelector(`${row('ops@team-3')} [data-state="disabled"]`, { timeout: IDENTITY_WAIT_MS });
      expect(await stateOf('ops@team-3')).toBe('disabled');
      await page.click(`${row('ops@team-3')} button[data-action="enable"]`);
      expect(await actionResult(page, 'ops@team-3', 'enable')).toStartWith('ops@team-3 · enable: ok');
      await page.waitForSelector(`${row('ops@team-3')} [data-state="ready"]`, { timeout: IDENTITY_WAIT_MS });
      expect(await stateOf('ops@team-3')).toBe('ready');

      // Refresh nonce and Probe report the gateway's answer (against the emulator both succeed).
      await page.click(`${row('acct-1')} button[data-action="refresh"]`);
      expect(await actionResult(page, 'acct-1', 'refresh')).toStartWith('acct-1 · refresh: ok');
      await page.click(`${row('acct-1')} button[data-action="probe"]`);
      expect(await actionResult(page, 'acct-1', 'probe')).toStartWith('acct-1 · probe: ok');

      expect(problems).toEqual([]);
    } finally {
      await h.admin.enable('acct-2');
      await context.close();
    }
  }, 60_000);

  test('the playground answers through the emulator (plain and streamed), shows API errors, and the activity feed shows it', async () => {
    const { context, page, problems } = await openDashboard();
    try {
      // Wrong key first: the OpenAI error body is shown, the answer stays empty.
      await page.fill('#pg-key', 'sk-not-a-valid-key');
      await page.press('#pg-key', 'Tab');
      await page.fill('#pg-message', 'this one is refused');
      await page.click('#pg-send');
      await page.waitForSelector('#playground-error:not([hidden])');
      expect(await page.textContent('#playground-error')).toMatch(/^HTTP 401: \S/);
      expect(await page.textContent('#playground-answer')).toBe('');

      // The right key: models load, then a plain and a streamed answer.
      await page.fill('#pg-key', TEST_KEY);
      await page.press('#pg-key', 'Tab');
      await page.waitForFunction(() => ((document.getElementById('pg-model') as HTMLSelectElement | null)?.options.length ?? 0) > 0);
      const model = await page.inputValue('#pg-model');
      expect(model).not.toBe('');

      for (const stream of [false, true]) {
        const message = `Dashboard playground says hello, stream=${stream}`;
        const expected = `Echo[${message.length}]: ${message.slice(-40)}`;
        await page.setChecked('#pg-stream', stream);
        await page.fill('#pg-message', message);
        await page.click('#pg-send');
        await page.waitForFunction((prefix) => document.getElementById('playground-answer')?.textContent?.startsWith(prefix) ?? false, expected, { timeout: 15_000 });
        await page.waitForFunction(() => document.getElementById('pg-status')?.textContent?.startsWith('done') ?? false);
        expect(await page.isHidden('#playground-error')).toBe(true);
        expect(await page.textContent('#pg-status')).toContain('finish: stop');
      }
      // The key is kept for the tab only.
      expect(await page.evaluate(() => [sessionStorage.length > 0, localStorage.length])).toEqual([true, 0]);

      // Those requests reach the activity chart and the recent table.
      await page.waitForFunction(
        (m) => [...document.querySelectorAll('#recent-body tr')].some((tr) => tr.textContent!.includes('/v1/chat/completions') && tr.textContent!.includes(m) && tr.querySelector('.badge.ok') !== null),
        model,
        { timeout: ACTIVITY_WAIT_MS },
      );
      expect(await page.locator('#chart svg rect.bar-ok').count()).toBeGreaterThan(0);

      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  }, 90_000);
});
