// The gateway's own view of a chat message, after validation: text, one of four roles, and
// for tool use the calls an assistant made and the call a tool result answers.

import type { ToolCall } from '../tools/types.ts';

export type ChatRole = 'system' | 'user' | 'assistant' | 'tool';

export interface ChatMessage {
  role: ChatRole;
  content: string;
  /** An assistant's calls (OpenAI's tool_calls). */
  toolCalls?: ToolCall[];
  /** A tool result: the id of the call it answers. */
  toolCallId?: string;
  /** A tool result: the function's name when the client says it (the legacy "function" role does). */
  name?: string;
}
