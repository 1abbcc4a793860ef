// Each ErrorCode as it leaves over HTTP: its status, OpenAI's error `type` and `code`, and
// extra headers. The one table every error answer (and the OpenAPI document) is built from.

import type { ErrorCode, GatewayError } from '../errors.ts';

export type OpenAIErrorType =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'not_found_error'
  | 'rate_limit_error'
  | 'upstream_error'
  | 'server_error';

export interface ErrorEntry {
  status: number;
  type: OpenAIErrorType;
  /** OpenAI's `code` field: the ErrorCode, except null for a plain invalid request. */
  openaiCode: string | null;
  headers?: Readonly<Record<string, string>>;
}

const entry = (status: number, type: OpenAIErrorType, headers?: Record<string, string>) => ({ status, type, headers });

const TABLE: Record<ErrorCode, Omit<ErrorEntry, 'openaiCode'>> = {
  invalid_request: entry(400, 'invalid_request_error'),
  context_length_exceeded: entry(400, 'invalid_request_error'),
  unsupported_content_type: entry(400, 'invalid_request_error'),
  invalid_api_key: entry(401, 'authentication_error'),
  model_not_found: entry(404, 'invalid_request_error'),
  unknown_url: entry(404, 'invalid_request_error'),
  session_not_found: entry(404, 'invalid_request_error'),
  response_not_found: entry(404, 'invalid_request_error'),
  previous_response_not_found: entry(404, 'invalid_request_error'),
  request_too_large: entry(413, 'invalid_request_error'),
  request_headers_too_large: entry(431, 'invalid_request_error'),
  session_busy: entry(504, 'server_error'),
  upstream_refused: entry(400, 'invalid_request_error'),
  upstream_rate_limited: entry(429, 'rate_limit_error'),
  identities_busy: entry(429, 'rate_limit_error'),
  upstream_unavailable: entry(502, 'upstream_error'),
  upstream_protocol_error: entry(502, 'upstream_error'),
  upstream_nonce_rejected: entry(502, 'upstream_error'),
  upstream_too_large: entry(502, 'upstream_error'),
  upstream_challenged: entry(503, 'upstream_error'),
  no_identity_available: entry(503, 'upstream_error'),
  upstream_timeout: entry(504, 'upstream_error'),
  invalid_model_output: entry(502, 'upstream_error'),
  storage_unavailable: entry(503, 'server_error'),
  shared_state_unavailable: entry(503, 'server_error'),
  internal_error: entry(500, 'server_error'),
  admin_disabled: entry(404, 'invalid_request_error'),
  invalid_admin_key: entry(401, 'authentication_error', { 'WWW-Authenticate': 'Basic realm="kimi-gateway admin", charset="UTF-8"' }),
  cross_site_request: entry(403, 'invalid_request_error'),
  identity_not_found: entry(404, 'invalid_request_error'),
  unknown_action: entry(404, 'invalid_request_error'),
  accounts_refused: entry(400, 'invalid_request_error'),
  identity_exists: entry(409, 'invalid_request_error'),
  last_identity: entry(409, 'invalid_request_error'),
  no_accounts_file: entry(409, 'invalid_request_error'),
  accounts_file_changed: entry(409, 'invalid_request_error'),
  accounts_write_failed: entry(503, 'server_error'),
};

export const ERROR_CATALOG: Readonly<Record<ErrorCode, ErrorEntry>> = Object.fromEntries(
  Object.entries(TABLE).map(([code, e]) => [code, { ...e, openaiCode: code === 'invalid_request' ? null : code }]),
) as Record<ErrorCode, ErrorEntry>;

/** What logs and metrics record for a client that left: nginx's (and OpenAI's logs') 499. */
export const CLIENT_CLOSED_STATUS = 499;

export interface OpenAIErrorBody {
  error: { message: string; type: OpenAIErrorType; param: string | null; code: string | null; request_id?: string };
}

/** OpenAI's wire shape; the request id (also in X-Request-Id) helps match a report to the logs. */
export function openaiErrorBody(error: GatewayError, requestId?: string): OpenAIErrorBody {
  const { type, openaiCode } = ERROR_CATALOG[error.errorCode];
  const body: OpenAIErrorBody['error'] = { message: error.message, type, param: error.param, code: openaiCode };
  if (requestId) body.request_id = requestId;
  return { error: body };
}

/** What logs, metrics and the dashboard record as a failed request's outcome: OpenAI's code, else its type. */
export function errorOutcome(error: GatewayError): string {
  const { type, openaiCode } = ERROR_CATALOG[error.errorCode];
  return openaiCode ?? type;
}

/** The status and headers an error answer carries (Retry-After when the error knows when). */
export function errorStatus(error: GatewayError): { status: number; headers: Record<string, string> } {
  const { status, headers } = ERROR_CATALOG[error.errorCode];
  const all: Record<string, string> = { ...headers };
  if (error.retryAfterSeconds !== null) all['Retry-After'] = String(error.retryAfterSeconds);
  return { status, headers: all };
}
