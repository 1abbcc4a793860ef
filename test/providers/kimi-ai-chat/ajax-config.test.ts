import { describe, expect, test } from 'bun:test';
import { AjaxConfigError, extractAjaxConfig } from '../../../src/providers/kimi-ai-chat/ajax-config.ts';

const page = (script: string, filler = '') =>
  `<!doctype html><html><head><script src="/x.js"></script>${filler}${script}</head><body><div id="chat"></div></body></html>`;

describe('extractAjaxConfig', () => {
  test('WordPress wp_localize_script block with escaped slashes and CDATA', () => {
    const html = page(`<script type="text/javascript" id="kimi-chat-js-extra">
/* <![CDATA[ */
var kimi_ajax = {"ajax_url":"https:\\/\\/kimi-ai.chat\\/wp-admin\\/admin-ajax.php","nonce":"3f9a0c1b2d"};
/* ]]> */
</script>`);
    expect(extractAjaxConfig(html)).toEqual({ nonce: '3f9a0c1b2d', ajaxUrl: 'https://kimi-ai.chat/wp-admin/admin-ajax.php' });
  });

  test('extra keys, nested objects with braces in strings, other spacing, 32-char nonce', () => {
    const nonce = 'a'.repeat(16) + '0123456789abcdef';
    const html = page(`<script>window.kimi_ajax={"strings":{"x":"} {"},"nonce" : "${nonce}" ,"ajax_url":"\\/wp-admin\\/admin-ajax.php","n":[1,2]};</script>`);
    expect(extractAjaxConfig(html)).toEqual({ nonce, ajaxUrl: '/wp-admin/admin-ajax.php' });
  });

  test('a mention of kimi_ajax before the definition does not confuse it', () => {
    const html = page(`<script>if (typeof kimi_ajax === "undefined") {}</script><script>var  kimi_ajax  =  {"nonce":"n1"}</script>`);
    expect(extractAjaxConfig(html).nonce).toBe('n1');
  });

  test('finds it in a large page full of other scripts', () => {
    const filler = Array.from({ length: 400 }, (_, i) => `<script>var cfg${i} = {"a":${i},"s":"${'x'.repeat(200)}"};</script>`).join('\n');
    const html = page(`<script>var kimi_ajax = {"nonce":"deadbeef01"};</script>`, filler);
    expect(html.length).toBeGreaterThan(90_000);
    expect(extractAjaxConfig(html).nonce).toBe('deadbeef01');
  });

  test('missing definition: precise error', () => {
    expect(() => extractAjaxConfig(page('<script>var other = {};</script>'))).toThrow(AjaxConfigError);
    expect(() => extractAjaxConfig(page('<script>var other = {};</script>'))).toThrow(/no <script> defining kimi_ajax/);
  });

  test('missing nonce key names the keys found', () => {
    expect(() => extractAjaxConfig(page('<script>var kimi_ajax = {"ajax_url":"/a"};</script>'))).toThrow(/no usable "nonce" \(keys: ajax_url\)/);
  });

  test('object that is not JSON is reported as such', () => {
    expect(() => extractAjaxConfig(page("<script>var kimi_ajax = {nonce: 'abc'};</script>"))).toThrow(/not valid JSON/);
  });

  test('numeric nonce is accepted as a string', () => {
    expect(extractAjaxConfig(page('<script>var kimi_ajax = {"nonce":12345};</script>')).nonce).toBe('12345');
  });
});
