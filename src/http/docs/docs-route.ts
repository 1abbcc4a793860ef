// GET /docs/openapi.json (the OpenAPI 3.1 document, serialised once) and GET /docs: one
// self-contained HTML page (inline CSS and script, no external URL: the binary serves it
// offline) that renders the embedded document: endpoints by tag, parameters, bodies,
// responses and auth. Every value goes in through textContent / createElement, never
// innerHTML; a CSP allows exactly the page's own script and style, by hash.

import { inlinePageHeaders, inlinePageHtml, type InlinePage } from '../../ops/inline-page.ts';
import { CORS_HEADERS } from '../cors.ts';
import { OPENAPI_DOCUMENT } from './openapi.ts';

const OPENAPI_JSON: string = JSON.stringify(OPENAPI_DOCUMENT);

/** The document inside a <script type="application/json"> data block: no "<" can end it early. */
const EMBEDDED_JSON: string = OPENAPI_JSON.replaceAll('<', '\\u003c');

const CSS = String.raw`
:root {
  color-scheme: light dark;
  --bg: #f6f7f9; --panel: #ffffff; --text: #1d2330; --muted: #667085; --line: #e3e6eb; --accent: #2f6fdf;
  --get: #1f7a4d; --get-bg: #e3f5ea; --post: #2f5fbf; --post-bg: #e4ecfb; --delete: #b93a3a; --delete-bg: #fbe5e5;
  --code-bg: #f0f2f5; --mono: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #12151b; --panel: #1b1f27; --text: #e4e7ec; --muted: #9aa3b2; --line: #2c323d; --accent: #6d9cf0;
    --get: #3ccf7a; --get-bg: #173526; --post: #7fa6f2; --post-bg: #1c2740; --delete: #f06b6b; --delete-bg: #3d1d1f;
    --code-bg: #151920;
  }
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--text); font: 14px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
header { padding: 16px 24px; background: var(--panel); border-bottom: 1px solid var(--line); }
h1 { font-size: 20px; margin: 0 0 4px; }
h1 .version { font-size: 13px; font-weight: 400; color: var(--muted); margin-left: 8px; }
h2 { font-size: 16px; margin: 24px 0 4px; }
h3 { font-size: 12px; margin: 14px 0 6px; color: var(--muted); text-transform: uppercase; letter-spacing: .04em; }
main { max-width: 1100px; margin: 0 auto; padding: 8px 24px 48px; }
p { margin: 6px 0; }
a { color: var(--accent); }
code, pre, .mono { font-family: var(--mono); font-size: 12.5px; }
pre { margin: 6px 0; padding: 10px 12px; background: var(--code-bg); border: 1px solid var(--line); border-radius: 6px; overflow-x: auto; white-space: pre; }
.muted { color: var(--muted); }
.toolbar { display: flex; gap: 10px; align-items: center; flex-wrap: wrap; margin-top: 10px; }
input[type="search"] { font: inherit; color: var(--text); background: var(--bg); border: 1px solid var(--line); border-radius: 5px; padding: 5px 9px; min-width: 260px; }
button { font: inherit; font-size: 12px; padding: 4px 10px; border-radius: 5px; border: 1px solid var(--line); background: var(--panel); color: var(--text); cursor: pointer; }
button:hover { border-color: var(--accent); }
.tag-desc { margin: 0 0 8px; color: var(--muted); }
details.op { background: var(--panel); border: 1px solid var(--line); border-radius: 8px; margin: 6px 0; }
details.op > summary { display: flex; align-items: center; gap: 10px; padding: 8px 12px; cursor: pointer; list-style: none; flex-wrap: wrap; }
details.op > summary::-webkit-details-marker { display: none; }
details.op[open] > summary { border-bottom: 1px solid var(--line); }
.op-body { padding: 6px 14px 14px; }
.method { display: inline-block; min-width: 62px; text-align: center; font: 700 12px var(--mono); padding: 2px 6px; border-radius: 4px; text-transform: uppercase; }
.method.get { color: var(--get); background: var(--get-bg); }
.method.post { color: var(--post); background: var(--post-bg); }
.method.delete { color: var(--delete); background: var(--delete-bg); }
.path { font: 600 13.5px var(--mono); }
.op-summary { color: var(--muted); flex: 1; min-width: 180px; }
.auth { font-size: 12px; padding: 1px 8px; border-radius: 10px; border: 1px solid var(--line); color: var(--muted); white-space: nowrap; }
.auth.public { border-style: dashed; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-size: 12px; color: var(--muted); font-weight: 600; }
td.status { font: 700 13px var(--mono); white-space: nowrap; }
.req { color: var(--delete); font-size: 11px; margin-left: 4px; }
details.schema { margin: 4px 0; }
details.schema > summary { cursor: pointer; color: var(--accent); font-size: 12.5px; }
.media { margin: 4px 0 8px; }
.schemes li { margin: 2px 0; }
[hidden] { display: none !important; }
`;

