// The OpenAPI 3.1 description of every route in app.ts, written by hand and served at
// /docs/openapi.json (and rendered at /docs). test/http/docs.test.ts checks that it names
// exactly the routes app.ts registers. Lists the code already has (models, roles, health
// states, outcome kinds, ignored parameters, identity actions) are imported, not restated.
// No absolute URL anywhere: the binary serves it offline.

import type { OpenAPIV3_1 } from 'openapi-types';
import { HEALTH_KINDS } from '../../pool/health.ts';
import { OUTCOME_KINDS } from '../../providers/outcome.ts';
import type { ModelInfo } from '../../providers/provider.ts';
import type { ErrorCode } from '../../errors.ts';
import type { OpenAIErrorType } from '../error-catalog.ts';
import { VERSION } from '../../version.ts';
import { IDENTITY_ACTIONS } from '../admin/admin-api.ts';
import { ROUND_TRIP_SKIPS } from '../../chat/canary/site-canary.ts';
import { SITE_STATES } from '../../chat/canary/site-status.ts';
import { IGNORED_PARAMETERS, ROLE_NAMES } from '../openai/chat-request.ts';
import type { AnthropicErrorType } from '../anthropic/anthropic-errors.ts';
import { ANTHROPIC_IGNORED_PARAMETERS } from '../anthropic/messages-request.ts';
import { MAX_STOP_SEQUENCES } from '../anthropic/tool-params.ts';
import { INPUT_ITEM_TYPES, RESPONSES_IGNORED_PARAMETERS } from '../openai/responses-request.ts';
import { MAX_STOP } from '../openai/tool-request.ts';

// ---- types: openapi-types' OpenAPI 3.1, adjusted where this document needs more -----------

type ReferenceObject = OpenAPIV3_1.ReferenceObject;
export type SchemaObject = OpenAPIV3_1.SchemaObject;
export type Schema = SchemaObject | ReferenceObject;
type JsonType = OpenAPIV3_1.NonArraySchemaObjectType | OpenAPIV3_1.ArraySchemaObjectType;

// openapi-types 12.1.3 gives parameters and headers OpenAPI 3.0's schema type; in 3.1 they
// take the same schemas as everything else (`examples`, type lists).
export type ParameterObject = Omit<OpenAPIV3_1.ParameterObject, 'schema'> & { schema: Schema };
export type HeaderObject = Omit<OpenAPIV3_1.HeaderObject, 'schema'> & { schema: Schema };
/** Extension x-sse-data: the JSON carried by each `data:` line of a text/event-stream. */
export type MediaTypeObject = OpenAPIV3_1.MediaTypeObject & { 'x-sse-data'?: Schema };
type HeaderMap = Record<string, HeaderObject | ReferenceObject>;
export type ResponseObject = Omit<OpenAPIV3_1.ResponseObject, 'headers' | 'content'> & { headers?: HeaderMap; content?: Record<string, MediaTypeObject> };
type RequestBodyObject = Omit<OpenAPIV3_1.RequestBodyObject, 'content'> & { content: Record<string, MediaTypeObject> };
export type SecurityRequirement = OpenAPIV3_1.SecurityRequirementObject;

/** Every operation here has tags, a summary, an id, responses and its security ([] = none). */
export type OperationObject = Omit<OpenAPIV3_1.OperationObject, 'parameters' | 'requestBody' | 'responses'> &
  Required<Pick<OpenAPIV3_1.OperationObject, 'tags' | 'summary' | 'operationId' | 'security'>> & {
    parameters?: (ParameterObject | ReferenceObject)[];
    requestBody?: RequestBodyObject;
    responses: Record<string, ResponseObject | ReferenceObject>;
  };

export type PathItemObject = Partial<Record<HttpMethod, OperationObject>>;

/** The document with the parts this gateway fills in always present. */
export type OpenApiDocument = Omit<OpenAPIV3_1.Document, 'paths' | 'components'> & {
  tags: OpenAPIV3_1.TagObject[];
  paths: Record<string, PathItemObject>;
  components: {
    schemas: Record<string, Schema>;
    responses: Record<string, ResponseObject>;
    parameters: Record<string, ParameterObject>;
    headers: Record<string, HeaderObject>;
    securitySchemes: Record<string, OpenAPIV3_1.HttpSecurityScheme>;
  };
};

/** The methods app.ts registers routes with (the order a page lists them in). */
export const HTTP_METHODS = ['get', 'post', 'patch', 'delete'] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];

// ---- helpers ------------------------------------------------------------------------------

const ref = (kind: 'schemas' | 'responses' | 'parameters' | 'headers', name: string): ReferenceObject => ({ $ref: `#/components/${kind}/${name}` });
const schema = (name: string) => ref('schemas', name);
const nullable = (type: JsonType): JsonType[] => [type, 'null'];
const epochMs = (description: string): SchemaObject => ({ type: 'integer', description: `${description} (epoch milliseconds)` });

const TAG = { openai: 'OpenAI-compatible', sessions: 'Sessions', ops: 'Operations', admin: 'Admin', docs: 'Documentation' } as const;

const PUBLIC: SecurityRequirement[] = [];
const API_KEY: SecurityRequirement[] = [{ apiKey: [] }];
const ADMIN: SecurityRequirement[] = [{ adminKey: [] }, { adminBasic: [] }];

/** Every response carries X-Request-Id. */
const withRequestId = (headers: HeaderMap = {}): HeaderMap => ({
  'X-Request-Id': ref('headers', 'XRequestId'),
  ...headers,
});

const json = (body: Schema, description: string, headers?: HeaderMap): ResponseObject => ({
  description,
  headers: withRequestId(headers),
  content: { 'application/json': { schema: body } },
});

const errorResponse = (description: string, headers?: HeaderMap): ResponseObject => json(schema('ErrorResponse'), description, headers);

const pathParam = (name: string, description: string, extra: SchemaObject = {}): ParameterObject => ({
  name,
  in: 'path',
  required: true,
  description,
  schema: { type: 'string', ...extra },
});

const queryInteger = (name: string, description: string, minimum: number, maximum: number | undefined, fallback: number): ParameterObject => ({
  name,
  in: 'query',
  required: false,
  description,
  schema: { type: 'integer', minimum, ...(maximum === undefined ? {} : { maximum }), default: fallback },
});

const ERR = {
  badRequest: ref('responses', 'BadRequest'),
  unauthorized: ref('responses', 'Unauthorized'),
  notFound: ref('responses', 'NotFound'),
  tooLarge: ref('responses', 'PayloadTooLarge'),
  headersTooLarge: ref('responses', 'HeadersTooLarge'),
  rateLimited: ref('responses', 'RateLimited'),
  badGateway: ref('responses', 'BadGateway'),
  unavailable: ref('responses', 'ServiceUnavailable'),
  timeout: ref('responses', 'GatewayTimeout'),
  internal: ref('responses', 'InternalError'),
  adminUnauthorized: ref('responses', 'AdminUnauthorized'),
  adminNotFound: ref('responses', 'AdminNotFound'),
};

// ---- error facts ----------------------------------------------------------------------------

/** OpenAI's error types (error-catalog.ts); a type missing here or unknown there is a compile error. */
const ERROR_TYPES: Record<OpenAIErrorType, 0> = {
  invalid_request_error: 0,
  authentication_error: 0,
  not_found_error: 0,
  rate_limit_error: 0,
  upstream_error: 0,
  server_error: 0,
};

/** Anthropic's error types (anthropic-errors.ts); a type missing here or unknown there is a compile error. */
const ANTHROPIC_ERROR_TYPES: Record<AnthropicErrorType, 0> = {
  invalid_request_error: 0,
  authentication_error: 0,
  permission_error: 0,
  not_found_error: 0,
  request_too_large: 0,
  rate_limit_error: 0,
  api_error: 0,
  overloaded_error: 0,
};

/** A code from errors.ts: one the gateway does not have is a compile error. */
const code = (name: ErrorCode): string => name;

// ---- lists from the code ----------------------------------------------------------------------

/** What an identity's failures are counted by: every outcome kind but ok and cancelled (identity-pool.ts). */
const FAILURE_KINDS = OUTCOME_KINDS.filter((kind) => kind !== 'ok' && kind !== 'cancelled');

/** An identity's fields in a request body (POST: id required; PATCH: none). */
function identityFields(required: string[], description: string): SchemaObject {
  return {
    type: 'object',
    description,
    required,
    properties: {
      id: { type: 'string', minLength: 1, description: 'Unique name, shown in logs and admin output. Cannot be changed (in PATCH it may repeat the path\'s id).' },
      cookies: {
        type: nullable('string'),
        description: 'The Cookie header of a browser session on the site, "name=value; other=value". Absent: an anonymous visitor that collects its own. Never shown again.',
      },
      proxy: { type: nullable('string'), description: 'An HTTP or HTTPS proxy URL for this identity; may carry user:password (shown masked, never logged).' },
      userAgent: { type: nullable('string'), description: 'Browser User-Agent sent upstream.' },
      weight: { type: nullable('number'), minimum: 0.001, description: 'Share of traffic among comparably healthy identities.' },
      maxConcurrent: { type: nullable('integer'), minimum: 1, description: 'Requests in flight at once.' },
      rpm: { type: nullable('integer'), minimum: 0, description: 'Upstream calls in any rolling 60 s; 0 = no limit.' },
      minIntervalMs: { type: nullable('integer'), minimum: 0, maximum: 3_600_000, description: 'Least time between the starts of two upstream calls of this identity (pacing); 0 = none.' },
      jitterMs: { type: nullable('integer'), minimum: 0, maximum: 3_600_000, description: 'A random extra up to this, drawn anew for every gap, so traffic has no regular beat.' },
      enabled: { type: nullable('boolean'), description: 'false keeps it out of rotation; true also ends an operator\'s disable.' },
    },
  };
}

