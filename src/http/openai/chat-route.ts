// POST /v1/chat/completions: read and validate the body, find the conversation's session,
// build the prompt, then answer as one JSON object or as an SSE stream. The turn enters
// the session only once the upstream answered it, before the client sees the answer.

import type { Server } from 'bun';
import { newTurnTrace, type ChatAnswer, type ChatService } from '../../chat/chat-service.ts';
import { ClientGoneError } from '../../errors.ts';
import { buildPrompt } from '../../conversation/prompt.ts';
import type { Logger } from '../../log.ts';
import type { SessionService } from '../../sessions/session-service.ts';
import { CORS_HEADERS } from '../cors.ts';
import { errorOutcome } from '../error-catalog.ts';
import { readJsonBody } from '../read-body.ts';
import { CLIENT_CLOSED, type RequestTrace } from '../request-trace.ts';
import { jsonResponse } from '../responses.ts';
import { chatCompletion, newCompletionMeta, usageFor } from './chat-format.ts';
import { parseChatRequest, sessionNameOf } from './chat-request.ts';
import { chatCompletionStream } from './chat-stream.ts';
import { SSE_HEADERS } from './sse.ts';

export interface ChatRouteOptions {
  chat: ChatService;
  sessions: SessionService;
  log: Logger;
  contextMaxLength: number;
  requestTimeoutMs: number;
  keepAliveIntervalMs: number;
  maxBodyBytes: number;
  sessionFromUserField: boolean;
  /** A stream has ended (the response itself left long before). */
  onStreamEnd: (trace: RequestTrace) => void;
}

export interface AnsweredTurn extends ChatAnswer {
  prompt: string;
  droppedMessages: number;
}

export function createChatHandler(options: ChatRouteOptions) {
  const { chat, sessions, contextMaxLength } = options;

  return async (request: Request, server: Server<unknown> | null, caller: string, trace: RequestTrace): Promise<Response> => {
    const body = await readJsonBody(request, options.maxBodyBytes);
    const chatRequest = parseChatRequest(body);
    trace.model = chatRequest.model.id;
    trace.stream = chatRequest.stream;
    const turnTrace = (trace.turn = newTurnTrace());
    const sessionName = sessionNameOf(request.headers.get('x-session-id'), options.sessionFromUserField ? chatRequest.user : null);
    // The request's own messages must fit whatever the session holds: a 400 now, not mid-stream.
    const ownPrompt = buildPrompt(chatRequest.messages, contextMaxLength);
    const meta = newCompletionMeta(chatRequest.model.id);
    const deadline = Date.now() + options.requestTimeoutMs;

    let sessionId: string | null = null;
    const answerTurn = async (signal: AbortSignal): Promise<AnsweredTurn> => {
      const turn = await sessions.begin({ owner: caller, name: sessionName, messages: chatRequest.messages, signal, deadline });
      sessionId = turn.sessionId;
      try {
        const { prompt, droppedMessages } = turn.messages === chatRequest.messages ? ownPrompt : buildPrompt(turn.messages, contextMaxLength);
        const answer = await chat.complete({
          prompt,
          upstreamModel: chatRequest.model.upstream,
          sessionId: turn.upstreamSessionId,
          preferredIdentityId: turn.preferredIdentityId,
          signal,
          deadline,
          trace: turnTrace,
        });
        turn.commit(answer.text, answer.identityId);
        return { ...answer, prompt, droppedMessages };
      } finally {
        turn.release();
      }
    };

    if (chatRequest.stream) {
      // A refusal known now gets a real status; later failures become error frames.
      chat.checkAdmission();
      const stream = chatCompletionStream({
        meta,
        includeUsage: chatRequest.includeUsage,
        keepAliveIntervalMs: options.keepAliveIntervalMs,
        answer: (signal) => answerTurn(AbortSignal.any([signal, request.signal])),
        onError: (error) => options.log.warn('stream failed after start', { request_id: trace.id, error: (error as Error).message }),
        requestId: trace.id,
        onContent: () => {
          trace.firstContentMs = performance.now() - trace.startedAt;
        },
        onEnd: (failure) => {
          if (failure) trace.errorCode = failure instanceof ClientGoneError ? CLIENT_CLOSED : errorOutcome(failure);
          options.onStreamEnd(trace);
        },
      });
      trace.streaming = true;
      // A stream's headers leave before the session is looked up: only a named session's id
      // and the client's own message count are known now.
      const headers: Record<string, string> = { ...CORS_HEADERS, ...SSE_HEADERS };
      if (sessionName !== null) Object.assign(headers, sessionHeader(sessionName));
      else headers['X-Context-Dropped-Messages'] = String(ownPrompt.droppedMessages);
      return new Response(stream, { headers });
    }

    // The answer can take longer than the server's idle timeout; the deadline bounds it instead.
    server?.timeout(request, 0);
    const result = await answerTurn(request.signal);
    trace.firstContentMs = performance.now() - trace.startedAt;
    return jsonResponse(chatCompletion(meta, result.text, usageFor(result.prompt, result.text)), 200, {
      'X-Context-Dropped-Messages': String(result.droppedMessages),
      ...sessionHeader(sessionId),
    });
  };
}

/** Header values are bytes: a name outside printable ASCII (e.g. a CJK `user`) is not echoed. */
function sessionHeader(id: string | null): Record<string, string> {
  return id !== null && /^[\x20-\x7e]+$/.test(id) ? { 'X-Session-Id': id } : {};
}
