// The OpenAPI document's Messages API section states what the code does: every ignored
// parameter is accepted and listed, a live message has exactly the documented fields, and a
// live stream uses only the documented event types.

import { afterAll, beforeAll, expect, test } from 'bun:test';
import { ModelCatalog } from '../../src/conversation/model-catalog.ts';
import { openApiDocument, type SchemaObject } from '../../src/http/docs/openapi.ts';
import { ANTHROPIC_IGNORED_PARAMETERS, parseMessagesRequest } from '../../src/http/anthropic/messages-request.ts';
import { FakeProvider } from '../support/fake-provider.ts';
import { startHarness, TEST_KEY, type Harness } from '../helpers/harness.ts';

const models = new ModelCatalog(new FakeProvider());
const schemas = openApiDocument(models.models).components.schemas;
const object = (name: string) => schemas[name] as SchemaObject & { properties: Record<string, SchemaObject>; required: string[] };

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.stop());

const post = (body: unknown) =>
  fetch(`${h.gateway.url}/v1/messages`, { method: 'POST', headers: { 'x-api-key': TEST_KEY, 'content-type': 'application/json' }, body: JSON.stringify(body) });

test('every ignored parameter is accepted and documented as ignored', () => {
  const properties = object('MessagesRequest').properties;
  for (const name of ANTHROPIC_IGNORED_PARAMETERS) {
    expect(() => parseMessagesRequest({ max_tokens: 8, messages: [{ role: 'user', content: 'hi' }], [name]: {} }, models)).not.toThrow();
    expect({ name, listed: properties[name]?.description }).toEqual({ name, listed: expect.stringContaining('ignored') });
  }
});

test('a live message has exactly the documented fields; a live stream only documented event types', async () => {
  const message = (await (await post({ max_tokens: 8, messages: [{ role: 'user', content: 'docs' }] })).json()) as Record<string, unknown>;
  expect(Object.keys(message).sort()).toEqual([...object('Message').required].sort());
  expect(Object.keys(object('Message').properties).sort()).toEqual([...object('Message').required].sort());

  const raw = await (await post({ max_tokens: 8, stream: true, messages: [{ role: 'user', content: 'docs' }] })).text();
  const seen = new Set([...raw.matchAll(/^event: (\w+)$/gm)].map((m) => m[1]));
  expect(seen.size).toBeGreaterThanOrEqual(6);
  const documented: unknown[] = object('MessageStreamEvent').properties.type?.enum ?? [];
  expect([...seen].filter((type) => !documented.includes(type))).toEqual([]);
});
