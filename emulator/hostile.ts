// Answers of a hostile or broken site: redirects anywhere, bodies far larger than any chat
// answer (plain or as a gzip bomb), error pages that echo the request's secrets, and a page
// built to be expensive to parse. Large bodies are generated while the client reads them,
// so the emulator itself stays small and stops producing when the client cancels.

const CHUNK_BYTES = 64 * 1024;
const encoder = new TextEncoder();

export const DEFAULT_HUGE_JSON_BYTES = 30 * 1024 * 1024;
export const DEFAULT_HUGE_HTML_BYTES = 50 * 1024 * 1024;
export const DEFAULT_GZIP_BOMB_BYTES = 64 * 1024 * 1024;
export const DEFAULT_SCRIPT_FLOOD_COUNT = 300_000;
export const DEFAULT_BIG_COOKIE_BYTES = 60 * 1024;

export function redirectTo(location: string, status: number): Response {
  return new Response(null, { status, headers: { location, server: 'nginx' } });
}

/** `prefix`, then `filler` repeated, then `suffix`: `total` bytes (less up to one filler unit), made as it is read. */
function generatedBody(prefix: string, filler: string, suffix: string, total: number): ReadableStream<Uint8Array> {
  const head = encoder.encode(prefix);
  const tail = encoder.encode(suffix);
  const unit = encoder.encode(filler);
  const block = new Uint8Array(CHUNK_BYTES - (CHUNK_BYTES % unit.length));
  for (let at = 0; at < block.length; at += unit.length) block.set(unit, at);
  let middle = Math.max(0, total - head.length - tail.length);
  middle -= middle % unit.length;
  let stage: 'head' | 'middle' | 'tail' | 'done' = 'head';
  return new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        if (stage === 'head') {
          controller.enqueue(head);
          stage = 'middle';
        } else if (stage === 'middle' && middle > 0) {
          const size = Math.min(block.length, middle);
          controller.enqueue(size === block.length ? block : block.subarray(0, size));
          middle -= size;
        } else if (stage !== 'done') {
          controller.enqueue(tail);
          stage = 'done';
          controller.close();
        }
      },
    },
    { highWaterMark: 0 },
  );
}

function hugeJsonBody(bytes: number): ReadableStream<Uint8Array> {
  return generatedBody('{"success":true,"data":{"message":"', 'lorem ipsum ', '"}}', bytes);
}

/** A 200 success answer whose message makes the body `bytes` long. */
export function hugeJson(bytes: number): Response {
  return new Response(hugeJsonBody(bytes), { headers: { 'content-type': 'application/json; charset=UTF-8', server: 'nginx' } });
}

/** A 200 HTML body of `bytes` that is neither JSON nor a chat page. */
export function hugeHtml(bytes: number): Response {
  const body = generatedBody('<!DOCTYPE html><html><head><title>Archive</title></head><body>', '<p>lorem ipsum dolor sit amet</p>\n', '</body></html>', bytes);
  return new Response(body, { headers: { 'content-type': 'text/html; charset=UTF-8', server: 'nginx' } });
}

/**
 * The huge JSON answer gzip-compressed on the fly: a few tens of KB on the wire that
 * inflate to `bytes` (about 1000:1 for this filler).
 */
export function gzipBomb(bytes: number): Response {
  const body = (hugeJsonBody(bytes) as ReadableStream<BufferSource>).pipeThrough(new CompressionStream('gzip'));
  return new Response(body, { headers: { 'content-type': 'application/json; charset=UTF-8', 'content-encoding': 'gzip', server: 'nginx' } });
}

/** A debugging error page that prints what it received: the Cookie header and the nonce. */
export function echoRequest(status: number, cookie: string | null, nonce: string | null): Response {
  const text = `Request rejected. Cookie: ${cookie ?? '(none)'}; nonce=${nonce ?? '(none)'}`;
  if (status === 200) {
    return Response.json({ success: false, data: text }, { headers: { server: 'nginx' } });
  }
  return new Response(text, { status, headers: { 'content-type': 'text/plain; charset=UTF-8', server: 'nginx' } });
}

/** A page of `count` empty <script> elements and no kimi_ajax: costly for a DOM parser. */
export function scriptFlood(count: number): Response {
  const [head, unit, tail] = ['<!DOCTYPE html><html><head><title>Kimi AI Chat</title>', '<script></script>', '</head><body></body></html>'];
  const body = generatedBody(head, unit, tail, head.length + count * unit.length + tail.length);
  return new Response(body, { headers: { 'content-type': 'text/html; charset=UTF-8', server: 'nginx' } });
}

/** One Set-Cookie line with a value of `bytes` characters. */
export function bigCookie(bytes: number): string {
  return `kimi_big=${'a'.repeat(bytes)}; Path=/; HttpOnly`;
}
