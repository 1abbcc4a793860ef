// Validates a POST /v1/responses body (OpenAI's Responses API) into what a turn needs: the
// input items as chat messages, the instructions, the turn's shape (flat function tools,
// tool_choice, text.format), how it is stored and continued, and what the response object
// echoes back. Every problem is a 400 (404 for an unknown model) in OpenAI's shape, naming
// the field to fix.

import type { TurnShape } from '../../chat/turn-shape.ts';
import type { ChatMessage, ChatRole } from '../../conversation/messages.ts';
import type { ModelCatalog } from '../../conversation/model-catalog.ts';
import { clientText, invalidRequest } from '../../errors.ts';
import type { ModelInfo } from '../../providers/provider.ts';
import type { JsonSchema, OutputFormat, ToolCall, ToolChoice, ToolSpec } from '../../tools/types.ts';
import { readModel } from './chat-request.ts';
import { readTools } from './tool-request.ts';

export interface ResponsesRequest {
  model: ModelInfo;
  /** The model's name in the response: the one the client asked for (an alias stays an alias). */
  reportedModel: string;
  /** `instructions`: system text for this response only (not carried to the next one). */
  instructions: string | null;
  /** The input items, as the conversation's messages (after the continued response's history). */
  input: ChatMessage[];
  shape: TurnShape;
  stream: boolean;
  /** `store` (default true): false keeps nothing, so the response cannot be continued or fetched. */
  store: boolean;
  previousResponseId: string | null;
  echo: ResponseEcho;
}

/** The function tool as the Responses API writes it (flat, no `function` wrapper). */
export interface FunctionToolEcho {
  type: 'function';
  name: string;
  description: string | null;
  parameters: JsonSchema | null;
  strict: boolean | null;
}

export type ToolChoiceEcho = 'auto' | 'none' | 'required' | { type: 'function'; name: string };

export type FormatEcho =
  | { type: 'text' }
  | { type: 'json_object' }
  | { type: 'json_schema'; name: string; schema: JsonSchema; strict: boolean; description?: string };

/** The request fields a response object repeats (OpenAI's clients read them back). */
export interface ResponseEcho {
  instructions: string | null;
  tools: FunctionToolEcho[];
  tool_choice: ToolChoiceEcho;
  parallel_tool_calls: boolean;
  text: { format: FormatEcho; verbosity?: string };
  previous_response_id: string | null;
  store: boolean;
  metadata: Record<string, string>;
  user: string | null;
  temperature: number | null;
  top_p: number | null;
  max_output_tokens: number | null;
}

/**
 * Accepted and ignored: the site answers with its own settings (the numbers are echoed in
 * the response object). `user` and `metadata` are accepted and echoed.
 */
export const RESPONSES_IGNORED_PARAMETERS = [
  'temperature',
  'top_p',
  'max_output_tokens',
  'max_tool_calls',
  'top_logprobs',
  'reasoning',
  'truncation',
  'include',
  'service_tier',
  'prompt_cache_key',
  'prompt_cache_retention',
  'safety_identifier',
  'stream_options',
] as const;

/** The input item types the gateway reads (`reasoning` items are accepted and skipped). */
export const INPUT_ITEM_TYPES = ['message', 'function_call', 'function_call_output'] as const;

// A Map, not an object literal: "constructor" or "__proto__" must not be roles.
const ROLES = new Map<string, ChatRole>([
  ['user', 'user'],
  ['assistant', 'assistant'],
  ['system', 'system'],
  ['developer', 'system'],
]);

const NON_TEXT_PARTS = new Set(['input_image', 'input_file', 'input_audio', 'image_url', 'image', 'file', 'audio']);
const MAX_METADATA_KEYS = 16;
const MAX_ID_LENGTH = 256;

type Body = Record<string, unknown>;

const isObject = (value: unknown): value is Body => typeof value === 'object' && value !== null && !Array.isArray(value);