/** The document, for the models the gateway serves (the provider's). */
export function openApiDocument(models: readonly ModelInfo[]): OpenApiDocument {
  const MODEL_IDS = models.map((m) => m.id);

  // ---- schemas --------------------------------------------------------------------------------


  const ignored: Record<string, Schema> = Object.fromEntries(
    IGNORED_PARAMETERS.map((name) => [name, { description: 'Accepted and ignored: kimi-ai.chat answers with its own settings.' } satisfies SchemaObject]),
  );

  const schemas: Record<string, Schema> = {
    ErrorResponse: {
      type: 'object',
      description: "OpenAI's error envelope. Every error status has this body, and so does an error event inside a stream.",
      required: ['error'],
      properties: {
        error: {
          type: 'object',
          required: ['message', 'type', 'param', 'code'],
          properties: {
            message: { type: 'string', description: 'What went wrong and what to do about it.' },
            type: {
              type: 'string',
              enum: Object.keys(ERROR_TYPES),
            },
            param: { type: nullable('string'), description: 'The request field at fault, e.g. "messages[0].role" or "model".', examples: ['messages', 'n'] },
            code: {
              type: nullable('string'),
              description: 'Machine-readable reason (see the responses of each operation).',
              examples: [code('invalid_api_key'), code('model_not_found'), code('context_length_exceeded'), code('upstream_rate_limited')],
            },
            request_id: { type: 'string', description: 'The X-Request-Id of the request, to match a report with the logs.' },
          },
        },
      },
    },

    TextContentPart: {
      type: 'object',
      required: ['type', 'text'],
      description: 'A text part. Image, audio, file and video parts are refused with 400 unsupported_content_type (the site takes text only).',
      properties: {
        type: { type: 'string', enum: ['text', 'input_text'] },
        text: { type: 'string' },
      },
    },

    ChatMessage: {
      type: 'object',
      required: ['role'],
      description:
        'One message. Text parts are joined with a newline. An assistant message may carry tool_calls (rendered into the prompt as the calls it made); a tool message answers one by tool_call_id (rendered under the function\'s name). The latest user message must not be empty.',
      properties: {
        role: {
          type: 'string',
          enum: [...ROLE_NAMES],
          description: 'developer is treated as system, function (legacy) as tool.',
        },
        content: {
          description: 'A string or an array of text parts; required except for assistant and tool messages, where null or absent means empty.',
          oneOf: [{ type: 'string' }, { type: 'array', items: schema('TextContentPart') }, { type: 'null' }],
        },
        tool_calls: { type: 'array', items: schema('ToolCall'), description: 'Assistant messages: the calls the model made.' },
        tool_call_id: { type: 'string', description: 'Tool messages: the call this result answers.' },
        name: { type: 'string', description: 'Tool (legacy function) messages: the function\'s name.' },
      },
    },

    ToolCall: {
      type: 'object',
      required: ['id', 'type', 'function'],
      properties: {
        id: { type: 'string', description: 'call_… (the gateway makes them for the calls it parses).' },
        type: { const: 'function' },
        function: {
          type: 'object',
          required: ['name', 'arguments'],
          properties: { name: { type: 'string' }, arguments: { type: 'string', description: 'A JSON object, as text; checked against the declared parameters.' } },
        },
      },
    },

    Tool: {
      type: 'object',
      required: ['type', 'function'],
      properties: {
        type: { const: 'function', description: 'Only function tools can be emulated.' },
        function: {
          type: 'object',
          required: ['name'],
          properties: {
            name: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$' },
            description: { type: 'string', description: 'Cut short in the prompt; dropped first when the prompt budget is tight.' },
            parameters: { type: 'object', description: 'A JSON Schema, rendered compactly into the prompt (name(city: string, unit?: "c"|"f")).' },
          },
        },
      },
    },

    ChatCompletionRequest: {
      type: 'object',
      required: ['messages'],
      additionalProperties: true,
      description: `The whole conversation is turned into one upstream message of at most CONTEXT_MAX_LENGTH characters, oldest turns dropped first. Unknown fields and the sampling parameters below are accepted and ignored.`,
      properties: {
        model: {
          type: nullable('string'),
          description: `A model id from GET /v1/models, or its upstream name (case-insensitive). Absent, null or "" means ${MODEL_IDS[0]}. Anything else is 404 model_not_found.`,
          examples: [...MODEL_IDS],
        },
        messages: { type: 'array', minItems: 1, items: schema('ChatMessage') },
        stream: { type: nullable('boolean'), default: false, description: 'true: answer as a text/event-stream of chat.completion.chunk objects.' },
        stream_options: {
          type: ['object', 'null'],
          properties: {
            include_usage: { type: nullable('boolean'), default: false, description: 'Send a last chunk with usage and no choices before [DONE].' },
          },
        },
        user: {
          type: nullable('string'),
          maxLength: 256,
          description:
            'Names the conversation (a session) unless the gateway runs with SESSION_USER_FIELD=off; the X-Session-Id header wins over it. Session names must have no control characters.',
        },
        n: { type: nullable('integer'), const: 1, description: 'Must be 1 (or absent): one choice per request.' },
        tools: {
          type: ['array', 'null'],
          maxItems: 128,
          items: schema('Tool'),
          description:
            'Emulated: the tools are described in the prompt (counting against CONTEXT_MAX_LENGTH) and calls are parsed from the answer (<tool_call>{…}</tool_call>, or a fenced JSON variant). Only declared functions are returned, with arguments checked against their schema.',
        },
        tool_choice: {
          description: '"auto" (default), "none" (no tools in the prompt), "required" (one corrective retry, then 502 invalid_model_output), or {"type":"function","function":{"name"}}.',
          oneOf: [{ type: 'string', enum: ['auto', 'none', 'required'] }, { type: 'object' }, { type: 'null' }],
        },
        parallel_tool_calls: { type: nullable('boolean'), default: true, description: 'false: at most one call per answer.' },
        response_format: {
          type: ['object', 'null'],
          description:
            '{"type":"json_object"} or {"type":"json_schema","json_schema":{"name","schema","strict"}}: the format goes into the prompt, the JSON is extracted from the answer (fences, prose) and returned as the whole content; invalid JSON (or, with strict, a schema mismatch) gets one corrective retry, then 502 invalid_model_output.',
          properties: { type: { type: 'string', enum: ['text', 'json_object', 'json_schema'] }, json_schema: { type: 'object' } },
        },
        stop: {
          description: `A string or up to ${MAX_STOP} strings: the answer's text ends before the earliest one found (finish_reason "stop"). The site cannot stop early: the answer is cut when it arrives, before the turn is stored. Tool calls stand; a JSON answer (response_format) is not cut.`,
          oneOf: [{ type: 'string' }, { type: 'array', maxItems: MAX_STOP, items: { type: 'string' } }, { type: 'null' }],
        },
        ...ignored,
      },
      examples: [
        {
          model: MODEL_IDS[0] ?? null,
          messages: [
            { role: 'system', content: 'Answer briefly.' },
            { role: 'user', content: 'Hello' },
          ],
          stream: true,
          stream_options: { include_usage: true },
        },
      ],
    },

    Usage: {
      type: 'object',
      required: ['prompt_tokens', 'completion_tokens', 'total_tokens'],
      description: 'An estimate (the site reports no token counts): one token per 4 ASCII characters, one per other character.',
      properties: {
        prompt_tokens: { type: 'integer', minimum: 0, description: 'For the prompt actually sent upstream.' },
        completion_tokens: { type: 'integer', minimum: 0 },
        total_tokens: { type: 'integer', minimum: 0 },
      },
    },

    ChatCompletion: {
      type: 'object',
      required: ['id', 'object', 'created', 'model', 'choices', 'usage', 'system_fingerprint'],
      properties: {
        id: { type: 'string', pattern: '^chatcmpl-[A-Za-z0-9]{24}$' },
        object: { const: 'chat.completion' },
        created: { type: 'integer', description: 'Unix seconds.' },
        model: { type: 'string', description: 'The public model id (an upstream alias is reported as its id).', enum: [...MODEL_IDS] },
        choices: {
          type: 'array',
          minItems: 1,
          maxItems: 1,
          items: {
            type: 'object',
            required: ['index', 'message', 'logprobs', 'finish_reason'],
            properties: {
              index: { const: 0 },
              message: {
                type: 'object',
                required: ['role', 'content', 'refusal'],
                properties: {
                  role: { const: 'assistant' },
                  content: { type: nullable('string'), description: 'null when the answer is only tool calls.' },
                  tool_calls: { type: 'array', minItems: 1, items: schema('ToolCall') },
                  refusal: { type: 'null' },
                },
              },
              logprobs: { type: 'null' },
              finish_reason: { type: 'string', enum: ['stop', 'tool_calls'] },
            },
          },
        },
        usage: schema('Usage'),
        system_fingerprint: { type: 'null' },
      },
    },

    ChatCompletionChunk: {
      type: 'object',
      required: ['id', 'object', 'created', 'model', 'system_fingerprint', 'choices'],
      description:
        'One streamed chunk. In order: delta {role: "assistant", content: ""}; then delta {content} pieces; then, per tool call, a delta {tool_calls: [{index, id, type, function: {name, arguments: ""}}]} and delta {tool_calls: [{index, function: {arguments}}]} pieces; then an empty delta with finish_reason "stop" or "tool_calls"; then, with stream_options.include_usage, a chunk with no choices and usage. Every chunk of a response has the same id, created and model.',
      properties: {
        id: { type: 'string', pattern: '^chatcmpl-[A-Za-z0-9]{24}$' },
        object: { const: 'chat.completion.chunk' },
        created: { type: 'integer', description: 'Unix seconds.' },
        model: { type: 'string', enum: [...MODEL_IDS] },
        system_fingerprint: { type: 'null' },
        choices: {
          type: 'array',
          maxItems: 1,
          description: 'One choice; empty in the usage chunk.',
          items: {
            type: 'object',
            required: ['index', 'delta', 'logprobs', 'finish_reason'],
            properties: {
              index: { const: 0 },
              delta: {
                type: 'object',
                properties: {
                  role: { const: 'assistant' },
                  content: { type: 'string' },
                  tool_calls: {
                    type: 'array',
                    items: {
                      type: 'object',
                      required: ['index', 'function'],
                      properties: {
                        index: { type: 'integer', minimum: 0 },
                        id: { type: 'string' },
                        type: { const: 'function' },
                        function: { type: 'object', properties: { name: { type: 'string' }, arguments: { type: 'string' } } },
                      },
                    },
                  },
                },
              },
              logprobs: { type: 'null' },
              finish_reason: { type: nullable('string'), enum: ['stop', 'tool_calls', null] },
            },
          },
        },
        usage: schema('Usage'),
      },
    },

    Model: {
      type: 'object',
      required: ['id', 'object', 'created', 'owned_by'],
      properties: {
        id: { type: 'string', enum: [...MODEL_IDS] },
        object: { const: 'model' },
        created: { type: 'integer', description: 'Unix seconds (fixed).' },
        owned_by: { const: 'moonshotai' },
      },
    },

    ModelList: {
      type: 'object',
      required: ['object', 'data'],
      properties: { object: { const: 'list' }, data: { type: 'array', items: schema('Model') } },
    },

    SessionDeleted: {
      type: 'object',
      required: ['id', 'object', 'deleted'],
      properties: { id: { type: 'string' }, object: { const: 'session.deleted' }, deleted: { const: true } },
    },

    ...responsesSchemas(MODEL_IDS),

    Index: {
      type: 'object',
      required: ['name', 'version', 'docs', 'endpoints'],
      properties: {
        name: { const: 'kimi-gateway' },
        version: { type: 'string', examples: [VERSION] },
        docs: { const: '/docs' },
        endpoints: { type: 'array', items: { type: 'string' }, description: 'The main endpoints (not a complete list: this document is).' },
      },
    },

    Health: {
      type: 'object',
      required: ['status'],
      properties: { status: { const: 'ok' } },
    },

    IdentityStateCounts: {
      type: 'object',
      description: 'How many identities are in each state.',
      required: [...HEALTH_KINDS],
      properties: Object.fromEntries(HEALTH_KINDS.map((kind) => [kind, { type: 'integer', minimum: 0 }])),
    },

    Readiness: {
      type: 'object',
      required: ['status', 'identities', 'queueDepth', 'storage', 'site'],
      properties: {
        status: {
          type: 'string',
          enum: ['ready', 'stopping', 'storage_unavailable', 'site_drift', 'site_down', 'no_identity_available'],
          description:
            'stopping: shutdown began (draining); storage_unavailable: the database cannot be written; site_drift / site_down: the site canary failed twice in a row (see site).',
        },
        site: schema('SiteReadiness'),
        identities: schema('IdentityStateCounts'),
        queueDepth: { type: 'integer', minimum: 0, description: 'Requests waiting for a free identity.' },
        storage: {
          oneOf: [
            { type: 'object', required: ['status'], properties: { status: { const: 'ok' } } },
            {
              type: 'object',
              required: ['status', 'reason', 'code', 'since'],
              properties: {
                status: { const: 'failing' },
                reason: { type: 'string', description: "SQLite's message, e.g. database or disk is full." },
                code: { type: 'string', description: 'The SQLite error code, e.g. SQLITE_FULL.' },
                since: epochMs('When the failure began'),
              },
            },
          ],
        },
      },
    },

    IdentityView: {
      type: 'object',
      description: 'One upstream identity as the operator sees it. Cookies never appear; a proxy\'s user name and password are masked.',
      required: [
        'id',
        'enabled',
        'state',
        'reason',
        'since',
        'cooldownRemainingMs',
        'inFlight',
        'maxConcurrent',
        'rpm',
        'requests',
        'successes',
        'failures',
        'latencyAvgMs',
        'nonceAgeMs',
        'lastError',
        'proxy',
      ],
      properties: {
        id: { type: 'string' },
        enabled: { type: 'boolean' },
        state: { type: 'string', enum: [...HEALTH_KINDS] },
        reason: { type: 'string', description: 'Why it is in this state.' },
        since: epochMs('When it entered this state'),
        cooldownRemainingMs: { type: nullable('integer'), minimum: 0, description: 'Until it may be tried again; null when the state has no end time.' },
        inFlight: { type: 'integer', minimum: 0 },
        maxConcurrent: { type: 'integer', minimum: 1 },
        rpm: { type: 'integer', minimum: 0, description: 'Most upstream calls in any rolling 60 seconds; 0 = no limit.' },
        requests: { type: 'integer', minimum: 0 },
        successes: { type: 'integer', minimum: 0 },
        failures: {
          type: 'object',
          additionalProperties: { type: 'integer' },
          description: `Count per failure kind (${FAILURE_KINDS.join(', ')}).`,
        },
        latencyAvgMs: { type: nullable('integer'), description: 'Mean latency of its successful calls; null before the first.' },
        nonceAgeMs: { type: nullable('integer'), description: 'Age of its nonce; null when it has none yet.' },
        lastError: {
          type: ['object', 'null'],
          required: ['kind', 'detail', 'at'],
          properties: { kind: { type: 'string', enum: FAILURE_KINDS }, detail: { type: 'string', maxLength: 200 }, at: epochMs('When') },
        },
        proxy: { type: nullable('string'), description: 'Its proxy with the credentials masked, or null.' },
      },
    },

    IdentityList: {
      type: 'object',
      required: ['now', 'queueDepth', 'identities'],
      properties: {
        now: epochMs('Server time of the snapshot'),
        queueDepth: { type: 'integer', minimum: 0 },
        identities: { type: 'array', items: schema('IdentityView') },
      },
    },

    IdentityActionResult: {
      type: 'object',
      required: ['id', 'action', 'ok', 'message', 'identity'],
      description: 'A refresh or probe that failed is still a 200, with ok false and the reason in message.',
      properties: {
        id: { type: 'string' },
        action: { type: 'string', enum: [...IDENTITY_ACTIONS] },
        ok: { type: 'boolean' },
        message: { type: 'string', examples: ['probe answered in 812 ms'] },
        identity: schema('IdentityView'),
      },
    },

    ReloadResult: {
      type: 'object',
      required: ['ok', 'added', 'removed', 'kept'],
      properties: {
        ok: { const: true },
        added: { type: 'array', items: { type: 'string' }, description: 'Identity ids that joined.' },
        removed: { type: 'array', items: { type: 'string' }, description: 'Identity ids that left (they finish their in-flight requests).' },
        kept: { type: 'array', items: { type: 'string' }, description: 'Identity ids kept, with their state.' },
      },
    },

    IdentityFields: identityFields(
      ['id'],
      'A new identity, as the account file has it (accounts.example.json): the same fields, checked by the same rules. Fields left out (or null) take the file\'s "defaults", else the built-in ones. Keys starting with _ or $ are comments, kept in the file; any other field is refused.',
    ),

    IdentityChanges: identityFields(
      [],
      'The fields to change; the others stay as they are. null removes a field from the identity, so its default applies. New cookies replace the stored ones and clear a challenge. Keys starting with _ or $ are comments, kept in the file; any other field is refused.',
    ),

    IdentitySettings: {
      type: 'object',
      description:
        'The settings in effect, for an edit form. Cookies are never shown (hasCookies says whether the identity has its own); the proxy\'s user name and password are masked. Settings added to the account file later appear here too.',
      required: ['id', 'hasCookies', 'proxy', 'userAgent', 'weight', 'maxConcurrent', 'rpm', 'minIntervalMs', 'jitterMs', 'enabled', 'inherited'],
      properties: {
        id: { type: 'string' },
        hasCookies: { type: 'boolean', description: 'The identity has cookies of its own (false: an anonymous visitor that collects its own).' },
        proxy: { type: nullable('string'), description: 'The proxy URL with its user name and password replaced by ***.' },
        userAgent: { type: nullable('string'), description: 'null: the built-in browser User-Agent.' },
        weight: { type: 'number' },
        maxConcurrent: { type: 'integer', minimum: 1 },
        rpm: { type: 'integer', minimum: 0, description: '0 = no limit.' },
        minIntervalMs: { type: 'integer', minimum: 0, description: 'Pacing: least time between the starts of two calls; 0 = none.' },
        jitterMs: { type: 'integer', minimum: 0, description: 'Pacing: random extra per gap, up to this.' },
        enabled: { type: 'boolean', description: 'As the account file says; IdentityView.enabled is false also while an operator has it disabled.' },
        inherited: { type: 'array', items: { type: 'string' }, description: 'Settings the identity does not set itself: their values come from the file\'s "defaults" or the built-in ones.', examples: [['userAgent', 'rpm']] },
      },
    },

    IdentityDetail: {
      type: 'object',
      required: ['identity', 'settings'],
      properties: { identity: schema('IdentityView'), settings: schema('IdentitySettings') },
    },

    IdentityDeleted: {
      type: 'object',
      required: ['id', 'deleted', 'inFlight'],
      properties: {
        id: { type: 'string' },
        deleted: { const: true },
        inFlight: { type: 'integer', minimum: 0, description: 'Requests still running on it: they finish, then it is gone.' },
      },
    },

    ProbeStep: {
      oneOf: [
        { type: 'object', required: ['ok', 'ms'], properties: { ok: { const: true }, ms: { type: 'integer', minimum: 0 } } },
        {
          type: 'object',
          required: ['ok', 'kind', 'detail'],
          properties: {
            ok: { const: false },
            kind: { type: 'string', enum: [...FAILURE_KINDS, 'cancelled'], description: 'The upstream outcome.' },
            detail: { type: 'string', description: 'Short, with the identity\'s cookies and proxy credentials masked.' },
          },
        },
        { type: 'object', required: ['ok', 'why'], properties: { ok: { const: null }, why: { type: 'string', examples: ['skipped (no nonce)'] } } },
      ],
    },

    IdentityProbeResult: {
      type: 'object',
      description: 'A check of an identity that is not saved: its chat page and nonce, then one tiny message (no retry). A failed check is still a 200, with ok false.',
      required: ['id', 'saved', 'ok', 'proxy', 'page', 'message', 'summary'],
      properties: {
        id: { type: 'string' },
        saved: { const: false },
        ok: { type: 'boolean', description: 'The page, the nonce and the message worked.' },
        proxy: { type: nullable('string'), description: 'The proxy used, masked.' },
        page: schema('ProbeStep'),
        message: schema('ProbeStep'),
        summary: { type: 'string', examples: ['works: chat page and nonce ok in 84 ms; message ok in 412 ms'] },
      },
    },

    SessionSummary: {
      type: 'object',
      description: 'A stored conversation, without its content.',
      required: ['owner', 'id', 'named', 'upstreamSessionId', 'identityId', 'turns', 'messages', 'createdAt', 'lastUsedAt', 'expiresAt'],
      properties: {
        owner: { type: 'string', description: 'The API key\'s name ("key-" + 8 hex digits, or "open" without keys), never the key.', examples: ['key-1a2b3c4d'] },
        id: { type: 'string', description: 'The name the client gave (X-Session-Id or user), or "conv_…" for a recognised conversation.' },
        named: { type: 'boolean', description: 'true: named by the client; false: recognised from its messages.' },
        upstreamSessionId: { type: 'string' },
        identityId: { type: nullable('string'), description: 'The identity that answered its last turn.' },
        turns: { type: 'integer', minimum: 0 },
        messages: { type: 'integer', minimum: 0, description: 'Messages stored (0 for recognised conversations, whose text is never stored).' },
        createdAt: epochMs('Created'),
        lastUsedAt: epochMs('Last turn'),
        expiresAt: epochMs('Expires'),
      },
    },

    SessionList: {
      type: 'object',
      required: ['object', 'total', 'limit', 'offset', 'data', 'has_more'],
      properties: {
        object: { const: 'list' },
        total: { type: 'integer', minimum: 0, description: 'Sessions stored, including expired ones not pruned yet.' },
        limit: { type: 'integer' },
        offset: { type: 'integer' },
        data: { type: 'array', items: schema('SessionSummary'), description: 'Live sessions, most recently used first.' },
        has_more: { type: 'boolean', description: 'true when the page is full (the next page may be empty).' },
      },
    },

    AdminSessionDeleted: {
      type: 'object',
      required: ['id', 'object', 'deleted', 'count'],
      properties: {
        id: { type: 'string' },
        object: { const: 'session.deleted' },
        deleted: { const: true },
        count: { type: 'integer', minimum: 1, description: 'Sessions deleted (one per owner that had this id).' },
      },
    },

    RequestRecord: {
      type: 'object',
      description: 'One finished request.',
      required: ['id', 'at', 'method', 'route', 'status', 'keyName', 'model', 'stream', 'identity', 'attempts', 'outcome', 'result', 'durationMs', 'upstreamMs', 'firstContentMs', 'queueWaitMs'],
      properties: {
        id: { type: 'string', description: 'Its X-Request-Id.' },
        at: epochMs('Arrival'),
        method: { type: 'string' },
        route: { type: 'string', description: 'The route pattern, not the raw path ("unmatched" when none matched).', examples: ['/v1/chat/completions'] },
        path: { type: 'string', maxLength: 200, description: 'Only when no route matched: the path asked for (no query), bounded.' },
        status: { type: 'integer' },
        keyName: { type: nullable('string'), description: 'Name of the client key used, never the key.' },
        model: {
          type: nullable('string'),
          maxLength: 100,
          description: 'Chat requests only: the public model id, or for a request refused before its model was accepted the name the client sent (bounded).',
        },
        stream: { type: 'boolean' },
        identity: { type: nullable('string'), description: 'The identity that answered, or the last one tried.' },
        attempts: { type: 'integer', minimum: 0, description: 'Identities tried.' },
        outcome: { type: 'string', description: '"ok", an upstream outcome kind or an error code.', examples: ['ok', 'rate_limited', 'invalid_request_error'] },
        result: {
          type: 'string',
          enum: ['ok', 'client_error', 'failed'],
          description: 'Whose fault: client_error is a 4xx other than 429, or a client that left; failed is a 5xx, a 429, or a stream that broke after its start.',
        },
        durationMs: { type: 'number' },
        upstreamMs: { type: nullable('number') },
        firstContentMs: { type: nullable('number') },
        queueWaitMs: { type: nullable('number') },
      },
    },

    ActivityBucket: {
      type: 'object',
      required: ['t', 'ok', 'clientErrors', 'failed', 'outcomes'],
      properties: {
        t: epochMs('Bucket start'),
        ok: { type: 'integer', minimum: 0 },
        clientErrors: { type: 'integer', minimum: 0, description: "Refused for the client's own doing: a 4xx other than 429, or a client that left." },
        failed: { type: 'integer', minimum: 0, description: 'What the gateway or the site failed: 5xx, 429, a stream that broke after its start.' },
        outcomes: { type: 'object', additionalProperties: { type: 'integer' }, description: 'Count per outcome ("ok" included).' },
      },
    },

    SiteReadiness: {
      type: 'object',
      description: "The site canary's verdict (CANARY_INTERVAL_MS). GET /admin/canary has the details.",
      required: ['state', 'reason', 'since', 'lastRunAt'],
      properties: {
        state: {
          type: 'string',
          enum: ['off', ...SITE_STATES],
          description: 'off: CANARY_INTERVAL_MS=0; unknown: no run passed and fewer than two failed yet; drift: the chat page (or an answer) is not in the shape the gateway reads; down: the site cannot be reached.',
        },
        reason: { type: nullable('string'), description: 'What was wrong in the latest failed run, while drift or down (secrets masked).' },
        since: { type: nullable('integer'), description: 'When the state began (epoch milliseconds); null when off.' },
        lastRunAt: { type: nullable('integer'), description: 'When the last run began (epoch milliseconds).' },
      },
    },

    CanaryRun: {
      type: 'object',
      required: ['at', 'durationMs', 'result', 'reason', 'excerpt', 'page', 'roundTrip'],
      properties: {
        at: epochMs('When the run began'),
        durationMs: { type: 'integer', minimum: 0 },
        result: { type: 'string', enum: ['ok', 'drift', 'down'], description: 'The run as a whole: the page check, or the round trip when it failed for a reason of the site.' },
        reason: { type: nullable('string'), description: 'What was wrong (null when ok), secrets masked.' },
        excerpt: { type: nullable('string'), description: "A short excerpt of what the site sent instead (a changed page's title), secrets masked." },
        page: { type: 'string', enum: ['ok', 'drift', 'down'], description: 'The page check alone.' },
        roundTrip: {
          oneOf: [
            {
              type: 'object',
              required: ['sent', 'why'],
              properties: { sent: { const: false }, why: { type: 'string', enum: [...ROUND_TRIP_SKIPS], description: 'Why no message was sent.' } },
            },
            {
              type: 'object',
              required: ['sent', 'identity', 'outcome', 'detail', 'latencyMs'],
              properties: {
                sent: { const: true },
                identity: { type: 'string', description: 'The ready identity it went through.' },
                outcome: { type: 'string', enum: [...OUTCOME_KINDS] },
                detail: { type: nullable('string') },
                latencyMs: { type: 'integer', minimum: 0 },
              },
            },
          ],
          description: 'The tiny message sent when no upstream answer succeeded since the last run.',
        },
      },
    },

    CanaryStatus: {
      type: 'object',
      required: ['now', 'enabled', 'site', 'intervalMs', 'state', 'reason', 'excerpt', 'since', 'consecutiveFailures', 'lastRun', 'nextRunAt', 'runs'],
      properties: {
        now: epochMs("The gateway's clock"),
        enabled: { type: 'boolean', description: 'False when CANARY_INTERVAL_MS=0.' },
        site: { type: 'string', description: "The site's name." },
        intervalMs: { type: 'integer', minimum: 0 },
        state: { type: 'string', enum: ['off', ...SITE_STATES], description: 'As in /readyz: drift or down after two failed runs in a row; one passing run clears it.' },
        reason: { type: nullable('string') },
        excerpt: { type: nullable('string') },
        since: { type: nullable('integer'), description: 'When the state began (epoch milliseconds).' },
        consecutiveFailures: { type: 'integer', minimum: 0 },
        lastRun: { anyOf: [schema('CanaryRun'), { type: 'null' }] },
        nextRunAt: { type: nullable('integer'), description: 'When the next run is due (epoch milliseconds).' },
        runs: {
          type: 'object',
          required: ['ok', 'drift', 'down'],
          properties: { ok: { type: 'integer', minimum: 0 }, drift: { type: 'integer', minimum: 0 }, down: { type: 'integer', minimum: 0 } },
          description: 'Runs since start, by result.',
        },
      },
    },

    ActivitySnapshot: {
      type: 'object',
      required: ['bucketMs', 'buckets', 'recent'],
      properties: {
        bucketMs: { type: 'integer', description: 'Bucket width (10000).' },
        buckets: { type: 'array', items: schema('ActivityBucket'), description: 'Oldest first, continuous, the current (partial) bucket last.' },
        recent: { type: 'array', items: schema('RequestRecord'), description: 'The last requests (up to 50), newest first.' },
      },
    },
  };

  // ---- reusable parts ---------------------------------------------------------------------

  const headers: Record<string, HeaderObject> = {
    XRequestId: {
      description: "The request's id: the client's own X-Request-Id when it is 1-128 characters of [A-Za-z0-9_.:-], else a new req_… id. Also in error bodies and logs.",
      schema: { type: 'string' },
    },
    RetryAfter: { description: 'Seconds to wait before retrying.', schema: { type: 'integer', minimum: 1 } },
    XSessionId: {
      description: "The conversation's id. Non-streamed answers: always (unless the name is not printable ASCII). Streams: only when the client named the session.",
      schema: { type: 'string' },
    },
    XContextDroppedMessages: {
      description: 'How many of the oldest messages were left out to fit CONTEXT_MAX_LENGTH. Streams: only when the request names no session (it counts the request\'s own messages).',
      schema: { type: 'integer', minimum: 0 },
    },
    WwwAuthenticate: { description: 'Basic realm="kimi-gateway admin", charset="UTF-8" (a browser then asks for the password).', schema: { type: 'string' } },
  };

  const responses: Record<string, ResponseObject> = {
    BadRequest: errorResponse(
      `Invalid request: malformed or empty JSON, missing or empty messages, bad role or content, n other than 1 (code null); ${code('context_length_exceeded')} (system text plus newest message do not fit); ${code('unsupported_content_type')} (image/audio/file parts); ${code('upstream_refused')} (the site refused the message); a bad X-Session-Id or user.`,
    ),
    Unauthorized: errorResponse(
      `${code('invalid_api_key')}: missing or wrong API key (checked before the body is read). Keys come from "Authorization: Bearer <key>" or "x-api-key: <key>" only, never from the URL or the body.`,
    ),
    NotFound: errorResponse(`${code('model_not_found')}: no such model (the message lists the available ones).`),
    PayloadTooLarge: errorResponse(`${code('request_too_large')}: the body is larger than MAX_BODY_BYTES (by Content-Length, or counted while a chunked body is read).`),
    HeadersTooLarge: errorResponse(
      `${code('request_headers_too_large')}: the request line and headers are over 16 KiB. (Over 64 KiB, or with control characters in a header, Bun itself answers an empty 431/400: docs/BUILD.md.)`,
    ),
    RateLimited: errorResponse(
      `${code('upstream_rate_limited')} (the site rate-limited every identity tried) or ${code('identities_busy')} (every identity cooling or at its limits, and the queue is full or the wait ran out).`,
      { 'Retry-After': ref('headers', 'RetryAfter') },
    ),
    BadGateway: errorResponse(
      `${code('upstream_unavailable')}, ${code('upstream_protocol_error')} or ${code('upstream_nonce_rejected')}: the site failed or answered unexpectedly; ${code('upstream_too_large')}: its answer exceeded UPSTREAM_MAX_BYTES; ${code('invalid_model_output')}: the model did not call a tool that tool_choice requires, or did not answer with the JSON response_format asks for, even after one corrective retry. The message is fixed per code and never quotes the site.`,
    ),
    ServiceUnavailable: errorResponse(
      `${code('upstream_challenged')} (Cloudflare challenged the identities tried) or ${code('no_identity_available')} (every identity is challenged or disabled): the operator must act; ${code('storage_unavailable')}: the gateway cannot write its database (disk full, I/O error), so the turn was not carried out.`,
    ),
    GatewayTimeout: errorResponse(`${code('upstream_timeout')}: no answer within REQUEST_TIMEOUT_MS.`),
    InternalError: errorResponse(`${code('internal_error')}: a bug in the gateway (logged). Never used for upstream problems.`),
    AdminUnauthorized: errorResponse(`${code('invalid_admin_key')}: missing or wrong admin key.`, { 'WWW-Authenticate': ref('headers', 'WwwAuthenticate') }),
    AdminNotFound: errorResponse(`${code('admin_disabled')}: the gateway runs without ADMIN_KEY, so the admin API and dashboard are off.`),
  };

  const parameters: Record<string, ParameterObject> = {
    XRequestId: {
      name: 'X-Request-Id',
      in: 'header',
      required: false,
      description: 'Your own request id (1-128 characters of [A-Za-z0-9_.:-]); echoed in the response, logs and error bodies. Accepted by every endpoint.',
      schema: { type: 'string', pattern: '^[A-Za-z0-9_.:-]{1,128}$' },
    },
    XSessionId: {
      name: 'X-Session-Id',
      in: 'header',
      required: false,
      description:
        'Names the conversation (wins over `user`): send only the new message and the gateway puts the stored history in front of it. At most 256 printable characters. Ids are per API key.',
      schema: { type: 'string', maxLength: 256 },
    },
  };

  const REQUEST_ID_PARAM = ref('parameters', 'XRequestId');

  const securitySchemes: Record<string, OpenAPIV3_1.HttpSecurityScheme> = {
    apiKey: {
      type: 'http',
      scheme: 'bearer',
      description:
        'A client key from API_KEYS (or API_MASTER_KEY) as "Authorization: Bearer <key>" (scheme case-insensitive, spaces around the key ignored), or as "x-api-key: <key>". Never accepted from the URL or the body. Without any key configured the /v1 API is open.',
    },
    adminKey: { type: 'http', scheme: 'bearer', description: 'ADMIN_KEY as "Authorization: Bearer <key>".' },
    adminBasic: { type: 'http', scheme: 'basic', description: 'HTTP Basic with ADMIN_KEY as the password (any user name): what a browser sends for /dashboard.' },
  };

  // ---- operations ---------------------------------------------------------------------------

  const html = (description: string, extra: Record<string, ResponseObject | ReferenceObject> = {}): Record<string, ResponseObject | ReferenceObject> => ({
    '200': {
      description,
      headers: withRequestId({ 'Content-Security-Policy': { description: 'Allows only the page\'s own inline script and style.', schema: { type: 'string' } } }),
      content: { 'text/html': { schema: { type: 'string' } } },
    },
    ...extra,
  });

  const adminErrors = { '401': ERR.adminUnauthorized, '404': ERR.adminNotFound };

  const identityParams: ParameterObject[] = [
    pathParam('id', 'Identity id (from GET /admin/identities).'),
    pathParam('action', 'disable: takes no new requests; enable: back in rotation, failure history forgotten; refresh: fetch the chat page for a new nonce; probe: send one tiny message through it now.', {
      enum: [...IDENTITY_ACTIONS],
    }),
  ];

  const identityIdParam = pathParam('id', 'Identity id (from GET /admin/identities).');

  /** What adding, changing or removing an identity can answer besides success (`conflicts`: the operation's own 409s). */
  const identityChangeErrors = (conflicts: string): Record<string, ResponseObject> => ({
    '400': errorResponse('A field is not valid (param names it, the message says what is wrong), an unknown field, or the body is not a JSON object.'),
    '403': errorResponse(`${code('cross_site_request')}: sent with browser (Basic) credentials from another site.`),
    '409': errorResponse(
      `${conflicts}${code('accounts_file_changed')} (the file was edited on disk since the gateway read it: POST /admin/reload first; the edit is kept), or ${code('no_accounts_file')} (the gateway runs without ACCOUNTS_FILE).`,
    ),
    '413': errorResponse(`${code('request_too_large')}: the body is over 64 KiB.`),
    '503': errorResponse(`${code('accounts_write_failed')}: the account file (or a temp file beside it) could not be written; nothing changed.`),
  });

  const paths: Record<string, PathItemObject> = {
    '/': {
      get: {
        tags: [TAG.docs],
        operationId: 'index',
        summary: 'Name, version and the main endpoints',
        security: PUBLIC,
        parameters: [REQUEST_ID_PARAM],
        responses: { '200': json(schema('Index'), 'The gateway.') },
      },
    },

    '/docs': {
      get: {
        tags: [TAG.docs],
        operationId: 'docsPage',
        summary: 'This API description as a page',
        description: 'Self-contained HTML (no external resource), rendered from the embedded OpenAPI document.',
        security: PUBLIC,
        parameters: [REQUEST_ID_PARAM],
        responses: html('The page.'),
      },
    },

    '/docs/openapi.json': {
      get: {
        tags: [TAG.docs],
        operationId: 'openApiDocument',
        summary: 'This OpenAPI 3.1 document',
        security: PUBLIC,
        parameters: [REQUEST_ID_PARAM],
        responses: { '200': json({ type: 'object', description: 'OpenAPI 3.1.0.' }, 'The document.') },
      },
    },

    '/v1/models': {
      get: {
        tags: [TAG.openai],
        operationId: 'listModels',
        summary: 'List the models',
        security: API_KEY,
        parameters: [REQUEST_ID_PARAM],
        responses: { '200': json(schema('ModelList'), 'The models.'), '401': ERR.unauthorized },
      },
    },

    '/v1/models/{id}': {
      get: {
        tags: [TAG.openai],
        operationId: 'getModel',
        summary: 'One model',
        description: 'The upstream name is accepted too (URL-encode its slash: moonshotai%2FKimi-K2-Instruct) and answers with the public model.',
        security: API_KEY,
        parameters: [pathParam('id', 'A model id.', { examples: [...MODEL_IDS] }), REQUEST_ID_PARAM],
        responses: { '200': json(schema('Model'), 'The model.'), '401': ERR.unauthorized, '404': ERR.notFound },
      },
    },

    '/v1/chat/completions': {
      post: {
        tags: [TAG.openai],
        operationId: 'createChatCompletion',
        summary: 'Chat with Kimi K2',
        description:
          'The whole conversation goes upstream as one message: system and developer messages first, then the turns as "Role: text", oldest turns dropped to fit CONTEXT_MAX_LENGTH. ' +
          'A conversation is continued when named (X-Session-Id header or `user`) or recognised from its earlier turns. ' +
          'With stream: true the answer is a text/event-stream: the role chunk at once, ": keep-alive" comments while the site works, the content chunks, the finish chunk, the optional usage chunk, then "data: [DONE]". ' +
          'A refusal known before the stream starts (429/503 from the pool, any 4xx) gets its status; a failure after the start is sent as one `data: {"error": {...}}` event and the stream ends without [DONE].',
        security: API_KEY,
        parameters: [ref('parameters', 'XSessionId'), REQUEST_ID_PARAM],
        requestBody: { required: true, content: { 'application/json': { schema: schema('ChatCompletionRequest') } } },
        responses: {
          '200': {
            description: 'The answer: a chat.completion object, or (stream: true) an SSE stream of chat.completion.chunk objects.',
            headers: withRequestId({
              'X-Session-Id': ref('headers', 'XSessionId'),
              'X-Context-Dropped-Messages': ref('headers', 'XContextDroppedMessages'),
            }),
            content: {
              'application/json': { schema: schema('ChatCompletion') },
              'text/event-stream': {
                schema: {
                  type: 'string',
                  description:
                    'Frames "data: <json>\\n\\n" (x-sse-data: a chat.completion.chunk, or an error envelope after a failure), ": keep-alive\\n\\n" comments, and a final "data: [DONE]\\n\\n" on success.',
                },
                'x-sse-data': { oneOf: [schema('ChatCompletionChunk'), schema('ErrorResponse')] },
                example:
                  'data: {"id":"chatcmpl-…","object":"chat.completion.chunk","created":1757030400,"model":"kimi-k2-instruct-0905","system_fingerprint":null,"choices":[{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}]}\n\n' +
                  ': keep-alive\n\n' +
                  'data: {"id":"chatcmpl-…","object":"chat.completion.chunk","created":1757030400,"model":"kimi-k2-instruct-0905","system_fingerprint":null,"choices":[{"index":0,"delta":{"content":"Hello!"},"logprobs":null,"finish_reason":null}]}\n\n' +
                  'data: {"id":"chatcmpl-…","object":"chat.completion.chunk","created":1757030400,"model":"kimi-k2-instruct-0905","system_fingerprint":null,"choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}]}\n\n' +
                  'data: [DONE]\n\n',
              },
            },
          },
          '400': ERR.badRequest,
          '401': ERR.unauthorized,
          '404': ERR.notFound,
          '413': ERR.tooLarge,
          '429': ERR.rateLimited,
          '431': ERR.headersTooLarge,
          '500': ERR.internal,
          '502': ERR.badGateway,
          '503': ERR.unavailable,
          '504': ERR.timeout,
        },
      },
    },

    ...responsesPaths(),

    '/v1/sessions/{id}': {
      delete: {
        tags: [TAG.sessions],
        operationId: 'deleteSession',
        summary: 'End one of your conversations',
        description: 'Only sessions of the calling API key: another key cannot see or end them.',
        security: API_KEY,
        parameters: [pathParam('id', 'The session id (X-Session-Id, the `user` value, or a returned conv_… id).'), REQUEST_ID_PARAM],
        responses: {
          '200': json(schema('SessionDeleted'), 'Deleted.'),
          '401': ERR.unauthorized,
          '404': errorResponse(`${code('session_not_found')}: no such session for this key (expired or deleted already).`),
          '503': errorResponse(`${code('storage_unavailable')}: the gateway cannot write its database right now; nothing was deleted.`),
        },
      },
    },

    '/healthz': {
      get: {
        tags: [TAG.ops],
        operationId: 'healthz',
        summary: 'Liveness: the process answers',
        security: PUBLIC,
        parameters: [REQUEST_ID_PARAM],
        responses: { '200': json(schema('Health'), 'Alive.') },
      },
    },

    '/readyz': {
      get: {
        tags: [TAG.ops],
        operationId: 'readyz',
        summary: 'Readiness: some identity can take a request now',
        security: PUBLIC,
        parameters: [REQUEST_ID_PARAM],
        responses: {
          '200': json(schema('Readiness'), 'Ready (status "ready").'),
          '503': json(
            schema('Readiness'),
            'Not ready: no identity available, the database cannot be written (status "storage_unavailable"), the site canary marked the site changed or unreachable (status "site_drift" / "site_down", why in site.reason), or shutting down (status "stopping").',
          ),
        },
      },
    },

    '/metrics': {
      get: {
        tags: [TAG.ops],
        operationId: 'metrics',
        summary: 'Prometheus metrics',
        security: PUBLIC,
        parameters: [REQUEST_ID_PARAM],
        responses: {
          '200': {
            description: 'Prometheus text exposition format 0.0.4 (Content-Type: text/plain; version=0.0.4; charset=utf-8).',
            headers: withRequestId(),
            content: { 'text/plain': { schema: { type: 'string' } } },
          },
        },
      },
    },

    '/dashboard': {
      get: {
        tags: [TAG.admin],
        operationId: 'dashboard',
        summary: 'The operator dashboard',
        description: 'Identities, the last 15 minutes of activity and a chat playground, in one self-contained page. A browser asks for the Basic password (ADMIN_KEY).',
        security: ADMIN,
        parameters: [REQUEST_ID_PARAM],
        responses: html('The page.', adminErrors),
      },
    },

    '/admin/identities': {
      get: {
        tags: [TAG.admin],
        operationId: 'listIdentities',
        summary: 'The identity pool',
        security: ADMIN,
        parameters: [REQUEST_ID_PARAM],
        responses: { '200': json(schema('IdentityList'), 'Every identity in the pool.'), ...adminErrors },
      },
      post: {
        tags: [TAG.admin],
        operationId: 'addIdentity',
        summary: 'Add an identity',
        description:
          'Written to the account file first (atomically; its comments, order and mode kept), then applied to the pool as a reload would: the identity joins at once and survives a restart or SIGHUP. Needs an account file (ACCOUNTS_FILE).',
        security: ADMIN,
        parameters: [REQUEST_ID_PARAM],
        requestBody: { required: true, content: { 'application/json': { schema: schema('IdentityFields') } } },
        responses: {
          '201': json(schema('IdentityDetail'), 'Added.'),
          ...identityChangeErrors(`${code('identity_exists')} (another identity has this id), `),
          ...adminErrors,
        },
      },
    },

    '/admin/identities/{id}': {
      get: {
        tags: [TAG.admin],
        operationId: 'getIdentity',
        summary: 'One identity and its settings',
        description: 'The live view and the settings in effect, for an edit form. Cookies are never shown.',
        security: ADMIN,
        parameters: [identityIdParam, REQUEST_ID_PARAM],
        responses: {
          '200': json(schema('IdentityDetail'), 'The identity.'),
          '401': ERR.adminUnauthorized,
          '404': errorResponse(`${code('identity_not_found')}, or ${code('admin_disabled')} (no ADMIN_KEY).`),
        },
      },
      patch: {
        tags: [TAG.admin],
        operationId: 'changeIdentity',
        summary: 'Change an identity (new cookies, limits, weight, proxy…)',
        description:
          'Written to the account file first, then applied as a reload would: the identity keeps its state and counters; new cookies, proxy or User-Agent start a new upstream session, and new cookies clear a challenge. Needs an account file.',
        security: ADMIN,
        parameters: [identityIdParam, REQUEST_ID_PARAM],
        requestBody: { required: true, content: { 'application/json': { schema: schema('IdentityChanges') } } },
        responses: {
          '200': json(schema('IdentityDetail'), 'Changed.'),
          ...identityChangeErrors(''),
          '401': ERR.adminUnauthorized,
          '404': errorResponse(`${code('identity_not_found')}, or ${code('admin_disabled')} (no ADMIN_KEY).`),
        },
      },
      delete: {
        tags: [TAG.admin],
        operationId: 'removeIdentity',
        summary: 'Remove an identity',
        description: 'Removed from the account file, then from the pool as a reload would: it takes no new requests, and those in flight finish. No request body.',
        security: ADMIN,
        parameters: [identityIdParam, REQUEST_ID_PARAM],
        responses: {
          '200': json(schema('IdentityDeleted'), 'Removed.'),
          ...identityChangeErrors(`${code('last_identity')} (the file must keep one: disable it instead), `),
          '401': ERR.adminUnauthorized,
          '404': errorResponse(`${code('identity_not_found')}, or ${code('admin_disabled')} (no ADMIN_KEY).`),
        },
      },
    },

    '/admin/identities/probe': {
      post: {
        tags: [TAG.admin],
        operationId: 'probeUnsavedIdentity',
        summary: 'Check an identity before saving it',
        description:
          'Takes the body POST /admin/identities would (or, with ?base=id, the body PATCH /admin/identities/{id} would: the changes over that identity\'s settings), checks it like `kimi-gateway check --send` with a throwaway state — the chat page and nonce, then one tiny message, no retry — and reports. Nothing is saved and the pool is not touched. Works without an account file too.',
        security: ADMIN,
        parameters: [
          { name: 'base', in: 'query', required: false, description: 'An identity whose settings the body changes, as PATCH would.', schema: { type: 'string' } },
          REQUEST_ID_PARAM,
        ],
        requestBody: { required: true, content: { 'application/json': { schema: { oneOf: [schema('IdentityFields'), schema('IdentityChanges')] } } } },
        responses: {
          '200': json(schema('IdentityProbeResult'), 'Checked (see ok).'),
          '400': errorResponse('A field is not valid (param names it), an unknown field, or the body is not a JSON object.'),
          '401': ERR.adminUnauthorized,
          '403': errorResponse(`${code('cross_site_request')}: sent with browser (Basic) credentials from another site.`),
          '404': errorResponse(`${code('identity_not_found')} (base), or ${code('admin_disabled')} (no ADMIN_KEY).`),
          '413': errorResponse(`${code('request_too_large')}: the body is over 64 KiB.`),
        },
      },
    },

    '/admin/identities/{id}/{action}': {
      post: {
        tags: [TAG.admin],
        operationId: 'identityAction',
        summary: 'Disable, enable, refresh or probe an identity',
        description: 'No request body. A failed refresh or probe answers 200 with ok false; a probe counts towards the identity\'s health like any request.',
        security: ADMIN,
        parameters: [...identityParams, REQUEST_ID_PARAM],
        responses: {
          '200': json(schema('IdentityActionResult'), 'Done (see ok).'),
          '401': ERR.adminUnauthorized,
          '404': errorResponse(`${code('identity_not_found')}, ${code('unknown_action')}, or ${code('admin_disabled')} (no ADMIN_KEY).`),
        },
      },
    },

    '/admin/reload': {
      post: {
        tags: [TAG.admin],
        operationId: 'reloadAccounts',
        summary: 'Reload the account file',
        description: 'Same as SIGHUP. No request body. Identities kept by id keep their state; new ones join; removed ones finish their in-flight requests.',
        security: ADMIN,
        parameters: [REQUEST_ID_PARAM],
        responses: {
          '200': json(schema('ReloadResult'), 'Reloaded.'),
          '400': errorResponse(`${code('accounts_refused')}: the file was refused, or no account file is configured (reason in the message); the running pool is kept.`),
          ...adminErrors,
        },
      },
    },

    '/admin/sessions': {
      get: {
        tags: [TAG.admin],
        operationId: 'listSessions',
        summary: 'Stored conversations, most recently used first',
        security: ADMIN,
        parameters: [queryInteger('limit', 'Page size.', 1, 500, 50), queryInteger('offset', 'Sessions to skip.', 0, undefined, 0), REQUEST_ID_PARAM],
        responses: {
          '200': json(schema('SessionList'), 'One page.'),
          '400': errorResponse('limit or offset is not a whole number in range (param names it).'),
          ...adminErrors,
        },
      },
    },

    '/admin/sessions/{id}': {
      delete: {
        tags: [TAG.admin],
        operationId: 'adminDeleteSession',
        summary: 'Delete a conversation of any key',
        security: ADMIN,
        parameters: [
          pathParam('id', 'The session id.'),
          { name: 'owner', in: 'query', required: false, description: 'Only this key name\'s session (e.g. key-1a2b3c4d); without it the id is deleted under every key.', schema: { type: 'string' } },
          REQUEST_ID_PARAM,
        ],
        responses: {
          '200': json(schema('AdminSessionDeleted'), 'Deleted.'),
          '401': ERR.adminUnauthorized,
          '404': errorResponse(`${code('session_not_found')}, or ${code('admin_disabled')} (no ADMIN_KEY).`),
        },
      },
    },

    '/admin/canary': {
      get: {
        tags: [TAG.admin],
        operationId: 'canary',
        summary: "The site canary: the site's state and why, the last run, runs by result",
        security: ADMIN,
        parameters: [REQUEST_ID_PARAM],
        responses: { '200': json(schema('CanaryStatus'), 'The canary.'), ...adminErrors },
      },
    },

    '/admin/activity': {
      get: {
        tags: [TAG.admin],
        operationId: 'activity',
        summary: 'Requests per 10-second bucket and the latest requests',
        security: ADMIN,
        parameters: [queryInteger('minutes', 'How far back, in minutes (at most the feed\'s 15-minute window).', 1, 15, 15), REQUEST_ID_PARAM],
        responses: {
          '200': json(schema('ActivitySnapshot'), 'The activity.'),
          '400': errorResponse('minutes is not a whole number in range.'),
          ...adminErrors,
        },
      },
    },
  };

  // ---- the Anthropic Messages API (own section: its error shape differs) ----------------------

  const anthropicTag = 'Anthropic Messages API';
  const anthropicError = (description: string, headers?: HeaderMap): ResponseObject => json(schema('AnthropicErrorResponse'), description, headers);
  const ANTHROPIC_ERR = {
    badRequest: ref('responses', 'AnthropicBadRequest'),
    unauthorized: ref('responses', 'AnthropicUnauthorized'),
    notFound: ref('responses', 'AnthropicNotFound'),
    tooLarge: ref('responses', 'AnthropicPayloadTooLarge'),
    headersTooLarge: ref('responses', 'AnthropicHeadersTooLarge'),
    rateLimited: ref('responses', 'AnthropicRateLimited'),
    badGateway: ref('responses', 'AnthropicBadGateway'),
    unavailable: ref('responses', 'AnthropicServiceUnavailable'),
    timeout: ref('responses', 'AnthropicGatewayTimeout'),
    internal: ref('responses', 'AnthropicInternalError'),
  };
  const anthropicIgnored: Record<string, Schema> = Object.fromEntries(
    ANTHROPIC_IGNORED_PARAMETERS.map((name) => [name, { description: 'Accepted and ignored: kimi-ai.chat answers with its own settings.' } satisfies SchemaObject]),
  );
  const textBlockList: SchemaObject = { type: 'array', items: schema('AnthropicTextBlock') };

  const anthropicSchemas: Record<string, Schema> = {
    AnthropicErrorResponse: {
      type: 'object',
      description: "Anthropic's error envelope, on the Messages API's paths only: every error status there has this body, and so does an `event: error` inside a stream.",
      required: ['type', 'error'],
      properties: {
        type: { const: 'error' },
        error: {
          type: 'object',
          required: ['type', 'message'],
          properties: {
            type: { type: 'string', enum: Object.keys(ANTHROPIC_ERROR_TYPES), description: 'By status: 400 invalid_request_error, 401 authentication_error, 404 not_found_error, 413 request_too_large, 429 rate_limit_error, 503 overloaded_error, other 5xx api_error.' },
            message: { type: 'string', description: 'What went wrong and what to do about it; names the request field at fault.' },
          },
        },
        request_id: { type: 'string', description: 'The X-Request-Id of the request.' },
      },
    },

    AnthropicTextBlock: {
      type: 'object',
      required: ['type', 'text'],
      description: 'Text. cache_control and citations are accepted and ignored.',
      properties: { type: { const: 'text' }, text: { type: 'string' } },
    },

    AnthropicToolUseBlock: {
      type: 'object',
      required: ['type', 'id', 'name', 'input'],
      description: "A call the model made. In answers: id toolu_… (the same random part as the turn's call_… id). Sent back in assistant messages: rendered into the prompt as the call it was.",
      properties: {
        type: { const: 'tool_use' },
        id: { type: 'string', examples: ['toolu_4uTIQftOrkfGdvZgZtLCYzND'] },
        name: { type: 'string' },
        input: { type: 'object', description: 'The arguments, checked against the tool\'s input_schema.' },
      },
    },

    AnthropicToolResultBlock: {
      type: 'object',
      required: ['type', 'tool_use_id'],
      description: 'In user messages: the result of a tool_use, rendered under the tool\'s name; with is_error true its text is marked "Error: ".',
      properties: {
        type: { const: 'tool_result' },
        tool_use_id: { type: 'string' },
        content: { oneOf: [{ type: 'string' }, textBlockList] },
        is_error: { type: 'boolean' },
      },
    },

    AnthropicMessageParam: {
      type: 'object',
      required: ['role', 'content'],
      description:
        'One turn. User content: text and tool_result blocks (a message\'s tool results go into the prompt before its text); assistant content: text and tool_use blocks (thinking blocks are skipped). ' +
        'Image, document and other non-text blocks are refused with 400 (the site takes text only). The conversation must end with a user message: a trailing assistant message (prefill) is refused.',
      properties: {
        role: { type: 'string', enum: ['user', 'assistant', 'system'] },
        content: {
          oneOf: [
            { type: 'string' },
            { type: 'array', items: { oneOf: [schema('AnthropicTextBlock'), schema('AnthropicToolUseBlock'), schema('AnthropicToolResultBlock')] } },
          ],
        },
      },
    },

    AnthropicTool: {
      type: 'object',
      required: ['name', 'input_schema'],
      description: 'A custom tool, emulated like chat completions\' tools. Server and built-in tools (any other type, e.g. web_search_20250305) are refused with 400.',
      properties: {
        type: { const: 'custom' },
        name: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,128}$' },
        description: { type: 'string', description: 'Cut short in the prompt; dropped first when the prompt budget is tight.' },
        input_schema: { type: 'object', description: 'A JSON Schema, rendered compactly into the prompt.' },
      },
    },

    AnthropicToolChoice: {
      type: 'object',
      required: ['type'],
      description:
        'auto (default); any: a call is required (one corrective retry, then 502); tool: that tool must be called; none: no tools in the prompt. disable_parallel_tool_use: at most one call.',
      properties: {
        type: { type: 'string', enum: ['auto', 'any', 'tool', 'none'] },
        name: { type: 'string', description: 'type tool: the tool to call.' },
        disable_parallel_tool_use: { type: 'boolean', default: false },
      },
    },

    MessagesRequest: {
      type: 'object',
      required: ['max_tokens', 'messages'],
      additionalProperties: true,
      description:
        'The same turn as chat completions: system, the tools and the turns become one upstream message of at most CONTEXT_MAX_LENGTH characters, oldest turns dropped first. Unknown fields and the sampling parameters below are accepted and ignored. A conversation is continued when the X-Session-Id header names it or recognised from its earlier turns; metadata.user_id never names one.',
      properties: {
        model: {
          type: nullable('string'),
          description: `A model id from GET /v1/models, its upstream name, or a MODEL_ALIASES name (e.g. claude-*): the answer reports the name asked for. Absent or null means ${MODEL_IDS[0]}. Anything else is 404.`,
          examples: ['claude-sonnet-4-5', ...MODEL_IDS],
        },
        max_tokens: { type: 'integer', minimum: 1, description: 'Required, as on Anthropic\'s API, and checked; it cannot be enforced: the site decides how long its answer is.' },
        system: { description: 'Text before the conversation.', oneOf: [{ type: 'string' }, textBlockList] },
        messages: { type: 'array', minItems: 1, items: schema('AnthropicMessageParam') },
        tools: { type: 'array', maxItems: 128, items: schema('AnthropicTool') },
        tool_choice: schema('AnthropicToolChoice'),
        stop_sequences: {
          type: 'array',
          maxItems: MAX_STOP_SEQUENCES,
          items: { type: 'string', minLength: 1 },
          description: 'The answer\'s text ends before the earliest one found (stop_reason "stop_sequence"). The site cannot stop early: the answer is cut when it arrives, before the turn is stored. Tool calls stand.',
        },
        stream: { type: 'boolean', default: false, description: 'true: answer with Anthropic\'s server-sent events.' },
        ...anthropicIgnored,
      },
      examples: [{ model: 'claude-sonnet-4-5', max_tokens: 1024, system: 'Answer briefly.', messages: [{ role: 'user', content: 'Hello' }] }],
    },

    CountTokensRequest: {
      type: 'object',
      required: ['messages'],
      additionalProperties: true,
      description: 'The body of POST /v1/messages without max_tokens and stream; a trailing assistant message is allowed.',
      properties: {
        model: { type: nullable('string') },
        system: { oneOf: [{ type: 'string' }, textBlockList] },
        messages: { type: 'array', minItems: 1, items: schema('AnthropicMessageParam') },
        tools: { type: 'array', items: schema('AnthropicTool') },
        tool_choice: schema('AnthropicToolChoice'),
      },
    },

    MessageTokensCount: {
      type: 'object',
      required: ['input_tokens'],
      properties: {
        input_tokens: {
          type: 'integer',
          minimum: 0,
          description:
            'The estimate usage.input_tokens reports (one token per 4 ASCII characters, one per other character) for the prompt the turn would send: system, tools and turns, the oldest dropped to fit CONTEXT_MAX_LENGTH. A conversation that cannot fit at all (POST /v1/messages answers 400) is counted whole. Stored sessions are not read.',
        },
      },
    },

    AnthropicUsage: {
      type: 'object',
      required: ['input_tokens', 'output_tokens'],
      description: 'An estimate (the site reports no token counts): one token per 4 ASCII characters, one per other character.',
      properties: {
        input_tokens: { type: 'integer', minimum: 0, description: 'For the prompt actually sent upstream.' },
        output_tokens: { type: 'integer', minimum: 0 },
      },
    },

    Message: {
      type: 'object',
      required: ['id', 'type', 'role', 'model', 'content', 'stop_reason', 'stop_sequence', 'usage'],
      properties: {
        id: { type: 'string', pattern: '^msg_[A-Za-z0-9]{24}$' },
        type: { const: 'message' },
        role: { const: 'assistant' },
        model: { type: 'string', description: 'The model as the request named it (an alias stays an alias).' },
        content: {
          type: 'array',
          items: { oneOf: [schema('AnthropicTextBlock'), schema('AnthropicToolUseBlock')] },
          description: 'A text block (absent when the answer is only calls, or a stop sequence cut it to nothing), then one tool_use block per call.',
        },
        stop_reason: { type: 'string', enum: ['end_turn', 'tool_use', 'stop_sequence'], description: 'tool_use whenever there are calls.' },
        stop_sequence: { type: nullable('string') },
        usage: schema('AnthropicUsage'),
      },
    },

    MessageStreamEvent: {
      type: 'object',
      required: ['type'],
      description:
        'The JSON of one event; its `event:` line names the same type. In order: message_start (the message with empty content, stop_reason null, usage of the request\'s own prompt); ping while the site works; per content block content_block_start, content_block_delta (text_delta pieces, or input_json_delta pieces of a tool_use\'s input) and content_block_stop; message_delta (stop_reason, stop_sequence, the final usage); message_stop.',
      properties: {
        type: { type: 'string', enum: ['message_start', 'ping', 'content_block_start', 'content_block_delta', 'content_block_stop', 'message_delta', 'message_stop'] },
        message: schema('Message'),
        index: { type: 'integer', minimum: 0 },
        content_block: { oneOf: [schema('AnthropicTextBlock'), schema('AnthropicToolUseBlock')] },
        delta: {
          type: 'object',
          description: 'content_block_delta: {type: "text_delta", text} or {type: "input_json_delta", partial_json}; message_delta: {stop_reason, stop_sequence}.',
          properties: {
            type: { type: 'string', enum: ['text_delta', 'input_json_delta'] },
            text: { type: 'string' },
            partial_json: { type: 'string' },
            stop_reason: { type: 'string', enum: ['end_turn', 'tool_use', 'stop_sequence'] },
            stop_sequence: { type: nullable('string') },
          },
        },
        usage: schema('AnthropicUsage'),
      },
    },
  };

  const anthropicResponses: Record<string, ResponseObject> = {
    AnthropicBadRequest: anthropicError(
      'invalid_request_error: malformed or empty JSON, a missing or bad field (the message names it), max_tokens missing, image/document blocks (text only), server tools, a trailing assistant message; the conversation does not fit CONTEXT_MAX_LENGTH (the message says by how much); the site refused the message; a bad X-Session-Id.',
    ),
    AnthropicUnauthorized: anthropicError('authentication_error: missing or wrong key, checked before the body is read. "x-api-key: <key>" or "Authorization: Bearer <key>".'),
    AnthropicNotFound: anthropicError('not_found_error: no such model (the message lists the available ones).'),
    AnthropicPayloadTooLarge: anthropicError('request_too_large: the body is larger than MAX_BODY_BYTES.'),
    AnthropicHeadersTooLarge: anthropicError('invalid_request_error: the request line and headers are over 16 KiB.'),
    AnthropicRateLimited: anthropicError('rate_limit_error: the site rate-limited every identity tried, or every identity is busy and the queue is full.', {
      'Retry-After': ref('headers', 'RetryAfter'),
    }),
    AnthropicBadGateway: anthropicError('api_error: the site failed or answered unexpectedly, or the model did not make a call tool_choice requires even after one corrective retry.'),
    AnthropicServiceUnavailable: anthropicError('overloaded_error: Cloudflare challenged the identities, no identity is available, or the gateway cannot write its database.'),
    AnthropicGatewayTimeout: anthropicError('api_error: no answer within REQUEST_TIMEOUT_MS, or the session was busy with another turn.'),
    AnthropicInternalError: anthropicError('api_error: a bug in the gateway (logged).'),
  };

  const anthropicErrors = {
    '400': ANTHROPIC_ERR.badRequest,
    '401': ANTHROPIC_ERR.unauthorized,
    '404': ANTHROPIC_ERR.notFound,
    '413': ANTHROPIC_ERR.tooLarge,
    '431': ANTHROPIC_ERR.headersTooLarge,
    '500': ANTHROPIC_ERR.internal,
  };

  const anthropicHeaders = [
    REQUEST_ID_PARAM,
    { name: 'anthropic-version', in: 'header', required: false, description: 'Accepted, not enforced.', schema: { type: 'string', examples: ['2023-06-01'] } } satisfies ParameterObject,
    { name: 'anthropic-beta', in: 'header', required: false, description: 'Accepted, not enforced.', schema: { type: 'string' } } satisfies ParameterObject,
  ];

  const anthropicPaths: Record<string, PathItemObject> = {
    '/v1/messages': {
      post: {
        tags: [anthropicTag],
        operationId: 'createMessage',
        summary: 'Anthropic Messages API: chat with Kimi K2',
        description:
          'For clients built on Anthropic\'s SDKs (also at /messages). The same turn as /v1/chat/completions: sessions, the identity pool, failover, emulated tool calls and the prompt budget are shared. ' +
          'With stream: true the answer is Anthropic\'s event stream: message_start at once, "event: ping" while the site works, the content blocks, message_delta and message_stop. ' +
          'A refusal known before the stream starts (any 4xx, 429/503 from the pool) gets its status; a failure after the start is one "event: error" with Anthropic\'s error body, and the stream ends without message_stop. Errors on this path have Anthropic\'s shape.',
        security: API_KEY,
        parameters: [ref('parameters', 'XSessionId'), ...anthropicHeaders],
        requestBody: { required: true, content: { 'application/json': { schema: schema('MessagesRequest') } } },
        responses: {
          '200': {
            description: 'The answer: a message object, or (stream: true) Anthropic\'s server-sent events.',
            headers: withRequestId({ 'X-Session-Id': ref('headers', 'XSessionId'), 'X-Context-Dropped-Messages': ref('headers', 'XContextDroppedMessages') }),
            content: {
              'application/json': { schema: schema('Message') },
              'text/event-stream': {
                schema: { type: 'string', description: 'Frames "event: <type>\\ndata: <json>\\n\\n" (x-sse-data: the JSON, whose type repeats the event name).' },
                'x-sse-data': { oneOf: [schema('MessageStreamEvent'), schema('AnthropicErrorResponse')] },
                example:
                  'event: message_start\ndata: {"type":"message_start","message":{"id":"msg_…","type":"message","role":"assistant","model":"claude-sonnet-4-5","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":3,"output_tokens":0}}}\n\n' +
                  'event: ping\ndata: {"type":"ping"}\n\n' +
                  'event: content_block_start\ndata: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}\n\n' +
                  'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hello!"}}\n\n' +
                  'event: content_block_stop\ndata: {"type":"content_block_stop","index":0}\n\n' +
                  'event: message_delta\ndata: {"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"input_tokens":3,"output_tokens":2}}\n\n' +
                  'event: message_stop\ndata: {"type":"message_stop"}\n\n',
              },
            },
          },
          ...anthropicErrors,
          '429': ANTHROPIC_ERR.rateLimited,
          '502': ANTHROPIC_ERR.badGateway,
          '503': ANTHROPIC_ERR.unavailable,
          '504': ANTHROPIC_ERR.timeout,
        },
      },
    },

    '/v1/messages/count_tokens': {
      post: {
        tags: [anthropicTag],
        operationId: 'countMessageTokens',
        summary: 'Anthropic Messages API: count a request\'s input tokens',
        description: 'The estimate POST /v1/messages would report as usage.input_tokens, without calling the site (also at /messages/count_tokens).',
        security: API_KEY,
        parameters: anthropicHeaders,
        requestBody: { required: true, content: { 'application/json': { schema: schema('CountTokensRequest') } } },
        responses: { '200': json(schema('MessageTokensCount'), 'The count.'), ...anthropicErrors },
      },
    },
  };

  return {
    openapi: '3.1.0',
    info: {
      title: 'kimi-gateway',
      version: VERSION,
      summary: 'OpenAI-compatible API for kimi-ai.chat (Kimi K2) in front of a pool of upstream identities.',
      description:
        'Point any OpenAI client at /v1 (the client API answers also without /v1: /chat/completions, /models, …). Every error has OpenAI\'s shape {"error": {"message", "type", "param", "code", "request_id"}} (on the Anthropic Messages API\'s paths, Anthropic\'s {"type": "error", "error": {"type", "message"}, "request_id"}), and every response carries X-Request-Id. ' +
        'CORS is open: JSON responses carry Access-Control-Allow-Origin: *, and OPTIONS on any path answers the preflight (204). ' +
        `Unknown paths answer 404 ${code('unknown_url')}. The admin API and /dashboard exist only when the gateway runs with ADMIN_KEY.`,
      license: { name: 'Apache 2.0', identifier: 'Apache-2.0' },
    },
    servers: [{ url: '/', description: 'This gateway' }],
    tags: [
      { name: TAG.openai, description: 'The OpenAI-compatible API (needs a client key when API_KEYS is set).' },
      { name: anthropicTag, description: 'The Anthropic Messages API, for clients built on Anthropic\'s SDKs (same keys, same turn).' },
      { name: TAG.sessions, description: 'Conversations the gateway remembers.' },
      { name: TAG.ops, description: 'Unauthenticated probes for load balancers and Prometheus.' },
      { name: TAG.admin, description: 'The operator\'s API and dashboard (ADMIN_KEY, as Bearer or Basic password).' },
      { name: TAG.docs, description: 'This description and the index.' },
    ],
    paths: { ...paths, ...anthropicPaths },
    components: { schemas: { ...schemas, ...anthropicSchemas }, responses: { ...responses, ...anthropicResponses }, parameters, headers, securitySchemes },
  };
}

