// OpenAI's `response` object (the Responses API): its ids, its output items (an assistant
// message of output_text, function calls), usage, and the request fields it echoes. One
// builder for the JSON answer, the stream's snapshots and the stored copy GET returns.

import type { GatewayError } from '../../errors.ts';
import type { ToolCall } from '../../tools/types.ts';
import { errorOutcome } from '../error-catalog.ts';
import { usageFor } from './chat-format.ts';
import type { ResponseEcho } from './responses-request.ts';

export interface OutputText {
  type: 'output_text';
  text: string;
  annotations: never[];
}

export interface MessageItem {
  type: 'message';
  id: string;
  status: 'in_progress' | 'completed';
  role: 'assistant';
  content: OutputText[];
}

export interface FunctionCallItem {
  type: 'function_call';
  id: string;
  call_id: string;
  name: string;
  arguments: string;
  status: 'in_progress' | 'completed';
}

export type OutputItem = MessageItem | FunctionCallItem;

export interface ResponseUsage {
  input_tokens: number;
  input_tokens_details: { cached_tokens: number };
  output_tokens: number;
  output_tokens_details: { reasoning_tokens: number };
  total_tokens: number;
}

export type ResponseStatus = 'in_progress' | 'completed' | 'failed';

export interface ResponseObject extends ResponseEcho {
  id: string;
  object: 'response';
  created_at: number;
  status: ResponseStatus;
  completed_at: number | null;
  error: { code: string; message: string } | null;
  incomplete_details: null;
  model: string;
  output: OutputItem[];
  usage: ResponseUsage | null;
  background: false;
  reasoning: null;
  truncation: 'disabled';
  access_programs: null;
}

/** What is fixed before the turn runs: the ids and the echoed request. */
export interface ResponseMeta {
  id: string;
  /** Unix seconds. */
  createdAt: number;
  /** The name the client asked for. */
  model: string;
  echo: ResponseEcho;
}

/** What a turn answered, as far as the response object is concerned. */
export interface AnsweredTurn {
  content: string | null;
  toolCalls: readonly ToolCall[];
  /** The model's words and the prompt sent: usage is estimated from them. */
  text: string;
  prompt: string;
}

const HEX = '0123456789abcdef';

/** prefix + 48 hex digits, like OpenAI's ids; `timeFirst` starts them with the time, so stored rows land at the end of the b-tree. */
export function newItemId(prefix: 'resp' | 'msg' | 'fc', timeFirst = false): string {
  const time = timeFirst ? Date.now().toString(16).padStart(12, '0') : '';
  let id = `${prefix}_${time}`;
  for (const b of crypto.getRandomValues(new Uint8Array(24 - time.length / 2))) id += HEX[b >> 4]! + HEX[b & 15]!;
  return id;
}

export function newResponseMeta(model: string, echo: ResponseEcho): ResponseMeta {
  return { id: newItemId('resp', true), createdAt: Math.floor(Date.now() / 1000), model, echo };
}

/** The object as its stream starts: in progress, no output yet. */
export function inProgressResponse(meta: ResponseMeta): ResponseObject {
  return build(meta, { status: 'in_progress', output: [], usage: null, error: null, completedAt: null });
}

/** The answered response; call once per answer (item ids are made here). */
export function completedResponse(meta: ResponseMeta, answer: AnsweredTurn): ResponseObject {
  const output: OutputItem[] = [];
  if (answer.toolCalls.length === 0 || (answer.content !== null && answer.content !== '')) {
    output.push({ type: 'message', id: newItemId('msg'), status: 'completed', role: 'assistant', content: [outputText(answer.content ?? '')] });
  }
  for (const call of answer.toolCalls) {
    output.push({ type: 'function_call', id: newItemId('fc'), call_id: call.id, name: call.name, arguments: call.arguments, status: 'completed' });
  }
  const { prompt_tokens, completion_tokens, total_tokens } = usageFor(answer.prompt, answer.text);
  const usage: ResponseUsage = {
    input_tokens: prompt_tokens,
    input_tokens_details: { cached_tokens: 0 },
    output_tokens: completion_tokens,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens,
  };
  return build(meta, { status: 'completed', output, usage, error: null, completedAt: Math.floor(Date.now() / 1000) });
}

/** The response a stream ends with when its turn failed after the start. */
export function failedResponse(meta: ResponseMeta, error: GatewayError): ResponseObject {
  return build(meta, { status: 'failed', output: [], usage: null, error: { code: errorOutcome(error), message: error.message }, completedAt: null });
}

export const outputText = (text: string): OutputText => ({ type: 'output_text', text, annotations: [] });

/** DELETE /v1/responses/{id} */
export const responseDeleted = (id: string) => ({ id, object: 'response.deleted' as const, deleted: true as const });

interface State {
  status: ResponseStatus;
  output: OutputItem[];
  usage: ResponseUsage | null;
  error: ResponseObject['error'];
  completedAt: number | null;
}

function build(meta: ResponseMeta, state: State): ResponseObject {
  return {
    id: meta.id,
    object: 'response',
    created_at: meta.createdAt,
    status: state.status,
    completed_at: state.completedAt,
    error: state.error,
    incomplete_details: null,
    model: meta.model,
    output: state.output,
    usage: state.usage,
    background: false,
    reasoning: null,
    truncation: 'disabled',
    access_programs: null,
    ...meta.echo,
  };
}
