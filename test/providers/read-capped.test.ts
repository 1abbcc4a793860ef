// readCapped: reads an upstream body up to a byte limit, counted after decompression,
// and cancels the transfer past it.

import { describe, expect, test } from 'bun:test';
import { readCapped } from '../../src/providers/read-capped.ts';

/** A body made of `chunks`, recording how many were pulled and whether it was cancelled. */
function source(chunks: Uint8Array[]) {
  const seen = { pulled: 0, cancelled: false };
  const stream = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        const next = chunks[seen.pulled++];
        if (next) controller.enqueue(next);
        else controller.close();
      },
      cancel() {
        seen.cancelled = true;
      },
    },
    { highWaterMark: 0 },
  );
  return { stream, seen };
}

const bytes = (n: number, fill = 0x61) => new Uint8Array(n).fill(fill);

describe('readCapped', () => {
  test('a body up to the limit is read whole', async () => {
    const { stream } = source([bytes(40), bytes(60)]);
    expect(await readCapped(new Response(stream), 100)).toEqual({ ok: true, text: 'a'.repeat(100) });
  });

  test('past the limit: stops, cancels the transfer, reads nothing more', async () => {
    const chunks = Array.from({ length: 1000 }, () => bytes(1024));
    const { stream, seen } = source(chunks);
    const result = await readCapped(new Response(stream), 10 * 1024);
    expect(result).toEqual({ ok: false, readBytes: 11 * 1024 });
    expect(seen.cancelled).toBe(true);
    expect(seen.pulled).toBeLessThan(20);
  });

  test('a Content-Length over the limit is refused before reading (no Content-Encoding)', async () => {
    const { stream, seen } = source([bytes(10)]);
    const result = await readCapped(new Response(stream, { headers: { 'content-length': '999999' } }), 100);
    expect(result).toEqual({ ok: false, readBytes: 0 });
    expect(seen.pulled).toBe(0);
  });

  test('UTF-8 split across chunks decodes whole', async () => {
    const euro = new TextEncoder().encode('€uro 你好');
    const { stream } = source([euro.slice(0, 1), euro.slice(1, 8), euro.slice(8)]);
    expect(await readCapped(new Response(stream), 100)).toEqual({ ok: true, text: '€uro 你好' });
  });

  test('an empty body is an empty text', async () => {
    expect(await readCapped(new Response(null), 10)).toEqual({ ok: true, text: '' });
  });

  test('gzip is counted after decompression: a small compressed body that inflates past the limit is stopped', async () => {
    const inflated = 5 * 1024 * 1024;
    const server = Bun.serve({
      hostname: '127.0.0.1',
      port: 0,
      fetch: () => new Response(Bun.gzipSync(bytes(inflated, 0x20)), { headers: { 'content-encoding': 'gzip' } }),
    });
    try {
      const res = await fetch(`http://127.0.0.1:${server.port}/`);
      expect(Number(res.headers.get('content-length'))).toBeLessThan(64 * 1024);
      const result = await readCapped(res, 1024 * 1024);
      expect(result.ok).toBe(false);
    } finally {
      await server.stop(true);
    }
  });
});
