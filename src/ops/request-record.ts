// What the HTTP layer reports about each finished request. Metrics, the per-request log
// line and the dashboard's activity feed all consume this one shape.

export interface RequestRecord {
  /** X-Request-Id (accepted from the client or generated). */
  id: string;
  /** epoch ms when the request arrived */
  at: number;
  method: string;
  /** The route pattern, not the raw path: '/v1/chat/completions', '/v1/models', '/admin/identities', ... */
  route: string;
  status: number;
  /** Name of the client key used ('key-1a2b3c4d'), never the key; null when auth is off or failed. */
  keyName: string | null;
  /** Public model id, chat requests only. */
  model: string | null;
  stream: boolean;
  /** Identity that answered (or the last one tried); null when none was reached. */
  identity: string | null;
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
