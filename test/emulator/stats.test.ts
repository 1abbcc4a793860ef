import { afterEach, describe, expect, test } from 'bun:test';
import { emulatorHarness, sendAs, sendMessage, visitPage } from './helpers.ts';
import { MAX_MESSAGE_TIMES, MAX_RECEIVED, StatsBook } from '../../emulator/stats.ts';

const harness = emulatorHarness();
afterEach(() => harness.stopAll());

describe('stats', () => {
  test('counts pages and messages per identity, fault answers included', async () => {
    const emulator = harness.start({ faults: [{ kind: 'server_error', identity: 'acc-2' }] });
    const before = Date.now();
    await sendAs(emulator, 'acc-1');
    await sendAs(emulator, 'acc-1');
    await sendAs(emulator, 'acc-2');
    const stats = emulator.stats();
    expect(stats['acc-1']).toMatchObject({ pages: 2, messages: 2, inFlight: 0, maxInFlight: 1 });
    expect(stats['acc-2']).toMatchObject({ pages: 1, messages: 1, inFlight: 0 });
    expect(stats['acc-1']?.messageTimes).toHaveLength(2);
    expect(stats['acc-1']?.messageTimes.every((t) => t >= before && t <= Date.now())).toBe(true);
  });

  test('tracks maxInFlight under concurrent requests', async () => {
    const emulator = harness.start({ latencyMs: 200 });
    const cookie = 'kimi_visitor=acc-1';
    const { nonce } = await visitPage(emulator, cookie);
    const started = performance.now();
    const responses = await Promise.all(Array.from({ length: 6 }, () => sendMessage(emulator, { nonce, cookie })));
    expect(responses.map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 200]);
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(emulator.stats()['acc-1']).toMatchObject({ messages: 6, inFlight: 0, maxInFlight: 6 });
  });

  test('reset clears received, stats and faults, keeping the same received array', async () => {
    const emulator = harness.start({ faults: [{ kind: 'bad_request' }] });
    const received = emulator.received;
    await sendAs(emulator, 'acc-1');
    emulator.reset();
    expect(received).toHaveLength(0);
    expect(emulator.stats()).toEqual({});
    expect((await sendAs(emulator, 'acc-1')).status).toBe(200);
    expect(emulator.received).toBe(received);
    expect(received).toHaveLength(1);
  });

  test('a stats snapshot is a copy', async () => {
    const emulator = harness.start();
    await sendAs(emulator, 'acc-1');
    const snapshot = emulator.stats();
    await sendAs(emulator, 'acc-1');
    expect(snapshot['acc-1']?.messages).toBe(1);
  });
});

describe('StatsBook bounds', () => {
  test('keeps only the last MAX_RECEIVED messages and MAX_MESSAGE_TIMES times', () => {
    const book = new StatsBook();
    const total = Math.max(MAX_RECEIVED, MAX_MESSAGE_TIMES) + 5;
    for (let i = 0; i < total; i++) {
      book.endMessage(book.beginMessage('a', i));
      book.record({ at: i, identity: 'a', nonce: '', message: `${i}`, model: '', sessionId: '', headers: {}, outcome: 'ok' });
    }
    expect(book.received).toHaveLength(MAX_RECEIVED);
    expect(book.received[0]?.at).toBe(total - MAX_RECEIVED);
    const times = book.snapshot().a?.messageTimes ?? [];
    expect(times).toHaveLength(MAX_MESSAGE_TIMES);
    expect(times.at(-1)).toBe(total - 1);
    expect(book.snapshot().a?.messages).toBe(total);
  });

  test('a message ending after reset does not skew the new counters', () => {
    const book = new StatsBook();
    const entry = book.beginMessage('a', 0);
    book.reset();
    book.endMessage(entry);
    expect(book.snapshot()).toEqual({});
  });
});
