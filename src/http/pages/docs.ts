// The /docs page's browser script (served inline by pages.ts, compiled to JavaScript once
// per process): renders the OpenAPI document embedded in the page: endpoints by tag,
// parameters, bodies, responses and auth, a filter, and the schemas. Every value goes in
// through textContent / createElement, never innerHTML.
// Runs in the browser only: import types, nothing else (the page cannot load modules).

import type { OpenAPIV3_1 } from 'openapi-types';

type Ref = OpenAPIV3_1.ReferenceObject;
type SchemaObject = OpenAPIV3_1.SchemaObject;
/** The page script's view of a media type: openapi.ts adds the x-sse-data extension. */
type MediaTypeObject = OpenAPIV3_1.MediaTypeObject & { 'x-sse-data'?: unknown };

const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null;
const isRef = (value: unknown): value is Ref => isRecord(value) && typeof value.$ref === 'string';

/** The element with this id, of this type (the page's own markup: a miss is a bug). */
function byId<T extends HTMLElement>(id: string, type: new () => T): T {
  const e = document.getElementById(id);
  if (!(e instanceof type)) throw new Error(`#${id} is missing or not a ${type.name}`);
  return e;
}
const $ = (id: string): HTMLElement => byId(id, HTMLElement);

// The page's own data block (docs-route.ts embeds the document it serves at /docs/openapi.json).
const doc = JSON.parse($('openapi').textContent ?? '') as OpenAPIV3_1.Document;

type Child = Node | string | null | undefined | false;

/** createElement with a class and children (strings become text nodes). */
function el<K extends keyof HTMLElementTagNameMap>(tag: K, className?: string, ...children: Child[]): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) node.className = className;
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    node.append(typeof child === 'string' ? document.createTextNode(child) : child);
  }
  return node;
}

/** Follows a local $ref ("#/components/..."), once per level; anything else is returned as is. */
function resolve<T>(value: T | Ref | undefined): T | undefined {
  let current: unknown = value;
  for (let hops = 0; hops < 8 && isRef(current) && current.$ref.startsWith('#/'); hops++) {
    let target: unknown = doc;
    for (const part of current.$ref.slice(2).split('/')) target = isRecord(target) ? target[part.replace(/~1/g, '/').replace(/~0/g, '~')] : undefined;
    if (!target) break;
    current = target;
  }
  // A reference resolves to what it points at: the document's own structure.
  return current as T | undefined;
}

const refName = (value: unknown): string | null => (isRef(value) ? (value.$ref.split('/').pop() ?? null) : null);

/** Pretty JSON where every "$ref" to a schema links to it in the Schemas section. */
function jsonBlock(value: unknown): HTMLPreElement {
  const pre = el('pre');
  const text = typeof value === 'string' ? value : JSON.stringify(value, null, 2);
  const lines = text.split('\n');
  lines.forEach((line, i) => {
    const match = /^(\s*"\$ref": )"#\/components\/schemas\/([^"]+)"(,?)$/.exec(line);
    if (match) {
      pre.append(document.createTextNode(`${match[1]}"`));
      const link = el('a', '', `#/components/schemas/${match[2]}`);
      link.href = `#schema-${match[2]}`;
      pre.append(link, document.createTextNode(`"${match[3]}`));
    } else {
      pre.append(document.createTextNode(line));
    }
    if (i < lines.length - 1) pre.append(document.createTextNode('\n'));
  });
  return pre;
}

function collapsible(label: string, value: unknown, open: boolean): HTMLDetailsElement {
  const box = el('details', 'schema', el('summary', '', label), jsonBlock(value));
  if (open) box.open = true;
  return box;
}

function schemaLabel(schema: SchemaObject | Ref | undefined): string {
  const name = refName(schema);
  if (name) return name;
  const s: SchemaObject = resolve(schema) || {};
  if (Array.isArray(s.type)) return s.type.join(' | ');
  return s.type || (s.const !== undefined ? JSON.stringify(s.const) : 'schema');
}

