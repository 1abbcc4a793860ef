import { afterEach, describe, expect, test } from 'bun:test';
import { emulatorHarness, sendAs, sendMessage, visitPage } from './helpers.ts';
import type { Emulator } from '../../emulator/types.ts';

const harness = emulatorHarness();
afterEach(() => harness.stopAll());

function control(emulator: Emulator, method: string, path: string, body?: unknown): Promise<Response> {
  return fetch(`${emulator.url}/__emulator/${path}`, {
    method,
    ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
  });
}

describe('control endpoints', () => {
  test('GET stats returns identities and the received count', async () => {
    const emulator = harness.start();
    await sendAs(emulator, 'acc-1');
    const response = await control(emulator, 'GET', 'stats');
    const body = (await response.json()) as { identities: Record<string, { messages: number }>; received: number };
    expect(body.received).toBe(1);
    expect(body.identities['acc-1']?.messages).toBe(1);
  });

  test('POST faults adds one rule or an array of rules', async () => {
    const emulator = harness.start();
    expect((await control(emulator, 'POST', 'faults', { kind: 'bad_request', times: 1 })).status).toBe(200);
    const added = await control(emulator, 'POST', 'faults', [
      { kind: 'nonce_403', times: 1 },
      { kind: 'server_error', status: 504, times: 1 },
    ]);
    expect(await added.json()).toEqual({ ok: true, added: 2 });
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await sendAs(emulator, 'a')).status);
    expect(statuses).toEqual([400, 403, 504, 200]);
  });

  test('POST faults rejects an invalid rule with 400 and adds nothing from the batch', async () => {
    const emulator = harness.start();
    const response = await control(emulator, 'POST', 'faults', [{ kind: 'bad_request' }, { kind: 'nope' }]);
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: string }).error).toContain('fault kind');
    expect((await sendAs(emulator, 'a')).status).toBe(200);
  });

  test('DELETE faults clears the rules', async () => {
    const emulator = harness.start({ faults: [{ kind: 'bad_request' }] });
    expect((await control(emulator, 'DELETE', 'faults')).status).toBe(200);
    expect((await sendAs(emulator, 'a')).status).toBe(200);
  });

  test('POST config changes the runtime settings', async () => {
    const emulator = harness.start();
    expect((await control(emulator, 'POST', 'config', { replyLength: 7, staleNonceStyle: '403' })).status).toBe(200);
    const ok = (await (await sendAs(emulator, 'a')).json()) as { data: { message: string } };
    expect(ok.data.message).toBe('Echo[5]');
    expect((await sendMessage(emulator, { nonce: 'x', cookie: 'kimi_visitor=a' })).status).toBe(403);
  });

  test('POST config rejects unknown keys and bad values with 400', async () => {
    const emulator = harness.start();
    expect((await control(emulator, 'POST', 'config', { latencyMs: -1 })).status).toBe(400);
    expect((await control(emulator, 'POST', 'config', { port: 1 })).status).toBe(400);
    expect((await control(emulator, 'POST', 'config', 'not an object')).status).toBe(400);
  });

  test('POST expire-nonces makes issued nonces stale', async () => {
    const emulator = harness.start();
    const { nonce } = await visitPage(emulator, 'kimi_visitor=a');
    expect((await control(emulator, 'POST', 'expire-nonces')).status).toBe(200);
    const response = await sendMessage(emulator, { nonce, cookie: 'kimi_visitor=a' });
    expect(await response.json()).toEqual({ success: false, data: 'Invalid security token' });
  });

  test('POST reset clears received and stats', async () => {
    const emulator = harness.start();
    await sendAs(emulator, 'a');
    expect((await control(emulator, 'POST', 'reset')).status).toBe(200);
    expect(emulator.received).toHaveLength(0);
    expect(emulator.stats()).toEqual({});
  });

  test('an unknown control path is a 404', async () => {
    const emulator = harness.start();
    expect((await control(emulator, 'GET', 'nothing')).status).toBe(404);
  });
});
