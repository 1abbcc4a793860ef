// The /docs page in headless Chromium against the real gateway: its script (compiled from
// src/http/pages/docs.ts) runs under the page's CSP without an error, renders every
// documented operation and schema, and its filter and expand buttons work. Needs Chromium
// (apt-get install chromium); CHROMIUM_PATH overrides /usr/bin/chromium. Never skips.

import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import type { OpenApiDocument } from '../../src/http/docs/openapi.ts';
import { startHarness, type Harness } from '../helpers/harness.ts';

const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

let h: Harness;
let browser: Browser | undefined;

beforeAll(async () => {
  h = await startHarness();
});

afterAll(async () => {
  await browser?.close();
  await h?.stop();
});

describe('/docs in a browser', () => {
  test('renders every operation and schema of the document, with no script error or CSP refusal; filter and expand work', async () => {
    if (!existsSync(CHROMIUM_PATH)) {
      throw new Error(`Chromium not found at ${CHROMIUM_PATH}. Install it (as root: apt-get update && apt-get install -y chromium) or set CHROMIUM_PATH.`);
    }
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, timeout: 30_000 });
    const doc = (await (await fetch(`${h.gateway.url}/docs/openapi.json`)).json()) as OpenApiDocument;
    const operations = Object.values(doc.paths).flatMap((item) => Object.values(item)).length;
    expect(operations).toBeGreaterThan(10);

    const page = await browser.newPage();
    page.setDefaultTimeout(15_000);
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console: ${message.text()}`);
    });
    expect((await page.goto(`${h.gateway.url}/docs`))?.status()).toBe(200);

    await page.waitForSelector('details.op');
    expect(await page.locator('details.op').count()).toBe(operations);
    expect(await page.locator('#schemas details.schema').count()).toBe(Object.keys(doc.components.schemas).length);
    expect(await page.textContent('#title')).toContain(`v${doc.info.version}`);
    expect(await page.title()).toBe('kimi-gateway · API');
    expect(await page.locator('#schemes li').count()).toBe(Object.keys(doc.components.securitySchemes).length);
    // The chat operation's parameters, body and responses are rendered from the document.
    const chat = page.locator('#op-createChatCompletion');
    await page.click('#op-createChatCompletion > summary');
    expect(await chat.getAttribute('open')).not.toBeNull();
    expect(await chat.locator('td.status').allTextContents()).toEqual(Object.keys(doc.paths['/v1/chat/completions']!.post!.responses));
    expect(await chat.textContent()).toContain('X-Session-Id');

    await page.fill('#filter', 'chat completions');
    expect(await page.locator('details.op:visible').count()).toBe(1);
    await page.fill('#filter', '');
    expect(await page.locator('details.op:visible').count()).toBe(operations);
    await page.click('#expand');
    expect(await page.locator('details.op[open]').count()).toBe(operations);
    await page.click('#collapse');
    expect(await page.locator('details.op[open]').count()).toBe(0);

    // A link to a schema opens it.
    await page.goto(`${h.gateway.url}/docs#schema-ChatMessage`);
    await page.waitForSelector('#schema-ChatMessage[open]');
    expect(problems).toEqual([]);
  }, 60_000);
});
