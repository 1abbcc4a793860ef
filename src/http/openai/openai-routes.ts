// The OpenAI-compatible routes under /v1 — and without it, since clients differ on what
// their base URL holds — behind the client keys. The key is checked before anything reads
// the body (a client without a key gets 401, never a 400 about its body), then the body is
// read under MAX_BODY_BYTES: Elysia's own parsing is off here.

import { bearer } from '@elysiajs/bearer';
import type { TurnService } from '../../chat/turn-service.ts';
import type { Logger } from '../../log.ts';
import type { SessionService } from '../../sessions/session-service.ts';
import type { GatewayApp } from '../app.ts';
import { bodyResolve, callerResolve } from '../client-context.ts';
import { chatCompletions } from './chat-route.ts';
import type { ModelCatalog } from '../../conversation/model-catalog.ts';
import { modelResponses } from './models-route.ts';
import { responsesRoutes } from './responses-route.ts';
import { deleteSession } from './sessions-route.ts';

export interface OpenAIRouteDeps {
  turns: TurnService;
  models: ModelCatalog;
  sessions: SessionService;
  log: Logger;
  apiKeys: readonly string[];
  keepAliveIntervalMs: number;
  maxBodyBytes: number;
  sessionFromUserField: boolean;
}

export const openaiRoutes = (deps: OpenAIRouteDeps) => {
  const resolveCaller = callerResolve(deps.apiKeys);
  const resolveBody = bodyResolve(deps.maxBodyBytes);
  const models = modelResponses(deps.models);
  const chat = chatCompletions(deps);
  const responses = responsesRoutes(deps);
  return (app: GatewayApp) =>
    app.use(bearer()).guard({ parse: 'none' }, (api) =>
      api
        .resolve(resolveCaller)
        .get('/v1/models', models.list)
        .get('/models', models.list)
        .get('/v1/models/:id', ({ params }) => models.one(params.id))
        .get('/models/:id', ({ params }) => models.one(params.id))
        .delete('/v1/sessions/:id', ({ params, caller }) => deleteSession(deps.sessions, caller, params.id))
        .delete('/sessions/:id', ({ params, caller }) => deleteSession(deps.sessions, caller, params.id))
        .get('/v1/responses/:id', ({ params, caller, request }) => responses.retrieve(caller, params.id, request))
        .get('/responses/:id', ({ params, caller, request }) => responses.retrieve(caller, params.id, request))
        .delete('/v1/responses/:id', ({ params, caller }) => responses.remove(caller, params.id))
        .delete('/responses/:id', ({ params, caller }) => responses.remove(caller, params.id))
        .guard({}, (withBody) =>
          withBody
            .resolve(resolveBody)
            .post('/v1/chat/completions', chat)
            .post('/chat/completions', chat)
            .post('/v1/responses', responses.create)
            .post('/responses', responses.create),
        ),
    );
};
