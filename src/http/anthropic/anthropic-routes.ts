// The Anthropic Messages API — POST /v1/messages and /v1/messages/count_tokens, and the same
// without /v1 — behind the client keys, which Anthropic's SDKs send as `x-api-key` (Bearer
// works too). `anthropic-version` and `anthropic-beta` are accepted, not enforced. As on the
// OpenAI routes the key is checked before anything reads the body, then the body is read under
// MAX_BODY_BYTES; errors on these paths take Anthropic's shape (anthropic-errors.ts).

import { bearer } from '@elysiajs/bearer';
import type { GatewayApp } from '../app.ts';
import { bodyResolve, callerResolve } from '../client-context.ts';
import type { OpenAIRouteDeps } from '../openai/openai-routes.ts';
import { countTokens, createMessage } from './messages-route.ts';

export type AnthropicRouteDeps = Pick<OpenAIRouteDeps, 'turns' | 'models' | 'log' | 'apiKeys' | 'keepAliveIntervalMs' | 'maxBodyBytes'>;

export const anthropicRoutes = (deps: AnthropicRouteDeps) => {
  const resolveCaller = callerResolve(deps.apiKeys);
  const resolveBody = bodyResolve(deps.maxBodyBytes);
  const create = createMessage(deps);
  const count = countTokens(deps);
  return (app: GatewayApp) =>
    app.use(bearer()).guard({ parse: 'none' }, (api) =>
      api
        .resolve(resolveCaller)
        .resolve(resolveBody)
        .post('/v1/messages', create)
        .post('/messages', create)
        .post('/v1/messages/count_tokens', count)
        .post('/messages/count_tokens', count),
    );
};
