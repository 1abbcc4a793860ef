// Validates a /v1/chat/completions body into the gateway's ChatRequest. Every problem is
// a 400 (or 404 for an unknown model) in OpenAI's shape, naming the field to fix.

import { clientText, GatewayError, invalidRequest } from '../../errors.ts';
import type { ChatMessage, ChatRole } from '../../conversation/messages.ts';
import type { TurnShape } from '../../chat/turn-shape.ts';
import type { ModelCatalog, ResolvedModel } from '../../conversation/model-catalog.ts';
import type { ModelInfo } from '../../providers/provider.ts';
import { readToolCalls, readTurnShape } from './tool-request.ts';


export interface ChatRequest {
  model: ModelInfo;
  /** The model's name in the answer: the one the client asked for (an alias stays an alias). */
  reportedModel: string;
  messages: ChatMessage[];
  stream: boolean;
  includeUsage: boolean;
  /** OpenAI's `user` field: names a conversation (sessions). */
  user: string | null;
  /** tools, tool_choice, parallel_tool_calls, response_format, stop. */
  shape: TurnShape;
}

/**
 * Sampling parameters accepted and ignored: the upstream takes one message and answers
 * with its own settings. The OpenAPI document lists them; README ("Limits") too
 * (test/http/docs-facts.test.ts checks it).
 */
export const IGNORED_PARAMETERS = [
  'temperature',
  'top_p',
  'max_tokens',
  'max_completion_tokens',
  'presence_penalty',
  'frequency_penalty',
  'seed',
  'logit_bias',
  'logprobs',
  'top_logprobs',
  'reasoning_effort',
  'metadata',
  'store',
  'service_tier',
  'modalities',
  'prediction',
] as const;

// A Map, not an object literal: "constructor", "__proto__" or "toString" must not be roles.
const ROLE_MAP = new Map<string, ChatRole>([
  ['system', 'system'],
  ['developer', 'system'],
  ['user', 'user'],
  ['assistant', 'assistant'],
  ['tool', 'tool'],
  ['function', 'tool'],
]);

/** Every role name a message may carry (developer counts as system, function as tool). */
export const ROLE_NAMES: readonly string[] = [...ROLE_MAP.keys()];

const NON_TEXT_PARTS = new Set(['image_url', 'input_image', 'image', 'input_audio', 'audio', 'file', 'input_file', 'video_url']);

export function parseChatRequest(body: unknown, models: ModelCatalog): ChatRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw invalidRequest('The request body must be a JSON object with "model" and "messages".');
  }
  const b = body as Record<string, unknown>;
  const { model, reported } = readModel(b.model, models);
  return {
    model,
    reportedModel: reported,
    messages: readMessages(b.messages),
    stream: readOptionalBoolean(b.stream, 'stream') ?? false,
    includeUsage: readStreamOptions(b.stream_options),
    user: readUser(b.user),
    shape: readTurnShape(b),
    ...checkN(b.n),
  };
}

/** The model named in a request (`param`: where), the default when none; 404 model_not_found for an unknown one. */
export function readModel(value: unknown, models: ModelCatalog, param = 'model'): ResolvedModel {
  if (value === undefined || value === null || value === '') return { model: models.defaultModel, reported: models.defaultModel.id };
  if (typeof value !== 'string') throw invalidRequest(`"${param}" must be a string.`, param);
  const model = models.resolve(value);
  if (!model) {
    throw new GatewayError('model_not_found', `The model ${clientText(value)} does not exist. Available models: ${models.models.map((m) => m.id).join(', ')}.`, {
      param,
    });
  }
  return model;
}

function readMessages(value: unknown): ChatMessage[] {
  if (value === undefined) throw invalidRequest('"messages" is required: a non-empty array of chat messages.', 'messages');
  if (!Array.isArray(value)) throw invalidRequest('"messages" must be an array of chat messages.', 'messages');
  if (value.length === 0) throw invalidRequest('"messages" must contain at least one message.', 'messages');
  const messages = value.map(readMessage);
  const last = messages.findLast((m) => m.role === 'user');
  if (last && last.content.trim() === '') {
    throw invalidRequest('The latest user message is empty; the upstream refuses empty messages.', 'messages');
  }
  return messages;
}

