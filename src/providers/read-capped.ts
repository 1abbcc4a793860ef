// Reads an upstream body up to a byte limit, counted after decompression (fetch inflates
// gzip/br/deflate before the reader sees a byte), and cancels the transfer past it. Bun's
// fetch does not buffer ahead of the reader, so memory stays near the limit whatever the
// site sends: a 30 MB answer or a gzip bomb costs a few MB, not a few hundred.

export type CappedBody = { ok: true; text: string } | { ok: false; readBytes: number };

export async function readCapped(response: Response, maxBytes: number): Promise<CappedBody> {
  const declared = Number(response.headers.get('content-length'));
  // Without Content-Encoding, Content-Length is the body's size: refuse it before reading.
  if (!response.headers.has('content-encoding') && Number.isFinite(declared) && declared > maxBytes) {
    await response.body?.cancel().catch(() => undefined);
    return { ok: false, readBytes: 0 };
  }
  if (!response.body) return { ok: true, text: '' };
  // Framed by a Content-Length within the limit: fetch reads no more than that.
  if (response.headers.has('content-length') && !response.headers.has('content-encoding')) return { ok: true, text: await response.text() };
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > maxBytes) {
        await reader.cancel().catch(() => undefined);
        return { ok: false, readBytes: total };
      }
      chunks.push(value);
    }
  } finally {
    reader.releaseLock();
  }
  return { ok: true, text: decode(chunks, total) };
}

function decode(chunks: Uint8Array[], total: number): string {
  if (chunks.length === 1) return new TextDecoder().decode(chunks[0]);
  const all = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    all.set(chunk, at);
    at += chunk.byteLength;
  }
  return new TextDecoder().decode(all);
}
