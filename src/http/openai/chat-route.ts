// POST /v1/chat/completions: the body becomes a TurnRequest, the TurnService serves it, and
// the answer goes back as one chat.completion or as OpenAI's SSE stream. A stream's
// headers leave before the turn is served: what can be refused now (a prompt that cannot
// fit, a pool that admits nobody) is refused with a real status first.

import type { Server } from 'bun';
import type { TurnService } from '../../chat/turn-service.ts';
import { ClientGoneError } from '../../errors.ts';
import type { Logger } from '../../log.ts';
import { CORS_HEADERS } from '../cors.ts';
import { errorOutcome } from '../error-catalog.ts';
import { CLIENT_CLOSED, type RequestTrace } from '../request-trace.ts';
import { jsonResponse } from '../responses.ts';
import { chatCompletion, newCompletionMeta, usageFor } from './chat-format.ts';
import type { ModelCatalog } from '../../conversation/model-catalog.ts';
import { parseChatRequest, sessionNameOf } from './chat-request.ts';
import { chatCompletionStream } from './chat-stream.ts';
import { SSE_HEADERS } from './sse.ts';

export interface ChatRouteOptions {
  turns: TurnService;
  models: ModelCatalog;
  keepAliveIntervalMs: number;
  /** Whether OpenAI's `user` field names a conversation (SESSION_USER_FIELD). */
  sessionFromUserField: boolean;
  log: Logger;
}

export interface ChatContext {
  body: unknown;
  caller: string;
  trace: RequestTrace;
  request: Request;
  server: Server<unknown> | null;
}

export function chatCompletions(options: ChatRouteOptions) {
  const { turns, log } = options;

  return async ({ body, caller, trace, request, server }: ChatContext): Promise<Response> => {
    const chat = parseChatRequest(body, options.models);
    trace.model = chat.model.id;
    trace.stream = chat.stream;
    const sessionName = sessionNameOf(request.headers.get('x-session-id'), options.sessionFromUserField ? chat.user : null);
    const turn = turns.start({ caller, model: chat.model, messages: chat.messages, sessionName, shape: chat.shape });
    trace.turn = turn.report;
    const meta = newCompletionMeta(chat.reportedModel);

    if (!chat.stream) {
      // The answer can take longer than the server's idle timeout; the turn's deadline bounds it instead.
      server?.timeout(request, 0);
      const answer = await turn.run(request.signal);
      trace.contentStarted();
      return jsonResponse(chatCompletion(meta, answer, usageFor(answer.prompt, answer.text)), 200, {
        'X-Context-Dropped-Messages': String(answer.droppedMessages),
        ...sessionHeader(answer.sessionId),
      });
    }

    const refusal = turns.admissionError();
    if (refusal) throw refusal;
    let bodyWritten!: () => void;
    trace.body = new Promise((resolve) => (bodyWritten = resolve));
    const stream = chatCompletionStream({
      meta,
      includeUsage: chat.includeUsage,
      keepAliveIntervalMs: options.keepAliveIntervalMs,
      answer: (signal) => turn.run(AbortSignal.any([signal, request.signal]), true),
      requestId: trace.id,
      onError: (error) => log.warn('stream failed after start', { request_id: trace.id, error: (error as Error).message }),
      onContent: () => trace.contentStarted(),
      onEnd: (failure) => {
        if (failure) trace.failure = failure instanceof ClientGoneError ? CLIENT_CLOSED : errorOutcome(failure);
        bodyWritten();
      },
    });
    // Only a named session's id and the client's own message count are known before the turn runs.
    const headers: Record<string, string> = { ...CORS_HEADERS, ...SSE_HEADERS };
    if (sessionName !== null) Object.assign(headers, sessionHeader(sessionName));
    else headers['X-Context-Dropped-Messages'] = String(turn.ownPrompt.droppedMessages);
    return new Response(stream, { headers });
  };
}

/** Header values are bytes: a name outside printable ASCII (e.g. a CJK `user`) is not echoed. */
function sessionHeader(id: string | null): Record<string, string> {
  return id !== null && /^[\x20-\x7e]+$/.test(id) ? { 'X-Session-Id': id } : {};
}
