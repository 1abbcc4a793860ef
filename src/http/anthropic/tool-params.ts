// The Messages API's tool fields → the turn's shape: `tools` (custom tools: name, description,
// input_schema), `tool_choice` (auto, any, tool, none; disable_parallel_tool_use) and
// `stop_sequences`. Server tools (web search, code execution, …) run on Anthropic's side and
// cannot be emulated over a text-only site: refused, naming the tool. Every problem is a 400
// whose message names the field (Anthropic's error shape has no `param`).

import type { TurnShape } from '../../chat/turn-shape.ts';
import { clientText, invalidRequest } from '../../errors.ts';
import type { JsonSchema, ToolChoice, ToolSpec } from '../../tools/types.ts';

const MAX_TOOLS = 128;
/** Anthropic's tool name rule. */
const NAME = /^[A-Za-z0-9_-]{1,128}$/;
/** Each is searched for in the answer: a bound keeps that cheap. */
export const MAX_STOP_SEQUENCES = 16;

type Body = Record<string, unknown>;

/** The shape of a Messages API turn: its tools, tool choice and stop sequences (the output is always text). */
export function readMessagesShape(b: Body): TurnShape {
  const tools = readTools(b.tools);
  const { choice, parallel } = readToolChoice(b.tool_choice, tools);
  return { tools, toolChoice: choice, parallelToolCalls: parallel, format: { type: 'text' }, stop: readStopSequences(b.stop_sequences) };
}

function readTools(value: unknown): ToolSpec[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw invalidRequest('"tools" must be an array of tools like {"name","description","input_schema"}.', 'tools');
  if (value.length > MAX_TOOLS) throw invalidRequest(`"tools" has ${value.length} entries; at most ${MAX_TOOLS} are accepted.`, 'tools');
  const seen = new Set<string>();
  return value.map((tool: unknown, i) => {
    const at = `tools[${i}]`;
    if (!isObject(tool)) throw invalidRequest(`${at} must be an object like {"name","description","input_schema"}.`, at);
    if (tool.type !== undefined && tool.type !== null && tool.type !== 'custom') {
      throw invalidRequest(
        `${at} is a server or built-in tool (type ${clientText(tool.type)}), which runs on Anthropic's side and cannot be emulated here. ` +
          'Declare custom tools only: {"name","description","input_schema"}.',
        `${at}.type`,
      );
    }
    if (typeof tool.name !== 'string' || !NAME.test(tool.name)) {
      throw invalidRequest(`${at}.name must be 1-128 letters, digits, "_" or "-" (got ${clientText(tool.name)}).`, `${at}.name`);
    }
    if (seen.has(tool.name)) throw invalidRequest(`${at}.name ${clientText(tool.name)} is declared twice.`, `${at}.name`);
    seen.add(tool.name);
    if (tool.description !== undefined && tool.description !== null && typeof tool.description !== 'string') {
      throw invalidRequest(`${at}.description must be a string.`, `${at}.description`);
    }
    if (!isObject(tool.input_schema)) {
      throw invalidRequest(`${at}.input_schema is required: a JSON Schema object like {"type":"object","properties":{…}}.`, `${at}.input_schema`);
    }
    return { name: tool.name, description: typeof tool.description === 'string' ? tool.description : null, parameters: tool.input_schema as JsonSchema };
  });
}

function readToolChoice(value: unknown, tools: readonly ToolSpec[]): { choice: ToolChoice; parallel: boolean } {
  if (value === undefined || value === null) return { choice: { mode: 'auto' }, parallel: true };
  const how = '"tool_choice" must be {"type":"auto"}, {"type":"any"}, {"type":"tool","name":"…"} or {"type":"none"}';
  if (!isObject(value)) throw invalidRequest(`${how}.`, 'tool_choice');
  const disable = value.disable_parallel_tool_use;
  if (disable !== undefined && disable !== null && typeof disable !== 'boolean') {
    throw invalidRequest('"tool_choice.disable_parallel_tool_use" must be true or false.', 'tool_choice.disable_parallel_tool_use');
  }
  const parallel = disable !== true;
  switch (value.type) {
    case 'auto':
      return { choice: { mode: 'auto' }, parallel };
    case 'none':
      return { choice: { mode: 'none' }, parallel };
    case 'any':
      if (tools.length === 0) throw invalidRequest('"tool_choice" is {"type":"any"}, but no "tools" are declared.', 'tool_choice');
      return { choice: { mode: 'required' }, parallel };
    case 'tool': {
      if (typeof value.name !== 'string') throw invalidRequest('"tool_choice.name" must name one of the declared tools.', 'tool_choice.name');
      const name = value.name;
      if (!tools.some((t) => t.name === name)) {
        throw invalidRequest(`"tool_choice.name" is ${clientText(name)}, which is not among the declared tools.`, 'tool_choice.name');
      }
      return { choice: { mode: 'function', name }, parallel };
    }
    default:
      throw invalidRequest(`${how} (got type ${clientText(value.type)}).`, 'tool_choice.type');
  }
}

function readStopSequences(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw invalidRequest('"stop_sequences" must be an array of strings.', 'stop_sequences');
  if (value.length > MAX_STOP_SEQUENCES) {
    throw invalidRequest(`"stop_sequences" has ${value.length} entries; at most ${MAX_STOP_SEQUENCES} are accepted.`, 'stop_sequences');
  }
  return value.map((stop: unknown, i) => {
    if (typeof stop !== 'string' || stop === '') throw invalidRequest(`stop_sequences[${i}] must be a non-empty string.`, `stop_sequences[${i}]`);
    return stop;
  });
}

export function isObject(value: unknown): value is Body {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
