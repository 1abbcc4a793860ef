// The shapes the tools module works with: declared functions, the caller's tool choice and
// wanted output format, and the calls parsed out of a model's text answer. Surface-neutral:
// the OpenAI, Responses and Anthropic surfaces all map their wire shapes onto these.

/** A JSON Schema object as clients send it (never trusted to be well-formed). */
export type JsonSchema = Record<string, unknown>;

export interface ToolSpec {
  name: string;
  description: string | null;
  parameters: JsonSchema;
}

export type ToolChoice = { mode: 'auto' } | { mode: 'none' } | { mode: 'required' } | { mode: 'function'; name: string };

export type OutputFormat = { type: 'text' } | { type: 'json_object' } | { type: 'json_schema'; name: string; schema: JsonSchema; strict: boolean };

export interface ToolCall {
  id: string;
  name: string;
  /** Compact JSON text of an object. */
  arguments: string;
}
