// POST /v1/messages and /v1/messages/count_tokens: the body becomes a TurnRequest served by the
// same TurnService as chat completions (sessions, pool, failover, tool-call emulation and the
// prompt budget shared), and the answer goes back as one `message` or as Anthropic's SSE
// stream. As on chat completions, what can be refused before a stream starts (a prompt that
// cannot fit, a pool that admits nobody) is refused with a real status first.

import { promptHead } from '../../chat/turn-shape.ts';
import type { ModelCatalog } from '../../conversation/model-catalog.ts';
import { buildPrompt } from '../../conversation/prompt.ts';
import { estimateTokens } from '../../conversation/tokens.ts';
import { GatewayError } from '../../errors.ts';
import { sessionNameOf } from '../openai/chat-request.ts';
import { jsonResponse } from '../responses.ts';
import { answerHeaders, answerOnce, streamHeaders, streamHooks, type TurnContext, type TurnRouteOptions } from '../turn-route.ts';
import { message, newMessageMeta, usageOf } from './messages-format.ts';
import { parseCountTokensRequest, parseMessagesRequest } from './messages-request.ts';
import { messagesStream } from './messages-stream.ts';

export interface MessagesRouteOptions extends TurnRouteOptions {
  models: ModelCatalog;
}

export function createMessage(options: MessagesRouteOptions) {
  const { turns } = options;

  return async ({ body, caller, trace, request, server }: TurnContext): Promise<Response> => {
    const asked = parseMessagesRequest(body, options.models);
    trace.model = asked.model.id;
    trace.stream = asked.stream;
    // Only the header names a conversation here: metadata.user_id is an end user, not a session.
    const sessionName = sessionNameOf(request.headers.get('x-session-id'), null);
    const turn = turns.start({ caller, model: asked.model, messages: asked.messages, sessionName, shape: asked.shape });
    trace.turn = turn.report;
    const meta = newMessageMeta(asked.reportedModel);

    if (!asked.stream) {
      const answer = await answerOnce(turn, { request, server, trace });
      return jsonResponse(message(meta, answer), 200, answerHeaders(answer));
    }

    const stream = messagesStream({ ...streamHooks(turn, { request, trace }, options), meta, startUsage: usageOf(turn.ownPrompt.prompt, '') });
    return new Response(stream, { headers: streamHeaders(turn, sessionName) });
  };
}

/**
 * The estimate usage.input_tokens would report for this request: the prompt the turn would
 * send from these messages (system, tools, turns; the oldest dropped to fit CONTEXT_MAX_LENGTH).
 * A conversation that cannot fit at all (POST /v1/messages would answer 400) is counted whole,
 * so a client that budgets by this count sees how far over it is. Stored sessions are not read.
 */
export function countTokens(options: Pick<MessagesRouteOptions, 'turns' | 'models'>) {
  return ({ body, caller, trace }: Pick<TurnContext, 'body' | 'caller' | 'trace'>): Response => {
    const asked = parseCountTokensRequest(body, options.models);
    trace.model = asked.model.id;
    let prompt: string;
    try {
      prompt = options.turns.start({ caller, model: asked.model, messages: asked.messages, sessionName: null, shape: asked.shape }).ownPrompt.prompt;
    } catch (error) {
      if (!(error instanceof GatewayError && error.errorCode === 'context_length_exceeded')) throw error;
      prompt = buildPrompt(asked.messages, Number.POSITIVE_INFINITY, promptHead(asked.shape, null)).prompt;
    }
    return jsonResponse({ input_tokens: estimateTokens(prompt) });
  };
}