// ---- the Responses API (POST /v1/responses, GET and DELETE /v1/responses/{id}) ------------------

/** The event types a Responses stream carries, in the order they can come. */
const RESPONSE_EVENT_TYPES = [
  'response.created',
  'response.in_progress',
  'response.output_item.added',
  'response.content_part.added',
  'response.output_text.delta',
  'response.output_text.done',
  'response.content_part.done',
  'response.function_call_arguments.delta',
  'response.function_call_arguments.done',
  'response.output_item.done',
  'response.completed',
  'response.failed',
  'error',
];

function responsesSchemas(modelIds: readonly string[]): Record<string, Schema> {
  const ignored: Record<string, Schema> = Object.fromEntries(
    RESPONSES_IGNORED_PARAMETERS.map((name) => [name, { description: 'Accepted and ignored: kimi-ai.chat answers with its own settings (numbers are echoed in the response).' } satisfies SchemaObject]),
  );
  const textPart: SchemaObject = {
    type: 'object',
    required: ['type', 'text'],
    properties: { type: { type: 'string', enum: ['input_text', 'output_text'] }, text: { type: 'string' } },
  };
  return {
    ResponseInputItem: {
      description: `One input item (${INPUT_ITEM_TYPES.join(', ')}); "reasoning" items are accepted and skipped, any other type is 400 naming input[i].type.`,
      anyOf: [
        {
          type: 'object',
          title: 'message',
          required: ['role', 'content'],
          properties: {
            type: { const: 'message' },
            role: { type: 'string', enum: ['user', 'assistant', 'system', 'developer'], description: 'developer is treated as system.' },
            content: {
              description: 'A string or text parts (joined with a newline). Image, file and audio parts are refused with 400 unsupported_content_type.',
              oneOf: [{ type: 'string' }, { type: 'array', items: textPart }],
            },
          },
        },
        {
          type: 'object',
          title: 'function_call',
          required: ['type', 'call_id', 'name', 'arguments'],
          description: 'A call the model made (echoed back from an earlier output); calls in a row, or right after an assistant message, are one assistant turn.',
          properties: { type: { const: 'function_call' }, call_id: { type: 'string' }, name: { type: 'string' }, arguments: { type: 'string' }, id: { type: 'string' } },
        },
        {
          type: 'object',
          title: 'function_call_output',
          required: ['type', 'call_id', 'output'],
          description: "The result of a call, rendered into the prompt under the function's name.",
          properties: {
            type: { const: 'function_call_output' },
            call_id: { type: 'string' },
            output: { oneOf: [{ type: 'string' }, { type: 'array', items: textPart }] },
          },
        },
      ],
    },

    ResponseFunctionTool: {
      type: 'object',
      required: ['type', 'name'],
      description: 'Flat function tools only (no hosted tools such as web_search or file_search: 400 naming tools[i].type). Emulated as for chat completions.',
      properties: {
        type: { const: 'function' },
        name: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$' },
        description: { type: nullable('string') },
        parameters: { type: ['object', 'null'], description: 'A JSON Schema, rendered compactly into the prompt.' },
        strict: { type: nullable('boolean'), description: 'Echoed; arguments are always checked against the parameters.' },
      },
    },

    ResponseTextFormat: {
      type: 'object',
      required: ['type'],
      description: '{"type":"text"} (default), {"type":"json_object"} or {"type":"json_schema","name","schema","strict"}: the JSON is extracted from the answer and is the whole output text; one corrective retry, then 502 invalid_model_output.',
      properties: {
        type: { type: 'string', enum: ['text', 'json_object', 'json_schema'] },
        name: { type: 'string' },
        schema: { type: 'object' },
        strict: { type: 'boolean' },
        description: { type: 'string' },
      },
    },

    ResponsesRequest: {
      type: 'object',
      required: ['input'],
      additionalProperties: true,
      description:
        'OpenAI\'s Responses API on the same turn as chat completions: the instructions, the continued response\'s history and the input become one upstream message of at most CONTEXT_MAX_LENGTH characters. Unknown fields and the parameters marked ignored are accepted.',
      properties: {
        model: {
          type: nullable('string'),
          description: `A model id from GET /v1/models, its upstream name, or a MODEL_ALIASES name (answered under that name). Absent means ${modelIds[0]}.`,
          examples: [...modelIds],
        },
        input: {
          description: 'A string (one user message) or input items. Without previous_response_id it must hold a user message.',
          oneOf: [{ type: 'string', minLength: 1 }, { type: 'array', minItems: 1, items: schema('ResponseInputItem') }],
        },
        instructions: { type: nullable('string'), description: 'System text first in this response\'s prompt; not carried to a response that continues this one (as OpenAI).' },
        previous_response_id: {
          type: nullable('string'),
          description:
            'Continue a stored response of this API key: its history (within the budget) comes before the input, on its upstream conversation and identity. ' +
            `Unknown, expired, deleted, store: false or another key's: 404 ${code('previous_response_not_found')}. ` +
            'One turn at a time per stored response; a second continuation of the same response is a branch with its own upstream conversation.',
        },
        store: { type: nullable('boolean'), default: true, description: 'false: nothing is stored (the response cannot be fetched or continued). Stored responses live SESSION_TTL seconds.' },
        stream: { type: nullable('boolean'), default: false, description: 'true: answer as a text/event-stream of Responses events.' },
        tools: { type: ['array', 'null'], maxItems: 128, items: schema('ResponseFunctionTool') },
        tool_choice: {
          description: '"auto" (default), "none", "required" (needs tools), or {"type":"function","name"}.',
          oneOf: [{ type: 'string', enum: ['auto', 'none', 'required'] }, { type: 'object', required: ['type', 'name'], properties: { type: { const: 'function' }, name: { type: 'string' } } }, { type: 'null' }],
        },
        parallel_tool_calls: { type: nullable('boolean'), default: true, description: 'false: at most one call per answer.' },
        text: { type: ['object', 'null'], properties: { format: schema('ResponseTextFormat'), verbosity: { type: 'string', description: 'Echoed, ignored.' } } },
        metadata: { type: ['object', 'null'], maxProperties: 16, additionalProperties: { type: 'string', maxLength: 512 }, description: 'Stored and echoed.' },
        user: { type: nullable('string'), maxLength: 256, description: 'Echoed (it does not name a session here).' },
        background: { description: 'Only false: background responses are 400.', enum: [false, null] },
        ...ignored,
      },
      examples: [{ model: modelIds[0] ?? null, instructions: 'Answer briefly.', input: 'Hello' }],
    },

    ResponseOutputMessage: {
      type: 'object',
      required: ['type', 'id', 'status', 'role', 'content'],
      properties: {
        type: { const: 'message' },
        id: { type: 'string', pattern: '^msg_[0-9a-f]{48}$' },
        status: { type: 'string', enum: ['in_progress', 'completed'] },
        role: { const: 'assistant' },
        content: {
          type: 'array',
          items: {
            type: 'object',
            required: ['type', 'text', 'annotations'],
            properties: { type: { const: 'output_text' }, text: { type: 'string' }, annotations: { type: 'array', maxItems: 0, items: {} } },
          },
        },
      },
    },

    ResponseFunctionCall: {
      type: 'object',
      required: ['type', 'id', 'call_id', 'name', 'arguments', 'status'],
      properties: {
        type: { const: 'function_call' },
        id: { type: 'string', pattern: '^fc_[0-9a-f]{48}$' },
        call_id: { type: 'string', description: 'call_…: what a function_call_output answers.' },
        name: { type: 'string' },
        arguments: { type: 'string', description: 'A JSON object as text, checked against the declared parameters.' },
        status: { type: 'string', enum: ['in_progress', 'completed'] },
      },
    },

    Response: {
      type: 'object',
      required: ['id', 'object', 'created_at', 'status', 'error', 'incomplete_details', 'model', 'output', 'usage', 'instructions', 'tools', 'tool_choice', 'parallel_tool_calls', 'text', 'previous_response_id', 'store', 'metadata', 'temperature', 'top_p'],
      description:
        'A response. output holds the assistant message (unless the answer is only calls) and one function_call per call; output_text is added by the openai SDKs, not sent. The request fields are echoed.',
      properties: {
        id: { type: 'string', pattern: '^resp_[0-9a-f]{48}$' },
        object: { const: 'response' },
        created_at: { type: 'integer', description: 'Unix seconds.' },
        completed_at: { type: nullable('integer'), description: 'Unix seconds; null until completed.' },
        status: { type: 'string', enum: ['in_progress', 'completed', 'failed'] },
        error: {
          type: ['object', 'null'],
          required: ['code', 'message'],
          properties: { code: { type: 'string', description: 'The gateway\'s error code (or type).' }, message: { type: 'string' } },
          description: 'Set on a failed response (stream only).',
        },
        incomplete_details: { type: 'null' },
        model: { type: 'string', description: 'The model name as asked (an alias stays the alias).' },
        output: { type: 'array', items: { oneOf: [schema('ResponseOutputMessage'), schema('ResponseFunctionCall')] } },
        usage: {
          type: ['object', 'null'],
          required: ['input_tokens', 'input_tokens_details', 'output_tokens', 'output_tokens_details', 'total_tokens'],
          description: 'An estimate (the site reports no token counts), as for chat completions; null until completed.',
          properties: {
            input_tokens: { type: 'integer', minimum: 0, description: 'For the prompt actually sent upstream.' },
            input_tokens_details: { type: 'object', properties: { cached_tokens: { const: 0 } } },
            output_tokens: { type: 'integer', minimum: 0 },
            output_tokens_details: { type: 'object', properties: { reasoning_tokens: { const: 0 } } },
            total_tokens: { type: 'integer', minimum: 0 },
          },
        },
        instructions: { type: nullable('string') },
        tools: { type: 'array', items: schema('ResponseFunctionTool') },
        tool_choice: { oneOf: [{ type: 'string', enum: ['auto', 'none', 'required'] }, { type: 'object', required: ['type', 'name'] }] },
        parallel_tool_calls: { type: 'boolean' },
        text: { type: 'object', required: ['format'], properties: { format: schema('ResponseTextFormat') } },
        previous_response_id: { type: nullable('string') },
        store: { type: 'boolean' },
        metadata: { type: 'object', additionalProperties: { type: 'string' } },
        user: { type: nullable('string') },
        temperature: { type: nullable('number'), description: 'Echoed, ignored.' },
        top_p: { type: nullable('number'), description: 'Echoed, ignored.' },
        max_output_tokens: { type: nullable('integer'), description: 'Echoed, ignored.' },
        background: { const: false },
        reasoning: { type: 'null' },
        truncation: { const: 'disabled' },
        access_programs: { type: 'null' },
      },
    },

    ResponseStreamEvent: {
      type: 'object',
      required: ['type', 'sequence_number'],
      description:
        'One event of a Responses stream (its `event:` line repeats the type). In order: response.created and response.in_progress ' +
        '(the response, in_progress, no output); per output item response.output_item.added, then for a message ' +
        'response.content_part.added, response.output_text.delta pieces, response.output_text.done, response.content_part.done, ' +
        'or for a call response.function_call_arguments.delta pieces and .done; response.output_item.done; then response.completed ' +
        'with the whole response. After a failure: response.failed (status failed, error set), then error {code, message, param} (what the SDKs raise).',
      properties: {
        type: { type: 'string', enum: RESPONSE_EVENT_TYPES },
        sequence_number: { type: 'integer', minimum: 0, description: '0, 1, 2, … in the order sent.' },
        response: schema('Response'),
        output_index: { type: 'integer', minimum: 0 },
        item: { oneOf: [schema('ResponseOutputMessage'), schema('ResponseFunctionCall')] },
        item_id: { type: 'string' },
        content_index: { const: 0 },
        part: { type: 'object' },
        delta: { type: 'string' },
        text: { type: 'string' },
        arguments: { type: 'string' },
        logprobs: { type: 'array', maxItems: 0, items: {} },
        code: { type: 'string' },
        message: { type: 'string' },
        param: { type: nullable('string') },
        request_id: { type: 'string' },
      },
    },

    ResponseDeleted: {
      type: 'object',
      required: ['id', 'object', 'deleted'],
      properties: { id: { type: 'string' }, object: { const: 'response.deleted' }, deleted: { const: true } },
    },
  };
}

