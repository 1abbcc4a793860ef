// Reads a JSON request body under a size limit: 413 when larger (by Content-Length before
// reading anything, or by counting a chunked body and cancelling the read past the limit),
// 400 when not JSON, ClientGoneError when the client hangs up mid-body.

import { ClientGoneError, GatewayError, invalidRequest, payloadTooLarge } from '../errors.ts';

export async function readJsonBody(request: Request, limitBytes: number): Promise<unknown> {
  const declared = request.headers.get('content-length');
  if (declared !== null && Number(declared) > limitBytes) throw payloadTooLarge(limitBytes);
  let text: string;
  try {
    text = declared !== null ? await request.text() : await readChunked(request, limitBytes);
  } catch (error) {
    throw request.signal.aborted || isClientAbort(error) ? new ClientGoneError() : error;
  }
  if (text.trim() === '') throw invalidRequest('The request body is empty: send a JSON object with "model" and "messages".');
  try {
    return JSON.parse(text);
  } catch (error) {
    // The parser's message can quote the body: keep it short.
    throw invalidRequest(`The request body is not valid JSON (${(error as Error).message.slice(0, 100)}).`);
  }
}

/** A body without Content-Length (chunked): count bytes as they arrive, stop reading past the limit. */
async function readChunked(request: Request, limitBytes: number): Promise<string> {
  if (!request.body) return '';
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limitBytes) {
      reader.cancel().catch(() => {});
      throw payloadTooLarge(limitBytes);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks, total).toString('utf8');
}

/** Bun's error for a request body cut short by the client: "AbortError: The connection was closed." */
export function isClientAbort(error: unknown): boolean {
  return error instanceof Error && !(error instanceof GatewayError) && error.name === 'AbortError';
}
