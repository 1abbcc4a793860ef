// A lean HTTP/1.1 keep-alive client on a raw socket (Bun.connect), one request at a time per
// connection. The speed section drives the gateway with it at 0 ms upstream because Bun's
// fetch costs the client ~50 µs of CPU per request on this 2-core box (this client ~20 µs):
// CPU the servers being compared would otherwise share with the load generator.
// Handles Content-Length and chunked bodies; no redirects, no compression, no TLS.

import type { Socket } from 'bun';

export interface RawResponse {
  status: number;
  /** The header block, lower-cased, without the status line. */
  head: string;
  body: string;
  /** ms from `t0` to the first body bytes (NaN for an empty body). */
  ttfbMs: number;
  /** ms from `t0` to the end of the body. */
  totalMs: number;
}

type Phase = 'head' | 'length' | 'chunk-size' | 'chunk-data' | 'chunk-crlf' | 'trailer';

interface Pending {
  t0: number;
  onBody: ((text: string, atMs: number) => void) | undefined;
  resolve(response: RawResponse): void;
  reject(error: Error): void;
  phase: Phase;
  status: number;
  head: string;
  remaining: number;
  body: string;
  ttfbMs: number;
  decoder: TextDecoder;
}

const CRLF2 = Buffer.from('\r\n\r\n');

export class RawConnectionError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
    this.name = 'RawConnectionError';
  }
}

/** Builds the bytes of one request; `headers` without Host and Content-Length. */
export function buildRequest(method: string, host: string, path: string, headers: Record<string, string>, body: string): Buffer {
  const bytes = Buffer.from(body);
  let head = `${method} ${path} HTTP/1.1\r\nHost: ${host}\r\n`;
  for (const [name, value] of Object.entries(headers)) head += `${name}: ${value}\r\n`;
  head += `Content-Length: ${bytes.length}\r\n\r\n`;
  return Buffer.concat([Buffer.from(head, 'latin1'), bytes]);
}

export class RawHttpConnection {
  private socket: Socket<undefined> | null = null;
  private pending: Pending | null = null;
  private buffer: Buffer | null = null;
  private unsent: Buffer | null = null;

  private constructor(
    private readonly hostname: string,
    private readonly port: number,
  ) {}

  static async open(hostname: string, port: number): Promise<RawHttpConnection> {
    const connection = new RawHttpConnection(hostname, port);
    await connection.connect();
    return connection;
  }

  private async connect(): Promise<void> {
    this.buffer = null;
    this.socket = await Bun.connect({
      hostname: this.hostname,
      port: this.port,
      // Events of a socket this connection already let go of (closed, replaced) are ignored.
      socket: {
        data: (socket, data) => {
          if (socket === this.socket) this.onData(data);
        },
        drain: (socket) => {
          if (socket === this.socket) this.flush(socket);
        },
        close: (socket) => {
          if (socket === this.socket) this.onClosed(new RawConnectionError('connection closed', 'ECONNRESET'));
        },
        error: (socket, error) => {
          if (socket === this.socket) this.onClosed(new RawConnectionError(error.message, (error as { code?: string }).code ?? 'error'));
        },
      },
    });
  }

  /** Sends `request` and resolves with the whole response; `onBody` sees each decoded body piece as it arrives. */
  async request(request: Buffer, t0: number, signal?: AbortSignal, onBody?: (text: string, atMs: number) => void): Promise<RawResponse> {
    if (this.pending !== null) throw new Error('RawHttpConnection: one request at a time');
    if (this.socket === null) await this.connect();
    const socket = this.socket;
    if (socket === null) throw new RawConnectionError('not connected', 'ECONNREFUSED');
    if (signal?.aborted) throw signal.reason instanceof Error ? signal.reason : new Error('aborted');
    return new Promise<RawResponse>((resolve, reject) => {
      const onAbort = (): void => {
        const error = new Error('aborted');
        error.name = 'AbortError';
        this.onClosed(error);
        this.close();
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.pending = {
        t0,
        onBody,
        resolve: (r) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(r);
        },
        reject: (e) => {
          signal?.removeEventListener('abort', onAbort);
          reject(e);
        },
        phase: 'head',
        status: 0,
        head: '',
        remaining: 0,
        body: '',
        ttfbMs: Number.NaN,
        decoder: new TextDecoder(),
      };
      this.unsent = request;
      this.flush(socket);
    });
  }

