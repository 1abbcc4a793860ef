// Raw HTTP/1.1 over a TCP socket (Bun.connect) for tests that need what fetch will not
// send: a 1-character Host, a body shorter than its Content-Length, oversize headers, a
// chunked body that keeps coming after the answer.

import type { Socket } from 'bun';

export interface RawResponse {
  status: number;
  /** Header names lower-cased; empty when the server closed without answering. */
  headers: Map<string, string>;
  body: string;
}

interface Connection {
  socket: Socket<undefined>;
  /** Bytes received so far. */
  received(): Uint8Array;
  /** Resolves when the server closed the connection. */
  closed: Promise<void>;
  /** Resolves when the socket can take more data. */
  drained(): Promise<void>;
}

async function connect(baseUrl: string): Promise<Connection> {
  const { hostname, port } = new URL(baseUrl);
  const chunks: Uint8Array[] = [];
  let closedResolve!: () => void;
  const closed = new Promise<void>((resolve) => (closedResolve = resolve));
  let drainWaiters: Array<() => void> = [];
  const socket = await Bun.connect({
    hostname,
    port: Number(port),
    socket: {
      data(_, data) {
        chunks.push(new Uint8Array(data));
      },
      drain() {
        for (const resolve of drainWaiters.splice(0)) resolve();
      },
      close() {
        closedResolve();
        for (const resolve of drainWaiters.splice(0)) resolve();
      },
      error() {
        closedResolve();
      },
    },
  });
  return {
    socket,
    received: () => Buffer.concat(chunks),
    closed,
    drained: () => new Promise<void>((resolve) => drainWaiters.push(resolve)),
  };
}

/** Writes all of `data`, waiting for the socket to drain; false when the connection closed first. */
async function writeAll(conn: Connection, data: Uint8Array, isClosed: () => boolean): Promise<boolean> {
  let offset = 0;
  while (offset < data.byteLength) {
    if (isClosed()) return false;
    const written = conn.socket.write(data.subarray(offset));
    if (written < 0) return false;
    offset += written;
    if (offset < data.byteLength) await conn.drained();
  }
  return true;
}

/** Parses one HTTP/1.1 response (Content-Length, chunked, or up to the close). */
export function parseResponse(bytes: Uint8Array): RawResponse | null {
  const text = Buffer.from(bytes).toString('latin1');
  const end = text.indexOf('\r\n\r\n');
  if (end === -1) return null;
  const [statusLine, ...lines] = text.slice(0, end).split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine ?? '')?.[1]);
  const headers = new Map<string, string>();
  for (const line of lines) {
    const colon = line.indexOf(':');
    headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  let body = Buffer.from(bytes.subarray(end + 4));
  if (headers.get('transfer-encoding') === 'chunked') {
    const parts: Buffer[] = [];
    let at = 0;
    for (;;) {
      const lineEnd = body.indexOf('\r\n', at);
      if (lineEnd === -1) return null;
      const size = parseInt(body.subarray(at, lineEnd).toString('latin1'), 16);
      if (size === 0) break;
      if (body.length < lineEnd + 2 + size) return null;
      parts.push(body.subarray(lineEnd + 2, lineEnd + 2 + size));
      at = lineEnd + 2 + size + 2;
    }
    body = Buffer.concat(parts);
  } else if (headers.has('content-length')) {
    const length = Number(headers.get('content-length'));
    if (body.length < length) return null;
    body = body.subarray(0, length);
  }
  return { status, headers, body: body.toString('utf8') };
}

const NO_ANSWER: RawResponse = { status: 0, headers: new Map(), body: '' };

/**
 * Sends `head` (request line and headers, "\r\n" line ends, without the blank line) and
 * `body`, then reads the answer until the server closes (send "Connection: close").
 */
export async function rawRequest(baseUrl: string, head: string, body: Uint8Array | string = '', timeoutMs = 10_000): Promise<RawResponse> {
  const conn = await connect(baseUrl);
  let closed = false;
  void conn.closed.then(() => (closed = true));
  const payload = typeof body === 'string' ? Buffer.from(body) : body;
  await writeAll(conn, Buffer.concat([Buffer.from(`${head}\r\n\r\n`, 'latin1'), payload]), () => closed);
  const timer = setTimeout(() => conn.socket.end(), timeoutMs);
  await conn.closed;
  clearTimeout(timer);
  return parseResponse(conn.received()) ?? NO_ANSWER;
}

/** Sends `head` and part of a body, then hangs up without reading. Resolves once closed. */
/** One request on a keep-alive connection, then silence: resolves with the ms until the server cut the connection. */
export async function silentConnection(baseUrl: string): Promise<number> {
  const conn = await connect(baseUrl);
  const started = performance.now();
  conn.socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
  await conn.closed;
  return performance.now() - started;
}

export async function hangUpMidBody(baseUrl: string, head: string, partialBody: string): Promise<void> {
  const conn = await connect(baseUrl);
  conn.socket.write(Buffer.from(`${head}\r\n\r\n${partialBody}`, 'latin1'));
  conn.socket.end();
  await conn.closed;
}

/**
 * Streams a body (chunked, or sized by the given Content-Length) in 64 KiB pieces until
 * the server answers or closes, or `maxBytes` are sent. Returns the answer and how much
 * was sent: a server that answers early is not waiting for the whole body.
 */
export async function streamBodyUntilAnswered(
  baseUrl: string,
  head: string,
  options: { chunked: boolean; maxBytes: number },
): Promise<{ response: RawResponse; sentBytes: number }> {
  const conn = await connect(baseUrl);
  let closed = false;
  void conn.closed.then(() => (closed = true));
  const piece = new Uint8Array(64 * 1024).fill(0x61);
  const framed = options.chunked ? Buffer.concat([Buffer.from(`${piece.byteLength.toString(16)}\r\n`), piece, Buffer.from('\r\n')]) : piece;
  let sentBytes = 0;
  const answered = () => closed || parseResponse(conn.received()) !== null;
  await writeAll(conn, Buffer.from(`${head}\r\n\r\n`, 'latin1'), () => closed);
  while (sentBytes < options.maxBytes && !answered()) {
    if (!(await writeAll(conn, framed, answered))) break;
    sentBytes += piece.byteLength;
    // Let the server's answer in between writes.
    await Bun.sleep(0);
  }
  const deadline = performance.now() + 10_000;
  while (!answered() && performance.now() < deadline) await Bun.sleep(5);
  const response = parseResponse(conn.received()) ?? NO_ANSWER;
  conn.socket.end();
  return { response, sentBytes };
}
