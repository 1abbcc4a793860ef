// The gateway's own view of a chat message, after validation: text only, one of four roles.

export type ChatRole = 'system' | 'user' | 'assistant' | 'tool';

export interface ChatMessage {
  role: ChatRole;
  content: string;
}
