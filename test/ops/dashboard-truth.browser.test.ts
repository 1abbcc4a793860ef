// The dashboard tells the truth, in headless Chromium against the real gateway and emulator:
// the client's own mistakes (400, 401, 404, 413) are counted and drawn as client errors, apart
// from what the gateway or the site failed; a refused request shows the model it asked for
// (escaped, bounded), an unmatched route its path; the site canary's banner; a 390 px wide
// screen without horizontal page overflow; "1 identity"; no /v1/models call without a key.

import { afterAll, describe, expect, test } from 'bun:test';
import type { Page } from 'playwright-core';
import { dashboardBrowser, type OpenDashboard } from '../helpers/dashboard-browser.ts';
import { eventually, poolOf, startHarness, TEST_KEY, type Harness } from '../helpers/harness.ts';

const ADMIN_KEY = 'test-admin-key-90b3f1d27c6e4a58';
/** The page polls identities every 2 s, activity and the canary every 5 s; slack for a busy machine. */
const WAIT_MS = 15_000;
const TEST_TIMEOUT = 120_000;

const browser = dashboardBrowser();
afterAll(() => browser.close());

/** Opens the page, runs `body`, and always closes the page and the harness. */
async function withDashboard(h: Harness, body: (open: OpenDashboard) => Promise<void>, viewport?: { width: number; height: number }): Promise<void> {
  let open: OpenDashboard | undefined;
  try {
    open = await browser.open(h.gateway.url, ADMIN_KEY, viewport);
    await body(open);
    expect(open.problems).toEqual([]);
  } finally {
    await open?.context.close();
  }
}

const recentRow = (id: string) => `#recent-body tr[data-request-id=${JSON.stringify(id)}]`;
/** A recent request's cells by column: time, id, route, model, stream, identity, attempts, outcome, status, duration. */
const cells = (page: Page, id: string) => page.locator(`${recentRow(id)} td`).allTextContents();

