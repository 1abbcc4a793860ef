// Finds the `kimi_ajax` settings (nonce, ajax_url) in the chat page. The page is parsed
// as HTML with linkedom; to keep a refresh cheap, the <script> element around the first
// mention of kimi_ajax is parsed on its own first, and the whole page only if that fails.

import { parseHTML } from 'linkedom';

export interface AjaxConfig {
  nonce: string;
  ajaxUrl: string | null;
}

export class AjaxConfigError extends Error {
  override name = 'AjaxConfigError';
}

const DEFINITION = /\bkimi_ajax\s*=(?!=)\s*/;

export function extractAjaxConfig(html: string): AjaxConfig {
  const fragment = scriptAroundFirstMention(html);
  const source = (fragment !== null ? findDefinition(fragment).source : null) ?? findDefinitionOrThrow(html);
  return readObject(source);
}

function scriptAroundFirstMention(html: string): string | null {
  const at = html.search(DEFINITION);
  if (at < 0) return null;
  const open = html.lastIndexOf('<script', at);
  const close = html.indexOf('</script>', at);
  if (open < 0 || close < 0) return null;
  return html.slice(open, close + '</script>'.length);
}

function findDefinition(html: string): { source: string | null; scripts: number } {
  const { document } = parseHTML(`<!doctype html><html><head></head><body>${html}</body></html>`);
  const scripts = document.querySelectorAll('script');
  for (const script of scripts) {
    const text = script.textContent ?? '';
    const match = DEFINITION.exec(text);
    if (match) return { source: text.slice(match.index + match[0].length), scripts: scripts.length };
  }
  return { source: null, scripts: scripts.length };
}

function findDefinitionOrThrow(html: string): string {
  const { source, scripts } = findDefinition(html);
  if (source === null) {
    throw new AjaxConfigError(
      `the chat page has no <script> defining kimi_ajax (${scripts} scripts, ${html.length} characters): ` +
        'the site layout changed or this is not the chat page',
    );
  }
  return source;
}

function readObject(source: string): AjaxConfig {
  const json = balancedObject(source);
  if (json === null) throw new AjaxConfigError('kimi_ajax is not followed by a complete {...} object');
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (error) {
    throw new AjaxConfigError(`kimi_ajax is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new AjaxConfigError('kimi_ajax is not a JSON object');
  }
  const record = parsed as Record<string, unknown>;
  const nonce = record.nonce;
  if ((typeof nonce !== 'string' && typeof nonce !== 'number') || String(nonce).trim() === '') {
    throw new AjaxConfigError(`kimi_ajax has no usable "nonce" (keys: ${Object.keys(record).join(', ') || 'none'})`);
  }
  const ajaxUrl = typeof record.ajax_url === 'string' && record.ajax_url !== '' ? record.ajax_url : null;
  return { nonce: String(nonce).trim(), ajaxUrl };
}

/** The text of the first {...} in `source`, braces inside JSON strings ignored. */
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
