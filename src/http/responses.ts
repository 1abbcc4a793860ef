// JSON responses with the headers every answer carries.

import type { GatewayError } from '../errors.ts';
import { CORS_HEADERS } from './cors.ts';
import { errorStatus, openaiErrorBody } from './error-catalog.ts';

const JSON_HEADERS = { ...CORS_HEADERS, 'Content-Type': 'application/json' };

export function jsonResponse(body: unknown, status = 200, headers?: Record<string, string>): Response {
  return new Response(JSON.stringify(body), { status, headers: headers ? { ...JSON_HEADERS, ...headers } : JSON_HEADERS });
}

/** A prepared body (serialised once, e.g. /v1/models). */
export function rawJsonResponse(json: string): Response {
  return new Response(json, { headers: JSON_HEADERS });
}

export function errorResponse(error: GatewayError, requestId?: string): Response {
  const { status, headers } = errorStatus(error);
  return jsonResponse(openaiErrorBody(error, requestId), status, headers);
}
