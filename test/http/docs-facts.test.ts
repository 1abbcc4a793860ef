// The OpenAPI document states what the code does, not a copy of it: the roles it lists are
// exactly the ones the request parser accepts, every ignored parameter is accepted and
// listed (README's "Limits" too), and the readiness counts have the pool's health states.

import { describe, expect, test } from 'bun:test';
import { openApiDocument, type SchemaObject } from '../../src/http/docs/openapi.ts';
import { IGNORED_PARAMETERS, parseChatRequest } from '../../src/http/openai/chat-request.ts';
import { poolReadiness } from '../../src/ops/identity-view.ts';
import { FakeProvider } from '../support/fake-provider.ts';
import { ModelCatalog } from '../../src/conversation/model-catalog.ts';

const models = new ModelCatalog(new FakeProvider());

const schemas = openApiDocument(models.models).components.schemas;
const object = (name: string): SchemaObject & { properties: Record<string, SchemaObject> } => {
  const schema = schemas[name];
  if (!schema || '$ref' in schema || !schema.properties) throw new Error(`no object schema ${name}`);
  return schema as SchemaObject & { properties: Record<string, SchemaObject> };
};

const accepts = (body: unknown): boolean => {
  try {
    parseChatRequest(body, models);
    return true;
  } catch {
    return false;
  }
};

describe('OpenAPI document facts', () => {
  test('the message roles listed are exactly the ones a request may use', () => {
    const listed: unknown[] = object('ChatMessage').properties.role?.enum ?? [];
    expect(listed.length).toBeGreaterThan(0);
    // OpenAI's roles, and names a lookup by object key would wrongly accept.
    const candidates = ['system', 'developer', 'user', 'assistant', 'tool', 'function', 'robot', 'System', 'constructor', '__proto__', 'toString', ''];
    const accepted = candidates.filter((role) => accepts({ messages: [{ role, content: 'hi' }, { role: 'user', content: 'hello' }] }));
    expect(accepted).toEqual(listed.map(String));
  });

  test("every ignored parameter is accepted, listed in the document and in README's Limits", async () => {
    const properties = object('ChatCompletionRequest').properties;
    for (const name of IGNORED_PARAMETERS) {
      expect({ name, accepted: accepts({ messages: [{ role: 'user', content: 'hi' }], [name]: 1 }) }).toEqual({ name, accepted: true });
      expect({ name, listed: properties[name]?.description }).toEqual({ name, listed: expect.stringContaining('ignored') });
    }
    const readme = await Bun.file(new URL('../../README.md', import.meta.url)).text();
    const bullet = /\*\*Ignored parameters\.\*\*([\s\S]*?)`n` must be 1/.exec(readme)?.[1] ?? '';
    const inReadme = [...bullet.matchAll(/`([a-z_]+)`/g)].map((m) => m[1]);
    expect(inReadme).toEqual([...IGNORED_PARAMETERS]);
  });

  test('readiness counts name exactly the health states /readyz reports', () => {
    const counts = object('IdentityStateCounts');
    const reported = Object.keys(poolReadiness([], 0).states);
    expect(counts.required).toEqual(reported);
    expect(Object.keys(counts.properties)).toEqual(reported);
    expect(object('IdentityView').properties.state?.enum).toEqual(reported);
  });
});
