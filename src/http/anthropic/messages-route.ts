// POST /v1/messages and /v1/messages/count_tokens: the body becomes a TurnRequest served by the
// same TurnService as chat completions (sessions, pool, failover, tool-call emulation and the
// prompt budget shared), and the answer goes back as one `message` or as Anthropic's SSE
// stream. As on chat completions, what can be refused before a stream starts (a prompt that
// cannot fit, a pool that admits nobody) is refused with a real status first.

import { promptHead } from '../../chat/turn-shape.ts';
import type { TurnService } from '../../chat/turn-service.ts';
import type { ModelCatalog } from '../../conversation/model-catalog.ts';
import { buildPrompt } from '../../conversation/prompt.ts';
import { estimateTokens } from '../../conversation/tokens.ts';
import { ClientGoneError, GatewayError } from '../../errors.ts';
import type { Logger } from '../../log.ts';
import { CORS_HEADERS } from '../cors.ts';
import { errorOutcome } from '../error-catalog.ts';
import { sessionNameOf } from '../openai/chat-request.ts';
import type { ChatContext } from '../openai/chat-route.ts';
import { SSE_HEADERS } from '../openai/sse.ts';
import { CLIENT_CLOSED } from '../request-trace.ts';
import { jsonResponse } from '../responses.ts';
import { message, newMessageMeta, usageOf } from './messages-format.ts';
import { parseCountTokensRequest, parseMessagesRequest } from './messages-request.ts';
import { messagesStream } from './messages-stream.ts';

export interface MessagesRouteOptions {
  turns: TurnService;
  models: ModelCatalog;
  keepAliveIntervalMs: number;
  log: Logger;
}

export function createMessage(options: MessagesRouteOptions) {
  const { turns, log } = options;

  return async ({ body, caller, trace, request, server }: ChatContext): Promise<Response> => {
    const asked = parseMessagesRequest(body, options.models);
    trace.model = asked.model.id;
    trace.stream = asked.stream;
    // Only the header names a conversation here: metadata.user_id is an end user, not a session.
    const sessionName = sessionNameOf(request.headers.get('x-session-id'), null);
    const turn = turns.start({ caller, model: asked.model, messages: asked.messages, sessionName, shape: asked.shape });
    trace.turn = turn.report;
    const meta = newMessageMeta(asked.reportedModel);

    if (!asked.stream) {
      // The answer can take longer than the server's idle timeout; the turn's deadline bounds it instead.
      server?.timeout(request, 0);
      const answer = await turn.run(request.signal);
      trace.contentStarted();
      return jsonResponse(message(meta, answer), 200, {
        'X-Context-Dropped-Messages': String(answer.droppedMessages),
        ...sessionHeader(answer.sessionId),
      });
    }

    const refusal = turns.admissionError();
    if (refusal) throw refusal;
    let bodyWritten!: () => void;
    trace.body = new Promise((resolve) => (bodyWritten = resolve));
    const stream = messagesStream({
      meta,
      startUsage: usageOf(turn.ownPrompt.prompt, ''),
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

/**
 * The estimate usage.input_tokens would report for this request: the prompt the turn would
 * send from these messages (system, tools, turns; the oldest dropped to fit CONTEXT_MAX_LENGTH).
 * A conversation that cannot fit at all (POST /v1/messages would answer 400) is counted whole,
 * so a client that budgets by this count sees how far over it is. Stored sessions are not read.
 */
export function countTokens(options: Pick<MessagesRouteOptions, 'turns' | 'models'>) {
  return ({ body, caller, trace }: Pick<ChatContext, 'body' | 'caller' | 'trace'>): Response => {
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

/** Header values are bytes: a name outside printable ASCII is not echoed. */
function sessionHeader(id: string | null): Record<string, string> {
  return id !== null && /^[\x20-\x7e]+$/.test(id) ? { 'X-Session-Id': id } : {};
}
