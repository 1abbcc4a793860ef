// JSON responses with the headers every answer carries.

import type { GatewayError } from '../errors.ts';
import { CORS_HEADERS } from './cors.ts';
import { anthropicErrorBody, isAnthropicPath } from './anthropic/anthropic-errors.ts';
import { errorStatus, openaiErrorBody } from './error-catalog.ts';

const JSON_HEADERS = { ...CORS_HEADERS, 'Content-Type': 'application/json' };

export function jsonResponse(body: unknown, status = 200, headers?: Record<string, string>): Response {
  return new Response(JSON.stringify(body), { status, headers: headers ? { ...JSON_HEADERS, ...headers } : JSON_HEADERS });
}

/** A prepared body (serialised once, e.g. /v1/models). */
export function rawJsonResponse(json: string): Response {
  return new Response(json, { headers: JSON_HEADERS });
}

/** An error answer in the shape of the API the path belongs to: Anthropic's for the Messages API, OpenAI's elsewhere. */
export function errorResponse(error: GatewayError, requestId?: string, path = ''): Response {
  const { status, headers } = errorStatus(error);
  const body = isAnthropicPath(path) ? anthropicErrorBody(error, requestId) : openaiErrorBody(error, requestId);
  return jsonResponse(body, status, headers);
}
