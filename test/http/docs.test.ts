// GET /docs/openapi.json and GET /docs against the real gateway: the document looks like
// OpenAPI 3.1, names exactly the routes src/http/app.ts registers (Elysia's route table of
// the app createApp builds, not a hand-kept list), every documented route is routed by the
// running app with a documented status, live answers match their documented schemas, and
// the page is self-contained HTML under a hash-based CSP. Neither needs a key.

import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { parseHTML } from 'linkedom';
import { createApp, type AppDeps } from '../../src/http/app.ts';
import { FakeProvider } from '../support/fake-provider.ts';
import { ModelCatalog } from '../../src/conversation/model-catalog.ts';
import type { Schema, SchemaObject } from '../../src/http/docs/openapi.ts';
import { HTTP_METHODS, type OpenApiDocument, type ParameterObject, type ResponseObject, type SecurityRequirement } from '../../src/http/docs/openapi.ts';
import { VERSION } from '../../src/version.ts';
import { readSse, startHarness, TEST_KEY, type Harness } from '../helpers/harness.ts';

const ADMIN_KEY = 'adm-docs-test-0123456789';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ env: { ADMIN_KEY } });
});

/** fetch with the credentials the route's documented security asks for (none for the rest). */
function callAs(path: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  if (path.startsWith('/v1/')) headers.set('authorization', `Bearer ${TEST_KEY}`);
  else if (path.startsWith('/admin/') || path === '/dashboard') headers.set('authorization', `Bearer ${ADMIN_KEY}`);
  return fetch(`${h.gateway.url}${path}`, { ...init, headers });
}

/**
 * The JSON Schema keywords openapi.ts uses, enough to check live answers against it.
 * Returns one message per mismatch, each naming its location.
 */
function mismatches(doc: OpenApiDocument, schema: Schema, value: unknown, at = '$'): string[] {
  if ('$ref' in schema) {
    const name = schema.$ref.replace('#/components/schemas/', '');
    const target = doc.components.schemas[name];
    return target ? mismatches(doc, target, value, at) : [`${at}: unresolvable ${schema.$ref}`];
  }
  const s: SchemaObject = schema;
  const errors: string[] = [];
  const typeOf = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'array' : Number.isInteger(v) ? 'integer' : typeof v);
  if (s.type !== undefined) {
    const allowed = Array.isArray(s.type) ? s.type : [s.type];
    const actual = typeOf(value);
    if (!allowed.includes(actual as never) && !(actual === 'integer' && allowed.includes('number'))) errors.push(`${at}: ${actual} is not ${allowed.join('|')}`);
  }
  if (s.const !== undefined && !Bun.deepEquals(value, s.const)) errors.push(`${at}: ${JSON.stringify(value)} is not ${JSON.stringify(s.const)}`);
  if (s.enum && !s.enum.some((e) => Bun.deepEquals(e, value))) errors.push(`${at}: ${JSON.stringify(value)} not in ${JSON.stringify(s.enum)}`);
  if (typeof value === 'number') {
    if (s.minimum !== undefined && value < s.minimum) errors.push(`${at}: ${value} < ${s.minimum}`);
    if (s.maximum !== undefined && value > s.maximum) errors.push(`${at}: ${value} > ${s.maximum}`);
  }
  if (typeof value === 'string') {
    if (s.maxLength !== undefined && value.length > s.maxLength) errors.push(`${at}: longer than ${s.maxLength}`);
    if (s.minLength !== undefined && value.length < s.minLength) errors.push(`${at}: shorter than ${s.minLength}`);
    if (s.pattern !== undefined && !new RegExp(s.pattern, 'u').test(value)) errors.push(`${at}: does not match ${s.pattern}`);
  }
  if (Array.isArray(value)) {
    if (s.minItems !== undefined && value.length < s.minItems) errors.push(`${at}: fewer than ${s.minItems} items`);
    if (s.maxItems !== undefined && value.length > s.maxItems) errors.push(`${at}: more than ${s.maxItems} items`);
    const items = 'items' in s ? s.items : undefined;
    if (items) value.forEach((v, i) => errors.push(...mismatches(doc, items, v, `${at}[${i}]`)));
  }
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const object = value as Record<string, unknown>;
    for (const key of s.required ?? []) if (!(key in object)) errors.push(`${at}: missing ${key}`);
    for (const [key, v] of Object.entries(object)) {
      const property = s.properties?.[key];
      if (property) errors.push(...mismatches(doc, property, v, `${at}.${key}`));
      else if (s.additionalProperties === false) errors.push(`${at}: unexpected ${key}`);
      else if (typeof s.additionalProperties === 'object') errors.push(...mismatches(doc, s.additionalProperties, v, `${at}.${key}`));
    }
  }
  if (s.oneOf) {
    const matching = s.oneOf.filter((option) => mismatches(doc, option, value, at).length === 0).length;
    if (matching !== 1) errors.push(`${at}: matches ${matching} of oneOf, not exactly 1`);
  }
  if (s.anyOf && !s.anyOf.some((option) => mismatches(doc, option, value, at).length === 0)) errors.push(`${at}: matches none of anyOf`);
  return errors;
}

