// POST /v1/chat/completions: read and validate the body, build the prompt, then answer
// as one JSON object or as an SSE stream.

import type { Server } from 'bun';
import { buildPrompt } from '../../conversation/prompt.ts';
import type { ChatService } from '../../chat/chat-service.ts';
import type { Logger } from '../../log.ts';
import { CORS_HEADERS } from '../cors.ts';
import { readJsonBody } from '../read-body.ts';
import { jsonResponse } from '../responses.ts';
import { chatCompletion, newCompletionMeta, usageFor } from './chat-format.ts';
import { parseChatRequest } from './chat-request.ts';
import { chatCompletionStream } from './chat-stream.ts';
import { SSE_HEADERS } from './sse.ts';

export interface ChatRouteOptions {
  chat: ChatService;
  log: Logger;
  contextMaxLength: number;
  requestTimeoutMs: number;
  keepAliveIntervalMs: number;
  maxBodyBytes: number;
}

export function createChatHandler(options: ChatRouteOptions) {
  return async (request: Request, server: Server<unknown> | null): Promise<Response> => {
    const body = await readJsonBody(request, options.maxBodyBytes);
    const chatRequest = parseChatRequest(body);
    const { prompt, droppedMessages } = buildPrompt(chatRequest.messages, options.contextMaxLength);
    const meta = newCompletionMeta(chatRequest.model.id);
    const deadline = Date.now() + options.requestTimeoutMs;
    const answer = (signal: AbortSignal) =>
      options.chat.complete({ prompt, upstreamModel: chatRequest.model.upstream, signal, deadline });
    const headers = { 'X-Context-Dropped-Messages': String(droppedMessages) };

    if (chatRequest.stream) {
      // A refusal known now gets a real status; later failures become error frames.
      options.chat.checkAdmission();
      const stream = chatCompletionStream({
        meta,
        prompt,
        includeUsage: chatRequest.includeUsage,
        keepAliveIntervalMs: options.keepAliveIntervalMs,
        answer: (signal) => answer(AbortSignal.any([signal, request.signal])),
        onError: (error) => options.log.warn('stream failed after start', { error: (error as Error).message }),
      });
      return new Response(stream, { headers: { ...CORS_HEADERS, ...SSE_HEADERS, ...headers } });
    }

    // The answer can take longer than the server's idle timeout; the deadline bounds it instead.
    server?.timeout(request, 0);
    const result = await answer(request.signal);
    return jsonResponse(chatCompletion(meta, result.text, usageFor(prompt, result.text)), 200, headers);
  };
}
