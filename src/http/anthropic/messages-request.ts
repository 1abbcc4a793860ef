// Validates a Messages API body (POST /v1/messages, /v1/messages/count_tokens) into what the
// turn takes: the model, the conversation as ChatMessages and the turn's shape. `system` and
// text blocks become system and user/assistant text; tool_use blocks an assistant's calls;
// tool_result blocks tool messages. Every problem is a 400 (404 for an unknown model) whose
// message names the field, since Anthropic's error shape has no `param`.

import type { TurnShape } from '../../chat/turn-shape.ts';
import type { ChatMessage } from '../../conversation/messages.ts';
import type { ModelCatalog } from '../../conversation/model-catalog.ts';
import { clientText, invalidRequest } from '../../errors.ts';
import type { ModelInfo } from '../../providers/provider.ts';
import type { ToolCall } from '../../tools/types.ts';
import { readModel } from '../openai/chat-request.ts';
import { isObject, readMessagesShape } from './tool-params.ts';
import { fromWireId } from './tool-use-ids.ts';

export interface MessagesRequest {
  model: ModelInfo;
  /** The model's name in the answer: the one the client asked for (an alias stays an alias). */
  reportedModel: string;
  messages: ChatMessage[];
  stream: boolean;
  /** tools, tool_choice, stop_sequences. */
  shape: TurnShape;
}

/**
 * Accepted and ignored: the site answers with its own settings (max_tokens is required and
 * checked, but cannot be enforced either). `metadata.user_id` does not name a conversation.
 */
export const ANTHROPIC_IGNORED_PARAMETERS = [
  'temperature',
  'top_p',
  'top_k',
  'metadata',
  'thinking',
  'service_tier',
  'container',
  'context_management',
] as const;

/** Blocks that carry something other than text: the site takes text only. */
const NON_TEXT_BLOCKS = new Set(['image', 'document', 'search_result', 'container_upload', 'file', 'audio', 'video']);
/** The model's own reasoning, sent back by clients that had it from Anthropic: nothing to render, skipped. */
const SKIPPED_BLOCKS = new Set(['thinking', 'redacted_thinking']);
const ROLES = ['user', 'assistant', 'system'] as const;
type Role = (typeof ROLES)[number];

type Body = Record<string, unknown>;

/** POST /v1/messages: `max_tokens` required, a conversation that ends with the user. */
export function parseMessagesRequest(body: unknown, models: ModelCatalog): MessagesRequest {
  const b = readBody(body);
  readMaxTokens(b.max_tokens);
  const stream = b.stream;
  if (stream !== undefined && stream !== null && typeof stream !== 'boolean') throw invalidRequest('"stream" must be true or false.', 'stream');
  return { ...readConversation(b, models, true), stream: stream === true };
}

/** POST /v1/messages/count_tokens: the same fields but max_tokens and stream; any last role. */
export function parseCountTokensRequest(body: unknown, models: ModelCatalog): Omit<MessagesRequest, 'stream'> {
  return readConversation(readBody(body), models, false);
}

function readBody(body: unknown): Body {
  if (!isObject(body)) throw invalidRequest('The request body must be a JSON object with "model", "max_tokens" and "messages".');
  return body;
}

function readConversation(b: Body, models: ModelCatalog, answering: boolean): Omit<MessagesRequest, 'stream'> {
  const { model, reported } = readModel(b.model, models);
  checkUnsupported(b);
  const shape = readMessagesShape(b);
  const messages = [...readSystem(b.system), ...readMessages(b.messages, answering)];
  return { model, reportedModel: reported, messages, shape };
}

function readMaxTokens(value: unknown): void {
  if (value === undefined || value === null) {
    throw invalidRequest('"max_tokens" is required: a positive whole number (accepted, but the site decides how long its answer is).', 'max_tokens');
  }
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw invalidRequest(`"max_tokens" must be a positive whole number (got ${clientText(value)}).`, 'max_tokens');
  }
}

function checkUnsupported(b: Body): void {
  if (Array.isArray(b.mcp_servers) && b.mcp_servers.length > 0) {
    throw invalidRequest(
      '"mcp_servers" asks Anthropic\'s side to call MCP servers, which cannot be done here. Run the MCP client yourself and declare its tools in "tools".',
      'mcp_servers',
    );
  }
  if (b.metadata !== undefined && b.metadata !== null && !isObject(b.metadata)) {
    throw invalidRequest('"metadata" must be an object like {"user_id":"…"}.', 'metadata');
  }
}

function readSystem(value: unknown): ChatMessage[] {
  if (value === undefined || value === null) return [];
  const text = readText(value, 'system', 'system');
  return text === '' ? [] : [{ role: 'system', content: text }];
}

function readMessages(value: unknown, answering: boolean): ChatMessage[] {
  if (value === undefined) throw invalidRequest('"messages" is required: a non-empty array of {"role","content"} messages.', 'messages');
  if (!Array.isArray(value)) throw invalidRequest('"messages" must be an array of {"role","content"} messages.', 'messages');
  if (value.length === 0) throw invalidRequest('"messages" must contain at least one message.', 'messages');
  const out: ChatMessage[] = [];
  /** The last user or assistant message. */
  let last = { role: 'user' as Role, index: 0 };
  value.forEach((m: unknown, i) => {
    const at = `messages[${i}]`;
    if (!isObject(m)) throw invalidRequest(`${at} must be an object with "role" and "content".`, at);
    const role = ROLES.find((r) => r === m.role);
    if (role === undefined) throw invalidRequest(`${at}.role must be "user" or "assistant" (or "system") (got ${clientText(m.role)}).`, `${at}.role`);
    if (role === 'system') {
      const text = readText(m.content, `${at}.content`, 'system');
      if (text !== '') out.push({ role: 'system', content: text });
      return;
    }
    out.push(...(role === 'user' ? readUserMessage(m.content, at) : [readAssistantMessage(m.content, at)]));
    last = { role, index: i };
  });
  if (answering && last.role === 'assistant') {
    throw invalidRequest(
      `messages[${last.index}] is an assistant message at the end of the conversation (a prefill to continue); ` +
        'the site cannot continue a partial answer. End the conversation with a user message.',
      `messages[${last.index}]`,
    );
  }
  const latestUser = out.findLast((m) => m.role === 'user');
  if (latestUser && latestUser.content.trim() === '') {
    throw invalidRequest('The latest user message is empty; the site refuses empty messages.', 'messages');
  }
  return out;
}

