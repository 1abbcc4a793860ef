// FetchGate (the semaphore in front of fetch) and the client's use of it: the attempt
// timer starts once a request holds a slot, and the wait is reported apart from latency.

import { afterAll, describe, expect, test } from 'bun:test';
import { startEmulator } from '../../emulator/emulator.ts';
import { FetchGate, processFetchLimit } from '../../src/providers/fetch-gate.ts';
import { MODELS } from '../../src/providers/kimi-ai-chat/models.ts';
import { KimiClient } from '../../src/providers/kimi-ai-chat/client.ts';
import { KimiIdentity } from '../../src/providers/kimi-ai-chat/identity.ts';

const MODEL = MODELS[1]!;

describe('FetchGate', () => {
  test('grants up to its size at once, then first come first served', async () => {
    const gate = new FetchGate(2);
    const a = await gate.acquire();
    const b = await gate.acquire();
    const order: string[] = [];
    const c = gate.acquire().then((release) => (order.push('c'), release));
    const d = gate.acquire().then((release) => (order.push('d'), release));
    await Bun.sleep(1);
    expect({ active: gate.active, waiting: gate.waiting, order }).toEqual({ active: 2, waiting: 2, order: [] });
    b();
    const releaseC = await c;
    expect(order).toEqual(['c']);
    a();
    const releaseD = await d;
    expect(order).toEqual(['c', 'd']);
    releaseC();
    releaseD();
    expect({ active: gate.active, waiting: gate.waiting }).toEqual({ active: 0, waiting: 0 });
  });

  test('releasing twice frees one slot only', async () => {
    const gate = new FetchGate(1);
    const release = await gate.acquire();
    release();
    release();
    expect(gate.active).toBe(0);
    await gate.acquire();
    expect(gate.active).toBe(1);
  });

  test('an aborted waiter leaves the queue and never takes a slot', async () => {
    const gate = new FetchGate(1);
    const held = await gate.acquire();
    const controller = new AbortController();
    const waiting = gate.acquire(controller.signal);
    const next = gate.acquire();
    controller.abort();
    expect(await waiting.then(() => 'granted', (e: Error) => e.name)).toBe('AbortError');
    expect(gate.waiting).toBe(1);
    held();
    (await next)();
    expect(gate.active).toBe(0);
  });

  test('an already aborted signal is refused at once', async () => {
    expect(await new FetchGate(1).acquire(AbortSignal.abort()).then(() => 'granted', (e: Error) => e.name)).toBe('AbortError');
  });

  test('the size must be a positive integer', () => {
    expect(() => new FetchGate(0)).toThrow(RangeError);
  });
});

describe('processFetchLimit', () => {
  test("reads BUN_CONFIG_MAX_HTTP_REQUESTS as Bun does: 1-65535, else Bun's default 256", () => {
    expect(processFetchLimit({})).toBe(256);
    expect(processFetchLimit({ BUN_CONFIG_MAX_HTTP_REQUESTS: '1000' })).toBe(1000);
    expect(processFetchLimit({ BUN_CONFIG_MAX_HTTP_REQUESTS: ' 65535 ' })).toBe(65_535);
    for (const bad of ['0', '65536', '100000', 'abc', '-5', '1e3']) expect(processFetchLimit({ BUN_CONFIG_MAX_HTTP_REQUESTS: bad })).toBe(256);
  });
});

describe('KimiClient behind a gate of one slot', () => {
  const emulator = startEmulator({ pageFillerBytes: 2_000, latencyMs: 400 });
  afterAll(() => emulator.stop());

  test('two sends with a 600 ms budget at 400 ms latency both succeed; the second reports its wait', async () => {
    const client = new KimiClient({ baseUrl: emulator.url, nonceMaxAgeMs: 3_600_000, gate: new FetchGate(1) });
    const identity = new KimiIdentity({ id: 'solo', cookies: 'kimi_visitor=solo' });
    expect((await client.refreshNonce(identity)).ok).toBe(true);
    const send = (prompt: string) =>
      client.send(identity, { prompt, model: MODEL, conversation: 'session_1_abcdefghi', signal: new AbortController().signal, timeoutMs: 600, deadline: Infinity, mayCallAgain: () => true });
    const [first, second] = await Promise.all([send('one'), send('two')]);
    expect([first.outcome.kind, second.outcome.kind]).toEqual(['ok', 'ok']);
    const [shorter, longer] = [first.slotWaitMs, second.slotWaitMs].sort((a, b) => a - b);
    expect(shorter).toBeLessThan(50);
    expect(longer).toBeGreaterThanOrEqual(350);
    expect(emulator.stats().solo?.maxInFlight).toBe(1);
  });

  test('the request deadline still bounds the wait for a slot', async () => {
    const gate = new FetchGate(1);
    const client = new KimiClient({ baseUrl: emulator.url, nonceMaxAgeMs: 3_600_000, gate });
    const identity = new KimiIdentity({ id: 'late', cookies: 'kimi_visitor=late' });
    expect((await client.refreshNonce(identity)).ok).toBe(true);
    const held = await gate.acquire();
    const t0 = Date.now();
    const result = await client.send(identity, {
      prompt: 'x',
      model: MODEL,
      conversation: 'session_1_abcdefghi',
      signal: new AbortController().signal,
      timeoutMs: 10_000,
      deadline: t0 + 150,
      mayCallAgain: () => true,
    });
    held();
    expect(result.outcome).toMatchObject({ kind: 'transient', timedOut: true });
    expect(result.slotWaitMs).toBeGreaterThanOrEqual(100);
    expect(Date.now() - t0).toBeLessThan(1_000);
  });
});