describe('client errors are not failures', () => {
  const REFUSED_MODEL = 'gpt-4o-<b>bold</b>-&amp;-refused';
  let h: Harness;

  test('activity headline, chart and recent requests: 4xx of the client apart from what the site failed; the refused model and the unmatched path shown', async () => {
    h = await startHarness({ accounts: poolOf(['solo']), env: { ADMIN_KEY, MAX_BODY_BYTES: '2048' } });
    try {
      const ask = (id: string, body: unknown, headers: Record<string, string> = {}) =>
        h.call('/v1/chat/completions', { json: body, headers: { 'X-Request-Id': id, ...headers } });
      const hello = { messages: [{ role: 'user', content: 'hello' }] };
      const statuses = [
        (await ask('t-ok', hello)).status,
        (await ask('t-400', { messages: 'not a list' })).status,
        (await ask('t-401', hello, { authorization: 'Bearer sk-wrong' })).status,
        (await ask('t-model', { ...hello, model: REFUSED_MODEL })).status,
        (await ask('t-long', { ...hello, model: `m-${'z'.repeat(600)}` })).status,
        (await ask('t-413', { messages: [{ role: 'user', content: 'x'.repeat(4096) }] })).status,
        (await h.call('/v1/chat/complete', { headers: { 'X-Request-Id': 't-url' } })).status,
      ];
      h.emulator.addFault({ kind: 'server_error' });
      statuses.push((await ask('t-5xx', hello)).status);
      h.emulator.clearFaults();
      expect(statuses).toEqual([200, 400, 401, 404, 404, 413, 404, 502]);

      await withDashboard(h, async ({ page }) => {
        await page.waitForSelector(recentRow('t-5xx'), { timeout: WAIT_MS });
        await page.waitForFunction(() => (document.getElementById('activity-totals')?.textContent ?? '') !== '', undefined, { timeout: WAIT_MS });
        expect(await page.textContent('#activity-totals')).toBe('8 requests: 1 failed (12.5%), 6 client errors (75.0%)');

        const results = await page.locator('#recent-body tr').evaluateAll((rows) =>
          rows.map((r) => [(r as HTMLElement).dataset.requestId, (r as HTMLElement).dataset.result, r.querySelector('.badge')?.className]),
        );
        expect(results.toReversed()).toEqual([
          ['t-ok', 'ok', 'badge ok'],
          ['t-400', 'client_error', 'badge client'],
          ['t-401', 'client_error', 'badge client'],
          ['t-model', 'client_error', 'badge client'],
          ['t-long', 'client_error', 'badge client'],
          ['t-413', 'client_error', 'badge client'],
          ['t-url', 'client_error', 'badge client'],
          ['t-5xx', 'failed', 'badge failed'],
        ]);
        // The chart stacks the three kinds; its failed bar is the 5xx alone.
        expect(await page.locator('#chart rect.bar-ok').count()).toBeGreaterThan(0);
        expect(await page.locator('#chart rect.bar-client').count()).toBeGreaterThan(0);
        expect(await page.locator('#chart rect.bar-failed').count()).toBe(1);
        const tip = await page.locator('#chart g:has(rect.bar-failed) title').textContent();
        expect(tip).toMatch(/: 1 ok, 6 client errors, 1 failed \(/);

        // The refused model as the client sent it, as text (no markup made of it); a long one bounded.
        const refused = await cells(page, 't-model');
        expect(refused.slice(2, 4)).toEqual(['POST /v1/chat/completions', REFUSED_MODEL]);
        expect(await page.locator(`${recentRow('t-model')} b`).count()).toBe(0);
        const long = (await cells(page, 't-long'))[3]!;
        expect(long).toStartWith('m-zzz');
        expect(long.length).toBe(100);
        // An unmatched route shows its path.
        expect((await cells(page, 't-url')).slice(2, 4)).toEqual(['GET /v1/chat/complete', '—']);
        expect(await page.textContent('#summary')).toStartWith('1 identity (1 ready)');
      });
    } finally {
      await h.stop();
    }
  }, TEST_TIMEOUT);
});

describe('a 390 px wide screen', () => {
  test('no horizontal page overflow (tables scroll in their box, the header wraps), also with the identity form open', async () => {
    const h = await startHarness({ accounts: poolOf(['acct-with-a-rather-long-name-1', 'acct-2', 'ops@team-3']), env: { ADMIN_KEY } });
    try {
      await h.call('/v1/chat/completions', { json: { messages: [{ role: 'user', content: 'hi' }] }, headers: { 'X-Request-Id': 'narrow-1' } });
      await h.call('/v1/no/such/route/with/a/long/path/that/goes/on/and/on/and/on');
      await withDashboard(
        h,
        async ({ page }) => {
          await page.waitForSelector('tr[data-identity] [data-state]');
          await page.waitForSelector(recentRow('narrow-1'), { timeout: WAIT_MS });
          const widths = () =>
            page.evaluate(() => {
              const wrap = (id: string) => document.getElementById(id)!.closest('.table-wrap')!;
              const header = document.querySelector('header')!;
              return {
                page: document.documentElement.scrollWidth,
                body: document.body.scrollWidth,
                identitiesScroll: wrap('identities').scrollWidth > wrap('identities').clientWidth,
                recentScroll: wrap('recent').scrollWidth > wrap('recent').clientWidth,
                headerFits: header.scrollWidth <= header.clientWidth,
                headerLines: Math.round(header.getBoundingClientRect().height / document.querySelector('h1')!.getBoundingClientRect().height),
              };
            });
          const shown = await widths();
          expect(shown).toMatchObject({ identitiesScroll: true, recentScroll: true, headerFits: true });
          expect(shown.page).toBeLessThanOrEqual(390);
          expect(shown.body).toBeLessThanOrEqual(390);
          expect(shown.headerLines).toBeGreaterThanOrEqual(2);

          await page.click('#id-add');
          await page.fill('#f-cookies', `kimi_visitor=${'c'.repeat(400)}`);
          await page.click('tr[data-identity="ops@team-3"] button[data-action="edit"]');
          await page.waitForFunction(() => (document.getElementById('f-id') as HTMLInputElement).value === 'ops@team-3');
          expect((await widths()).page).toBeLessThanOrEqual(390);
          expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
        },
        { width: 390, height: 844 },
      );
    } finally {
      await h.stop();
    }
  }, TEST_TIMEOUT);
});

describe('the playground', () => {
  test('does not call /v1/models on load without a key; does once a key is entered', async () => {
    const h = await startHarness({ accounts: poolOf(['a']), env: { ADMIN_KEY } });
    try {
      await withDashboard(h, async ({ page, requests }) => {
        // Every poll has run at least once (identities, activity, canary): the page has settled.
        const polled = () => ['GET /admin/identities', 'GET /admin/activity?minutes=15', 'GET /admin/canary'].every((r) => requests.includes(r));
        expect(await eventually(polled, WAIT_MS)).toBe(true);
        await page.waitForFunction(() => (document.getElementById('pg-models-status')?.textContent ?? '').includes('API key'));
        expect(requests.filter((r) => r.includes('/models'))).toEqual([]);
        expect(await page.locator('#pg-model option').count()).toBe(0);

        await page.fill('#pg-key', TEST_KEY);
        await page.press('#pg-key', 'Tab');
        await page.waitForFunction(() => ((document.getElementById('pg-model') as HTMLSelectElement | null)?.options.length ?? 0) > 0, undefined, { timeout: WAIT_MS });
        expect(requests.filter((r) => r.includes('/models'))).toEqual(['GET /v1/models']);
        expect(await page.textContent('#pg-models-status')).toMatch(/^\d+ models?$/);
      });
    } finally {
      await h.stop();
    }
  }, TEST_TIMEOUT);
});

describe('the site canary banner', () => {
  test('shown while the site drifted or is down (what and since), gone when it recovers; none while ok', async () => {
    const h = await startHarness({ accounts: poolOf(['a']), env: { ADMIN_KEY, CANARY_INTERVAL_MS: '1000' } });
    const canaryState = async () =>
      ((await (await fetch(`${h.gateway.url}/admin/canary`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } })).json()) as { state: string }).state;
    try {
      await withDashboard(h, async ({ page, requests }) => {
        expect(await eventually(async () => (await canaryState()) === 'ok', WAIT_MS)).toBe(true);
        expect(await eventually(() => requests.filter((r) => r === 'GET /admin/canary').length >= 1, WAIT_MS)).toBe(true);
        expect(await page.isHidden('#site-banner')).toBe(true);

        h.emulator.addFault({ kind: 'page_no_ajax', on: 'page' });
        await page.waitForSelector('#site-banner[data-state="drift"]:not([hidden])', { timeout: 2 * WAIT_MS });
        const drift = (await page.textContent('#site-banner')) ?? '';
        expect(drift).toMatch(/^The site changed \(canary: drift\) since \d\d:\d\d:\d\d \(.+\): .*kimi_ajax/);

        h.emulator.clearFaults();
        await page.waitForSelector('#site-banner', { state: 'hidden', timeout: 2 * WAIT_MS });
        expect(await canaryState()).toBe('ok');

        h.emulator.addFault({ kind: 'server_error', on: 'page', status: 502 });
        await page.waitForSelector('#site-banner[data-state="down"]:not([hidden])', { timeout: 2 * WAIT_MS });
        expect(await page.textContent('#site-banner')).toMatch(/^The site is down \(canary: down\) since \d\d:\d\d:\d\d \(.+\): .*HTTP 502/);
        h.emulator.clearFaults();
      });
    } finally {
      await h.stop();
    }
  }, TEST_TIMEOUT);
});
