// Serves one chat turn: hands the prompt to an upstream identity and returns the answer,
// or throws the GatewayError that tells the client what happened.

import type { KimiClient } from '../upstream/kimi-client.ts';
import type { UpstreamIdentity } from '../upstream/upstream-identity.ts';
import { newUpstreamSessionId } from '../upstream/session-id.ts';
import { upstreamError } from './upstream-errors.ts';

export interface ChatJob {
  prompt: string;
  upstreamModel: string;
  /** The upstream session_id; a fresh one per request when the conversation has none. */
  sessionId?: string;
  signal: AbortSignal;
  /** epoch ms by which the answer must be in */
  deadline: number;
}

export interface ChatAnswer {
  text: string;
  identityId: string;
  upstreamCalls: number;
}

export interface ChatServiceDeps {
  client: KimiClient;
  identity: UpstreamIdentity;
  now?: () => number;
}

export class ChatService {
  private readonly now: () => number;

  constructor(private readonly deps: ChatServiceDeps) {
    this.now = deps.now ?? Date.now;
  }

  async complete(job: ChatJob): Promise<ChatAnswer> {
    const { identity, client } = this.deps;
    const { outcome, upstreamCalls } = await client.send(identity, {
      prompt: job.prompt,
      upstreamModel: job.upstreamModel,
      sessionId: job.sessionId ?? newUpstreamSessionId(),
      signal: job.signal,
      timeoutMs: job.deadline - this.now(),
    });
    if (outcome.kind === 'ok') return { text: outcome.message, identityId: identity.id, upstreamCalls };
    throw upstreamError(outcome);
  }
}