  close(): void {
    const socket = this.socket;
    this.socket = null;
    socket?.end();
  }

  private flush(socket: Socket<undefined>): void {
    const data = this.unsent;
    if (data === null) return;
    const written = socket.write(data);
    this.unsent = written >= data.length ? null : data.subarray(Math.max(0, written));
  }

  private onClosed(error: Error): void {
    this.socket = null;
    this.unsent = null;
    const p = this.pending;
    this.pending = null;
    p?.reject(error);
  }

  private onData(data: Buffer): void {
    const p = this.pending;
    if (p === null) return; // bytes nobody asked for: ignored (the next request starts clean)
    let buf = this.buffer === null ? data : Buffer.concat([this.buffer, data]);
    this.buffer = null;
    const at = performance.now() - p.t0;
    for (;;) {
      if (p.phase === 'head') {
        const end = buf.indexOf(CRLF2);
        if (end < 0) break;
        const text = buf.toString('latin1', 0, end);
        buf = buf.subarray(end + 4);
        const firstLine = text.indexOf('\r\n');
        p.status = Number(text.slice(9, 12));
        p.head = (firstLine < 0 ? '' : text.slice(firstLine + 2)).toLowerCase();
        if (/\r?\ntransfer-encoding:[^\r\n]*chunked|^transfer-encoding:[^\r\n]*chunked/.test(p.head)) p.phase = 'chunk-size';
        else {
          const length = /(?:^|\n)content-length:\s*(\d+)/.exec(p.head)?.[1];
          p.remaining = length === undefined ? 0 : Number(length);
          p.phase = 'length';
        }
        continue;
      }
      if (p.phase === 'length') {
        const take = Math.min(p.remaining, buf.length);
        if (take > 0) this.body(p, buf.subarray(0, take), at);
        buf = buf.subarray(take);
        p.remaining -= take;
        if (p.remaining === 0) return this.complete(p, buf);
        break;
      }
      if (p.phase === 'chunk-size') {
        const eol = buf.indexOf('\r\n');
        if (eol < 0) break;
        const size = Number.parseInt(buf.toString('latin1', 0, eol), 16);
        buf = buf.subarray(eol + 2);
        if (!Number.isFinite(size)) return this.fail(p, 'bad chunk size');
        p.remaining = size;
        p.phase = size === 0 ? 'trailer' : 'chunk-data';
        continue;
      }
      if (p.phase === 'chunk-data') {
        const take = Math.min(p.remaining, buf.length);
        if (take > 0) this.body(p, buf.subarray(0, take), at);
        buf = buf.subarray(take);
        p.remaining -= take;
        if (p.remaining > 0) break;
        p.phase = 'chunk-crlf';
        continue;
      }
      if (p.phase === 'chunk-crlf') {
        if (buf.length < 2) break;
        buf = buf.subarray(2);
        p.phase = 'chunk-size';
        continue;
      }
      // trailer: empty line ends the body (no trailer fields expected)
      const eol = buf.indexOf('\r\n');
      if (eol < 0) break;
      if (eol === 0) return this.complete(p, buf.subarray(2));
      buf = buf.subarray(eol + 2);
    }
    if (buf.length > 0) this.buffer = Buffer.from(buf);
  }

  private body(p: Pending, bytes: Buffer, at: number): void {
    if (Number.isNaN(p.ttfbMs)) p.ttfbMs = at;
    const text = p.decoder.decode(bytes, { stream: true });
    p.body += text;
    if (text !== '') p.onBody?.(text, at);
  }

  private complete(p: Pending, rest: Buffer): void {
    const tail = p.decoder.decode();
    if (tail !== '') {
      p.body += tail;
      p.onBody?.(tail, performance.now() - p.t0);
    }
    this.pending = null;
    this.buffer = rest.length > 0 ? Buffer.from(rest) : null;
    p.resolve({ status: p.status, head: p.head, body: p.body, ttfbMs: p.ttfbMs, totalMs: performance.now() - p.t0 });
    if (/(?:^|\n)connection:\s*close/.test(p.head)) this.close();
  }

  private fail(p: Pending, why: string): void {
    this.pending = null;
    this.close();
    p.reject(new RawConnectionError(why, 'EPROTO'));
  }
}
