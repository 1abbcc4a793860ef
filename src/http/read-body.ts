// Reads a JSON request body under a size limit: 413 when larger, 400 when not JSON.

import { invalidRequest, payloadTooLarge } from '../errors.ts';

export async function readJsonBody(request: Request, limitBytes: number): Promise<unknown> {
  const declared = request.headers.get('content-length');
  if (declared !== null && Number(declared) > limitBytes) throw payloadTooLarge(limitBytes);
  const text = declared !== null ? await request.text() : await readChunked(request, limitBytes);
  if (text.trim() === '') throw invalidRequest('The request body is empty: send a JSON object with "model" and "messages".');
  try {
    return JSON.parse(text);
  } catch (error) {
    throw invalidRequest(`The request body is not valid JSON (${(error as Error).message}).`);
  }
}

/** A body without Content-Length (chunked): count bytes as they arrive. */
async function readChunked(request: Request, limitBytes: number): Promise<string> {
  if (!request.body) return '';
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of request.body) {
    total += chunk.byteLength;
    if (total > limitBytes) throw payloadTooLarge(limitBytes);
    chunks.push(chunk);
  }
  return new TextDecoder().decode(Buffer.concat(chunks));
}