export function parseResponsesRequest(body: unknown, models: ModelCatalog): ResponsesRequest {
  if (!isObject(body)) throw invalidRequest('The request body must be a JSON object with "model" and "input".');
  refuseUnsupported(body);
  const { model, reported } = readModel(body.model, models);
  const previousResponseId = readPreviousId(body.previous_response_id);
  const input = readInput(body.input, body.messages, previousResponseId !== null);
  const instructions = readInstructions(body.instructions);
  const tools = readFunctionTools(body.tools);
  const specs = tools.map((t): ToolSpec => ({ name: t.name, description: t.description, parameters: t.parameters ?? { type: 'object', properties: {} } }));
  const { choice, echo: choiceEcho } = readToolChoice(body.tool_choice, specs);
  const parallel = readOptionalBoolean(body.parallel_tool_calls, 'parallel_tool_calls') ?? true;
  const { format, echo: formatEcho, verbosity } = readText(body.text);
  const store = readOptionalBoolean(body.store, 'store') ?? true;
  return {
    model,
    reportedModel: reported,
    instructions,
    input,
    shape: { tools: specs, toolChoice: choice, parallelToolCalls: parallel, format, stop: [] },
    stream: readOptionalBoolean(body.stream, 'stream') ?? false,
    store,
    previousResponseId,
    echo: {
      instructions,
      tools,
      tool_choice: choiceEcho,
      parallel_tool_calls: parallel,
      text: verbosity === undefined ? { format: formatEcho } : { format: formatEcho, verbosity },
      previous_response_id: previousResponseId,
      store,
      metadata: readMetadata(body.metadata),
      user: readUser(body.user),
      temperature: numberOrNull(body.temperature),
      top_p: numberOrNull(body.top_p),
      max_output_tokens: typeof body.max_output_tokens === 'number' && Number.isInteger(body.max_output_tokens) ? body.max_output_tokens : null,
    },
  };
}

/** Fields whose meaning the gateway cannot honour: refused, not silently dropped. */
function refuseUnsupported(b: Body): void {
  if (b.background === true) {
    throw invalidRequest('"background": true is not supported: the gateway answers within the request (use "stream": true for a long answer).', 'background');
  }
  if (b.conversation !== undefined && b.conversation !== null) {
    throw invalidRequest('"conversation" (the Conversations API) is not supported: continue a stored response with "previous_response_id".', 'conversation');
  }
  if (b.prompt !== undefined && b.prompt !== null) {
    throw invalidRequest('"prompt" (stored prompt templates) is not supported: send the text as "instructions" and "input".', 'prompt');
  }
  if (b.response_format !== undefined && b.response_format !== null) {
    throw invalidRequest(
      '"response_format" is a Chat Completions field: in the Responses API the output format is "text.format", e.g. {"text":{"format":{"type":"json_object"}}}.',
      'response_format',
    );
  }
}

function readPreviousId(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string' || value === '' || value.length > MAX_ID_LENGTH) {
    throw invalidRequest(`"previous_response_id" must be the id of a stored response (resp_…), got ${clientText(value)}.`, 'previous_response_id');
  }
  return value;
}

function readInstructions(value: unknown): string | null {
  if (value === undefined || value === null || value === '') return null;
  if (typeof value !== 'string') throw invalidRequest('"instructions" must be a string (the system text for this response).', 'instructions');
  return value;
}

function readInput(value: unknown, messages: unknown, continues: boolean): ChatMessage[] {
  if (value === undefined || value === null) {
    if (messages !== undefined) {
      throw invalidRequest('"input" is required: the Responses API takes "input" (a string or an array of input items), not "messages".', 'input');
    }
    throw invalidRequest('"input" is required: a string, or an array of input items (messages, function_call, function_call_output).', 'input');
  }
  let input: ChatMessage[];
  if (typeof value === 'string') {
    input = [{ role: 'user', content: value }];
  } else if (Array.isArray(value)) {
    if (value.length === 0) throw invalidRequest('"input" must contain at least one item.', 'input');
    input = readItems(value);
  } else {
    throw invalidRequest('"input" must be a string or an array of input items.', 'input');
  }
  const lastUser = input.findLast((m) => m.role === 'user');
  if (lastUser && lastUser.content.trim() === '') throw invalidRequest('The latest user message in "input" is empty; the upstream refuses empty messages.', 'input');
  if (!lastUser && !continues) {
    throw invalidRequest('"input" must contain a user message (or continue a stored response with "previous_response_id").', 'input');
  }
  return input;
}

function readItems(items: unknown[]): ChatMessage[] {
  const messages: ChatMessage[] = [];
  /** The assistant message that function_call items right after it join (parallel calls are one turn). */
  let open: ChatMessage | null = null;
  items.forEach((item: unknown, i) => {
    const at = `input[${i}]`;
    if (!isObject(item)) throw invalidRequest(`${at} must be an input item object, e.g. {"role":"user","content":"..."}.`, at);
    const type = item.type ?? (item.role !== undefined ? 'message' : undefined);
    switch (type) {
      case 'message': {
        const message = readMessage(item, at);
        messages.push(message);
        open = message.role === 'assistant' ? message : null;
        return;
      }
      case 'function_call': {
        const call = readFunctionCall(item, at);
        if (open) (open.toolCalls ??= []).push(call);
        else messages.push((open = { role: 'assistant', content: '', toolCalls: [call] }));
        return;
      }
      case 'function_call_output':
        messages.push(readFunctionOutput(item, at));
        open = null;
        return;
      case 'reasoning':
        // Another model's reasoning (encrypted or summarised) is not conversation text.
        return;
      default:
        throw invalidRequest(
          `${at}.type is ${clientText(type)}; the supported input items are ${INPUT_ITEM_TYPES.map((t) => `"${t}"`).join(', ')} (and "reasoning", which is skipped).`,
          `${at}.type`,
        );
    }
  });
  return messages;
}

