// The server cuts silent connections (IDLE_TIMEOUT_SECONDS: 30 by default, 5 here;
// below 5 s uWS cuts at its 4 s tick even when data flows, measured on bun 1.4.5). Streams stay alive through ": keep-alive" frames,
// non-streamed answers through a per-request lift of the timeout. The control case
// shows the cut is real. The three run side by side to keep the file at ~10 s.

import { afterAll, expect, test } from 'bun:test';
import { silentConnection } from './raw-http.ts';
import { readSse, startHarness, type Harness } from '../helpers/harness.ts';

const LATENCY_MS = 10_000;
const harnesses: Harness[] = [];
afterAll(() => Promise.all(harnesses.map((h) => h.stop())));

const start = async (keepAliveMs: string) => {
  const h = await startHarness({ emulator: { latencyMs: LATENCY_MS }, env: { IDLE_TIMEOUT_SECONDS: '5', KEEPALIVE_INTERVAL_MS: keepAliveMs } });
  harnesses.push(h);
  return h;
};
const slowChat = (stream: boolean) => ({ json: { stream, messages: [{ role: 'user', content: 'take your time' }] } });

async function streamOutcome(harness: Promise<Harness>) {
  const h = await harness;
  try {
    const { events, comments } = await readSse(await h.call('/v1/chat/completions', slowChat(true)));
    return { completed: events[events.length - 1]?.data === '[DONE]', comments, text: events.map((e) => e.data).join('') };
  } catch {
    return { completed: false, comments: 0, text: '' };
  }
}

test('idle connections: keep-alives save streams, non-streamed answers are exempt, and the cut is real', async () => {
  const [kept, silentMs, plain] = await Promise.all([
    streamOutcome(start('500')),
    start('500').then((h) => silentConnection(h.gateway.url)),
    start('500').then((h) => h.call('/v1/chat/completions', slowChat(false))).then(async (res) => ({ status: res.status, body: await res.json() })),
  ]);
  expect(kept.completed).toBe(true);
  expect(kept.comments).toBeGreaterThanOrEqual(15);
  expect(kept.text).toContain('Echo[14]');
  // The control: a connection that sends nothing is cut after IDLE_TIMEOUT_SECONDS (5 s, on uWS's 4 s tick), not Bun's default 10 s or Elysia's 30 s.
  expect(silentMs).toBeGreaterThan(3_500);
  expect(silentMs).toBeLessThan(9_500);
  expect(plain.status).toBe(200);
  expect(plain.body.choices[0].message.content).toStartWith('Echo[14]');
}, 20_000);
