// What the gateway learns about one request while serving it: its id, the caller, the
// turn's report. Begun when the request arrives (it rides on Elysia's context as `trace`),
// finished once when the response has left — for a stream, when its body has been written —
// into a RequestRecord for logs, metrics and the dashboard.

import type { TurnReport } from '../chat/turn-report.ts';
import type { RequestRecord } from '../ops/request-record.ts';

const REQUEST_ID = /^[\w.:-]{1,128}$/;
/** What the dashboard and logs keep of a client's model name and of an unmatched path. */
const MODEL_MAX = 100;
const PATH_MAX = 200;

/** The outcome of a request whose client left (whatever the upstream call's own outcome). */
export const CLIENT_CLOSED = 'client_closed';

/** The client's X-Request-Id when it is a sane token, else a new one. */
export function requestIdFrom(header: string | null): string {
  return header !== null && REQUEST_ID.test(header) ? header : `req_${crypto.randomUUID().replaceAll('-', '')}`;
}

export class RequestTrace {
  readonly id: string;
  /** epoch ms */
  readonly at = Date.now();
  readonly startedAt = performance.now();
  readonly method: string;
  /** The request's URL, read only when no route matched (its path is shown then). */
  private readonly url: string;
  route = '';
  keyName: string | null = null;
  model: string | null = null;
  stream = false;
  turn: TurnReport | null = null;
  firstContentMs: number | null = null;
  /** Why the request failed (an error outcome, CLIENT_CLOSED), or null. */
  failure: string | null = null;
  /** The status of an error answer (set by the error handler). */
  status: number | null = null;
  /** A streamed body still being written: the trace finishes when it settles. */
  body: Promise<void> | null = null;

  constructor(request: Request) {
    this.id = requestIdFrom(request.headers.get('x-request-id'));
    this.method = request.method;
    this.url = request.url;
  }

  /**
   * The model the client asked for, as it sent it (bounded, control characters replaced), so a
   * request refused before its model is accepted still shows it; a served request's own route
   * sets the public id afterwards.
   */
  requested(body: unknown): void {
    const model = typeof body === 'object' && body !== null ? Reflect.get(body, 'model') : undefined;
    if (typeof model === 'string' && model !== '') this.model = bounded(model.replace(/[\u0000-\u001f\u007f-\u009f]/g, '\ufffd'), MODEL_MAX);
  }

  /** The raw path, no query (it may carry an access_token), bounded. */
  path(): string {
    let path: string;
    try {
      path = new URL(this.url).pathname;
    } catch {
      path = '?';
    }
    return bounded(path, PATH_MAX);
  }

  /** The answer's content is leaving now. */
  contentStarted(): void {
    this.firstContentMs = performance.now() - this.startedAt;
  }
}

/** Stands for the trace on Elysia's context until onRequest sets the request's own. */
export const NO_TRACE = Object.freeze(new RequestTrace(new Request('http://localhost/'))) as RequestTrace;

export type RequestListener = (record: RequestRecord) => void;

export class RequestTraces {
  private readonly active = new Set<RequestTrace>();
  private idleWaiters: Array<() => void> = [];

  constructor(private readonly onFinished: RequestListener) {}

  begin(request: Request): RequestTrace {
    const trace = new RequestTrace(request);
    this.active.add(trace);
    return trace;
  }

  /** Requests begun and not finished (streams included). */
  get inFlight(): number {
    return this.active.size;
  }

  /** What is still running, for the shutdown log. */
  running(): Array<{ id: string; route: string; ms: number }> {
    const now = performance.now();
    return [...this.active].map((t) => ({ id: t.id, route: t.route || t.method, ms: Math.round(now - t.startedAt) }));
  }

  /** Resolves when no request is in flight. */
  idle(): Promise<void> {
    return this.active.size === 0 ? Promise.resolve() : new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** The response has left with `status`; a stream's trace finishes once its body has been written. */
  finish(trace: RequestTrace, status: number): void {
    if (!this.active.has(trace)) return;
    if (trace.body) void trace.body.then(() => this.record(trace, status));
    else this.record(trace, status);
  }

  private record(trace: RequestTrace, sentStatus: number): void {
    if (!this.active.delete(trace)) return;
    const status = trace.status ?? sentStatus;
    const turn = trace.turn;
    // A stream that failed after its 200 went out is a failure too.
    const failed = status >= 400 || trace.failure !== null;
    const upstreamFailure = turn?.outcome && turn.outcome !== 'ok' ? turn.outcome : null;
    this.onFinished({
      id: trace.id,
      at: trace.at,
      method: trace.method,
      route: trace.route,
      ...(trace.route === 'unmatched' ? { path: trace.path() } : {}),
      status,
      keyName: trace.keyName,
      model: trace.model,
      stream: trace.stream,
      identity: turn?.identityId ?? null,
      attempts: turn?.attempts ?? 0,
      ...(turn?.notStored ? { notStored: turn.notStored } : {}),
      outcome: trace.failure === CLIENT_CLOSED ? CLIENT_CLOSED : failed ? (upstreamFailure ?? trace.failure ?? 'error') : 'ok',
      durationMs: round(performance.now() - trace.startedAt),
      upstreamMs: turn && turn.attempts > 0 ? round(turn.upstreamMs) : null,
      firstContentMs: trace.firstContentMs === null ? null : round(trace.firstContentMs),
      queueWaitMs: turn && turn.attempts > 0 ? round(turn.queueWaitMs) : null,
    });
    if (this.active.size === 0) for (const resolve of this.idleWaiters.splice(0)) resolve();
  }
}

const round = (ms: number): number => Math.round(ms * 100) / 100;

function bounded(text: string, max: number): string {
  if (text.length <= max) return text;
  // Never end on half of a surrogate pair.
  const end = /[\ud800-\udbff]/.test(text.charAt(max - 2)) ? max - 2 : max - 1;
  return `${text.slice(0, end)}\u2026`;
}