function readMessage(item: Body, at: string): ChatMessage {
  const role = typeof item.role === 'string' ? ROLES.get(item.role) : undefined;
  if (!role) throw invalidRequest(`${at}.role must be one of user, assistant, system, developer (got ${clientText(item.role)}).`, `${at}.role`);
  return { role, content: readContent(item.content, `${at}.content`) };
}

function readContent(value: unknown, at: string): string {
  if (typeof value === 'string') return value;
  if (!Array.isArray(value)) throw invalidRequest(`${at} must be a string or an array of content parts like {"type":"input_text","text":"..."}.`, at);
  return value.map((part: unknown, i) => readTextPart(part, `${at}[${i}]`)).join('\n');
}

function readTextPart(part: unknown, at: string): string {
  const p = isObject(part) ? part : {};
  if ((p.type === 'input_text' || p.type === 'output_text' || p.type === 'text') && typeof p.text === 'string') return p.text;
  if (p.type === 'refusal' && typeof p.refusal === 'string') return p.refusal;
  if (typeof p.type === 'string' && NON_TEXT_PARTS.has(p.type)) {
    const why = `${at} is an "${p.type}" part, but the upstream takes text only. Send "input_text" parts (or a plain string).`;
    throw invalidRequest(why, at, 'unsupported_content_type');
  }
  throw invalidRequest(`${at} must be a content part like {"type":"input_text","text":"..."}.`, at);
}

function readFunctionCall(item: Body, at: string): ToolCall {
  if (typeof item.call_id !== 'string' || item.call_id === '') throw invalidRequest(`${at}.call_id must be the call's id (call_…).`, `${at}.call_id`);
  if (typeof item.name !== 'string' || item.name === '') throw invalidRequest(`${at}.name must be the called function's name.`, `${at}.name`);
  const args = item.arguments;
  if (args !== undefined && args !== null && typeof args !== 'string' && !isObject(args)) {
    throw invalidRequest(`${at}.arguments must be a JSON object as text, e.g. "{\\"city\\":\\"Paris\\"}".`, `${at}.arguments`);
  }
  return { id: item.call_id, name: item.name, arguments: typeof args === 'string' ? args : isObject(args) ? JSON.stringify(args) : '{}' };
}

function readFunctionOutput(item: Body, at: string): ChatMessage {
  if (typeof item.call_id !== 'string' || item.call_id === '') {
    throw invalidRequest(`${at}.call_id must be the id of the function_call this output answers.`, `${at}.call_id`);
  }
  const { output } = item;
  let content: string;
  if (typeof output === 'string') content = output;
  else if (Array.isArray(output)) content = output.map((part: unknown, i) => readTextPart(part, `${at}.output[${i}]`)).join('\n');
  else throw invalidRequest(`${at}.output must be a string (the function's result) or an array of "input_text" parts.`, `${at}.output`);
  return { role: 'tool', content, toolCallId: item.call_id };
}

function readFunctionTools(value: unknown): FunctionToolEcho[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw invalidRequest('"tools" must be an array of function tools like {"type":"function","name":"...","parameters":{...}}.', 'tools');
  value.forEach((entry: unknown, i) => {
    const at = `tools[${i}]`;
    if (!isObject(entry)) throw invalidRequest(`${at} must be an object like {"type":"function","name":"...","parameters":{...}}.`, at);
    if (entry.type !== 'function') {
      throw invalidRequest(
        `${at}.type is ${clientText(entry.type)}, but only "function" tools can be emulated over the upstream (no hosted tools such as web_search or file_search).`,
        `${at}.type`,
      );
    }
    if (isObject(entry.function) && entry.name === undefined) {
      throw invalidRequest(`${at} is in the Chat Completions shape; the Responses API takes flat function tools: {"type":"function","name","parameters"}.`, at);
    }
    if (entry.strict !== undefined && entry.strict !== null && typeof entry.strict !== 'boolean') {
      throw invalidRequest(`${at}.strict must be true or false.`, `${at}.strict`);
    }
  });
  // Names, descriptions and parameters are checked as for Chat Completions' functions.
  const specs = readTools(value, 'tools', false);
  return specs.map((spec, i) => {
    const entry = value[i] as Body;
    return {
      type: 'function',
      name: spec.name,
      description: spec.description,
      parameters: isObject(entry.parameters) ? (entry.parameters as JsonSchema) : null,
      strict: typeof entry.strict === 'boolean' ? entry.strict : null,
    };
  });
}

