// Realistic tools for tests and measurements: ten functions as agents declare them (OpenAI
// SDK / LangChain JS style JSON schemas, one-sentence descriptions, parameter descriptions,
// enums, arrays, a nested object, a nullable field), in the OpenAI wire shape and as ToolSpecs.

import type { JsonSchema, OutputFormat, ToolSpec } from '../../src/tools/types.ts';

const ZOD = { additionalProperties: false, $schema: 'http://json-schema.org/draft-07/schema#' };

export const OPENAI_TOOLS = [
  fn('get_weather', 'Get the current weather in a given location.', {
    type: 'object',
    properties: {
      location: { type: 'string', description: 'The city and state, e.g. San Francisco, CA' },
      unit: { type: 'string', enum: ['celsius', 'fahrenheit'], description: 'The temperature unit to use.' },
    },
    required: ['location'],
  }),
  fn('search_web', 'Search the web and return the most relevant results.', {
    type: 'object',
    properties: {
      query: { type: 'string', description: 'The search query.' },
      max_results: { type: 'integer', description: 'How many results to return.', default: 5 },
    },
    required: ['query'],
    ...ZOD,
  }),
  fn('get_stock_price', 'Get the latest trading price of a stock by its ticker symbol.', {
    type: 'object',
    properties: {
      ticker: { type: 'string', description: 'The ticker symbol, e.g. AAPL.' },
      exchange: { type: 'string', description: 'The exchange, e.g. NASDAQ.' },
    },
    required: ['ticker'],
  }),
  fn('send_email', 'Send an email on behalf of the user to one or more recipients.', {
    type: 'object',
    properties: {
      to: { type: 'array', items: { type: 'string', format: 'email' }, description: 'Recipient addresses.' },
      subject: { type: 'string' },
      body: { type: 'string', description: 'Plain-text body of the email.' },
      cc: { type: 'array', items: { type: 'string' } },
    },
    required: ['to', 'subject', 'body'],
    ...ZOD,
  }),
  fn('create_calendar_event', "Create an event in the user's calendar.", {
    type: 'object',
    properties: {
      title: { type: 'string' },
      start: { type: 'string', format: 'date-time', description: 'Start time, ISO 8601.' },
      end: { type: 'string', format: 'date-time', description: 'End time, ISO 8601.' },
      attendees: { type: 'array', items: { type: 'string' }, description: 'Email addresses of the attendees.' },
      location: { anyOf: [{ type: 'string' }, { type: 'null' }], description: 'Where the event takes place.' },
      reminder: {
        type: 'object',
        properties: { minutes_before: { type: 'integer' }, method: { type: 'string', enum: ['email', 'popup'] } },
        required: ['minutes_before'],
        additionalProperties: false,
      },
    },
    required: ['title', 'start', 'end'],
    ...ZOD,
  }),
  fn('calculator', 'Evaluate a mathematical expression and return the result.', {
    type: 'object',
    properties: { expression: { type: 'string', description: 'The expression, e.g. 2 * (3 + 4).' } },
    required: ['expression'],
    ...ZOD,
  }),
  fn('translate', 'Translate text from one language into another.', {
    type: 'object',
    properties: {
      text: { type: 'string', description: 'The text to translate.' },
      target_language: { type: 'string', description: 'ISO 639-1 code of the target language.' },
      source_language: { type: 'string', description: 'ISO 639-1 code of the source language; detected when omitted.' },
    },
    required: ['text', 'target_language'],
  }),
  fn('get_time', 'Get the current date and time in a time zone.', {
    type: 'object',
    properties: { timezone: { type: 'string', description: 'IANA time zone name, e.g. Europe/Paris.' } },
    required: ['timezone'],
  }),
  fn('lookup_user', 'Look up a user account by email address or user id.', {
    type: 'object',
    properties: {
      email: { type: 'string', description: 'The email address of the user.' },
      user_id: { type: 'integer', description: 'The numeric id of the user.' },
    },
    ...ZOD,
  }),
  fn('list_files', 'List the files in a directory of the workspace.', {
    type: 'object',
    properties: {
      path: { type: 'string', description: 'Directory path relative to the workspace root.' },
      recursive: { type: 'boolean', description: 'Whether to descend into subdirectories.', default: false },
      pattern: { type: 'string', description: 'Glob pattern to filter by, e.g. *.ts.' },
    },
    required: ['path'],
  }),
];

/** The same ten tools as the gateway passes them to src/tools/. */
export const TYPICAL_TOOLS: ToolSpec[] = OPENAI_TOOLS.map((t) => ({ name: t.function.name, description: t.function.description, parameters: t.function.parameters }));

export const tool = (name: string): ToolSpec => {
  const found = TYPICAL_TOOLS.find((t) => t.name === name);
  if (found === undefined) throw new Error(`no fixture tool ${name}`);
  return found;
};

/** A structured-output format as `chat.completions.parse()` with a zod schema sends it (strict). */
export const WEATHER_REPORT: Extract<OutputFormat, { type: 'json_schema' }> = {
  type: 'json_schema',
  name: 'weather_report',
  strict: true,
  schema: {
    type: 'object',
    properties: {
      city: { type: 'string' },
      temperature: { type: 'number' },
      conditions: { type: 'string', enum: ['sunny', 'cloudy', 'rain', 'snow'] },
      advice: { anyOf: [{ type: 'string' }, { type: 'null' }] },
    },
    required: ['city', 'temperature', 'conditions', 'advice'],
    additionalProperties: false,
    $schema: 'http://json-schema.org/draft-07/schema#',
  },
};

function fn(name: string, description: string, parameters: JsonSchema) {
  return { type: 'function' as const, function: { name, description, parameters } };
}