/** A user turn: its tool results (one tool message each) first, then its text, if any. */
function readUserMessage(content: unknown, at: string): ChatMessage[] {
  if (typeof content === 'string') return [{ role: 'user', content }];
  const blocks = readBlocks(content, at);
  const results: ChatMessage[] = [];
  const texts: string[] = [];
  blocks.forEach((block, i) => {
    const where = `${at}.content[${i}]`;
    if (block.type === 'text') texts.push(readBlockText(block, where));
    else if (block.type === 'tool_result') results.push(readToolResult(block, where));
    else refuseBlock(block, where, 'text or tool_result');
  });
  return texts.length > 0 || results.length === 0 ? [...results, { role: 'user', content: texts.join('\n') }] : results;
}

/** An assistant turn: its text and the calls it made. */
function readAssistantMessage(content: unknown, at: string): ChatMessage {
  if (typeof content === 'string') return { role: 'assistant', content };
  const blocks = readBlocks(content, at);
  const texts: string[] = [];
  const calls: ToolCall[] = [];
  blocks.forEach((block, i) => {
    const where = `${at}.content[${i}]`;
    if (block.type === 'text') texts.push(readBlockText(block, where));
    else if (block.type === 'tool_use') calls.push(readToolUse(block, where));
    else if (!SKIPPED_BLOCKS.has(String(block.type))) refuseBlock(block, where, 'text or tool_use');
  });
  return calls.length > 0 ? { role: 'assistant', content: texts.join('\n'), toolCalls: calls } : { role: 'assistant', content: texts.join('\n') };
}

function readToolUse(block: Body, at: string): ToolCall {
  if (typeof block.id !== 'string' || block.id === '') throw invalidRequest(`${at}.id must be the tool_use id (a non-empty string).`, `${at}.id`);
  if (typeof block.name !== 'string' || block.name === '') throw invalidRequest(`${at}.name must be the tool's name.`, `${at}.name`);
  if (!isObject(block.input)) throw invalidRequest(`${at}.input must be an object (the tool's arguments).`, `${at}.input`);
  return { id: fromWireId(block.id), name: block.name, arguments: JSON.stringify(block.input) };
}

function readToolResult(block: Body, at: string): ChatMessage {
  if (typeof block.tool_use_id !== 'string' || block.tool_use_id === '') {
    throw invalidRequest(`${at}.tool_use_id must be the id of the tool_use this result answers.`, `${at}.tool_use_id`);
  }
  if (block.is_error !== undefined && block.is_error !== null && typeof block.is_error !== 'boolean') {
    throw invalidRequest(`${at}.is_error must be true or false.`, `${at}.is_error`);
  }
  const text = block.content === undefined || block.content === null ? '' : readText(block.content, `${at}.content`, 'tool_result');
  return { role: 'tool', content: block.is_error === true ? `Error: ${text}` : text, toolCallId: fromWireId(block.tool_use_id) };
}

/** A string or an array of text blocks (system, tool_result content), joined by newlines. */
function readText(value: unknown, at: string, what: string): string {
  if (typeof value === 'string') return value;
  if (!Array.isArray(value)) throw invalidRequest(`${at} must be a string or an array of text blocks like {"type":"text","text":"…"}.`, at);
  return value
    .map((block: unknown, i) => {
      const where = `${at}[${i}]`;
      if (!isObject(block)) throw invalidRequest(`${where} must be a text block like {"type":"text","text":"…"}.`, where);
      if (block.type !== 'text') refuseBlock(block, where, `text (in ${what})`);
      return readBlockText(block, where);
    })
    .join('\n');
}

function readBlocks(content: unknown, at: string): Body[] {
  if (!Array.isArray(content)) throw invalidRequest(`${at}.content must be a string or an array of content blocks.`, `${at}.content`);
  return content.map((block: unknown, i) => {
    if (!isObject(block) || typeof block.type !== 'string') {
      throw invalidRequest(`${at}.content[${i}] must be a content block like {"type":"text","text":"…"}.`, `${at}.content[${i}]`);
    }
    return block;
  });
}

function readBlockText(block: Body, at: string): string {
  if (typeof block.text !== 'string') throw invalidRequest(`${at}.text must be a string.`, `${at}.text`);
  return block.text;
}

function refuseBlock(block: Body, at: string, allowed: string): never {
  if (typeof block.type === 'string' && NON_TEXT_BLOCKS.has(block.type)) {
    throw invalidRequest(
      `${at} is an "${block.type}" block, but the site takes text only. Send text blocks (or a plain string).`,
      at,
      'unsupported_content_type',
    );
  }
  throw invalidRequest(`${at} has type ${clientText(block.type)}; expected ${allowed}.`, `${at}.type`);
}
