// What the HTTP layer reports about each finished request. Metrics, the per-request log
// line and the dashboard's activity feed all consume this one shape; requestResult says
// whose fault a request that did not succeed was.

export interface RequestRecord {
  /** X-Request-Id (accepted from the client or generated). */
  id: string;
  /** epoch ms when the request arrived */
  at: number;
  method: string;
  /** The route pattern, not the raw path: '/v1/chat/completions', '/v1/models', '/admin/identities', ... ('unmatched' when none). */
  route: string;
  /** The raw path (no query, bounded) of a request no route matched; absent otherwise. Never a metric label. */
  path?: string;
  status: number;
  /** Name of the client key used ('key-1a2b3c4d'), never the key; null when auth is off or failed. */
  keyName: string | null;
  /**
   * Public model id of a served request; for one refused before its model was accepted (an unknown
   * model, a bad body), the name the client sent (bounded). null when none was given.
   */
  model: string | null;
  stream: boolean;
  /** Identity that answered (or the last one tried); null when none was reached. */
  identity: string | null;
  /** A streamed answer delivered although its turn could not be stored: why (an error code). */
  notStored?: string;
  /** Identities tried for this request (0 when it never reached the pool). */
  attempts: number;
  /** 'ok', an upstream outcome kind ('rate_limited', 'challenged', ...) or an error code ('invalid_request_error', ...). */
  outcome: string;
  durationMs: number;
  /** Time spent in upstream calls, chat requests only. */
  upstreamMs: number | null;
  /** Time to the first content byte sent to the client (stream) or to the answer (non-stream). */
  firstContentMs: number | null;
  /** Time spent waiting for a free identity. */
  queueWaitMs: number | null;
}

/**
 * ok; client_error: the client's own doing (a 4xx other than 429 — bad body, no key, unknown
 * model or URL, too large — or a client that left); failed: what the gateway or the site failed
 * (5xx, 429 from a busy pool or a rate-limited site, a stream that broke after its 200).
 */
export type RequestResult = 'ok' | 'client_error' | 'failed';

/** The outcome of a request whose client left (http/request-trace.ts records it so). */
const CLIENT_CLOSED = 'client_closed';

export function requestResult(r: Pick<RequestRecord, 'status' | 'outcome'>): RequestResult {
  if (r.outcome === 'ok' && r.status < 400) return 'ok';
  if (r.outcome === CLIENT_CLOSED) return 'client_error';
  if (r.status >= 400 && r.status < 500 && r.status !== 429) return 'client_error';
  return 'failed';
}
