// The HTTP surface: the only module that knows Elysia. Every request gets a trace on its
// context (request id, X-Request-Id), CORS preflights end early, oversize headers get the
// gateway's own 431, every failure leaves through one error mapping, and the trace is
// finished once the response has left. Route groups are functional plugins on this app.
// Elysia compiles handlers ahead of time from their source text: the binary must be built
// without identifier renaming (docs/BUILD.md).

import { Elysia } from 'elysia';
import { ClientGoneError, clientText, GatewayError, internalError } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { AdminApi } from './admin/admin-api.ts';
import { adminRoutes } from './admin/admin-routes.ts';
import { anthropicRoutes } from './anthropic/anthropic-routes.ts';
import { preflightResponse } from './cors.ts';
import { CLIENT_CLOSED_STATUS, errorOutcome, errorStatus } from './error-catalog.ts';
import { openaiRoutes, type OpenAIRouteDeps } from './openai/openai-routes.ts';
import { operatorRoutes, type OperatorRouteDeps } from './ops-routes.ts';
import { isClientAbort } from './read-body.ts';
import { checkHeaderSize } from './request-limits.ts';
import { CLIENT_CLOSED, NO_TRACE, type RequestTrace, type RequestTraces } from './request-trace.ts';
import { errorResponse } from './responses.ts';

export interface AppDeps extends OpenAIRouteDeps, OperatorRouteDeps {
  admin: AdminApi;
  traces: RequestTraces;
  log: Logger;
}

/** The app every route group is added to: its context carries the request's trace. */
export function gatewayBase(traces: RequestTraces, log: Logger) {
  return new Elysia()
    .decorate('trace', NO_TRACE)
    .onRequest((context) => {
      const { request, set } = context;
      // A preflight ends here: it is neither traced nor logged.
      if (request.method === 'OPTIONS') return preflightResponse(request);
      context.trace = traces.begin(request);
      set.headers['X-Request-Id'] = context.trace.id;
      checkHeaderSize(request);
    })
    .onError(({ error, code, request, trace }) => answerError(error, code, request, trace, log))
    .onAfterResponse(({ trace, route, set, responseValue }) => {
      if (trace === NO_TRACE) return;
      trace.route ||= route || 'unmatched';
      traces.finish(trace, responseValue instanceof Response ? responseValue.status : typeof set.status === 'number' ? set.status : 200);
    });
}

export type GatewayApp = ReturnType<typeof gatewayBase>;

/** What clients can call, for the unknown-endpoint message. */
const CLIENT_ENDPOINTS = ['POST /v1/chat/completions', 'GET /v1/models', 'POST /v1/responses', 'POST /v1/messages', 'POST /v1/messages/count_tokens'];

export function createApp(deps: AppDeps) {
  return gatewayBase(deps.traces, deps.log).use(operatorRoutes(deps)).use(adminRoutes(deps.admin)).use(openaiRoutes(deps)).use(anthropicRoutes(deps));
}

export type App = ReturnType<typeof createApp>;

/** The one error mapping: a GatewayError answers as itself; anything else is logged and answered as internal_error. */
function answerError(error: unknown, code: string | number, request: Request, trace: RequestTrace, log: Logger): Response {
  const traced = trace !== NO_TRACE;
  // The client left (mid-body, or while its answer was being made): nobody reads this answer.
  if (error instanceof ClientGoneError || isClientAbort(error)) {
    if (traced) {
      trace.failure = CLIENT_CLOSED;
      trace.status = CLIENT_CLOSED_STATUS;
    }
    return new Response(null, { status: CLIENT_CLOSED_STATUS });
  }
  const path = new URL(request.url).pathname;
  let failure: GatewayError;
  if (error instanceof GatewayError) failure = error;
  else if (code === 'NOT_FOUND') {
    failure = new GatewayError(
      'unknown_url',
      `Unknown endpoint ${clientText(`${request.method} ${path}`)}. The API: ${CLIENT_ENDPOINTS.join(', ')} (also without /v1); see /docs.`,
    );
  } else {
    const e = error as Error;
    log.error('unhandled error', { request_id: traced ? trace.id : undefined, error: e?.name, message: e?.message, stack: e?.stack?.split('\n').slice(0, 4).join(' | ') });
    failure = internalError();
  }
  if (traced) {
    trace.failure = errorOutcome(failure);
    trace.status = errorStatus(failure).status;
  }
  return errorResponse(failure, traced ? trace.id : undefined, path);
}
