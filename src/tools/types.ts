// Tools and output formats as the gateway understands them, whatever API surface a client
// used to send them (OpenAI's chat completions today; the Responses and Messages APIs next).

/** A JSON Schema object as clients send it. */
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
