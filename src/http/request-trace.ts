// What the gateway learns about one request while serving it, keyed by the Request
// object: its id, the caller, the chat turn's details. Finished once — when the response
// is sent, or when a stream ends — into a RequestRecord for logs, metrics and the dashboard.

import type { TurnTrace } from '../chat/chat-service.ts';
import type { RequestRecord } from '../ops/request-record.ts';

export interface RequestTrace {
  id: string;
  at: number;
  startedAt: number;
  method: string;
  route: string;
  keyName: string | null;
  model: string | null;
  stream: boolean;
  turn: TurnTrace | null;
  firstContentMs: number | null;
  /** The error code of a failed request, if any. */
  errorCode: string | null;
  /** The status of an error response (set by the error handler). */
  status: number | null;
  /** True while a stream is still being written: the response event does not finish it. */
  streaming: boolean;
  finished: boolean;
}

const REQUEST_ID = /^[\w.:-]{1,128}$/;

/** The outcome of a request whose client left (whatever the upstream call's own outcome). */
export const CLIENT_CLOSED = 'client_closed';

/** The client's X-Request-Id when it is a sane token, else a new one. */
export function requestIdFrom(header: string | null): string {
  return header !== null && REQUEST_ID.test(header) ? header : `req_${crypto.randomUUID().replaceAll('-', '')}`;
}

export type RequestListener = (record: RequestRecord) => void;

export class RequestTraces {
  private readonly traces = new WeakMap<Request, RequestTrace>();
  private readonly active = new Set<RequestTrace>();
  private idleWaiters: Array<() => void> = [];

  constructor(private readonly onFinished: RequestListener) {}

  begin(request: Request): RequestTrace {
    const trace: RequestTrace = {
      id: requestIdFrom(request.headers.get('x-request-id')),
      at: Date.now(),
      startedAt: performance.now(),
      method: request.method,
      route: '',
      keyName: null,
      model: null,
      stream: false,
      turn: null,
      firstContentMs: null,
      errorCode: null,
      status: null,
      streaming: false,
      finished: false,
    };
    this.traces.set(request, trace);
    this.active.add(trace);
    return trace;
  }

  of(request: Request): RequestTrace | undefined {
    return this.traces.get(request);
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

  finish(trace: RequestTrace, status: number): void {
    if (trace.finished) return;
    trace.finished = true;
    this.active.delete(trace);
    const turn = trace.turn;
    // A stream that failed after its 200 went out is a failure too.
    const failed = status >= 400 || trace.errorCode !== null;
    const upstreamFailure = turn?.outcome && turn.outcome !== 'ok' ? turn.outcome : null;
    this.onFinished({
      id: trace.id,
      at: trace.at,
      method: trace.method,
      route: trace.route,
      status,
      keyName: trace.keyName,
      model: trace.model,
      stream: trace.stream,
      identity: turn?.identityId ?? null,
      attempts: turn?.attempts ?? 0,
      outcome: trace.errorCode === CLIENT_CLOSED ? CLIENT_CLOSED : failed ? (upstreamFailure ?? trace.errorCode ?? 'error') : 'ok',
      durationMs: round(performance.now() - trace.startedAt),
      upstreamMs: turn && turn.attempts > 0 ? round(turn.upstreamMs) : null,
      firstContentMs: trace.firstContentMs === null ? null : round(trace.firstContentMs),
      queueWaitMs: turn && turn.attempts > 0 ? round(turn.queueWaitMs) : null,
    });
    if (this.active.size === 0) for (const resolve of this.idleWaiters.splice(0)) resolve();
  }
}

const round = (ms: number): number => Math.round(ms * 100) / 100;