/** The documented response of an operation for a status, $ref followed. */
function documentedResponse(doc: OpenApiDocument, route: string, status: number): ResponseObject | undefined {
  const [method, path] = route.split(' ') as [string, string];
  const op = doc.paths[path]?.[method.toLowerCase() as (typeof HTTP_METHODS)[number]];
  const raw = op?.responses[String(status)];
  if (!raw) return undefined;
  return '$ref' in raw ? doc.components.responses[raw.$ref.replace('#/components/responses/', '')] : raw;
}

/** Checks a live answer: its status is documented for the route, and a JSON body matches the documented schema. */
async function expectDocumented(doc: OpenApiDocument, route: string, res: Response): Promise<unknown> {
  const documented = documentedResponse(doc, route, res.status);
  expect({ route, status: res.status, documented: documented !== undefined }).toEqual({ route, status: res.status, documented: true });
  const type = (res.headers.get('content-type') ?? '').split(';')[0]!.trim();
  const text = await res.text();
  expect({ route, status: res.status, type, documentedTypes: Object.keys(documented?.content ?? {}).includes(type) }).toEqual({
    route,
    status: res.status,
    type,
    documentedTypes: true,
  });
  const schema = documented?.content?.[type]?.schema;
  if (type !== 'application/json' || !schema) return text;
  const body: unknown = JSON.parse(text);
  expect({ route, status: res.status, mismatches: mismatches(doc, schema, body) }).toEqual({ route, status: res.status, mismatches: [] });
  return body;
}
afterAll(async () => {
  await h?.stop();
});

/**
 * "METHOD /path/{param}" for every route in the route table of the app src/http/app.ts builds
 * (the source the binary is built from, so this holds for both gateways under test).
 * Registering routes uses only the configuration and the model catalogue (the bodies of
 * /v1/models are built once): every other part of createApp's options is a stand-in that
 * throws if touched.
 */
function routesInApp(): string[] {
  const standIn = (name: string): object =>
    new Proxy({}, { get: (_, key) => { throw new Error(`createApp used ${name}.${String(key)} while registering routes`); } });
  const config: object = { ...h.config, models: new ModelCatalog(new FakeProvider()) };
  const options = new Proxy(config, { get: (target, key) => (key in target ? Reflect.get(target, key) : standIn(String(key))) });
  const app = createApp(options as AppDeps);
  return app.routes.map((r) => `${r.method} ${r.path.replace(/:(\w+)/g, '{$1}')}`).sort();
}

/** Paths of the client API, as registered without their /v1 prefix. */
const CLIENT_API = /^\/(models|chat|sessions|responses|messages)(\/|$)/;