const BODY = String.raw`
<header>
  <h1 id="title">kimi-gateway API</h1>
  <p id="summary" class="muted"></p>
  <p id="description"></p>
  <div class="toolbar">
    <input id="filter" type="search" placeholder="Filter endpoints" aria-label="Filter endpoints">
    <button id="expand" type="button">Expand all</button>
    <button id="collapse" type="button">Collapse all</button>
    <a href="/docs/openapi.json">openapi.json</a>
  </div>
</header>
<main>
  <section id="auth-section">
    <h2>Authentication</h2>
    <ul id="schemes" class="schemes"></ul>
  </section>
  <div id="groups"></div>
  <section id="schemas-section">
    <h2>Schemas</h2>
    <div id="schemas"></div>
  </section>
</main>
`;

const SCRIPT = String.raw`
(() => {
  'use strict';
  const doc = JSON.parse(document.getElementById('openapi').textContent);
  const METHODS = ['get', 'post', 'put', 'patch', 'delete'];
  const $ = (id) => document.getElementById(id);

  /** createElement with a class and children (strings become text nodes). */
  function el(tag, className, ...children) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    for (const child of children) {
      if (child === null || child === undefined || child === false) continue;
      node.append(typeof child === 'string' ? document.createTextNode(child) : child);
    }
    return node;
  }

  /** Follows a local $ref ("#/components/..."), once per level; anything else is returned as is. */
  function resolve(value) {
    let current = value;
    for (let hops = 0; hops < 8 && current && typeof current.$ref === 'string' && current.$ref.startsWith('#/'); hops++) {
      let target = doc;
      for (const part of current.$ref.slice(2).split('/')) target = target ? target[part.replace(/~1/g, '/').replace(/~0/g, '~')] : undefined;
      if (!target) break;
      current = target;
    }
    return current;
  }

  const refName = (value) => (value && typeof value.$ref === 'string' ? value.$ref.split('/').pop() : null);

  /** Pretty JSON where every "$ref" to a schema links to it in the Schemas section. */
  function jsonBlock(value) {
    const pre = el('pre');
    const text = typeof value === 'string' ? value : JSON.stringify(value, null, 2);
    const lines = text.split('\n');
    lines.forEach((line, i) => {
      const match = /^(\s*"\$ref": )"#\/components\/schemas\/([^"]+)"(,?)$/.exec(line);
      if (match) {
        pre.append(document.createTextNode(match[1] + '"'));
        const link = el('a', '', '#/components/schemas/' + match[2]);
        link.href = '#schema-' + match[2];
        pre.append(link, document.createTextNode('"' + match[3]));
      } else {
        pre.append(document.createTextNode(line));
      }
      if (i < lines.length - 1) pre.append(document.createTextNode('\n'));
    });
    return pre;
  }

  function collapsible(label, value, open) {
    const box = el('details', 'schema', el('summary', '', label), jsonBlock(value));
    if (open) box.open = true;
    return box;
  }

  function schemaLabel(schema) {
    const name = refName(schema);
    if (name) return name;
    const s = resolve(schema) || {};
    if (Array.isArray(s.type)) return s.type.join(' | ');
    return s.type || (s.const !== undefined ? JSON.stringify(s.const) : 'schema');
  }

  function securityText(requirements) {
    if (!requirements || requirements.length === 0) return null;
    return requirements.map((req) => Object.keys(req).join(' + ')).join(' or ');
  }

  function schemeDescription(name) {
    const s = (doc.components && doc.components.securitySchemes && doc.components.securitySchemes[name]) || {};
    return name + ': ' + (s.type === 'http' ? 'HTTP ' + s.scheme : s.type || '?') + (s.description ? ' \u2014 ' + s.description : '');
  }

  function parametersTable(params) {
    const table = el('table', '', el('thead', '', el('tr', '', el('th', '', 'name'), el('th', '', 'in'), el('th', '', 'schema'), el('th', '', 'description'))));
    const body = el('tbody');
    for (const raw of params) {
      const p = resolve(raw);
      const s = resolve(p.schema) || {};
      let type = schemaLabel(p.schema);
      if (Array.isArray(s.enum)) type += ': ' + s.enum.join(' | ');
      if (s.default !== undefined) type += ' (default ' + JSON.stringify(s.default) + ')';
      if (s.minimum !== undefined || s.maximum !== undefined) type += ' [' + (s.minimum ?? '') + '..' + (s.maximum ?? '') + ']';
      const name = el('td', 'mono', p.name, p.required ? el('span', 'req', 'required') : null);
      body.append(el('tr', '', name, el('td', '', p.in), el('td', 'mono', type), el('td', '', p.description || '')));
    }
    table.append(body);
    return table;
  }

  function mediaList(content) {
    const box = el('div');
    for (const [type, media] of Object.entries(content || {})) {
      const item = el('div', 'media', el('code', '', type));
      if (media.schema) item.append(collapsible('schema: ' + schemaLabel(media.schema), resolve(media.schema), false));
      if (media['x-sse-data']) item.append(collapsible('each data: event', media['x-sse-data'], false));
      if (media.example !== undefined) item.append(collapsible('example', media.example, false));
      box.append(item);
    }
    return box;
  }

  function responsesTable(responses) {
    const table = el('table', '', el('thead', '', el('tr', '', el('th', '', 'status'), el('th', '', 'description'))));
    const body = el('tbody');
    for (const [status, raw] of Object.entries(responses || {})) {
      const r = resolve(raw);
      const cell = el('td', '', el('p', '', r.description || ''));
      const headerNames = Object.entries(r.headers || {}).map(([name, h]) => {
        const header = resolve(h);
        // Every response carries X-Request-Id (described at the top): its name is enough here.
        const about = header.description && name !== 'X-Request-Id' ? ' \u2014 ' + header.description : '';
        return el('li', '', el('code', '', name), about);
      });
      if (headerNames.length) cell.append(el('div', 'muted', 'Headers:'), el('ul', '', ...headerNames));
      if (r.content) cell.append(mediaList(r.content));
      body.append(el('tr', '', el('td', 'status', status), cell));
    }
    table.append(body);
    return table;
  }

  function operation(path, method, op) {
    const security = op.security !== undefined ? op.security : doc.security;
    const auth = securityText(security);
    const summary = el(
      'summary',
      '',
      el('span', 'method ' + method, method),
      el('span', 'path', path),
      el('span', 'op-summary', op.summary || ''),
      el('span', auth ? 'auth' : 'auth public', auth ? 'auth: ' + auth : 'no auth'),
    );
    const body = el('div', 'op-body');
    if (op.description) body.append(el('p', '', op.description));
    body.append(el('h3', '', 'Authentication'));
    if (auth) body.append(el('ul', 'schemes', ...security.map((req) => el('li', '', Object.keys(req).map(schemeDescription).join(' and ')))));
    else body.append(el('p', 'muted', 'None.'));
    if (op.parameters && op.parameters.length) body.append(el('h3', '', 'Parameters'), parametersTable(op.parameters));
    if (op.requestBody) {
      const rb = resolve(op.requestBody);
      body.append(el('h3', '', 'Request body' + (rb.required ? ' (required)' : '')));
      if (rb.description) body.append(el('p', '', rb.description));
      body.append(mediaList(rb.content));
    }
    body.append(el('h3', '', 'Responses'), responsesTable(op.responses));
    const box = el('details', 'op', summary, body);
    if (op.operationId) box.id = 'op-' + op.operationId;
    box.dataset.search = (method + ' ' + path + ' ' + (op.summary || '') + ' ' + (op.tags || []).join(' ')).toLowerCase();
    return box;
  }

  // ---- header ------------------------------------------------------------------------
  const info = doc.info || {};
  $('title').textContent = (info.title || 'API') + ' API';
  $('title').append(el('span', 'version', 'v' + (info.version || '?') + ' \u00b7 OpenAPI ' + doc.openapi));
  document.title = (info.title || 'API') + ' \u00b7 API';
  $('summary').textContent = info.summary || '';
  $('description').textContent = info.description || '';
  for (const name of Object.keys((doc.components && doc.components.securitySchemes) || {})) $('schemes').append(el('li', '', schemeDescription(name)));

  // ---- endpoints by tag ---------------------------------------------------------------
  const groups = new Map();
  for (const tag of doc.tags || []) groups.set(tag.name, { tag, ops: [] });
  for (const [path, item] of Object.entries(doc.paths || {})) {
    for (const method of METHODS) {
      const op = item[method];
      if (!op) continue;
      const tagName = (op.tags && op.tags[0]) || 'Other';
      if (!groups.has(tagName)) groups.set(tagName, { tag: { name: tagName }, ops: [] });
      groups.get(tagName).ops.push(operation(path, method, op));
    }
  }
  const sections = [];
  for (const { tag, ops } of groups.values()) {
    if (!ops.length) continue;
    const section = el('section', 'tag', el('h2', '', tag.name), tag.description ? el('p', 'tag-desc', tag.description) : null, ...ops);
    sections.push({ section, ops });
    $('groups').append(section);
  }

  // ---- schemas ------------------------------------------------------------------------
  for (const [name, schema] of Object.entries((doc.components && doc.components.schemas) || {})) {
    const box = collapsible(name, schema, false);
    box.id = 'schema-' + name;
    $('schemas').append(box);
  }

  // ---- interaction --------------------------------------------------------------------
  function openTarget() {
    const id = decodeURIComponent(location.hash.slice(1));
    const target = id && document.getElementById(id);
    if (target && target.tagName === 'DETAILS') {
      target.open = true;
      target.scrollIntoView();
    }
  }
  window.addEventListener('hashchange', openTarget);
  openTarget();

  $('filter').addEventListener('input', () => {
    const words = $('filter').value.toLowerCase().split(/\s+/).filter(Boolean);
    for (const { section, ops } of sections) {
      let shown = 0;
      for (const op of ops) {
        const match = words.every((w) => op.dataset.search.includes(w));
        op.hidden = !match;
        if (match) shown++;
      }
      section.hidden = shown === 0;
    }
  });
  const setAll = (open) => {
    for (const { ops } of sections) for (const op of ops) op.open = open;
  };
  $('expand').addEventListener('click', () => setAll(true));
  $('collapse').addEventListener('click', () => setAll(false));
})();
`;

const PAGE: InlinePage = {
  title: 'kimi-gateway &middot; API',
  css: CSS,
  body: BODY,
  // A JSON data block: the CSP's script hash does not cover it, and it is never executed.
  data: `<script type="application/json" id="openapi">${EMBEDDED_JSON}</script>\n`,
  script: SCRIPT,
  cacheControl: 'no-cache',
};

const DOCS_HTML = inlinePageHtml(PAGE);
const DOCS_HEADERS = inlinePageHeaders(PAGE);

const JSON_HEADERS: Readonly<Record<string, string>> = { ...CORS_HEADERS, 'Content-Type': 'application/json' };

export function docsPage(): Response {
  return new Response(DOCS_HTML, { headers: DOCS_HEADERS });
}

export function openApiResponse(): Response {
  return new Response(OPENAPI_JSON, { headers: JSON_HEADERS });
}
