// Size limits on what a client sends, answered by the gateway itself (OpenAI's error shape,
// CORS, X-Request-Id) rather than by Bun's parser, whose own 413/431 are empty bodies that
// never reach JavaScript. So Bun's limits are set well above the gateway's: see docs/BUILD.md.

import { headersTooLarge } from '../errors.ts';

/** The gateway's own limit on the request line and headers (Bun's former default): above it, 431. */
export const MAX_HEADER_BYTES = 16 * 1024;

/**
 * Bun's parser limit on the request head (default 16 KiB, process-wide). Heads between
 * MAX_HEADER_BYTES and this get the gateway's 431; only larger ones get Bun's empty 431.
 */
export const SERVER_HEADER_BYTES = 64 * 1024;

/**
 * Bun's limit on a request body. The gateway checks MAX_BODY_BYTES itself (Content-Length
 * first, then counting while it reads), and Bun discards a body nobody reads without
 * buffering it (measured: 500 MB sent, RSS unchanged), so Bun's limit is out of the way.
 */
export const SERVER_BODY_BYTES = Number.MAX_SAFE_INTEGER;

/** The runtime flag that sets Bun's header limit; the build embeds it in the binary (scripts/build.ts). */
export const HEADER_SIZE_FLAG = `--max-http-header-size=${SERVER_HEADER_BYTES}`;

/**
 * Raises Bun's header limit for every server in this process, unless the runtime was started
 * with a --max-http-header-size (the binary has SERVER_HEADER_BYTES built in, or the operator
 * chose one). From source, node:http's `maxHeaderSize` setter does the same at run time (Bun
 * 1.4.5 applies it to Bun.serve); it is imported only then: loading node:http costs the
 * binary ~1.3 MiB of RSS and ~5 ms of start-up.
 */
export async function raiseServerHeaderLimit(bytes = SERVER_HEADER_BYTES): Promise<void> {
  if (process.execArgv.some((arg) => arg.startsWith('--max-http-header-size'))) return;
  // The module object, not the namespace: the setter lives on node:http's exports object.
  const { default: http } = await import('node:http');
  if (http.maxHeaderSize < bytes) (http as { maxHeaderSize: number }).maxHeaderSize = bytes;
}

/** Throws the gateway's 431 when the request line and headers are over MAX_HEADER_BYTES. */
export function checkHeaderSize(request: Request): void {
  // "GET <url> HTTP/1.1\r\n", then "name: value\r\n" per header: the URL's origin is counted
  // twice (it is also the Host header), a few bytes that do not matter against 16 KiB.
  let bytes = request.method.length + request.url.length + 11;
  request.headers.forEach((value, name) => {
    bytes += name.length + value.length + 4;
  });
  if (bytes > MAX_HEADER_BYTES) throw headersTooLarge(bytes, MAX_HEADER_BYTES);
}
