// The one log line per finished request. Fields only from RequestRecord: ids, names and
// numbers, never a key, a cookie or message text.

import type { Logger } from '../log.ts';
import type { RequestRecord } from './request-record.ts';

/** Probes polled every few seconds would drown the log at info. */
const QUIET_ROUTES = new Set(['/healthz', '/readyz', '/metrics', '/admin/identities', '/admin/activity', '/admin/canary']);

export function logRequest(log: Logger, r: RequestRecord): void {
  const level = QUIET_ROUTES.has(r.route) && r.status < 400 ? 'debug' : r.status >= 500 ? 'warn' : 'info';
  log[level]('request', {
    request_id: r.id,
    method: r.method,
    route: r.route,
    status: r.status,
    key: r.keyName,
    model: r.model,
    stream: r.stream || undefined,
    identity: r.identity,
    attempts: r.attempts || undefined,
    outcome: r.outcome,
    not_stored: r.notStored,
    ms: r.durationMs,
    upstream_ms: r.upstreamMs,
    first_content_ms: r.firstContentMs,
    queue_ms: r.queueWaitMs,
  });
}