function readToolChoice(value: unknown, tools: readonly ToolSpec[]): { choice: ToolChoice; echo: ToolChoiceEcho } {
  if (value === undefined || value === null || value === 'auto') return { choice: { mode: 'auto' }, echo: 'auto' };
  if (value === 'none') return { choice: { mode: 'none' }, echo: 'none' };
  if (value === 'required') {
    if (tools.length === 0) throw invalidRequest('"tool_choice" is "required", but no "tools" are declared.', 'tool_choice');
    return { choice: { mode: 'required' }, echo: 'required' };
  }
  if (isObject(value) && value.type === 'function' && typeof value.name === 'string') {
    const { name } = value;
    if (!tools.some((t) => t.name === name)) {
      throw invalidRequest(`"tool_choice" names ${clientText(name)}, which is not among the declared tools.`, 'tool_choice');
    }
    return { choice: { mode: 'function', name }, echo: { type: 'function', name } };
  }
  throw invalidRequest('"tool_choice" must be "auto", "none", "required" or {"type":"function","name":"..."} (hosted tool choices are not supported).', 'tool_choice');
}

function readText(value: unknown): { format: OutputFormat; echo: FormatEcho; verbosity?: string } {
  if (value === undefined || value === null) return { format: { type: 'text' }, echo: { type: 'text' } };
  if (!isObject(value)) throw invalidRequest('"text" must be an object like {"format":{"type":"json_object"}}.', 'text');
  const verbosity = typeof value.verbosity === 'string' ? value.verbosity : undefined;
  const f = value.format;
  if (f === undefined || f === null) return { format: { type: 'text' }, echo: { type: 'text' }, verbosity };
  if (!isObject(f)) throw invalidRequest('"text.format" must be an object like {"type":"json_object"}.', 'text.format');
  switch (f.type) {
    case 'text':
      return { format: { type: 'text' }, echo: { type: 'text' }, verbosity };
    case 'json_object':
      return { format: { type: 'json_object' }, echo: { type: 'json_object' }, verbosity };
    case 'json_schema': {
      if (!isObject(f.schema)) {
        throw invalidRequest('"text.format.schema" must be a JSON Schema object: {"type":"json_schema","name":"...","schema":{...}}.', 'text.format.schema');
      }
      if (f.name !== undefined && typeof f.name !== 'string') throw invalidRequest('"text.format.name" must be a string.', 'text.format.name');
      const name = typeof f.name === 'string' && f.name !== '' ? f.name : 'response';
      const schema = f.schema as JsonSchema;
      const strict = f.strict === true;
      const echo: FormatEcho = { type: 'json_schema', name, schema, strict };
      if (typeof f.description === 'string') echo.description = f.description;
      return { format: { type: 'json_schema', name, schema, strict }, echo, verbosity };
    }
    default:
      throw invalidRequest(`"text.format.type" must be "text", "json_object" or "json_schema" (got ${clientText(f.type)}).`, 'text.format.type');
  }
}

function readOptionalBoolean(value: unknown, param: string): boolean | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') throw invalidRequest(`"${param}" must be true or false.`, param);
  return value;
}

/** OpenAI's rule: at most 16 pairs, keys up to 64 characters, string values up to 512. */
function readMetadata(value: unknown): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (!isObject(value)) throw invalidRequest('"metadata" must be an object of string values.', 'metadata');
  const entries = Object.entries(value);
  if (entries.length > MAX_METADATA_KEYS) throw invalidRequest(`"metadata" has ${entries.length} keys; at most ${MAX_METADATA_KEYS} are accepted.`, 'metadata');
  const metadata: Record<string, string> = {};
  for (const [key, v] of entries) {
    if (key.length > 64) throw invalidRequest(`"metadata" key ${clientText(key)} is longer than 64 characters.`, 'metadata');
    if (typeof v !== 'string' || v.length > 512) {
      throw invalidRequest(`"metadata.${key.slice(0, 64)}" must be a string of at most 512 characters.`, `metadata.${key}`);
    }
    Object.defineProperty(metadata, key, { value: v, enumerable: true, writable: true, configurable: true });
  }
  return metadata;
}

function readUser(value: unknown): string | null {
  if (value === undefined || value === null || value === '') return null;
  if (typeof value !== 'string' || value.length > 256) throw invalidRequest('"user" must be a string of at most 256 characters.', 'user');
  return value;
}

const numberOrNull = (value: unknown): number | null => (typeof value === 'number' && Number.isFinite(value) ? value : null);
