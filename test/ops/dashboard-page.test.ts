// Cheap static checks of the dashboard document: it parses, loads nothing from outside,
// carries no inline handlers or innerHTML, its script is valid JavaScript, and the CSP
// hashes match what is inlined. The browser test (dashboard.browser.test.ts) runs it.

import { describe, expect, test } from 'bun:test';
import { parseHTML } from 'linkedom';
import { dashboardPage } from '../../src/http/pages/pages.ts';

const response = dashboardPage();
const DASHBOARD_HTML = await response.text();
const DASHBOARD_HEADERS = Object.fromEntries(response.headers);
const DASHBOARD_CSP = DASHBOARD_HEADERS['content-security-policy'] ?? '';

const { document } = parseHTML(DASHBOARD_HTML);
const scripts = [...document.querySelectorAll('script')];
const styles = [...document.querySelectorAll('style')];
const script = scripts[0]?.textContent ?? '';
const css = styles[0]?.textContent ?? '';
const sha256 = (text: string): string => new Bun.CryptoHasher('sha256').update(text).digest('base64');

/** Attributes that make a browser fetch or navigate. */
const URL_ATTRIBUTES = ['src', 'href', 'action', 'formaction', 'srcset', 'poster', 'data', 'xlink:href', 'background', 'manifest', 'ping'];

describe('dashboard document', () => {
  test('parses as one document with a title, one style and one inline script', () => {
    expect(DASHBOARD_HTML.trimStart().toLowerCase()).toStartWith('<!doctype html>');
    expect(document.title).toContain('kimi-gateway');
    expect(styles).toHaveLength(1);
    expect(scripts).toHaveLength(1);
    expect(scripts[0]!.hasAttribute('src')).toBe(false);
    expect(script.length).toBeGreaterThan(1000);
    expect(script).not.toContain('</script');
  });

  test('has the elements the page script and the tests rely on', () => {
    for (const id of ['identities-body', 'action-result', 'chart', 'recent-body', 'playground-form', 'pg-key', 'pg-model', 'pg-stream', 'pg-message', 'pg-send', 'playground-answer', 'playground-error']) {
      expect(document.getElementById(id)).not.toBeNull();
    }
    expect(document.getElementById('playground-answer')!.textContent).toBe('');
  });

  test('loads nothing from another origin', () => {
    for (const el of document.querySelectorAll('*')) {
      for (const name of URL_ATTRIBUTES) {
        const value = el.getAttribute(name);
        if (value === null) continue;
        // Only same-document or data: references.
        expect({ tag: el.tagName, name, value }).toEqual({ tag: el.tagName, name, value: expect.stringMatching(/^(data:|#|\/(?!\/))/) });
      }
    }
    expect(document.querySelectorAll('link[rel~="stylesheet"], iframe, img, object, embed, base')).toHaveLength(0);
    expect(css).not.toMatch(/@import|url\(/i);
    expect(DASHBOARD_HTML).not.toMatch(/\/\/cdn|cdnjs|unpkg|jsdelivr|googleapis/i);
    // The only absolute URL in the page is the SVG namespace name, which is never fetched.
    const absolute = DASHBOARD_HTML.match(/https?:\/\/[^\s'"<>)]*/g) ?? [];
    expect([...new Set(absolute)]).toEqual(['http://www.w3.org/2000/svg']);
    // Every fetch() goes to a same-origin path.
    const fetched = [...script.matchAll(/\bfetch\(\s*([^,)]+)/g)].map((m) => m[1]!.trim());
    expect(fetched.length).toBeGreaterThanOrEqual(3);
    for (const target of fetched) expect(target === 'path' || /^["'`]\/(admin|v1)\//.test(target)).toBe(true);
    const admin = [...script.matchAll(/(?<!function )\badminFetch\(\s*([^,)]+)/g)].map((m) => m[1]!.trim());
    expect(admin.length).toBeGreaterThanOrEqual(3);
    for (const target of admin) expect(target).toMatch(/^["'`]\/admin\//);
  });

  test('no inline event handlers, no HTML sinks in the script', () => {
    for (const el of document.querySelectorAll('*')) {
      for (const name of el.getAttributeNames()) expect(name.toLowerCase().startsWith('on') ? `${el.tagName} ${name}` : '').toBe('');
    }
    expect(DASHBOARD_HTML).not.toMatch(/javascript:/i);
    expect(script).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function/);
    expect(script).toMatch(/credentials: ["']same-origin["']/);
  });

  test('the script is valid JavaScript (parsed, not run)', () => {
    expect(() => new Function(script)).not.toThrow();
  });

  test('plain ASCII (the compiled script writes non-ASCII characters as \\u escapes)', () => {
    expect(DASHBOARD_HTML).toMatch(/^[\x00-\x7f]*$/);
  });

  test('the CSP allows exactly the inlined script and style', () => {
    expect(DASHBOARD_CSP).toContain(`script-src 'sha256-${sha256(script)}'`);
    expect(DASHBOARD_CSP).toContain(`style-src 'sha256-${sha256(css)}'`);
    expect(DASHBOARD_CSP).toContain("default-src 'none'");
    expect(DASHBOARD_CSP).toContain("connect-src 'self'");
    expect(DASHBOARD_CSP).not.toContain('unsafe-inline');
    expect(DASHBOARD_HEADERS['content-type']).toBe('text/html; charset=utf-8');
  });
});