function responsesPaths(): Record<string, PathItemObject> {
  const requestId = ref('parameters', 'XRequestId');
  const id = pathParam('id', 'The response id (resp_…).');
  const notFound = errorResponse(`${code('response_not_found')}: no stored response with this id for this API key (expired, deleted, created with store: false, or another key's).`);
  const storage = errorResponse(`${code('storage_unavailable')}: the gateway cannot use its database right now.`);
  return {
    '/v1/responses': {
      post: {
        tags: [TAG.openai],
        operationId: 'createResponse',
        summary: 'Create a model response (OpenAI Responses API)',
        description:
          'The same turn as chat completions (pool, failover, emulated tools, prompt budget), in the Responses API\'s shapes. The response is stored under its id (unless store: false) for GET, DELETE and previous_response_id. ' +
          'With stream: true the answer is a text/event-stream of Responses events ("event: <type>" + "data: <json>" frames, ": keep-alive" comments while the site works). ' +
          'A refusal known before the stream starts (a prompt that cannot fit, an unknown previous response, 429/503 from the pool) gets its status; a failure after the start is response.failed then an error event.',
        security: API_KEY,
        parameters: [requestId],
        requestBody: { required: true, content: { 'application/json': { schema: schema('ResponsesRequest') } } },
        responses: {
          '200': {
            description: 'The response object, or (stream: true) its events.',
            headers: withRequestId({ 'X-Context-Dropped-Messages': ref('headers', 'XContextDroppedMessages') }),
            content: {
              'application/json': { schema: schema('Response') },
              'text/event-stream': {
                schema: { type: 'string', description: 'Frames "event: <type>\\ndata: <json>\\n\\n" (x-sse-data: a Responses event) and ": keep-alive\\n\\n" comments.' },
                'x-sse-data': schema('ResponseStreamEvent'),
                example:
                  'event: response.created\ndata: {"type":"response.created","response":{"id":"resp_…","object":"response","status":"in_progress","output":[],…},"sequence_number":0}\n\n' +
                  'event: response.in_progress\ndata: {"type":"response.in_progress","response":{…},"sequence_number":1}\n\n' +
                  ': keep-alive\n\n' +
                  'event: response.output_item.added\ndata: {"type":"response.output_item.added","output_index":0,"item":{"type":"message","id":"msg_…","status":"in_progress","role":"assistant","content":[]},"sequence_number":2}\n\n' +
                  'event: response.content_part.added\ndata: {"type":"response.content_part.added","item_id":"msg_…","output_index":0,"content_index":0,"part":{"type":"output_text","text":"","annotations":[]},"sequence_number":3}\n\n' +
                  'event: response.output_text.delta\ndata: {"type":"response.output_text.delta","item_id":"msg_…","output_index":0,"content_index":0,"logprobs":[],"sequence_number":4,"delta":"Hello!"}\n\n' +
                  '… response.output_text.done, response.content_part.done, response.output_item.done …\n\n' +
                  'event: response.completed\ndata: {"type":"response.completed","response":{…,"status":"completed","output":[…],"usage":{…}},"sequence_number":8}\n\n',
              },
            },
          },
          '400': ERR.badRequest,
          '401': ERR.unauthorized,
          '404': errorResponse(`${code('previous_response_not_found')} (param previous_response_id: not a stored response of this key) or ${code('model_not_found')}.`),
          '413': ERR.tooLarge,
          '429': ERR.rateLimited,
          '431': ERR.headersTooLarge,
          '500': ERR.internal,
          '502': ERR.badGateway,
          '503': ERR.unavailable,
          '504': ERR.timeout,
        },
      },
    },

    '/v1/responses/{id}': {
      get: {
        tags: [TAG.openai],
        operationId: 'retrieveResponse',
        summary: 'A stored response',
        description: 'Only responses of the calling API key. With ?stream=true its events are sent again (what the SDKs\' responses.stream({response_id}) reads).',
        security: API_KEY,
        parameters: [
          id,
          { name: 'stream', in: 'query', required: false, description: 'true: the stored response as its event stream.', schema: { type: 'boolean', default: false } },
          requestId,
        ],
        responses: {
          '200': {
            description: 'The response as it was answered.',
            headers: withRequestId(),
            content: {
              'application/json': { schema: schema('Response') },
              'text/event-stream': { schema: { type: 'string' }, 'x-sse-data': schema('ResponseStreamEvent') },
            },
          },
          '401': ERR.unauthorized,
          '404': notFound,
          '503': storage,
        },
      },
      delete: {
        tags: [TAG.openai],
        operationId: 'deleteResponse',
        summary: 'Delete a stored response',
        description: 'Only responses of the calling API key. Responses that continued it keep their own copy of the history.',
        security: API_KEY,
        parameters: [id, requestId],
        responses: {
          '200': json(schema('ResponseDeleted'), 'Deleted.'),
          '401': ERR.unauthorized,
          '404': notFound,
          '503': storage,
        },
      },
    },
  };
}
