// The chat turn as a use case, whatever API surface asked for it: find the conversation's
// session (one turn at a time), build the one upstream prompt within the budget, send it
// with failover, and store the answered turn before anyone sees the answer. The HTTP
// layer only translates requests into TurnRequests and TurnAnswers into its wire format.

import type { ChatMessage } from '../conversation/messages.ts';
import { buildPrompt, type BuiltPrompt } from '../conversation/prompt.ts';
import { GatewayError } from '../errors.ts';
import type { ToolCall } from '../tools/types.ts';
import type { ModelInfo } from '../providers/provider.ts';
import type { ResponseLink, SessionService } from '../sessions/session-service.ts';
import { andThen, type MaybePromise } from '../sessions/session-store.ts';
import type { Failover } from './failover.ts';
import { newTurnReport, type TurnReport } from './turn-report.ts';
import { promptHead, readAnswer, type TurnShape } from './turn-shape.ts';

export interface TurnRequest {
  /** The client key's name: owns the sessions. */
  caller: string;
  model: ModelInfo;
  messages: ChatMessage[];
  /** The conversation's name (X-Session-Id, `user`); null = recognise it from its messages. */
  sessionName: string | null;
  /** Tools and output format (PLAIN_TEXT: neither). */
  shape: TurnShape;
  /**
   * A Responses API turn: `messages` are its input, after its instructions and the history of
   * the response it continues (if any); it is stored as a response, not a chat session
   * (`sessionName` is not used).
   */
  response?: ResponseTurn;
}

export interface ResponseTurn extends ResponseLink {
  /** The response object (JSON) to store for this answer: made before the client sees the answer. */
  payload(answer: TurnAnswer): string;
}

export interface TurnAnswer {
  /** The model's words as it wrote them. */
  text: string;
  /** What the client gets as the answer's text: null when the answer is only tool calls. */
  content: string | null;
  toolCalls: ToolCall[];
  /** The stop sequence (TurnShape.stop) the content was cut at; null when none occurred. */
  stoppedBy: string | null;
  /** The prompt that was sent (usage estimates count it). */
  prompt: string;
  /** Messages left out to fit the budget. */
  droppedMessages: number;
  /** The session's public id (X-Session-Id); a Responses API turn's response id. */
  sessionId: string;
}

export interface TurnServiceOptions {
  sessions: SessionService;
  failover: Failover<unknown>;
  /** CONTEXT_MAX_LENGTH */
  contextMaxLength: number;
  /** REQUEST_TIMEOUT_MS: the deadline of a turn, retries and waits included. */
  requestTimeoutMs: number;
  now?: () => number;
}

/** One turn, accepted: what is known before the upstream is asked, and `run` to ask it. */
export class Turn {
  readonly report: TurnReport = newTurnReport();
  readonly deadline: number;

  constructor(
    private readonly service: TurnService,
    readonly request: TurnRequest,
    /** The request's own messages within the budget (a turn that cannot fit is refused before it starts). */
    readonly ownPrompt: BuiltPrompt,
    now: number,
    timeoutMs: number,
  ) {
    this.deadline = now + timeoutMs;
  }

  /**
   * Serves the turn; throws a GatewayError (or ClientGoneError when `signal` aborts).
   * `streaming`: the client already has its 200, so an answer whose turn cannot be stored
   * because the shared state (Redis) went away is still delivered (noted in the report).
   */
  run(signal: AbortSignal, streaming = false): Promise<TurnAnswer> {
    return this.service.serve(this, signal, streaming);
  }
}

export class TurnService {
  private readonly now: () => number;

  constructor(private readonly options: TurnServiceOptions) {
    this.now = options.now ?? Date.now;
  }

  /**
   * Accepts a turn: throws 400 context_length_exceeded now when its own messages (and tools)
   * cannot fit, and 404 previous_response_not_found for a response it cannot continue (a turn
   * that continues a stored response kept on Redis is accepted once that response is read).
   */
  start(request: TurnRequest & { response?: undefined }): Turn;
  start(request: TurnRequest): MaybePromise<Turn>;
  start(request: TurnRequest): MaybePromise<Turn> {
    const link = request.response;
    if (!link || link.previousId === null) return this.accept(request, []);
    const previous = this.options.sessions.previousResponse(request.caller, link.previousId);
    return andThen(previous, ({ history }) => this.accept(request, history));
  }

  /**
   * `history`: a response's stored history (stored responses never change, so the prompt built
   * here is the one it will get); the turn's own prompt comes before its session is held.
   */
  private accept(request: TurnRequest, history: ChatMessage[]): Turn {
    const link = request.response;
    const own = link ? [...link.instructions, ...history, ...request.messages] : request.messages;
    const ownPrompt = buildPrompt(own, this.options.contextMaxLength, promptHead(request.shape, null));
    return new Turn(this, request, ownPrompt, this.now(), this.options.requestTimeoutMs);
  }

  /** The error the pool would refuse a turn with at once, so a stream can still answer with a status. */
  admissionError(): GatewayError | null {
    return this.options.failover.admissionError();
  }

  /** @internal Turn.run */
  async serve(turn: Turn, signal: AbortSignal, streaming: boolean): Promise<TurnAnswer> {
    const { request, deadline } = turn;
    const session = await this.options.sessions.begin({
      owner: request.caller,
      name: request.sessionName,
      messages: request.messages,
      signal,
      deadline,
      response: request.response,
    });
    try {
      const { contextMaxLength } = this.options;
      let built = session.messages === request.messages ? turn.ownPrompt : buildPrompt(session.messages, contextMaxLength, promptHead(request.shape, null));
      const job = { model: request.model, conversation: session.conversation, signal, deadline };
      let sent = await this.options.failover.send({ ...job, prompt: built.prompt, preferredIdentityId: session.preferredIdentityId }, turn.report);
      let reading = readAnswer(sent.text, request.shape);
      if (!reading.ok) {
        // One corrective retry, on the identity that answered: the same prompt with the instruction it missed.
        built = buildPrompt(session.messages, contextMaxLength, promptHead(request.shape, reading.correction));
        sent = await this.options.failover.send({ ...job, prompt: built.prompt, preferredIdentityId: sent.identityId }, turn.report);
        reading = readAnswer(sent.text, request.shape);
        if (!reading.ok) {
          throw new GatewayError('invalid_model_output', `The model did not give a usable answer, even after one corrective retry: ${reading.problem}. Retry, or relax tool_choice / response_format.`);
        }
      }
      const { content, toolCalls, stoppedBy } = reading.answer;
      const answered: ChatMessage = { role: 'assistant', content: content ?? '', ...(toolCalls.length > 0 ? { toolCalls } : {}) };
      const { prompt, droppedMessages } = built;
      const answer: TurnAnswer = { text: sent.text, content, toolCalls, stoppedBy, prompt, droppedMessages, sessionId: session.sessionId };
      const payload = request.response?.store ? request.response.payload(answer) : undefined;
      try {
        await session.commit(answered, sent.identityId, payload);
      } catch (error) {
        if (!(streaming && error instanceof GatewayError && error.errorCode === 'shared_state_unavailable')) throw error;
        turn.report.notStored = error.errorCode;
      }
      return answer;
    } finally {
      session.release();
    }
  }
}
