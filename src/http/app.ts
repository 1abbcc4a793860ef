// The HTTP surface: the only module that knows Elysia. Request ids and traces, CORS,
// header size, auth before anything reads the body, OpenAI's error shape for every
// failure, routes. Elysia compiles handlers ahead of time from their source text: the
// binary must be built without identifier renaming (docs/BUILD.md).

import { bearer } from '@elysiajs/bearer';
import { Elysia } from 'elysia';
import type { ChatService } from '../chat/chat-service.ts';
import { ClientGoneError, clientText, GatewayError, internalError, invalidRequest } from '../errors.ts';
import { CLIENT_CLOSED_STATUS, errorOutcome, errorStatus } from './error-catalog.ts';
import type { Logger } from '../log.ts';
import type { GatewayMetrics } from '../ops/metrics.ts';
import type { IdentityPool } from '../pool/identity-pool.ts';
import type { SessionService } from '../sessions/session-service.ts';
import type { StorageStatus } from '../store/storage-health.ts';
import { VERSION } from '../version.ts';
import type { AdminApi } from './admin/admin-api.ts';
import { createClientCheck } from './auth.ts';
import { preflightResponse } from './cors.ts';
import { docsPage, openApiResponse } from './docs/docs-route.ts';
import { createChatHandler } from './openai/chat-route.ts';
import { getModel, listModels } from './openai/models-route.ts';
import { deleteSession } from './openai/sessions-route.ts';
import { healthz, metricsResponse, readyz } from './ops-routes.ts';
import { isClientAbort } from './read-body.ts';
import { checkHeaderSize } from './request-limits.ts';
import { CLIENT_CLOSED, type RequestTraces } from './request-trace.ts';
import { errorResponse, jsonResponse } from './responses.ts';

export interface AppOptions {
  chat: ChatService;
  sessions: SessionService;
  pool: IdentityPool;
  admin: AdminApi;
  metrics: GatewayMetrics;
  traces: RequestTraces;
  log: Logger;
  apiKeys: readonly string[];
  contextMaxLength: number;
  requestTimeoutMs: number;
  keepAliveIntervalMs: number;
  maxBodyBytes: number;
  sessionFromUserField: boolean;
  /** True once shutdown began: /readyz answers 503 so balancers move away. */
  isDraining: () => boolean;
  /** Whether the database accepts writes: /readyz answers 503 while it does not. */
  storageStatus: () => StorageStatus;
}

const CHAT_ROUTE = '/v1/chat/completions';

export function createApp(options: AppOptions) {
  const { log, traces, admin } = options;
  const checkClient = createClientCheck(options.apiKeys);
  const chatHandler = createChatHandler({ ...options, onStreamEnd: (trace) => traces.finish(trace, 200) });
  const traceOf = (request: Request) => traces.of(request)!;

  return new Elysia()
    .onRequest(({ request, set }) => {
      // A preflight ends here, before the hooks that would finish a trace.
      if (request.method === 'OPTIONS') return preflightResponse(request);
      set.headers['X-Request-Id'] = traces.begin(request).id;
      checkHeaderSize(request);
    })
    .onError(({ error, code, request }) => {
      const trace = traces.of(request);
      const fail = (e: GatewayError) => {
        if (trace) {
          trace.errorCode = errorOutcome(e);
          trace.status = errorStatus(e).status;
        }
        return errorResponse(e, trace?.id);
      };
      if (error instanceof GatewayError) return fail(error);
      // The client left (mid-body, or while its answer was being made): nobody reads this answer.
      if (error instanceof ClientGoneError || isClientAbort(error)) {
        if (trace) {
          trace.errorCode = CLIENT_CLOSED;
          trace.status = CLIENT_CLOSED_STATUS;
        }
        return new Response(null, { status: CLIENT_CLOSED_STATUS });
      }
      if (code === 'NOT_FOUND') {
        const path = new URL(request.url).pathname;
        return fail(new GatewayError('unknown_url', `Unknown endpoint ${clientText(`${request.method} ${path}`)}. See /docs for the API.`));
      }
      if (code === 'PARSE' || code === 'VALIDATION') {
        return fail(invalidRequest(`The request could not be read: ${clientText((error as Error).message, 200)}`));
      }
      const e = error as Error;
      log.error('unhandled error', { request_id: trace?.id, error: e?.name, message: e?.message, stack: e?.stack?.split('\n').slice(0, 4).join(' | ') });
      return fail(internalError());
    })
    .onAfterResponse(({ request, route, set, responseValue }) => {
      const trace = traces.of(request);
      if (!trace || trace.streaming) return;
      trace.route ||= route || 'unmatched';
      const status = trace.status ?? (responseValue instanceof Response ? responseValue.status : typeof set.status === 'number' ? set.status : 200);
      traces.finish(trace, status);
    })
    .get('/', () =>
      jsonResponse({ name: 'kimi-gateway', version: VERSION, docs: '/docs', endpoints: ['/v1/models', CHAT_ROUTE, '/v1/sessions/{id}', '/healthz', '/readyz', '/metrics', '/dashboard', '/admin/…'] }),
    )
    .get('/healthz', healthz)
    .get('/readyz', () => readyz(options.pool, options.isDraining(), options.storageStatus()))
    .get('/metrics', () => metricsResponse(options.metrics))
    .get('/docs', docsPage)
    .get('/docs/openapi.json', openApiResponse)
    .guard({ beforeHandle: ({ request }) => admin.authorize(request) }, (operator) =>
      operator
        .get('/dashboard', () => admin.dashboard())
        .get('/admin/identities', () => admin.identities())
        .post('/admin/identities/:id/:action', ({ params }) => admin.identityAction(params.id, params.action), { parse: 'none' })
        .post('/admin/reload', () => admin.reload(), { parse: 'none' })
        .get('/admin/sessions', ({ request }) => admin.sessions(new URL(request.url)))
        .delete('/admin/sessions/:id', ({ request, params }) => admin.deleteSession(params.id, new URL(request.url)), { parse: 'none' })
        .get('/admin/activity', ({ request }) => admin.activity(new URL(request.url))),
    )
    .use(bearer())
    .guard({}, (guarded) =>
      guarded
        // Runs before any body is read, so a client without a key always gets 401.
        .resolve(({ bearer, request }) => {
          const caller = checkClient(request.headers, bearer);
          traceOf(request).keyName = caller;
          return { caller };
        })
        .get('/v1/models', listModels)
        .get('/v1/models/:id', ({ params }) => getModel(params.id))
        .post(CHAT_ROUTE, ({ request, server, caller }) => {
          const trace = traceOf(request);
          trace.route = CHAT_ROUTE;
          return chatHandler(request, server, caller, trace);
        }, { parse: 'none' })
        .delete('/v1/sessions/:id', ({ params, caller }) => deleteSession(options.sessions, caller, params.id), { parse: 'none' }),
    );
}

export type App = ReturnType<typeof createApp>;
