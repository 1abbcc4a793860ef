// The page drift faults: the chat page as after a site change the gateway cannot read —
// kimi_ajax renamed away (page_no_ajax), or kimi_ajax without its nonce (page_no_nonce).
// Only on the page; the rest of the page and its cookies stay as they were.

import { afterEach, describe, expect, test } from 'bun:test';
import { AjaxConfigError, extractAjaxConfig } from '../../src/providers/kimi-ai-chat/ajax-config.ts';
import { emulatorHarness, visitPage } from './helpers.ts';

const harness = emulatorHarness();
afterEach(() => harness.stopAll());

const page = async (url: string, cookie?: string) => {
  const response = await fetch(`${url}/chat/`, { headers: cookie ? { cookie } : {} });
  return { response, html: await response.text() };
};
const configError = (html: string): string => {
  try {
    extractAjaxConfig(html);
  } catch (error) {
    if (error instanceof AjaxConfigError) return error.message;
    throw error;
  }
  throw new Error('the page still has a usable kimi_ajax');
};

describe('page drift faults', () => {
  test('page_no_ajax: a 200 chat page, same title and cookies, with no kimi_ajax anywhere', async () => {
    const emulator = harness.start({ faults: [{ kind: 'page_no_ajax', on: 'page' }] });
    const { response, html } = await page(emulator.url);
    expect(response.status).toBe(200);
    expect(html).toContain('<title>Kimi AI Chat');
    expect(html).not.toContain('kimi_ajax');
    expect(response.headers.getSetCookie().some((c) => c.startsWith('kimi_visitor='))).toBe(true);
    expect(configError(html)).toContain('no <script> defining kimi_ajax');
  });

  test('page_no_nonce: kimi_ajax is there, without a nonce', async () => {
    const emulator = harness.start({ faults: [{ kind: 'page_no_nonce', on: 'page' }] });
    const { html } = await page(emulator.url);
    const ajax = JSON.parse(/var kimi_ajax = (\{.*?\});/.exec(html)![1]!) as Record<string, unknown>;
    expect(Object.keys(ajax).sort()).toEqual(['ajax_url', 'strings']);
    expect(configError(html)).toContain('no usable "nonce"');
  });

  test('times and identity work as for any page fault; the normal page comes back after', async () => {
    const emulator = harness.start({ faults: [{ kind: 'page_no_ajax', on: 'page', identity: 'anonymous', times: 1 }] });
    expect((await visitPage(emulator, 'kimi_visitor=alice')).nonce).toMatch(/^[0-9a-f]{10}$/);
    expect((await page(emulator.url)).html).not.toContain('kimi_ajax');
    expect((await page(emulator.url)).html).toContain('kimi_ajax');
  });

  test("on a message they make no sense: 'on' must be 'page'", () => {
    const emulator = harness.start();
    expect(() => emulator.addFault({ kind: 'page_no_nonce' })).toThrow("fault 'page_no_nonce' changes the chat page: 'on' must be 'page'");
    expect(() => emulator.addFault({ kind: 'page_no_ajax', on: 'message' })).toThrow("'on' must be 'page'");
  });
});
