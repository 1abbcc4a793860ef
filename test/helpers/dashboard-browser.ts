// Headless Chromium for the dashboard's browser tests: one browser per test file, a page
// signed in with the admin key (HTTP Basic), and the script errors and CSP refusals it saw.
// Needs Chromium (apt-get install chromium); CHROMIUM_PATH overrides /usr/bin/chromium.
// Never skips: a missing browser fails the test that needs it.

import { existsSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export interface OpenDashboard {
  context: BrowserContext;
  page: Page;
  /** Script errors and CSP refusals seen by the page. */
  problems: string[];
  /** Paths (with query) of every request the page made, in order. */
  requests: string[];
}

export interface DashboardBrowser {
  open(gatewayUrl: string, adminKey: string, viewport?: { width: number; height: number }): Promise<OpenDashboard>;
  close(): Promise<void>;
}

export function dashboardBrowser(): DashboardBrowser {
  let launched: Promise<Browser> | undefined;
  const browser = (): Promise<Browser> => {
    launched ??= (async () => {
      if (!existsSync(CHROMIUM_PATH)) {
        throw new Error(`Chromium not found at ${CHROMIUM_PATH}. Install it (as root: apt-get update && apt-get install -y chromium) or set CHROMIUM_PATH.`);
      }
      return chromium.launch({ executablePath: CHROMIUM_PATH, timeout: 30_000 });
    })();
    return launched;
  };
  return {
    async open(gatewayUrl, adminKey, viewport) {
      const context = await (await browser()).newContext({ httpCredentials: { username: 'admin', password: adminKey }, ...(viewport ? { viewport } : {}) });
      const page = await context.newPage();
      page.setDefaultTimeout(15_000);
      const problems: string[] = [];
      const requests: string[] = [];
      page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
      page.on('console', (message) => {
        if (message.type() === 'error' && /Content Security Policy|Refused to/i.test(message.text())) problems.push(`console: ${message.text()}`);
      });
      page.on('request', (request) => {
        const url = new URL(request.url());
        requests.push(`${request.method()} ${url.pathname}${url.search}`);
      });
      const response = await page.goto(`${gatewayUrl}/dashboard`);
      if (response?.status() !== 200) throw new Error(`GET /dashboard answered ${response?.status()}`);
      return { context, page, problems, requests };
    },
    async close() {
      const b = launched;
      launched = undefined;
      await b?.then((x) => x.close(), () => {});
    },
  };
}
