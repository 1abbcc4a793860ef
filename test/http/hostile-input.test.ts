// Hostile request contents: names that exist on every JavaScript object, and client
// strings too long to echo. Each gets a 4xx in OpenAI's shape that names the field and
// quotes at most a short excerpt of what was sent.

import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { startHarness, TEST_KEY, upstreamTotals, type Harness } from '../helpers/harness.ts';

const ADMIN_KEY = 'hostile-input-admin-key-01';
let h: Harness;
beforeAll(async () => {
  h = await startHarness({ env: { MAX_BODY_BYTES: String(16 * 1_048_576), ADMIN_KEY } });
});
afterAll(() => h.stop());

interface ErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

async function errorOf(res: Response, status: number): Promise<ErrorBody['error']> {
  const text = await res.text();
  expect({ status: res.status, text: text.slice(0, 300) }).toMatchObject({ status });
  // Whatever was sent, the answer stays small.
  expect(text.length).toBeLessThan(1_000);
  return (JSON.parse(text) as ErrorBody).error;
}

describe('roles named like JavaScript built-ins are not roles', () => {
  for (const role of ['constructor', '__proto__', 'toString', 'valueOf', 'hasOwnProperty', 'isPrototypeOf', '__defineGetter__']) {
    test(role, async () => {
      const before = upstreamTotals(h.emulator).messages;
      const messages = [{ role: 'user', content: 'first' }, { role, content: 'A' }, { role: 'user', content: 'last' }];
      const error = await errorOf(await h.call('/v1/chat/completions', { json: { messages } }), 400);
      expect(error).toMatchObject({ type: 'invalid_request_error', param: 'messages[1].role' });
      expect(error.message).toContain(`got "${role}"`);
      expect(upstreamTotals(h.emulator).messages).toBe(before);
    });
  }

  test('a model named like a built-in is unknown', async () => {
    for (const model of ['constructor', '__proto__', 'toString']) {
      const error = await errorOf(await h.call('/v1/chat/completions', { json: { model, messages: [{ role: 'user', content: 'x' }] } }), 404);
      expect(error).toMatchObject({ code: 'model_not_found', param: 'model' });
      await errorOf(await h.call(`/v1/models/${model}`), 404);
    }
  });

  test('admin action names and identity ids named like built-ins are unknown', async () => {
    const admin = { authorization: `Bearer ${ADMIN_KEY}` };
    for (const action of ['constructor', '__proto__', 'toString']) {
      const res = await fetch(`${h.gateway.url}/admin/identities/anonymous/${action}`, { method: 'POST', headers: admin });
      expect((await errorOf(res, 404)).code).toBe('unknown_action');
    }
    const res = await fetch(`${h.gateway.url}/admin/identities/constructor/enable`, { method: 'POST', headers: admin });
    expect((await errorOf(res, 404)).code).toBe('identity_not_found');
  });
});

describe('client strings are echoed as short excerpts only', () => {
  const huge = 'm'.repeat(10 * 1_048_576);

  test('a 10 MB model name', async () => {
    const error = await errorOf(await h.call('/v1/chat/completions', { json: { model: huge, messages: [{ role: 'user', content: 'x' }] } }), 404);
    expect(error).toMatchObject({ code: 'model_not_found', param: 'model' });
    expect(error.message).toContain(`"${'m'.repeat(20)}`);
    expect(error.message).toContain(`(${huge.length} characters)`);
    expect(error.message).toContain('kimi-k2-instruct');
  });

  test('a 1 MB role, and a role that is an object', async () => {
    let error = await errorOf(await h.call('/v1/chat/completions', { json: { messages: [{ role: 'r'.repeat(1_048_576), content: 'x' }] } }), 400);
    expect(error.param).toBe('messages[0].role');
    error = await errorOf(await h.call('/v1/chat/completions', { json: { messages: [{ role: { big: 'o'.repeat(1_048_576) }, content: 'x' }] } }), 400);
    expect(error.param).toBe('messages[0].role');
    expect(error.message).not.toContain('ooo');
  });

  test('long ids in paths: model, session, admin identity and action, unknown endpoint', async () => {
    const long = 'i'.repeat(12_000);
    expect((await errorOf(await h.call(`/v1/models/${long}`), 404)).code).toBe('model_not_found');
    expect((await errorOf(await h.call(`/v1/sessions/${long}`, { method: 'DELETE' }), 404)).code).toBe('session_not_found');
    expect((await errorOf(await h.call(`/v1/${long}`), 404)).code).toBe('unknown_url');
    const admin = { authorization: `Bearer ${ADMIN_KEY}` };
    expect((await errorOf(await fetch(`${h.gateway.url}/admin/identities/${long}/enable`, { method: 'POST', headers: admin }), 404)).code).toBe('identity_not_found');
    expect((await errorOf(await fetch(`${h.gateway.url}/admin/identities/anonymous/${long}`, { method: 'POST', headers: admin }), 404)).code).toBe('unknown_action');
    const res = await fetch(`${h.gateway.url}/admin/sessions/${long}?owner=${'o'.repeat(2_000)}`, { method: 'DELETE', headers: admin });
    expect((await errorOf(res, 404)).code).toBe('session_not_found');
  });

  test('control characters in an echoed string are escaped, not sent raw', async () => {
    const error = await errorOf(await h.call('/v1/chat/completions', { json: { model: 'evil\u0000\u001b[31m\r\nX-Injected: 1', messages: [{ role: 'user', content: 'x' }] } }), 404);
    expect(error.message).not.toMatch(/[\u0000-\u001f]/);
    expect(error.message).toContain('\\u001b[31m\\r\\nX-Injected: 1');
  });

  test('the key used is never echoed', async () => {
    const res = await fetch(`${h.gateway.url}/v1/models`, { headers: { authorization: `Bearer ${TEST_KEY}-not` } });
    expect(await res.text()).not.toContain(TEST_KEY);
  });
});
