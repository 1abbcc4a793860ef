// Finds the `kimi_ajax` settings (nonce, ajax_url) in the chat page, only where a browser
// would run them: a <script> element of the page (not a comment, an attribute, a textarea
// or an inert template). A linear pre-scan (html-scripts.ts) finds the real script
// elements; only those that define kimi_ajax are parsed with linkedom, so a page stuffed
// with elements costs a scan, not a DOM. The nonce and ajax_url are bounded in size and
// charset: they are stored, persisted and sent back on every message.

import { parseHTML } from 'linkedom';
import { scriptElements, type ScriptElement } from './html-scripts.ts';

export interface AjaxConfig {
  nonce: string;
  ajaxUrl: string | null;
}

export class AjaxConfigError extends Error {
  override name = 'AjaxConfigError';
}

const DEFINITION = /\bkimi_ajax\s*=(?!=)\s*/;
/** WordPress nonces are 10 hex characters; one client claims 32. Anything else is not a nonce. */
const NONCE = /^[A-Za-z0-9_-]{1,128}$/;

/** Whether a nonce is within the bounds the gateway accepts from the page (also checked on restore). */
export const isAcceptableNonce = (value: string): boolean => NONCE.test(value);
const MAX_AJAX_URL_LENGTH = 2048;
/** Real chat pages carry tens of scripts; past this many the page is not the chat page. */
export const MAX_SCRIPTS = 10_000;
/** JavaScript MIME types (HTML's "JavaScript MIME type essence match") plus "module". */
const JS_TYPES = new Set([
  '',
  'module',
  'application/ecmascript',
  'application/javascript',
  'application/x-ecmascript',
  'application/x-javascript',
  'text/ecmascript',
  'text/javascript',
  'text/javascript1.0',
  'text/javascript1.1',
  'text/javascript1.2',
  'text/javascript1.3',
  'text/javascript1.4',
  'text/javascript1.5',
  'text/jscript',
  'text/livescript',
  'text/x-ecmascript',
  'text/x-javascript',
]);

export function extractAjaxConfig(html: string): AjaxConfig {
  let scripts = 0;
  for (const script of scriptElements(html)) {
    if (++scripts > MAX_SCRIPTS) {
      throw new AjaxConfigError(`the chat page has more than ${MAX_SCRIPTS} <script> elements before any kimi_ajax: not the chat page`);
    }
    if (script.inert || !DEFINITION.test(script.text)) continue;
    const source = definitionIn(script);
    if (source !== null) return readObject(source);
  }
  throw new AjaxConfigError(
    `the chat page has no <script> defining kimi_ajax (${scripts} scripts, ${html.length} characters): ` +
      'the site layout changed or this is not the chat page',
  );
}

/** Parses one candidate element with linkedom; the text after `kimi_ajax =` if it is a runnable script. */
function definitionIn(candidate: ScriptElement): string | null {
  const { document } = parseHTML(`<!doctype html><html><head>${candidate.openTag}${candidate.text}</script></head><body></body></html>`);
  const script = document.querySelector('script');
  if (!script) return null;
  const type = (script.getAttribute('type') ?? '').split(';')[0]!.trim().toLowerCase();
  if (!JS_TYPES.has(type)) return null;
  const text = script.textContent ?? '';
  const match = DEFINITION.exec(text);
  return match ? text.slice(match.index + match[0].length) : null;
}

function readObject(source: string): AjaxConfig {
  const json = balancedObject(source);
  if (json === null) throw new AjaxConfigError('kimi_ajax is not followed by a complete {...} object');
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (error) {
    throw new AjaxConfigError(`kimi_ajax is not valid JSON: ${short((error as Error).message, 100)}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new AjaxConfigError('kimi_ajax is not a JSON object');
  }
  const record = parsed as Record<string, unknown>;
  const nonce = Object.hasOwn(record, 'nonce') ? record.nonce : undefined;
  if ((typeof nonce !== 'string' && typeof nonce !== 'number') || String(nonce).trim() === '') {
    throw new AjaxConfigError(`kimi_ajax has no usable "nonce" (keys: ${keyList(record)})`);
  }
  const value = String(nonce).trim();
  if (!NONCE.test(value)) {
    throw new AjaxConfigError(`kimi_ajax.nonce is not 1-128 characters of [A-Za-z0-9_-] (${value.length} characters): refused`);
  }
  const rawUrl = Object.hasOwn(record, 'ajax_url') ? record.ajax_url : undefined;
  const ajaxUrl = typeof rawUrl === 'string' && rawUrl !== '' ? rawUrl : null;
  if (ajaxUrl !== null && ajaxUrl.length > MAX_AJAX_URL_LENGTH) {
    throw new AjaxConfigError(`kimi_ajax.ajax_url is ${ajaxUrl.length} characters long (limit ${MAX_AJAX_URL_LENGTH}): refused`);
  }
  return { nonce: value, ajaxUrl };
}

/** The first {...} in `source`, braces inside JSON strings ignored. */
function balancedObject(source: string): string | null {
  const start = source.indexOf('{');
  if (start < 0 || source.slice(0, start).trim() !== '') return null;
  let depth = 0;
  let inString = false;
  for (let i = start; i < source.length; i++) {
    const c = source[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{') depth++;
    else if (c === '}' && --depth === 0) return source.slice(start, i + 1);
  }
  return null;
}

/** Up to 10 key names, each cut short and printable: the page is not ours to echo whole. */
function keyList(record: Record<string, unknown>): string {
  const keys = Object.keys(record);
  if (keys.length === 0) return 'none';
  const shown = keys.slice(0, 10).map((k) => short(k.replace(/[^\x20-\x7e]/g, '?'), 32));
  return keys.length > 10 ? `${shown.join(', ')}, … ${keys.length - 10} more` : shown.join(', ');
}

function short(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
