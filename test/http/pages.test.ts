// The pages are their files: the .css and .html served byte for byte inside the frame, the
// .ts compiled to the one inline script the CSP hash allows. And what the compile step promises:
// types stripped, no run-time import, non-ASCII as escapes.

import { describe, expect, test } from 'bun:test';
import { parseHTML } from 'linkedom';
import { openApiDocument } from '../../src/http/docs/openapi.ts';
import { FakeProvider } from '../support/fake-provider.ts';
import { pageScript } from '../../src/http/pages/inline-page.ts';
import { createDocsPage, dashboardPage } from '../../src/http/pages/pages.ts';

const file = (name: string): Promise<string> => Bun.file(new URL(`../../src/http/pages/${name}`, import.meta.url)).text();
const sha256 = (text: string): string => new Bun.CryptoHasher('sha256').update(text).digest('base64');

const PAGES = { dashboard: dashboardPage, docs: createDocsPage(JSON.stringify(openApiDocument(new FakeProvider().models))) };

describe('pages as files', () => {
  for (const [name, page] of Object.entries(PAGES)) {
    test(`${name}: its .css, .html and compiled .ts are what is served`, async () => {
      const res = page();
      const html = await res.text();
      const { document } = parseHTML(html);
      const style = document.querySelector('style')?.textContent ?? '';
      const scripts = [...document.querySelectorAll('script')].filter((s) => !s.getAttribute('type'));
      expect(scripts).toHaveLength(1);
      const script = scripts[0]!.textContent ?? '';
      expect(style).toBe(`\n${await file(`${name}.css`)}`);
      expect(html).toContain(`<body>\n${await file(`${name}.html`)}`);
      expect(script).toBe(pageScript(await file(`${name}.ts`)));
      expect(() => new Function(script)).not.toThrow();
      const csp = res.headers.get('content-security-policy') ?? '';
      expect(csp).toContain(`script-src 'sha256-${sha256(script)}'`);
      expect(csp).toContain(`style-src 'sha256-${sha256(style)}'`);
      // Prepared once: the next answer is the same document.
      expect(await page().text()).toBe(html);
    });
  }

  test('the compile step strips types, keeps the script classic and ASCII', () => {
    const script = pageScript("import type { X } from './x.ts';\nconst dash: string = '—';\nconst x: X | null = null;\n");
    expect(script).not.toMatch(/\bimport\b|: string|: X/);
    expect(script).toMatch(/^[\x00-\x7f]*$/);
    expect(script).toContain('"\\u2014"');
    expect(new Function(`${script}; return 1;`)()).toBe(1);
    expect(() => pageScript("import { x } from './x.ts';\nx();\n")).toThrow('a page script runs as a classic script');
    expect(() => pageScript('export const y = 1;\n')).toThrow('a page script runs as a classic script');
  });
});
