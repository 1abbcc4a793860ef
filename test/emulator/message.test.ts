import { afterEach, describe, expect, test } from 'bun:test';
import { buildReply } from '../../emulator/reply.ts';
import { emulatorHarness, MODEL, sendAs, sendMessage, visitPage } from './helpers.ts';

const harness = emulatorHarness();
afterEach(() => harness.stopAll());

describe('message', () => {
  test('a full flow (page, nonce, post) returns the deterministic reply', async () => {
    const emulator = harness.start({ replyLength: 300 });
    const page = await visitPage(emulator);
    const message = 'User: tell me about the moon 🌙 / 月球\nAssistant:';
    const body = new URLSearchParams({
      action: 'kimi_send_message',
      nonce: page.nonce,
      message,
      model: 'moonshotai/Kimi-K2-Instruct',
      session_id: 'session_1732200000000_k3j4h5g6f',
    });
    const response = await fetch(page.ajaxUrl, {
      method: 'POST',
      body,
      headers: { cookie: page.cookie, 'content-type': 'application/x-www-form-urlencoded; charset=UTF-8' },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json; charset=UTF-8');
    expect(await response.json()).toEqual({
      success: true,
      data: { message: buildReply(message, 'moonshotai/Kimi-K2-Instruct', 300) },
    });
  });

  test('logs what it received, with lower-cased headers and the outcome', async () => {
    const emulator = harness.start();
    await sendAs(emulator, 'acc-1', { message: 'hi there', sessionId: 'session_1_abcdefghi' });
    expect(emulator.received).toHaveLength(1);
    const [entry] = emulator.received;
    expect(entry).toMatchObject({
      identity: 'acc-1',
      message: 'hi there',
      model: MODEL,
      sessionId: 'session_1_abcdefghi',
      outcome: 'ok',
    });
    expect(entry?.nonce).toMatch(/^[0-9a-f]{10}$/);
    expect(entry?.headers.cookie).toBe('kimi_visitor=acc-1');
    expect(entry?.headers['x-requested-with']).toBe('XMLHttpRequest');
  });

  test('an unknown action is a 400 with body "0"', async () => {
    const emulator = harness.start();
    const response = await sendAs(emulator, 'a', { action: 'kimi_other' });
    expect(response.status).toBe(400);
    expect(await response.text()).toBe('0');
    expect(emulator.received[0]?.outcome).toBe('bad_form');
  });

  test('a body that is not form-encoded is a 400 "0", as PHP leaves $_POST empty', async () => {
    const emulator = harness.start();
    const { nonce } = await visitPage(emulator, 'kimi_visitor=a');
    const response = await fetch(`${emulator.url}/wp-admin/admin-ajax.php`, {
      method: 'POST',
      headers: { cookie: 'kimi_visitor=a', 'content-type': 'application/json' },
      body: JSON.stringify({ action: 'kimi_send_message', nonce, message: 'hi', model: MODEL }),
    });
    expect(response.status).toBe(400);
    expect(await response.text()).toBe('0');
  });

  test('an empty message is refused', async () => {
    const emulator = harness.start();
    const response = await sendAs(emulator, 'a', { message: '  ' });
    expect(await response.json()).toEqual({ success: false, data: 'Message cannot be empty' });
    expect(emulator.received[0]?.outcome).toBe('empty');
  });

  test('a message longer than maxMessageLength is refused; one of exactly that length is not', async () => {
    const emulator = harness.start({ maxMessageLength: 50 });
    const tooLong = await sendAs(emulator, 'a', { message: 'x'.repeat(51) });
    expect(tooLong.status).toBe(200);
    expect(await tooLong.json()).toEqual({ success: false, data: 'Message is too long (max 50 characters)' });
    const fits = await sendAs(emulator, 'a', { message: 'x'.repeat(50) });
    expect(((await fits.json()) as { success: boolean }).success).toBe(true);
    expect(emulator.received.map((m) => m.outcome)).toEqual(['too_long', 'ok']);
  });

  test('the default limit is 1000 characters', async () => {
    const emulator = harness.start();
    const response = await sendAs(emulator, 'a', { message: 'x'.repeat(1001) });
    expect(await response.json()).toEqual({ success: false, data: 'Message is too long (max 1000 characters)' });
  });

  test('an unknown model is refused', async () => {
    const emulator = harness.start();
    const response = await sendAs(emulator, 'a', { model: 'gpt-4o' });
    expect(await response.json()).toEqual({ success: false, data: 'Invalid model' });
    expect(emulator.received[0]?.outcome).toBe('bad_model');
  });

  test('replyLength sets the reply length, also at runtime via configure', async () => {
    const emulator = harness.start({ replyLength: 20 });
    const short = (await (await sendAs(emulator, 'a')).json()) as { data: { message: string } };
    expect(short.data.message).toHaveLength(20);
    emulator.configure({ replyLength: 5_000 });
    const long = (await (await sendAs(emulator, 'a')).json()) as { data: { message: string } };
    expect(long.data.message).toBe(buildReply('Hello', MODEL, 5_000));
  });

  test('GET on admin-ajax.php is a 400 "0"', async () => {
    const emulator = harness.start();
    const response = await fetch(`${emulator.url}/wp-admin/admin-ajax.php`);
    expect(response.status).toBe(400);
    expect(await response.text()).toBe('0');
  });

  test('a message without any cookie is answered with the stale-nonce error', async () => {
    const emulator = harness.start();
    const { nonce } = await visitPage(emulator);
    const response = await sendMessage(emulator, { nonce });
    expect(await response.json()).toEqual({ success: false, data: 'Invalid security token' });
    expect(emulator.received[0]?.identity).toBe('anonymous');
  });
});
