import { afterEach, describe, expect, test } from 'bun:test';
import { parseHTML } from 'linkedom';
import { emulatorHarness, KIMI_AJAX_RE, visitPage } from './helpers.ts';

const harness = emulatorHarness();
afterEach(() => harness.stopAll());

describe('chat page', () => {
  test('defines kimi_ajax with WordPress-escaped slashes pointing at the emulator', async () => {
    const emulator = harness.start();
    const html = await (await fetch(`${emulator.url}/chat/`)).text();
    const escapedUrl = `${emulator.url}/wp-admin/admin-ajax.php`.replaceAll('/', '\\/');
    const nonce = /"nonce":"([0-9a-f]{10})"/.exec(html)?.[1];
    expect(nonce).toBeDefined();
    expect(html).toContain(
      '<script type="text/javascript" id="kimi-chat-js-extra">\n/* <![CDATA[ */\n' +
        `var kimi_ajax = {"ajax_url":"${escapedUrl}","nonce":"${nonce}","strings":{"error":"Error"}};\n` +
        '/* ]]> */\n</script>',
    );
    expect(escapedUrl).toStartWith('http:\\/\\/127.0.0.1:');
    const ajax = JSON.parse(KIMI_AJAX_RE.exec(html)?.[1] ?? '{}') as { ajax_url?: string };
    expect(ajax.ajax_url).toBe(`${emulator.url}/wp-admin/admin-ajax.php`);
  });

  test('sets several cookies, including the visitor cookie, on a first visit', async () => {
    const emulator = harness.start();
    const { setCookies, response } = await visitPage(emulator);
    expect(response.headers.get('content-type')).toBe('text/html; charset=UTF-8');
    expect(setCookies.length).toBeGreaterThanOrEqual(2);
    expect(setCookies[0]).toMatch(/^kimi_visitor=[0-9a-f]{16}; Path=\/; Max-Age=86400; HttpOnly; SameSite=Lax$/);
    expect(setCookies.some((line) => line.startsWith('pll_language=en; Path=/; Expires='))).toBe(true);
  });

  test('keeps an existing visitor cookie and counts the page under it', async () => {
    const emulator = harness.start();
    const { setCookies } = await visitPage(emulator, 'kimi_visitor=acc-1; other=x');
    expect(setCookies).toEqual([]);
    expect(emulator.stats()['acc-1']?.pages).toBe(1);
  });

  test('issues a fresh nonce of nonceLength hex characters on every visit', async () => {
    const emulator = harness.start({ nonceLength: 32 });
    const first = await visitPage(emulator, 'kimi_visitor=a');
    const second = await visitPage(emulator, 'kimi_visitor=a');
    expect(first.nonce).toMatch(/^[0-9a-f]{32}$/);
    expect(second.nonce).not.toBe(first.nonce);
  });

  test('is served at /chat too, and is a realistic page of about pageFillerBytes', async () => {
    const emulator = harness.start({ pageFillerBytes: 60_000 });
    const response = await fetch(`${emulator.url}/chat`);
    const html = await response.text();
    expect(response.status).toBe(200);
    expect(html.length).toBeGreaterThan(60_000);
    expect(html.length).toBeLessThan(80_000);
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html.match(/<script/g)?.length ?? 0).toBeGreaterThanOrEqual(8);
    expect(html.match(/<link /g)?.length ?? 0).toBeGreaterThanOrEqual(5);
  });

  test('parses as HTML with exactly one kimi-chat-js-extra script', async () => {
    const emulator = harness.start();
    const { html } = await visitPage(emulator);
    const { document } = parseHTML(html);
    const scripts = [...document.querySelectorAll('script')].filter((s) => s.textContent?.includes('var kimi_ajax'));
    expect(scripts).toHaveLength(1);
    expect(scripts[0]?.getAttribute('id')).toBe('kimi-chat-js-extra');
  });

  test('answers other paths with a 404 HTML page', async () => {
    const emulator = harness.start();
    const response = await fetch(`${emulator.url}/wp-login.php`);
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toContain('text/html');
    expect(await response.text()).toContain('<title>Page not found');
  });
});
