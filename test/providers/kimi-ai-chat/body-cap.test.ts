// UPSTREAM_MAX_BYTES over HTTP: what the gateway reads from the site (page and answer,
// counted after decompression) is capped; past the cap the client gets 502
// upstream_too_large and the gateway's memory stays bounded.

import { afterEach, describe, expect, test } from 'bun:test';
import { configFor, startHarness, type Harness } from '../../helpers/harness.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

const MiB = 1024 * 1024;
const ask = (harness: Harness, stream = false) =>
  harness.call('/v1/chat/completions', { json: { stream, messages: [{ role: 'user', content: 'tell me everything' }] } });

async function errorOf(res: Response): Promise<{ status: number; message: string; code: string | null }> {
  const body = (await res.json()) as { error: { message: string; code: string | null } };
  return { status: res.status, message: body.error.message, code: body.error.code };
}

/** The gateway's resident memory, read over HTTP like an operator would. */
async function gatewayRss(harness: Harness): Promise<number> {
  const text = await (await harness.call('/metrics')).text();
  const line = text.split('\n').find((l) => l.startsWith('kimi_gateway_process_resident_memory_bytes'));
  return Number(line?.split(' ')[1]);
}

describe('UPSTREAM_MAX_BYTES', () => {
  test('defaults to 2 MiB and is bounded', () => {
    expect(configFor('http://127.0.0.1:1').upstreamMaxBytes).toBe(2 * MiB);
    expect(configFor('http://127.0.0.1:1', { env: { UPSTREAM_MAX_BYTES: '65536' } }).upstreamMaxBytes).toBe(65_536);
    expect(() => configFor('http://127.0.0.1:1', { env: { UPSTREAM_MAX_BYTES: '1000' } })).toThrow(/UPSTREAM_MAX_BYTES/);
    expect(() => configFor('http://127.0.0.1:1', { env: { UPSTREAM_MAX_BYTES: String(2 ** 40) } })).toThrow(/UPSTREAM_MAX_BYTES/);
  });

  test('a 30 MB answer, 50 MB of non-JSON and a gzip bomb: 502 upstream_too_large, memory bounded', async () => {
    h = await startHarness();
    // Warm up the paths once so the measurement sees the bodies, not first-use allocations.
    expect((await ask(h)).status).toBe(200);
    Bun.gc(true);
    const before = await gatewayRss(h);
    for (const fault of [
      { kind: 'huge_json', bytes: 30 * MiB },
      { kind: 'huge_html', bytes: 50 * MiB },
      { kind: 'gzip_bomb', bytes: 64 * MiB },
    ] as const) {
      h.emulator.addFault({ ...fault, times: 1 });
      const error = await errorOf(await ask(h));
      expect({ fault: fault.kind, ...error }).toMatchObject({ fault: fault.kind, status: 502, code: 'upstream_too_large' });
      expect(error.message).toContain('kimi-ai.chat');
    }
    const growth = (await gatewayRss(h)) - before;
    expect(growth).toBeLessThan(64 * MiB);
  });

  test('a streamed request gets the same error as a frame, never a 30 MB answer', async () => {
    h = await startHarness();
    h.emulator.addFault({ kind: 'huge_json', bytes: 30 * MiB, times: 1 });
    const res = await ask(h, true);
    const raw = await res.text();
    expect(raw.length).toBeLessThan(10_000);
    expect(raw).toContain('upstream_too_large');
    expect(raw).not.toContain('lorem ipsum');
  });

  test('no failover: the site, not the identity, sent it (one upstream call per request)', async () => {
    h = await startHarness({ accounts: { identities: [{ id: 'a', cookies: 'kimi_visitor=a' }, { id: 'b', cookies: 'kimi_visitor=b' }] } });
    h.emulator.addFault({ kind: 'huge_json', bytes: 8 * MiB });
    const before = h.emulator.received.length;
    expect((await errorOf(await ask(h))).code).toBe('upstream_too_large');
    expect(h.emulator.received.length - before).toBe(1);
  });

  test('a chat page over the cap: 502 upstream_too_large', async () => {
    h = await startHarness({ emulator: { faults: [{ kind: 'huge_html', on: 'page', bytes: 8 * MiB }] } });
    expect(await errorOf(await ask(h))).toMatchObject({ status: 502, code: 'upstream_too_large' });
    expect(h.emulator.received).toEqual([]);
  });

  test('answers under the cap pass whole; the cap follows the setting', async () => {
    h = await startHarness({ env: { UPSTREAM_MAX_BYTES: String(256 * 1024) }, emulator: { replyLength: 150_000 } });
    const res = await ask(h);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { choices: Array<{ message: { content: string } }> };
    expect(body.choices[0]!.message.content.length).toBe(150_000);
    h.emulator.configure({ replyLength: 300_000 });
    expect((await errorOf(await ask(h))).code).toBe('upstream_too_large');
  });
});
