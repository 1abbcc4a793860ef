// A large legitimate answer streams intact and without blowing up into envelopes: content
// pieces grow with the answer so the number of chunks stays bounded, and the frames are
// produced as the client reads them rather than built into one huge string.

import { afterAll, beforeAll, expect, test } from 'bun:test';
import { buildReply } from '../../emulator/emulator.ts';
import { readSse, startHarness, TEST_KEY, type Harness } from '../helpers/harness.ts';

// ~1.9 MB of UTF-8 (the emulator's filler has some CJK), under the 2 MiB a gateway reads from the site.
const REPLY_CHARS = 1_800_000;
let h: Harness;
beforeAll(async () => {
  h = await startHarness({ emulator: { replyLength: REPLY_CHARS } });
});
afterAll(() => h.stop());

const ask = (content: string) =>
  fetch(`${h.gateway.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TEST_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'kimi-k2-instruct', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content }] }),
  });

test('a ~2 MB answer streams intact with total SSE bytes well under twice the answer', async () => {
  const expected = buildReply('big one', 'moonshotai/Kimi-K2-Instruct', REPLY_CHARS);
  const answerBytes = Buffer.byteLength(expected);
  const res = await ask('big one');
  expect(res.status).toBe(200);
  const { events, raw } = await readSse(res);
  expect(events.at(-1)!.data).toBe('[DONE]');
  const chunks = events.slice(0, -1).map((e) => JSON.parse(e.data));
  const text = chunks.map((c) => c.choices[0]?.delta?.content ?? '').join('');
  expect(text.length).toBe(expected.length);
  expect(text === expected).toBe(true);
  expect(chunks.at(-1)!.usage.completion_tokens).toBeGreaterThan(0);

  const sseBytes = Buffer.byteLength(raw);
  expect(sseBytes).toBeLessThan(1.2 * answerBytes);
  // Still streamed in many pieces, not one.
  expect(chunks.length).toBeGreaterThan(100);
  expect(chunks.length).toBeLessThan(2_000);
}, 30_000);

test('a client reading slowly gets the answer intact too', async () => {
  const expected = buildReply('slow reader', 'moonshotai/Kimi-K2-Instruct', REPLY_CHARS);
  const res = await ask('slow reader');
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let raw = '';
  for (let reads = 0; ; reads++) {
    const { done, value } = await reader.read();
    if (done) break;
    raw += decoder.decode(value, { stream: true });
    // Pause now and then so the server meets back-pressure.
    if (reads % 8 === 0) await Bun.sleep(1);
  }
  const frames = raw.split('\n\n').filter((f) => f.startsWith('data: {'));
  const text = frames.map((f) => JSON.parse(f.slice(6)).choices[0]?.delta?.content ?? '').join('');
  expect(text === expected).toBe(true);
}, 30_000);
