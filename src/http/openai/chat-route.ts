// POST /v1/chat/completions: the body becomes a TurnRequest, the TurnService serves it, and
// the answer goes back as one chat.completion or as OpenAI's SSE stream. A stream's
// headers leave before the turn is served: what can be refused now (a prompt that cannot
// fit, a pool that admits nobody) is refused with a real status first.

import type { ModelCatalog } from '../../conversation/model-catalog.ts';
import { jsonResponse } from '../responses.ts';
import { answerHeaders, answerOnce, streamHeaders, streamHooks, type TurnContext, type TurnRouteOptions } from '../turn-route.ts';
import { chatCompletion, newCompletionMeta, usageFor } from './chat-format.ts';
import { parseChatRequest, sessionNameOf } from './chat-request.ts';
import { chatCompletionStream } from './chat-stream.ts';

export interface ChatRouteOptions extends TurnRouteOptions {
  models: ModelCatalog;
  /** Whether OpenAI's `user` field names a conversation (SESSION_USER_FIELD). */
  sessionFromUserField: boolean;
}

export function chatCompletions(options: ChatRouteOptions) {
  const { turns } = options;

  return async ({ body, caller, trace, request, server }: TurnContext): Promise<Response> => {
    const chat = parseChatRequest(body, options.models);
    trace.model = chat.model.id;
    trace.stream = chat.stream;
    const sessionName = sessionNameOf(request.headers.get('x-session-id'), options.sessionFromUserField ? chat.user : null);
    const turn = turns.start({ caller, model: chat.model, messages: chat.messages, sessionName, shape: chat.shape });
    trace.turn = turn.report;
    const meta = newCompletionMeta(chat.reportedModel);

    if (!chat.stream) {
      const answer = await answerOnce(turn, { request, server, trace });
      return jsonResponse(chatCompletion(meta, answer, usageFor(answer.prompt, answer.text)), 200, answerHeaders(answer));
    }

    const stream = chatCompletionStream({ ...streamHooks(turn, { request, trace }, options), meta, includeUsage: chat.includeUsage });
    return new Response(stream, { headers: streamHeaders(turn, sessionName) });
  };
}