function documentedRoutes(doc: OpenApiDocument): string[] {
  const routes: string[] = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const method of HTTP_METHODS) if (item[method]) routes.push(`${method.toUpperCase()} ${path}`);
  }
  return routes.sort();
}

async function fetchDocument(): Promise<OpenApiDocument> {
  const res = await fetch(`${h.gateway.url}/docs/openapi.json`);
  expect(res.status).toBe(200);
  return (await res.json()) as OpenApiDocument;
}

/** Every "$ref" string anywhere in a value. */
function refsIn(value: unknown, out: string[] = []): string[] {
  if (Array.isArray(value)) for (const v of value) refsIn(v, out);
  else if (typeof value === 'object' && value !== null) {
    for (const [key, v] of Object.entries(value)) {
      if (key === '$ref' && typeof v === 'string') out.push(v);
      else refsIn(v, out);
    }
  }
  return out;
}

describe('GET /docs/openapi.json', () => {
  test('is an OpenAPI 3.1 document, served as JSON without a key', async () => {
    const res = await fetch(`${h.gateway.url}/docs/openapi.json`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('application/json');
    expect(res.headers.get('x-request-id')).toBeTruthy();
    const doc = (await res.json()) as OpenApiDocument;
    expect(doc.openapi).toMatch(/^3\.1\.\d+$/);
    expect(doc.info.title).toBe('kimi-gateway');
    expect(doc.info.version).toBe(VERSION);
    expect(Object.keys(doc.paths).length).toBeGreaterThan(10);
    for (const [path, item] of Object.entries(doc.paths)) {
      expect(path).toStartWith('/');
      for (const method of HTTP_METHODS) {
        const op = item[method];
        if (!op) continue;
        expect({ path, method, summary: typeof op.summary, responses: Object.keys(op.responses).length > 0 }).toEqual({ path, method, summary: 'string', responses: true });
        // Every {param} of the path is declared as a path parameter.
        const declared = (op.parameters ?? []).filter((p): p is ParameterObject => 'in' in p && p.in === 'path').map((p) => p.name);
        expect(declared.sort()).toEqual([...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!).sort());
      }
    }
  });

  test('documents every route app.ts registers, and nothing else', async () => {
    const all = routesInApp();
    // The client API also answers without /v1 (clients differ on their base URL): the
    // document describes each such route once, under /v1, and says so.
    const aliases = all.filter((r) => CLIENT_API.test(r.split(' ')[1]!));
    expect(aliases.length).toBeGreaterThanOrEqual(4);
    for (const alias of aliases) expect(all).toContain(alias.replace(' /', ' /v1/'));
    const registered = all.filter((r) => !aliases.includes(r));
    expect(registered.length).toBeGreaterThanOrEqual(17);
    expect(registered).toContain('POST /v1/chat/completions');
    expect(registered).toContain('POST /admin/identities/{id}/{action}');
    const document = await fetchDocument();
    expect(document.info.description).toContain('also without /v1');
    const documented = documentedRoutes(document);
    expect({ undocumented: registered.filter((r) => !documented.includes(r)) }).toEqual({ undocumented: [] });
    expect({ documentedButNotRegistered: documented.filter((r) => !registered.includes(r)) }).toEqual({ documentedButNotRegistered: [] });
  });

  test('every documented route is routed by the running gateway, with a documented status and body', async () => {
    const doc = await fetchDocument();
    // Side-effect free: no identity or session has these ids, there is no account file to
    // reload, and the chat body is invalid.
    const samples: Record<string, string> = { id: 'kimi-k2-instruct', action: 'probe' };
    for (const route of documentedRoutes(doc)) {
      const [method, template] = route.split(' ') as [string, string];
      const path = template.replace(/\{(\w+)\}/g, (_, name: string) => samples[name] ?? 'x');
      const res = await callAs(path, { method, body: method === 'POST' ? '{}' : undefined, headers: { 'content-type': 'application/json' } });
      expect(res.headers.get('x-request-id')).toBeTruthy();
      const body = await expectDocumented(doc, route, res);
      const code = (body as { error?: { code?: string } } | null)?.error?.code ?? null;
      expect({ route, code }).not.toEqual({ route, code: 'unknown_url' });
    }
  });

  test('live answers match their documented schemas', async () => {
    const doc = await fetchDocument();
    const messages = [{ role: 'user', content: 'Hello docs' }];
    const json = { 'content-type': 'application/json' };
    await expectDocumented(doc, 'POST /v1/chat/completions', await callAs('/v1/chat/completions', { method: 'POST', headers: { ...json, 'x-session-id': 'docs-1' }, body: JSON.stringify({ messages }) }));

    const stream = await callAs('/v1/chat/completions', { method: 'POST', headers: json, body: JSON.stringify({ messages, stream: true, stream_options: { include_usage: true } }) });
    expect(stream.status).toBe(200);
    expect(stream.headers.get('content-type')).toStartWith('text/event-stream');
    const sse = doc.paths['/v1/chat/completions']!.post!.responses['200'] as ResponseObject;
    const chunkSchema = sse.content!['text/event-stream']!['x-sse-data']!;
    const { events } = await readSse(stream);
    expect(events.at(-1)!.data).toBe('[DONE]');
    for (const event of events.slice(0, -1)) expect(mismatches(doc, chunkSchema, JSON.parse(event.data))).toEqual([]);

    // Errors in the envelope, with the request id.
    const bad = await expectDocumented(doc, 'POST /v1/chat/completions', await callAs('/v1/chat/completions', { method: 'POST', headers: json, body: JSON.stringify({ messages, n: 2 }) }));
    expect(bad).toMatchObject({ error: { param: 'n', request_id: expect.any(String) } });
    await expectDocumented(doc, 'POST /v1/chat/completions', await fetch(`${h.gateway.url}/v1/chat/completions`, { method: 'POST', headers: json, body: '{}' }));
    await expectDocumented(doc, 'GET /v1/models/{id}', await callAs('/v1/models/gpt-4'));
    await expectDocumented(doc, 'GET /admin/identities', await fetch(`${h.gateway.url}/admin/identities`));

    // With data in them.
    const sessions = (await expectDocumented(doc, 'GET /admin/sessions', await callAs('/admin/sessions?limit=5'))) as { data: unknown[] };
    expect(sessions.data.length).toBeGreaterThanOrEqual(2);
    await expectDocumented(doc, 'GET /admin/sessions', await callAs('/admin/sessions?limit=0'));
    const activity = (await expectDocumented(doc, 'GET /admin/activity', await callAs('/admin/activity?minutes=1'))) as { recent: unknown[] };
    expect(activity.recent.length).toBeGreaterThan(0);
    await expectDocumented(doc, 'GET /admin/identities', await callAs('/admin/identities'));
    await expectDocumented(doc, 'POST /admin/identities/{id}/{action}', await callAs('/admin/identities/anonymous/refresh', { method: 'POST' }));
    await expectDocumented(doc, 'DELETE /v1/sessions/{id}', await callAs('/v1/sessions/docs-1', { method: 'DELETE' }));
    await expectDocumented(doc, 'DELETE /admin/sessions/{id}', await callAs(`/admin/sessions/${(sessions.data[0] as { id: string }).id}`, { method: 'DELETE' }));
  });

  test('security: /v1 needs the API key, /admin and /dashboard the admin key, the rest nothing; every $ref resolves', async () => {
    const doc = await fetchDocument();
    expect(Object.keys(doc.components.securitySchemes).sort()).toEqual(['adminBasic', 'adminKey', 'apiKey']);
    expect(doc.components.securitySchemes.apiKey).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(doc.components.securitySchemes.adminKey).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(doc.components.securitySchemes.adminBasic).toMatchObject({ type: 'http', scheme: 'basic' });
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const method of HTTP_METHODS) {
        const op = item[method];
        if (!op) continue;
        const expected: SecurityRequirement[] = path.startsWith('/v1/') ? [{ apiKey: [] }] : path.startsWith('/admin/') || path === '/dashboard' ? [{ adminKey: [] }, { adminBasic: [] }] : [];
        expect({ route: `${method} ${path}`, security: op.security }).toEqual({ route: `${method} ${path}`, security: expected });
      }
    }
    for (const ref of refsIn(doc)) {
      expect(ref).toStartWith('#/');
      let target: unknown = doc;
      for (const part of ref.slice(2).split('/')) target = (target as Record<string, unknown> | undefined)?.[part];
      expect({ ref, found: target !== undefined }).toEqual({ ref, found: true });
    }
  });

  test('the chat operation documents its body, both answer shapes, its headers and its errors', async () => {
    const doc = await fetchDocument();
    const chat = doc.paths['/v1/chat/completions']!.post!;
    expect(Object.keys(chat.responses).sort()).toEqual(['200', '400', '401', '404', '413', '429', '431', '500', '502', '503', '504']);
    const ok = chat.responses['200'];
    expect(ok && 'content' in ok ? Object.keys(ok.content ?? {}).sort() : []).toEqual(['application/json', 'text/event-stream']);
    expect(ok && 'headers' in ok ? Object.keys(ok.headers ?? {}).sort() : []).toEqual(['X-Context-Dropped-Messages', 'X-Request-Id', 'X-Session-Id']);
    const request = doc.components.schemas.ChatCompletionRequest as { properties: Record<string, unknown>; required: string[] };
    expect(request.required).toEqual(['messages']);
    for (const field of ['model', 'messages', 'stream', 'stream_options', 'user', 'n', 'temperature', 'max_tokens']) expect(request.properties).toHaveProperty(field);
    const role = (doc.components.schemas.ChatMessage as { properties: { role: { enum: string[] } } }).properties.role.enum;
    for (const r of ['system', 'developer', 'user', 'assistant', 'tool']) expect(role).toContain(r);
  });
});

