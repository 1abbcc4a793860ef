// One error type for the whole gateway: a code that says what went wrong and a message
// that says what to do about it. Which HTTP status and wire shape a code becomes belongs to
// the HTTP layer (http/error-catalog.ts), so nothing below it chooses a status.

/** Every error a client can be answered with. */
export const ERROR_CODES = [
  // the request
  'invalid_request',
  'context_length_exceeded',
  'unsupported_content_type',
  'invalid_api_key',
  'model_not_found',
  'unknown_url',
  'session_not_found',
  'response_not_found',
  'previous_response_not_found',
  'request_too_large',
  'request_headers_too_large',
  'session_busy',
  // the site and the pool
  'upstream_refused',
  'upstream_rate_limited',
  'identities_busy',
  'upstream_unavailable',
  'upstream_protocol_error',
  'upstream_nonce_rejected',
  'upstream_too_large',
  'upstream_challenged',
  'no_identity_available',
  'upstream_timeout',
  'invalid_model_output',
  // the gateway itself
  'storage_unavailable',
  'shared_state_unavailable',
  'internal_error',
  // the admin API
  'admin_disabled',
  'invalid_admin_key',
  'cross_site_request',
  'identity_not_found',
  'unknown_action',
  'accounts_refused',
  'identity_exists',
  'last_identity',
  'no_accounts_file',
  'accounts_file_changed',
  'accounts_write_failed',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export interface GatewayErrorOptions {
  /** The request field to fix, e.g. "messages[2].role". */
  param?: string | null;
  /** When retrying may help, and after how long (sent as Retry-After). */
  retryAfterSeconds?: number | null;
}

export class GatewayError extends Error {
  override name = 'GatewayError';
  readonly param: string | null;
  readonly retryAfterSeconds: number | null;

  /** Named errorCode, not code: Elysia's onError dispatches on an error's `code` field. */
  constructor(
    readonly errorCode: ErrorCode,
    message: string,
    options: GatewayErrorOptions = {},
  ) {
    super(message);
    this.param = options.param ?? null;
    this.retryAfterSeconds = options.retryAfterSeconds ?? null;
  }
}

export const invalidRequest = (message: string, param: string | null = null, code: ErrorCode = 'invalid_request') =>
  new GatewayError(code, message, { param });

export const payloadTooLarge = (limitBytes: number) =>
  new GatewayError('request_too_large', `Request body is larger than ${limitBytes} bytes. Send a shorter conversation or raise MAX_BODY_BYTES.`);

export const headersTooLarge = (bytes: number, limitBytes: number) =>
  new GatewayError(
    'request_headers_too_large',
    `The request line and headers take ${bytes} bytes; the limit is ${limitBytes}. Send fewer or shorter headers (large cookies are the usual cause).`,
  );

export const internalError = () => new GatewayError('internal_error', 'The gateway hit an internal error. It has been logged; retrying may help.');

/** The client disconnected: there is nobody to answer. Never sent on the wire. */
export class ClientGoneError extends Error {
  override name = 'ClientGoneError';
  constructor() {
    super('client disconnected');
  }
}

const EXCERPT_CHARS = 64;

/**
 * A client-supplied value as it may appear in an error message: JSON-quoted (control
 * characters escaped), cut to a short excerpt with the full length noted. Every echo of
 * client input goes through here, so a 10 MB model name is never sent back whole.
 */
export function clientText(value: unknown, maxChars = EXCERPT_CHARS): string {
  if (typeof value !== 'string') return describeValue(value);
  if (value.length <= maxChars) return JSON.stringify(value);
  let end = maxChars;
  const last = value.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--;
  return `${JSON.stringify(value.slice(0, end))}… (${value.length} characters)`;
}

/** A non-string client value by its kind, never its content (an object could be megabytes). */
function describeValue(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}
