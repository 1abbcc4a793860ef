// The nonce comes only from a runnable <script> element's kimi_ajax: decoys in comments,
// attributes, raw-text elements and inert templates are ignored; the nonce is bounded in
// size and charset; a page stuffed with scripts is refused after a bounded scan.

import { describe, expect, test } from 'bun:test';
import { AjaxConfigError, extractAjaxConfig, MAX_SCRIPTS } from '../../../src/providers/kimi-ai-chat/ajax-config.ts';
import { scriptElements } from '../../../src/providers/kimi-ai-chat/html-scripts.ts';

const REAL = '<script type="text/javascript" id="kimi-chat-js-extra">var kimi_ajax = {"ajax_url":"\\/wp-admin\\/admin-ajax.php","nonce":"real000001"};</script>';
const decoy = (nonce = 'decoy00001') => `var kimi_ajax = {"nonce":"${nonce}"};`;
const page = (before: string) => `<!doctype html><html><head><title>Kimi</title></head><body>${before}${REAL}</body></html>`;

describe('decoys before the real definition', () => {
  const cases: Record<string, string> = {
    'an HTML comment': `<!-- <script>${decoy()}</script> -->`,
    'a comment holding only the text': `<!-- ${decoy()} -->`,
    'a single-quoted attribute': `<div data-x='<script>${decoy()}</script>'></div>`,
    'a double-quoted attribute with ">" inside': `<a title="a > b <script>${decoy().replaceAll('"', '&quot;')}</script>">x</a>`,
    'an unquoted attribute followed by text': `<p class=x>${decoy()}</p>`,
    'a <textarea>': `<textarea><script>${decoy()}</script></textarea>`,
    'a <title> in the body': `<title><script>${decoy()}</script></title>`,
    'a <style>': `<style>/* <script>${decoy()}</script> */</style>`,
    'a <noscript>': `<noscript><script>${decoy()}</script></noscript>`,
    'an inert <template>': `<template><div><script>${decoy()}</script></div></template>`,
    'a non-JavaScript script type': `<script type="text/template">${decoy()}</script>`,
    'a JSON script': `<script type="application/json">{"x":"${decoy().replaceAll('"', '\\"')}"}</script>`,
    'a "<!-->" empty comment before a comment decoy': `<!--><!-- <script>${decoy()}</script> -->`,
    'upper-case tags inside a comment': `<!-- <SCRIPT>${decoy()}</SCRIPT> -->`,
  };
  for (const [where, html] of Object.entries(cases)) {
    test(`in ${where}: ignored, the real nonce is read`, () => {
      expect(extractAjaxConfig(page(html)).nonce).toBe('real000001');
    });
  }

  test('a decoy alone (no real script) is not a nonce', () => {
    expect(() => extractAjaxConfig(`<html><body><!-- <script>${decoy()}</script> --><textarea>${decoy()}</textarea></body></html>`)).toThrow(
      /no <script> defining kimi_ajax/,
    );
  });

  test('a script after a closed textarea and a closed template still counts', () => {
    const html = `<textarea>x</TEXTAREA ><template><p></p></template><script>${decoy('after00001')}</script>`;
    expect(extractAjaxConfig(html).nonce).toBe('after00001');
  });

  test('type="module" and upper-case tags are runnable scripts', () => {
    expect(extractAjaxConfig(`<SCRIPT TYPE="module">${decoy('module0001')}</SCRIPT>`).nonce).toBe('module0001');
  });
});

describe('bounds', () => {
  test('a 5 MB nonce is refused, saying only its length', () => {
    const huge = 'a'.repeat(5 * 1024 * 1024);
    let error: unknown;
    try {
      extractAjaxConfig(`<script>var kimi_ajax = {"nonce":"${huge}"};</script>`);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(AjaxConfigError);
    expect((error as Error).message).toContain(String(huge.length));
    expect((error as Error).message.length).toBeLessThan(200);
  });

  test('nonce charset: [A-Za-z0-9_-] only, 1-128 characters', () => {
    expect(extractAjaxConfig(`<script>var kimi_ajax = {"nonce":"${'x'.repeat(128)}"};</script>`).nonce).toHaveLength(128);
    expect(extractAjaxConfig('<script>var kimi_ajax = {"nonce":"a-b_C9"};</script>').nonce).toBe('a-b_C9');
    for (const bad of ['x'.repeat(129), 'abc def', 'abc;def', 'abc\\r\\nX-Injected: 1', '\\u00e9t\\u00e9', '<b>']) {
      expect(() => extractAjaxConfig(`<script>var kimi_ajax = {"nonce":"${bad}"};</script>`)).toThrow(AjaxConfigError);
    }
  });

  test('an ajax_url longer than 2048 characters is refused', () => {
    expect(() => extractAjaxConfig(`<script>var kimi_ajax = {"nonce":"n1","ajax_url":"/${'p'.repeat(3000)}"};</script>`)).toThrow(/ajax_url/);
  });

  test('the keys named in an error are few and short', () => {
    const keys = Array.from({ length: 500 }, (_, i) => `"${'k'.repeat(100)}${i}":1`).join(',');
    let message = '';
    try {
      extractAjaxConfig(`<script>var kimi_ajax = {${keys}};</script>`);
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toContain('490 more');
    expect(message.length).toBeLessThan(600);
  });

  test(`more than ${MAX_SCRIPTS} scripts before any kimi_ajax: refused without building a DOM`, () => {
    const html = `<html><head>${'<script></script>'.repeat(300_000)}</head><body>${REAL}</body></html>`;
    const t0 = performance.now();
    expect(() => extractAjaxConfig(html)).toThrow(/more than 10000 <script> elements/);
    // The scan stops at the cap: a fraction of the 5 MB page is looked at.
    expect(performance.now() - t0).toBeLessThan(500);
  });
});

describe('scriptElements (the pre-scan)', () => {
  test('yields each real script with its start tag and raw text', () => {
    const found = [...scriptElements('<p a="<script>">x</p><script id=a>one</script><!--<script>two</script>--><script\ttype="module"\n>three</script >')];
    expect(found.map((s) => [s.openTag, s.text])).toEqual([
      ['<script id=a>', 'one'],
      ['<script\ttype="module"\n>', 'three'],
    ]);
  });

  test('"</script" only ends a script when followed by a space, "/" or ">"', () => {
    expect([...scriptElements('<script>a = "</scripty>";</script>')].map((s) => s.text)).toEqual(['a = "</scripty>";']);
  });

  test('an unterminated comment or tag ends the scan', () => {
    expect([...scriptElements('<!-- <script>x</script>')]).toEqual([]);
    expect([...scriptElements('<div title="<script>x</script>')]).toEqual([]);
  });
});
