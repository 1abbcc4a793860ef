// The Messages API's answer: one `message` object (text and tool_use content blocks, the stop
// reason, estimated usage), and the pieces of it a stream sends.

import { estimateTokens } from '../../conversation/tokens.ts';
import { newToolCallId } from '../../tools/ids.ts';
import type { ToolCall } from '../../tools/types.ts';
import { toWireId } from './tool-use-ids.ts';

export interface MessageMeta {
  id: string;
  /** The model as the client named it. */
  model: string;
}

/** What a turn answered, as this surface needs it. */
export interface MessageAnswer {
  /** null or '' when the answer is only tool calls (or was cut to nothing by a stop sequence). */
  content: string | null;
  toolCalls: readonly ToolCall[];
  stoppedBy: string | null;
  /** The model's words as written (output tokens are estimated from them). */
  text: string;
  /** The prompt sent (input tokens are estimated from it). */
  prompt: string;
}

export type StopReason = 'end_turn' | 'tool_use' | 'stop_sequence';

export interface Usage {
  input_tokens: number;
  output_tokens: number;
}

export type TextBlock = { type: 'text'; text: string };
export type ToolUseBlock = { type: 'tool_use'; id: string; name: string; input: Record<string, unknown> };

/** msg_ and 24 random letters or digits, like Anthropic's. */
export function newMessageMeta(model: string): MessageMeta {
  return { id: `msg_${newToolCallId().slice('call_'.length)}`, model };
}

export const usageOf = (prompt: string, text: string): Usage => ({ input_tokens: estimateTokens(prompt), output_tokens: estimateTokens(text) });

/** Calls win: the client has to run them. Then a stop sequence, else the model's own end. */
export function stopReasonOf(answer: Pick<MessageAnswer, 'toolCalls' | 'stoppedBy'>): { stop_reason: StopReason; stop_sequence: string | null } {
  if (answer.toolCalls.length > 0) return { stop_reason: 'tool_use', stop_sequence: null };
  if (answer.stoppedBy !== null) return { stop_reason: 'stop_sequence', stop_sequence: answer.stoppedBy };
  return { stop_reason: 'end_turn', stop_sequence: null };
}

export function toolUseBlock(call: ToolCall): ToolUseBlock {
  return { type: 'tool_use', id: toWireId(call.id), name: call.name, input: argumentsObject(call.arguments) };
}

/** The turn's arguments are a JSON object's text (the tools module checked them). */
function argumentsObject(text: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

export function contentBlocks(answer: Pick<MessageAnswer, 'content' | 'toolCalls'>): Array<TextBlock | ToolUseBlock> {
  const text: TextBlock[] = answer.content ? [{ type: 'text', text: answer.content }] : [];
  return [...text, ...answer.toolCalls.map(toolUseBlock)];
}

/** The message before any content: what message_start carries. */
export function messageShell(meta: MessageMeta, usage: Usage) {
  return {
    id: meta.id,
    type: 'message' as const,
    role: 'assistant' as const,
    model: meta.model,
    content: [] as Array<TextBlock | ToolUseBlock>,
    stop_reason: null as StopReason | null,
    stop_sequence: null as string | null,
    usage,
  };
}

export function message(meta: MessageMeta, answer: MessageAnswer) {
  return { ...messageShell(meta, usageOf(answer.prompt, answer.text)), content: contentBlocks(answer), ...stopReasonOf(answer) };
}
