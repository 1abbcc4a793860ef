// The OpenAPI blocks of the identity editing routes state what the code does: the request
// fields are exactly the account file's identity fields, and live answers of the gateway
// (source or binary) have exactly the documented keys.

import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { openApiDocument, type SchemaObject } from '../../src/http/docs/openapi.ts';
import { identityFieldNames } from '../../src/pool/accounts-file.ts';
import { FakeProvider } from '../support/fake-provider.ts';
import { HARNESS_ADMIN_KEY, poolOf, startHarness, type Harness } from '../helpers/harness.ts';

type Schemas = Record<string, SchemaObject & { properties?: Record<string, SchemaObject> }>;
const schemas = openApiDocument(new FakeProvider().models).components.schemas as Schemas;

describe('identity editing in the OpenAPI document', () => {
  test('the request bodies list exactly the fields an identity has in the account file', () => {
    const fields = ['id', ...identityFieldNames().filter((f) => f !== 'id')].sort();
    expect(Object.keys(schemas.IdentityFields!.properties!).sort()).toEqual(fields);
    expect(Object.keys(schemas.IdentityChanges!.properties!).sort()).toEqual(fields);
    expect(schemas.IdentityFields!.required).toEqual(['id']);
    expect(schemas.IdentityChanges!.required).toEqual([]);
  });

  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ accounts: poolOf(['a', 'b']) });
  });
  afterAll(async () => {
    await h?.stop();
  });

  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${h.gateway.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${HARNESS_ADMIN_KEY}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const keysOf = (value: unknown) => Object.keys(value as object).sort();
  const documented = (name: string) => Object.keys(schemas[name]!.properties!).sort();

  test('live answers have exactly the documented keys', async () => {
    const added = await call('POST', '/admin/identities', { id: 'c', cookies: 'kimi_visitor=c' });
    expect(added.status).toBe(201);
    expect(keysOf(added.body)).toEqual(documented('IdentityDetail'));
    expect(keysOf(added.body.settings)).toEqual(documented('IdentitySettings'));
    expect(keysOf(added.body.settings)).toEqual([...(schemas.IdentitySettings!.required ?? [])].sort());
    expect(keysOf(added.body.identity)).toEqual(documented('IdentityView'));

    const patched = await call('PATCH', '/admin/identities/c', { rpm: 2 });
    expect(keysOf(patched.body)).toEqual(documented('IdentityDetail'));
    expect(keysOf((await call('GET', '/admin/identities/c')).body)).toEqual(documented('IdentityDetail'));
    expect(keysOf((await call('DELETE', '/admin/identities/c')).body)).toEqual(documented('IdentityDeleted'));

    const probe = await call('POST', '/admin/identities/probe', { id: 'p', cookies: 'kimi_visitor=p' });
    expect(keysOf(probe.body)).toEqual(documented('IdentityProbeResult'));
    const stepShapes = schemas.ProbeStep!.oneOf!.map((option) => [...((option as SchemaObject).required ?? [])].sort());
    expect(stepShapes).toContainEqual(keysOf(probe.body.page));
    expect(stepShapes).toContainEqual(keysOf(probe.body.message));
    h.emulator.addFault({ kind: 'challenge', on: 'page', identity: 'q' });
    const failed = await call('POST', '/admin/identities/probe', { id: 'q', cookies: 'kimi_visitor=q' });
    expect(stepShapes).toContainEqual(keysOf(failed.body.page));
    expect(stepShapes).toContainEqual(keysOf(failed.body.message));
    expect(keysOf(failed.body.page)).not.toEqual(keysOf(failed.body.message));
  });
});