describe('GET /docs', () => {
  test('is self-contained HTML under a hash-based CSP, served without a key', async () => {
    const res = await fetch(`${h.gateway.url}/docs`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toStartWith('text/html');
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    const html = await res.text();
    expect(html.trimStart().toLowerCase()).toStartWith('<!doctype html>');

    // No external URL at all: no scheme-qualified or protocol-relative reference.
    expect(html).not.toMatch(/https?:\/\//i);
    expect(html).not.toMatch(/(src|href|action)\s*=\s*["']?\/\//i);
    const { document } = parseHTML(html);
    for (const node of document.querySelectorAll('[src], [href]')) {
      const value = node.getAttribute('src') ?? node.getAttribute('href') ?? '';
      expect(value).toMatch(/^(data:|#|\/(?!\/))/);
    }
    expect(document.querySelectorAll('link[rel~="stylesheet"], iframe, img, object, embed, base, script[src]')).toHaveLength(0);

    // The CSP allows exactly the inline script and style, by hash.
    const sha256 = (text: string) => new Bun.CryptoHasher('sha256').update(text).digest('base64');
    const code = [...document.querySelectorAll('script')].filter((s) => !s.getAttribute('type'));
    const styles = [...document.querySelectorAll('style')];
    expect(code).toHaveLength(1);
    expect(styles).toHaveLength(1);
    expect(csp).toContain(`script-src 'sha256-${sha256(code[0]!.textContent ?? '')}'`);
    expect(csp).toContain(`style-src 'sha256-${sha256(styles[0]!.textContent ?? '')}'`);
    expect(csp).not.toContain('unsafe-inline');
    expect(code[0]!.textContent).not.toContain('innerHTML');

    // The page embeds the same document /docs/openapi.json serves.
    const embedded = document.querySelector('script[type="application/json"]')?.textContent ?? '';
    expect(JSON.parse(embedded)).toEqual(await fetchDocument());
  });
});
