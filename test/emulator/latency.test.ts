import { afterEach, describe, expect, test } from 'bun:test';
import { emulatorHarness, sendMessage, settle, visitPage, waitFor } from './helpers.ts';

const harness = emulatorHarness();
afterEach(() => harness.stopAll());

const COOKIE = 'kimi_visitor=a';

describe('latency', () => {
  test('delays each successful answer by latencyMs', async () => {
    const emulator = harness.start({ latencyMs: 150 });
    const { nonce } = await visitPage(emulator, COOKIE);
    const started = performance.now();
    const response = await sendMessage(emulator, { nonce, cookie: COOKIE });
    const elapsed = performance.now() - started;
    expect(response.status).toBe(200);
    expect(elapsed).toBeGreaterThanOrEqual(140);
    expect(elapsed).toBeLessThan(1_000);
  });

  test('can be changed at runtime with configure', async () => {
    const emulator = harness.start({ latencyMs: 5_000 });
    emulator.configure({ latencyMs: 0 });
    const { nonce } = await visitPage(emulator, COOKIE);
    const started = performance.now();
    await sendMessage(emulator, { nonce, cookie: COOKIE });
    expect(performance.now() - started).toBeLessThan(1_000);
  });

  test('a client abort cancels the wait on the server too', async () => {
    const emulator = harness.start({ latencyMs: 10_000 });
    const { nonce } = await visitPage(emulator, COOKIE);
    const started = performance.now();
    const outcome = await settle(sendMessage(emulator, { nonce, cookie: COOKIE, signal: AbortSignal.timeout(80) }));
    expect(outcome.kind).toBe('fetch_rejected');
    expect(performance.now() - started).toBeLessThan(1_000);
    await waitFor(() => emulator.stats().a?.inFlight === 0);
  });

  test('stop() ends pending waits at once', async () => {
    const emulator = harness.start({ latencyMs: 10_000 });
    const { nonce } = await visitPage(emulator, COOKIE);
    const pending = settle(sendMessage(emulator, { nonce, cookie: COOKIE }));
    await waitFor(() => emulator.stats().a?.inFlight === 1);
    const started = performance.now();
    await emulator.stop();
    expect((await pending).kind).not.toBe('ok');
    expect(performance.now() - started).toBeLessThan(1_000);
  });

  test('refusals are answered without the latency', async () => {
    const emulator = harness.start({ latencyMs: 10_000 });
    const started = performance.now();
    const response = await sendMessage(emulator, { nonce: 'stale', cookie: COOKIE });
    expect(await response.json()).toEqual({ success: false, data: 'Invalid security token' });
    expect(performance.now() - started).toBeLessThan(1_000);
  });
});