function readMessage(value: unknown, index: number): ChatMessage {
  const param = `messages[${index}]`;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalidRequest(`${param} must be an object with "role" and "content".`, param);
  }
  const m = value as Record<string, unknown>;
  const role = typeof m.role === 'string' ? ROLE_MAP.get(m.role) : undefined;
  if (!role) {
    throw invalidRequest(
      `${param}.role must be one of system, developer, user, assistant, tool (got ${clientText(m.role)}).`,
      `${param}.role`,
    );
  }
  const message: ChatMessage = { role, content: readContent(m.content, role, param) };
  if (role === 'assistant') {
    const toolCalls = readToolCalls(m, param);
    if (toolCalls?.length) message.toolCalls = toolCalls;
  }
  if (role === 'tool') {
    if (typeof m.tool_call_id === 'string' && m.tool_call_id !== '') message.toolCallId = m.tool_call_id;
    if (typeof m.name === 'string' && m.name !== '') message.name = m.name;
  }
  return message;
}

function readContent(value: unknown, role: ChatRole, param: string): string {
  if (typeof value === 'string') return value;
  // Assistant turns that only carried tool calls have null content.
  if ((value === null || value === undefined) && (role === 'assistant' || role === 'tool')) return '';
  if (!Array.isArray(value)) {
    throw invalidRequest(`${param}.content must be a string or an array of content parts.`, `${param}.content`);
  }
  const texts: string[] = [];
  value.forEach((part: unknown, i: number) => {
    const partParam = `${param}.content[${i}]`;
    const p = (typeof part === 'object' && part !== null ? part : {}) as Record<string, unknown>;
    if ((p.type === 'text' || p.type === 'input_text') && typeof p.text === 'string') {
      texts.push(p.text);
    } else if (typeof p.type === 'string' && NON_TEXT_PARTS.has(p.type)) {
      throw invalidRequest(
        `${partParam} is an "${p.type}" part, but the upstream takes text only. Send text content parts (or a plain string).`,
        partParam,
        'unsupported_content_type',
      );
    } else {
      throw invalidRequest(`${partParam} must be a content part like {"type":"text","text":"..."}.`, partParam);
    }
  });
  return texts.join('\n');
}

function readOptionalBoolean(value: unknown, param: string): boolean | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') throw invalidRequest(`"${param}" must be true or false.`, param);
  return value;
}

function readStreamOptions(value: unknown): boolean {
  if (value === undefined || value === null) return false;
  if (typeof value !== 'object' || Array.isArray(value)) throw invalidRequest('"stream_options" must be an object.', 'stream_options');
  return readOptionalBoolean((value as Record<string, unknown>).include_usage, 'stream_options.include_usage') ?? false;
}

function readUser(value: unknown): string | null {
  if (value === undefined || value === null || value === '') return null;
  if (typeof value !== 'string') throw invalidRequest('"user" must be a string.', 'user');
  if (value.length > 256) throw invalidRequest('"user" must be at most 256 characters.', 'user');
  return value;
}

/**
 * The conversation a request names: the X-Session-Id header, else OpenAI's `user` field
 * (when the operator lets it name sessions); null = recognise it from its messages.
 */
export function sessionNameOf(header: string | null, user: string | null): string | null {
  if (header !== null && header.trim() !== '') return checkSessionName(header.trim(), 'X-Session-Id', 'The X-Session-Id header');
  return user === null ? null : checkSessionName(user, 'user', '"user"');
}

function checkSessionName(name: string, param: string, what: string): string {
  // The name is echoed in the X-Session-Id response header, which takes no control characters.
  if (name.length > 256 || /[\u0000-\u001f\u007f]/.test(name)) {
    throw invalidRequest(`${what} names the conversation and must be at most 256 printable characters.`, param);
  }
  return name;
}

function checkN(value: unknown): Record<string, never> {
  if (value === undefined || value === null || value === 1) return {};
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw invalidRequest('"n" must be a positive whole number.', 'n');
  }
  throw invalidRequest(`"n" is ${value}, but this gateway returns one choice per request (n must be 1).`, 'n');
}
