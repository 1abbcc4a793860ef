// The HTTP surface: the only module that knows Elysia. CORS, auth before anything reads
// the body, OpenAI's error shape for every failure, and the routes.

import { bearer } from '@elysiajs/bearer';
import { Elysia } from 'elysia';
import type { ChatService } from '../chat/chat-service.ts';
import type { SessionService } from '../sessions/session-service.ts';
import { GatewayError, internalError, invalidRequest, notFound } from '../errors.ts';
import type { Logger } from '../log.ts';
import { VERSION } from '../version.ts';
import { bearerFromHeader, createKeyCheck } from './auth.ts';
import { preflightResponse } from './cors.ts';
import { createChatHandler } from './openai/chat-route.ts';
import { getModel, listModels } from './openai/models-route.ts';
import { deleteSession } from './openai/sessions-route.ts';
import { errorResponse, jsonResponse } from './responses.ts';

export interface AppOptions {
  chat: ChatService;
  sessions: SessionService;
  log: Logger;
  apiKeys: readonly string[];
  contextMaxLength: number;
  requestTimeoutMs: number;
  keepAliveIntervalMs: number;
  maxBodyBytes: number;
  sessionFromUserField: boolean;
}

export function createApp(options: AppOptions) {
  const checkKey = createKeyCheck(options.apiKeys);
  const chatHandler = createChatHandler(options);
  const { log } = options;

  return new Elysia()
    .onRequest(({ request }) => {
      if (request.method === 'OPTIONS') return preflightResponse(request);
    })
    .onError(({ error, code, request }) => {
      if (error instanceof GatewayError) return errorResponse(error);
      if (code === 'NOT_FOUND') {
        const path = new URL(request.url).pathname;
        return errorResponse(notFound(`Unknown endpoint: ${request.method} ${path}. See /v1/models and /v1/chat/completions.`, 'unknown_url'));
      }
      if (code === 'PARSE' || code === 'VALIDATION') return errorResponse(invalidRequest((error as Error).message));
      const e = error as Error;
      log.error('unhandled error', { error: e?.name, message: e?.message, stack: e?.stack?.split('\n').slice(0, 4).join(' | ') });
      return errorResponse(internalError());
    })
    .get('/', () => jsonResponse({ name: 'kimi-gateway', version: VERSION, endpoints: ['/v1/models', '/v1/chat/completions'] }))
    .use(bearer())
    .guard({}, (guarded) =>
      guarded
        // Runs before any body is read, so a client without a key always gets 401.
        .resolve(({ bearer: token, request }) => {
          const authorization = request.headers.get('authorization');
          // Tokens are taken from the Authorization header only, never from ?access_token= (URLs end up in logs).
          return { caller: checkKey(authorization ? token ?? bearerFromHeader(authorization) : undefined) };
        })
        .get('/v1/models', listModels)
        .get('/v1/models/:id', ({ params }) => getModel(params.id))
        .post('/v1/chat/completions', ({ request, server, caller }) => chatHandler(request, server, caller), { parse: 'none' })
        .delete('/v1/sessions/:id', ({ params, caller }) => deleteSession(options.sessions, caller, params.id), { parse: 'none' }),
    );
}

export type App = ReturnType<typeof createApp>;
