// What the client APIs' turn routes share (chat completions, the Responses API, the Messages
// API) once each has read its body and started its turn: answering once, or streaming. A
// stream's headers leave before the turn is served, so what can be refused now (a pool that
// admits nobody) is refused with a real status first; the trace finishes once the stream's body
// has been written, with the failure or the client that left.

import type { Server } from 'bun';
import type { Turn, TurnAnswer, TurnService } from '../chat/turn-service.ts';
import { ClientGoneError } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { AnswerStreamHooks } from './answer-stream.ts';
import { CORS_HEADERS } from './cors.ts';
import { errorOutcome } from './error-catalog.ts';
import { SSE_HEADERS } from './openai/sse.ts';
import { CLIENT_CLOSED, type RequestTrace } from './request-trace.ts';

/** A turn route's context: the caller's key name and the body come from the routes' resolves (client-context.ts). */
export interface TurnContext {
  body: unknown;
  caller: string;
  trace: RequestTrace;
  request: Request;
  server: Server<unknown> | null;
}

export interface TurnRouteOptions {
  turns: TurnService;
  keepAliveIntervalMs: number;
  log: Logger;
}

/** The whole answer at once. */
export async function answerOnce(turn: Turn, { request, server, trace }: Pick<TurnContext, 'request' | 'server' | 'trace'>): Promise<TurnAnswer> {
  // The answer can take longer than the server's idle timeout; the turn's deadline bounds it instead.
  server?.timeout(request, 0);
  const answer = await turn.run(request.signal);
  trace.contentStarted();
  return answer;
}

/** What every format's stream takes from the request; throws the admission refusal first. */
export function streamHooks(
  turn: Turn,
  { request, trace }: Pick<TurnContext, 'request' | 'trace'>,
  { turns, keepAliveIntervalMs, log }: TurnRouteOptions,
): AnswerStreamHooks<TurnAnswer> & { requestId: string } {
  const refusal = turns.admissionError();
  if (refusal) throw refusal;
  let bodyWritten!: () => void;
  trace.body = new Promise((resolve) => (bodyWritten = resolve));
  return {
    keepAliveIntervalMs,
    answer: (signal) => turn.run(AbortSignal.any([signal, request.signal]), true),
    requestId: trace.id,
    onError: (error) => log.warn('stream failed after start', { request_id: trace.id, error: (error as Error).message }),
    onContent: () => trace.contentStarted(),
    onEnd: (failure) => {
      if (failure) trace.failure = failure instanceof ClientGoneError ? CLIENT_CLOSED : errorOutcome(failure);
      bodyWritten();
    },
  };
}

/** A stream's headers: only a named session's id and the client's own message count are known before the turn runs. */
export function streamHeaders(turn: Turn, sessionName: string | null): Record<string, string> {
  const headers: Record<string, string> = { ...CORS_HEADERS, ...SSE_HEADERS };
  if (sessionName !== null) Object.assign(headers, sessionHeader(sessionName));
  else headers['X-Context-Dropped-Messages'] = String(turn.ownPrompt.droppedMessages);
  return headers;
}

/** A whole answer's headers: messages dropped to fit, and the session. */
export function answerHeaders(answer: TurnAnswer): Record<string, string> {
  return { 'X-Context-Dropped-Messages': String(answer.droppedMessages), ...sessionHeader(answer.sessionId) };
}

/** Header values are bytes: a name outside printable ASCII (e.g. a CJK `user`) is not echoed. */
function sessionHeader(id: string | null): Record<string, string> {
  return id !== null && /^[\x20-\x7e]+$/.test(id) ? { 'X-Session-Id': id } : {};
}
