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
export const HTTP_METHODS = ['get', 'post', 'delete'] as const;
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

/** A code from errors.ts: one the gateway does not have is a compile error. */
const code = (name: ErrorCode): string => name;

// ---- lists from the code ----------------------------------------------------------------------

/** What an identity's failures are counted by: every outcome kind but ok and cancelled (identity-pool.ts). */
const FAILURE_KINDS = OUTCOME_KINDS.filter((kind) => kind !== 'ok' && kind !== 'cancelled');

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
      required: ['id', 'at', 'method', 'route', 'status', 'keyName', 'model', 'stream', 'identity', 'attempts', 'outcome', 'durationMs', 'upstreamMs', 'firstContentMs', 'queueWaitMs'],
      properties: {
        id: { type: 'string', description: 'Its X-Request-Id.' },
        at: epochMs('Arrival'),
        method: { type: 'string' },
        route: { type: 'string', description: 'The route pattern, not the raw path.', examples: ['/v1/chat/completions'] },
        status: { type: 'integer' },
        keyName: { type: nullable('string'), description: 'Name of the client key used, never the key.' },
        model: { type: nullable('string'), description: 'Chat requests only.' },
        stream: { type: 'boolean' },
        identity: { type: nullable('string'), description: 'The identity that answered, or the last one tried.' },
        attempts: { type: 'integer', minimum: 0, description: 'Identities tried.' },
        outcome: { type: 'string', description: '"ok", an upstream outcome kind or an error code.', examples: ['ok', 'rate_limited', 'invalid_request_error'] },
        durationMs: { type: 'number' },
        upstreamMs: { type: nullable('number') },
        firstContentMs: { type: nullable('number') },
        queueWaitMs: { type: nullable('number') },
      },
    },

    ActivityBucket: {
      type: 'object',
      required: ['t', 'ok', 'failed', 'outcomes'],
      properties: {
        t: epochMs('Bucket start'),
        ok: { type: 'integer', minimum: 0 },
        failed: { type: 'integer', minimum: 0 },
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

  return {
    openapi: '3.1.0',
    info: {
      title: 'kimi-gateway',
      version: VERSION,
      summary: 'OpenAI-compatible API for kimi-ai.chat (Kimi K2) in front of a pool of upstream identities.',
      description:
        'Point any OpenAI client at /v1 (the client API answers also without /v1: /chat/completions, /models, …). Every error has OpenAI\'s shape {"error": {"message", "type", "param", "code", "request_id"}}, and every response carries X-Request-Id. ' +
        'CORS is open: JSON responses carry Access-Control-Allow-Origin: *, and OPTIONS on any path answers the preflight (204). ' +
        `Unknown paths answer 404 ${code('unknown_url')}. The admin API and /dashboard exist only when the gateway runs with ADMIN_KEY.`,
      license: { name: 'Apache 2.0', identifier: 'Apache-2.0' },
    },
    servers: [{ url: '/', description: 'This gateway' }],
    tags: [
      { name: TAG.openai, description: 'The OpenAI-compatible API (needs a client key when API_KEYS is set).' },
      { name: TAG.sessions, description: 'Conversations the gateway remembers.' },
      { name: TAG.ops, description: 'Unauthenticated probes for load balancers and Prometheus.' },
      { name: TAG.admin, description: 'The operator\'s API and dashboard (ADMIN_KEY, as Bearer or Basic password).' },
      { name: TAG.docs, description: 'This description and the index.' },
    ],
    paths,
    components: { schemas, responses, parameters, headers, securitySchemes },
  };
}
