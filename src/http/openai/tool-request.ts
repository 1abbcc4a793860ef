// OpenAI's tool, output-format and stop fields → the turn's shape: `tools`, `tool_choice`,
// `parallel_tool_calls`, `response_format` (and the legacy `functions` / `function_call`),
// `stop`. Every problem is a 400 naming the field.

import type { TurnShape } from '../../chat/turn-shape.ts';
import { clientText, invalidRequest } from '../../errors.ts';
import type { JsonSchema, OutputFormat, ToolCall, ToolChoice, ToolSpec } from '../../tools/types.ts';

const MAX_TOOLS = 128;
/** OpenAI's own bound on `stop`. */
export const MAX_STOP = 4;
const NAME = /^[A-Za-z0-9_-]{1,64}$/;

type Body = Record<string, unknown>;

export function readTurnShape(b: Body): TurnShape {
  const legacy = b.tools === undefined && b.functions !== undefined;
  const tools = legacy ? readTools(b.functions, 'functions', false) : readTools(b.tools, 'tools', true);
  const toolChoice = legacy ? readToolChoice(b.function_call, 'function_call', tools) : readToolChoice(b.tool_choice, 'tool_choice', tools);
  const parallel = b.parallel_tool_calls;
  if (parallel !== undefined && parallel !== null && typeof parallel !== 'boolean') throw invalidRequest('"parallel_tool_calls" must be true or false.', 'parallel_tool_calls');
  return { tools, toolChoice, parallelToolCalls: parallel !== false, format: readFormat(b.response_format), stop: readStop(b.stop) };
}

/** `stop`: a string or up to 4; the answer's text ends before the earliest one found (an empty one never matches). */
function readStop(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  if (typeof value === 'string') return [value];
  if (!Array.isArray(value)) throw invalidRequest(`"stop" must be a string or an array of up to ${MAX_STOP} strings.`, 'stop');
  if (value.length > MAX_STOP) throw invalidRequest(`"stop" has ${value.length} entries; at most ${MAX_STOP} are accepted.`, 'stop');
  return value.map((stop: unknown, i) => {
    if (typeof stop !== 'string') throw invalidRequest(`stop[${i}] must be a string (got ${clientText(stop)}).`, `stop[${i}]`);
    return stop;
  });
}

export function readTools(value: unknown, param: string, wrapped: boolean): ToolSpec[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw invalidRequest(`"${param}" must be an array of ${wrapped ? 'tools' : 'functions'}.`, param);
  if (value.length > MAX_TOOLS) throw invalidRequest(`"${param}" has ${value.length} entries; at most ${MAX_TOOLS} are accepted.`, param);
  const seen = new Set<string>();
  return value.map((entry: unknown, i) => {
    const at = `${param}[${i}]`;
    const fn = wrapped ? unwrapTool(entry, at) : entry;
    const where = wrapped ? `${at}.function` : at;
    if (!isObject(fn)) throw invalidRequest(`${where} must be an object with "name" and "parameters".`, where);
    if (typeof fn.name !== 'string' || !NAME.test(fn.name)) {
      throw invalidRequest(`${where}.name must be 1-64 letters, digits, "_" or "-" (got ${clientText(fn.name)}).`, `${where}.name`);
    }
    if (seen.has(fn.name)) throw invalidRequest(`${where}.name ${clientText(fn.name)} is declared twice.`, `${where}.name`);
    seen.add(fn.name);
    if (fn.description !== undefined && fn.description !== null && typeof fn.description !== 'string') {
      throw invalidRequest(`${where}.description must be a string.`, `${where}.description`);
    }
    const parameters = fn.parameters ?? { type: 'object', properties: {} };
    if (!isObject(parameters)) throw invalidRequest(`${where}.parameters must be a JSON Schema object.`, `${where}.parameters`);
    return { name: fn.name, description: typeof fn.description === 'string' ? fn.description : null, parameters: parameters as JsonSchema };
  });
}

function unwrapTool(entry: unknown, at: string): unknown {
  if (!isObject(entry)) throw invalidRequest(`${at} must be an object like {"type":"function","function":{...}}.`, at);
  if (entry.type !== 'function') {
    throw invalidRequest(`${at}.type is ${clientText(entry.type)}, but only "function" tools can be emulated over the upstream.`, `${at}.type`);
  }
  return entry.function;
}

function readToolChoice(value: unknown, param: string, tools: readonly ToolSpec[]): ToolChoice {
  if (value === undefined || value === null || value === 'auto') return { mode: 'auto' };
  if (value === 'none') return { mode: 'none' };
  if (value === 'required' || value === 'any') return { mode: 'required' };
  const name = isObject(value) ? (isObject(value.function) ? value.function.name : value.name) : undefined;
  if (typeof name !== 'string') {
    throw invalidRequest(`"${param}" must be "auto", "none", "required" or {"type":"function","function":{"name":"..."}}.`, param);
  }
  if (!tools.some((t) => t.name === name)) throw invalidRequest(`"${param}" names ${clientText(name)}, which is not among the declared tools.`, param);
  return { mode: 'function', name };
}

function readFormat(value: unknown): OutputFormat {
  if (value === undefined || value === null) return { type: 'text' };
  if (!isObject(value)) throw invalidRequest('"response_format" must be an object like {"type":"json_object"}.', 'response_format');
  switch (value.type) {
    case 'text':
      return { type: 'text' };
    case 'json_object':
      return { type: 'json_object' };
    case 'json_schema': {
      const spec = value.json_schema;
      if (!isObject(spec) || !isObject(spec.schema)) {
        throw invalidRequest('"response_format.json_schema" must be an object with "name" and "schema".', 'response_format.json_schema');
      }
      const name = typeof spec.name === 'string' ? spec.name : 'response';
      return { type: 'json_schema', name, schema: spec.schema as JsonSchema, strict: spec.strict === true };
    }
    default:
      throw invalidRequest(`"response_format.type" must be "text", "json_object" or "json_schema" (got ${clientText(value.type)}).`, 'response_format.type');
  }
}

/** An assistant message's `tool_calls` (or the legacy `function_call`). */
export function readToolCalls(m: Body, param: string): ToolCall[] | undefined {
  if (m.tool_calls === undefined || m.tool_calls === null) {
    if (!isObject(m.function_call)) return undefined;
    return [readCall({ id: `call_legacy_${param.replace(/\D/g, '')}`, type: 'function', function: m.function_call }, `${param}.function_call`)];
  }
  if (!Array.isArray(m.tool_calls)) throw invalidRequest(`${param}.tool_calls must be an array.`, `${param}.tool_calls`);
  return m.tool_calls.map((call: unknown, i) => readCall(call, `${param}.tool_calls[${i}]`));
}

function readCall(call: unknown, at: string): ToolCall {
  if (!isObject(call) || !isObject(call.function)) throw invalidRequest(`${at} must be like {"id":"call_…","type":"function","function":{"name":…,"arguments":"{…}"}}.`, at);
  const { name, arguments: args } = call.function;
  if (typeof name !== 'string' || name === '') throw invalidRequest(`${at}.function.name must be a string.`, `${at}.function.name`);
  const text = typeof args === 'string' ? args : isObject(args) ? JSON.stringify(args) : '{}';
  return { id: typeof call.id === 'string' && call.id !== '' ? call.id : `call_${at.replace(/\W/g, '')}`, name, arguments: text };
}

function isObject(value: unknown): value is Body {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
