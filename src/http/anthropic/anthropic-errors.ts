// Anthropic's error shape, for the Messages API routes only:
// {"type":"error","error":{"type","message"},"request_id"} with the same statuses as the
// rest of the gateway (error-catalog.ts); the type follows Anthropic's status mapping.

import type { GatewayError } from '../../errors.ts';
import { errorStatus } from '../error-catalog.ts';

export type AnthropicErrorType =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'permission_error'
  | 'not_found_error'
  | 'request_too_large'
  | 'rate_limit_error'
  | 'api_error'
  | 'overloaded_error';

export interface AnthropicErrorBody {
  type: 'error';
  error: { type: AnthropicErrorType; message: string };
  request_id?: string;
}

/** Anthropic's type for a status: 503 (and 529) are "overloaded", other 5xx "api_error". */
export function anthropicErrorType(status: number): AnthropicErrorType {
  if (status === 401) return 'authentication_error';
  if (status === 403) return 'permission_error';
  if (status === 404) return 'not_found_error';
  if (status === 413) return 'request_too_large';
  if (status === 429) return 'rate_limit_error';
  if (status === 503 || status === 529) return 'overloaded_error';
  if (status >= 500) return 'api_error';
  return 'invalid_request_error';
}

export function anthropicErrorBody(error: GatewayError, requestId?: string): AnthropicErrorBody {
  const body: AnthropicErrorBody = { type: 'error', error: { type: anthropicErrorType(errorStatus(error).status), message: error.message } };
  if (requestId) body.request_id = requestId;
  return body;
}

/** The Messages API's paths (with or without /v1): their errors take Anthropic's shape. */
export const isAnthropicPath = (path: string): boolean => /^(\/v1)?\/messages(\/|$)/.test(path);
