// POST /v1/responses (OpenAI's Responses API) on the same turn as chat completions: the body
// becomes a TurnRequest whose conversation is the stored response it continues (if any) and
// which is stored as a response itself (unless store is false); the answer goes back as one
// response object or as the Responses event stream. GET and DELETE /v1/responses/{id} serve
// and remove stored responses, for their owner only. A stream's headers leave before the turn
// is served: what can be refused now (a prompt that cannot fit, an unknown previous response,
// a pool that admits nobody) is refused with a real status first.

import type { Turn } from '../../chat/turn-service.ts';
import type { ModelCatalog } from '../../conversation/model-catalog.ts';
import { clientText, GatewayError } from '../../errors.ts';
import type { SessionService } from '../../sessions/session-service.ts';
import { CORS_HEADERS } from '../cors.ts';
import { errorOutcome } from '../error-catalog.ts';
import { jsonResponse } from '../responses.ts';
import { answerOnce, streamHeaders, streamHooks, type TurnContext, type TurnRouteOptions } from '../turn-route.ts';
import {
  completedResponse,
  failedResponse,
  inProgressResponse,
  newResponseMeta,
  responseDeleted,
  type AnsweredTurn,
  type ResponseObject,
} from './responses-object.ts';
import { parseResponsesRequest } from './responses-request.ts';
import { responsesStream } from './responses-stream.ts';
import { SSE_HEADERS } from './sse.ts';

export interface ResponsesRouteOptions extends TurnRouteOptions {
  models: ModelCatalog;
  sessions: SessionService;
}

/** The prompt builder names "messages"; on this surface the field is "input". */
function forInput(error: unknown): unknown {
  if (!(error instanceof GatewayError) || error.param !== 'messages') return error;
  return new GatewayError(error.errorCode, error.message, { param: 'input', retryAfterSeconds: error.retryAfterSeconds });
}

const responseNotFound = (id: string) =>
  new GatewayError(
    'response_not_found',
    `No stored response ${clientText(id)} for this API key (it expired, was deleted, was created with store: false, or belongs to another key).`,
  );

export function responsesRoutes(options: ResponsesRouteOptions) {
  const { turns, sessions } = options;

  const create = async ({ body, caller, trace, request, server }: TurnContext): Promise<Response> => {
    const parsed = parseResponsesRequest(body, options.models);
    trace.model = parsed.model.id;
    trace.stream = parsed.stream;
    const meta = newResponseMeta(parsed.reportedModel, parsed.echo);
    // Made once per answer: the stored copy, the JSON answer and the stream's events share the item ids.
    let completed: ResponseObject | undefined;
    const complete = (answer: AnsweredTurn) => (completed ??= completedResponse(meta, answer));
    let turn: Turn;
    try {
      const started = turns.start({
        caller,
        model: parsed.model,
        messages: parsed.input,
        sessionName: null,
        shape: parsed.shape,
        response: {
          id: meta.id,
          previousId: parsed.previousResponseId,
          store: parsed.store,
          instructions: parsed.instructions === null ? [] : [{ role: 'system', content: parsed.instructions }],
          payload: (answer) => JSON.stringify(complete(answer)),
        },
      });
      // A previous response kept on Redis is read first; one in the SQLite file already was.
      turn = started instanceof Promise ? await started : started;
    } catch (error) {
      throw forInput(error);
    }
    trace.turn = turn.report;
    const rejectForInput = (error: unknown) => Promise.reject(forInput(error));

    if (!parsed.stream) {
      const answer = await answerOnce(turn, { request, server, trace }).catch(rejectForInput);
      return jsonResponse(complete(answer), 200, { 'X-Context-Dropped-Messages': String(turn.ownPrompt.droppedMessages) });
    }

    const hooks = streamHooks(turn, { request, trace }, options);
    const stream = responsesStream({
      ...hooks,
      started: inProgressResponse(meta),
      answer: (signal) => hooks.answer(signal).then(complete, rejectForInput),
      failed: (error) => failedResponse(meta, error),
    });
    return new Response(stream, { headers: streamHeaders(turn, null) });
  };

  /** GET /v1/responses/{id}: the stored object; with ?stream=true its events again (what the SDK's responses.stream({response_id}) reads). */
  const retrieve = async (caller: string, id: string, request: Request): Promise<Response> => {
    const payload = await sessions.responsePayload(caller, id);
    if (payload === null) throw responseNotFound(id);
    if (new URL(request.url).searchParams.get('stream') !== 'true') {
      return new Response(payload, { headers: { ...CORS_HEADERS, 'Content-Type': 'application/json' } });
    }
    const stored = JSON.parse(payload) as ResponseObject;
    const stream = responsesStream({
      started: { ...stored, status: 'in_progress', output: [], usage: null, completed_at: null },
      keepAliveIntervalMs: options.keepAliveIntervalMs,
      answer: () => Promise.resolve(stored),
      failed: (error) => ({ ...stored, status: 'failed', output: [], error: { code: errorOutcome(error), message: error.message } }),
    });
    return new Response(stream, { headers: { ...CORS_HEADERS, ...SSE_HEADERS } });
  };

  /** DELETE /v1/responses/{id} */
  const remove = async (caller: string, id: string): Promise<Response> => {
    if (!(await sessions.deleteResponse(caller, id))) throw responseNotFound(id);
    return jsonResponse(responseDeleted(id));
  };

  return { create, retrieve, remove };
}
