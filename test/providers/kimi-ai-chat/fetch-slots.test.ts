// Bun's fetch runs at most 256 requests at once per process; a pool whose capacity is
// larger must not count the wait for a connection slot against its identities. A
// scaled-down reproduction: 12 identities × 25 = 300 concurrent requests at 1.5 s upstream
// latency with a 2 s attempt timeout. The test's own requests go over raw sockets so they
// do not take fetch slots from the gateway when both run in this process.

import { afterEach, expect, test } from 'bun:test';
import { poolOf, startHarness, TEST_KEY, type Harness } from '../../helpers/harness.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

/** One HTTP/1.1 POST over its own TCP connection (Connection: close); resolves with the status. */
function rawPost(port: number, path: string, json: unknown): Promise<number> {
  const body = Buffer.from(JSON.stringify(json));
  const head =
    `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAuthorization: Bearer ${TEST_KEY}\r\n` +
    `Content-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`;
  return new Promise((resolve, reject) => {
    let received = '';
    void Bun.connect({
      hostname: '127.0.0.1',
      port,
      socket: {
        open(socket) {
          socket.write(Buffer.concat([Buffer.from(head), body]));
        },
        data(_socket, chunk) {
          received += chunk.toString('latin1');
        },
        close() {
          const status = /^HTTP\/1\.1 (\d{3})/.exec(received)?.[1];
          if (status) resolve(Number(status));
          else reject(new Error(`no HTTP status in ${JSON.stringify(received.slice(0, 80))}`));
        },
        error(_socket, error) {
          reject(error);
        },
      },
    }).catch(reject);
  });
}

function metric(text: string, name: string, filter = ''): number {
  return text
    .split('\n')
    .filter((l) => l.startsWith(name) && l.includes(filter))
    .reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
}

test('300 concurrent requests on a 300-slot pool: no false timeouts, no failover', async () => {
  const ids = Array.from({ length: 12 }, (_, i) => `id${i}`);
  h = await startHarness({
    accounts: poolOf(ids, {}, { maxConcurrent: 25 }),
    env: { UPSTREAM_ATTEMPT_TIMEOUT_MS: '2000', REQUEST_TIMEOUT_MS: '30000' },
    emulator: { latencyMs: 1_500 },
  });
  // Every identity has its nonce before the burst.
  expect((await Promise.all(ids.map(() => rawPost(h!.gateway.port, '/v1/chat/completions', { messages: [{ role: 'user', content: 'warm' }] })))).every((s) => s === 200)).toBe(true);
  const before = await (await h.call('/metrics')).text();

  const statuses = await Promise.all(
    Array.from({ length: 300 }, (_, i) => rawPost(h!.gateway.port, '/v1/chat/completions', { messages: [{ role: 'user', content: `burst ${i}` }] })),
  );
  const after = await (await h.call('/metrics')).text();

  const failed = statuses.filter((s) => s !== 200).length;
  const timeouts = metric(after, 'kimi_gateway_upstream_outcomes_total', 'kind="transient"') - metric(before, 'kimi_gateway_upstream_outcomes_total', 'kind="transient"');
  const retries = metric(after, 'kimi_gateway_retries_total') - metric(before, 'kimi_gateway_retries_total');
  expect({ failed, timeouts, retries }).toEqual({ failed: 0, timeouts: 0, retries: 0 });
  // More than 256 upstream requests were wanted at once: the gate really had to hold some back.
  const maxInFlight = Object.values(h.emulator.stats()).reduce((sum, s) => sum + s.maxInFlight, 0);
  expect(maxInFlight).toBeGreaterThan(200);
}, 30_000);