function securityText(requirements: OpenAPIV3_1.SecurityRequirementObject[] | undefined): string | null {
  if (!requirements || requirements.length === 0) return null;
  return requirements.map((req) => Object.keys(req).join(' + ')).join(' or ');
}

function schemeDescription(name: string): string {
  const s = resolve(doc.components?.securitySchemes?.[name]);
  const kind = !s ? '?' : s.type === 'http' ? `HTTP ${s.scheme}` : s.type || '?';
  return `${name}: ${kind}${s?.description ? ` — ${s.description}` : ''}`;
}

function parametersTable(params: (OpenAPIV3_1.ParameterObject | Ref)[]): HTMLTableElement {
  const table = el('table', '', el('thead', '', el('tr', '', el('th', '', 'name'), el('th', '', 'in'), el('th', '', 'schema'), el('th', '', 'description'))));
  const body = el('tbody');
  for (const raw of params) {
    const p = resolve(raw);
    if (!p) continue;
    // openapi-types gives parameters OpenAPI 3.0 schemas; in 3.1 they are the same schemas as everywhere else.
    const schema = p.schema as SchemaObject | Ref | undefined;
    const s: SchemaObject = resolve(schema) || {};
    let type = schemaLabel(schema);
    if (Array.isArray(s.enum)) type += `: ${s.enum.join(' | ')}`;
    if (s.default !== undefined) type += ` (default ${JSON.stringify(s.default)})`;
    if (s.minimum !== undefined || s.maximum !== undefined) type += ` [${s.minimum ?? ''}..${s.maximum ?? ''}]`;
    const name = el('td', 'mono', p.name, p.required ? el('span', 'req', 'required') : null);
    body.append(el('tr', '', name, el('td', '', p.in), el('td', 'mono', type), el('td', '', p.description || '')));
  }
  table.append(body);
  return table;
}

function mediaList(content: Record<string, MediaTypeObject> | undefined): HTMLDivElement {
  const box = el('div');
  for (const [type, media] of Object.entries(content || {})) {
    const item = el('div', 'media', el('code', '', type));
    if (media.schema) item.append(collapsible(`schema: ${schemaLabel(media.schema)}`, resolve(media.schema), false));
    if (media['x-sse-data']) item.append(collapsible('each data: event', media['x-sse-data'], false));
    if (media.example !== undefined) item.append(collapsible('example', media.example, false));
    box.append(item);
  }
  return box;
}

function responsesTable(responses: OpenAPIV3_1.ResponsesObject | undefined): HTMLTableElement {
  const table = el('table', '', el('thead', '', el('tr', '', el('th', '', 'status'), el('th', '', 'description'))));
  const body = el('tbody');
  for (const [status, raw] of Object.entries(responses || {})) {
    const r = resolve(raw);
    if (!r) continue;
    const cell = el('td', '', el('p', '', r.description || ''));
    const headerNames = Object.entries(r.headers || {}).map(([name, h]) => {
      const header = resolve(h);
      // Every response carries X-Request-Id (described at the top): its name is enough here.
      const about = header?.description && name !== 'X-Request-Id' ? ` — ${header.description}` : '';
      return el('li', '', el('code', '', name), about);
    });
    if (headerNames.length) cell.append(el('div', 'muted', 'Headers:'), el('ul', '', ...headerNames));
    if (r.content) cell.append(mediaList(r.content));
    body.append(el('tr', '', el('td', 'status', status), cell));
  }
  table.append(body);
  return table;
}

