// The server cuts silent connections (Bun's idleTimeout: 30 s in production, 5 s here;
// below 5 s uWS cuts at its 4 s tick even when data flows, measured on bun 1.4.5). Streams stay alive through ": keep-alive" frames,
// non-streamed answers through a per-request lift of the timeout. The control case
// shows the cut is real. The three run side by side to keep the file at ~10 s.
// Source only: lowering the idle timeout is a startGateway option; the binary has no
// setting for it (and the keep-alive interval's maximum, 25 s, is below its 30 s).

import { afterAll, expect, test } from 'bun:test';
import { gatewayUnderTest, readSse, startHarness, type Harness } from '../helpers/harness.ts';

const LATENCY_MS = 10_000;
const harnesses: Harness[] = [];
afterAll(() => Promise.all(harnesses.map((h) => h.stop())));

const start = async (keepAliveMs: string) => {
  const h = await startHarness({ emulator: { latencyMs: LATENCY_MS }, idleTimeoutSeconds: 5, env: { KEEPALIVE_INTERVAL_MS: keepAliveMs } });
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

test.skipIf(gatewayUnderTest === 'binary')('idle connections: keep-alives save streams, non-streamed answers are exempt, and the cut is real', async () => {
  const [kept, control, plain] = await Promise.all([
    streamOutcome(start('500')),
    streamOutcome(start('25000')),
    start('500').then((h) => h.call('/v1/chat/completions', slowChat(false))).then(async (res) => ({ status: res.status, body: await res.json() })),
  ]);
  expect(kept.completed).toBe(true);
  expect(kept.comments).toBeGreaterThanOrEqual(15);
  expect(kept.text).toContain('Echo[14]');
  expect(control.completed).toBe(false);
  expect(plain.status).toBe(200);
  expect(plain.body.choices[0].message.content).toStartWith('Echo[14]');
}, 20_000);