function operation(path: string, method: string, op: OpenAPIV3_1.OperationObject): HTMLDetailsElement {
  const security = op.security !== undefined ? op.security : doc.security;
  const auth = securityText(security);
  const summary = el(
    'summary',
    '',
    el('span', `method ${method}`, method),
    el('span', 'path', path),
    el('span', 'op-summary', op.summary || ''),
    el('span', auth ? 'auth' : 'auth public', auth ? `auth: ${auth}` : 'no auth'),
  );
  const body = el('div', 'op-body');
  if (op.description) body.append(el('p', '', op.description));
  body.append(el('h3', '', 'Authentication'));
  if (auth && security) body.append(el('ul', 'schemes', ...security.map((req) => el('li', '', Object.keys(req).map(schemeDescription).join(' and ')))));
  else body.append(el('p', 'muted', 'None.'));
  if (op.parameters && op.parameters.length) body.append(el('h3', '', 'Parameters'), parametersTable(op.parameters));
  if (op.requestBody) {
    const rb = resolve(op.requestBody);
    body.append(el('h3', '', `Request body${rb?.required ? ' (required)' : ''}`));
    if (rb?.description) body.append(el('p', '', rb.description));
    body.append(mediaList(rb?.content));
  }
  body.append(el('h3', '', 'Responses'), responsesTable(op.responses));
  const box = el('details', 'op', summary, body);
  if (op.operationId) box.id = `op-${op.operationId}`;
  box.dataset.search = `${method} ${path} ${op.summary || ''} ${(op.tags || []).join(' ')}`.toLowerCase();
  return box;
}

// ---- header ------------------------------------------------------------------------
const info: Partial<OpenAPIV3_1.InfoObject> = doc.info || {};
$('title').textContent = `${info.title || 'API'} API`;
$('title').append(el('span', 'version', `v${info.version || '?'} · OpenAPI ${doc.openapi}`));
document.title = `${info.title || 'API'} · API`;
$('summary').textContent = info.summary || '';
$('description').textContent = info.description || '';
for (const name of Object.keys(doc.components?.securitySchemes || {})) $('schemes').append(el('li', '', schemeDescription(name)));

// ---- endpoints by tag ---------------------------------------------------------------
interface Group {
  tag: OpenAPIV3_1.TagObject;
  ops: HTMLDetailsElement[];
}
const groups = new Map<string, Group>();
for (const tag of doc.tags || []) groups.set(tag.name, { tag, ops: [] });
for (const [path, item] of Object.entries(doc.paths || {})) {
  for (const method of METHODS) {
    const op = item?.[method];
    if (!op) continue;
    const tagName = (op.tags && op.tags[0]) || 'Other';
    let group = groups.get(tagName);
    if (!group) {
      group = { tag: { name: tagName }, ops: [] };
      groups.set(tagName, group);
    }
    group.ops.push(operation(path, method, op));
  }
}
const sections: { section: HTMLElement; ops: HTMLDetailsElement[] }[] = [];
for (const { tag, ops } of groups.values()) {
  if (!ops.length) continue;
  const section = el('section', 'tag', el('h2', '', tag.name), tag.description ? el('p', 'tag-desc', tag.description) : null, ...ops);
  sections.push({ section, ops });
  $('groups').append(section);
}

// ---- schemas ------------------------------------------------------------------------
for (const [name, schema] of Object.entries(doc.components?.schemas || {})) {
  const box = collapsible(name, schema, false);
  box.id = `schema-${name}`;
  $('schemas').append(box);
}

// ---- interaction --------------------------------------------------------------------
function openTarget(): void {
  const id = decodeURIComponent(location.hash.slice(1));
  const target = id && document.getElementById(id);
  if (target instanceof HTMLDetailsElement) {
    target.open = true;
    target.scrollIntoView();
  }
}
window.addEventListener('hashchange', openTarget);
openTarget();

const filter = byId('filter', HTMLInputElement);
filter.addEventListener('input', () => {
  const words = filter.value.toLowerCase().split(/\s+/).filter(Boolean);
  for (const { section, ops } of sections) {
    let shown = 0;
    for (const op of ops) {
      const match = words.every((w) => (op.dataset.search ?? '').includes(w));
      op.hidden = !match;
      if (match) shown++;
    }
    section.hidden = shown === 0;
  }
});
const setAll = (open: boolean): void => {
  for (const { ops } of sections) for (const op of ops) op.open = open;
};
$('expand').addEventListener('click', () => setAll(true));
$('collapse').addEventListener('click', () => setAll(false));
