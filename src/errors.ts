// One error family for the whole gateway, and the single place that turns it into
// OpenAI's wire shape {"error":{"message","type","param","code"}}.

export type OpenAIErrorType =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'not_found_error'
  | 'rate_limit_error'
  | 'upstream_error'
  | 'server_error';

export interface OpenAIErrorBody {
  error: { message: string; type: OpenAIErrorType; param: string | null; code: string | null; request_id?: string };
}

interface GatewayErrorInit {
  status: number;
  type: OpenAIErrorType;
  message: string;
  param?: string | null;
  /** OpenAI's `code`. Named errorCode because Elysia's onError dispatches on `error.code`. */
  errorCode?: string | null;
  headers?: Record<string, string>;
}

export class GatewayError extends Error {
  readonly status: number;
  readonly type: OpenAIErrorType;
  readonly param: string | null;
  readonly errorCode: string | null;
  readonly headers: Record<string, string>;

  constructor(init: GatewayErrorInit) {
    super(init.message);
    this.name = 'GatewayError';
    this.status = init.status;
    this.type = init.type;
    this.param = init.param ?? null;
    this.errorCode = init.errorCode ?? null;
    this.headers = init.headers ?? {};
  }

  /** The wire shape; the request id (also in the X-Request-Id header) helps match a report to the logs. */
  toBody(requestId?: string): OpenAIErrorBody {
    const error: OpenAIErrorBody['error'] = { message: this.message, type: this.type, param: this.param, code: this.errorCode };
    if (requestId) error.request_id = requestId;
    return { error };
  }
}

export const invalidRequest = (message: string, param: string | null = null, errorCode: string | null = null) =>
  new GatewayError({ status: 400, type: 'invalid_request_error', message, param, errorCode });

export const notFound = (message: string, errorCode: string | null = null, param: string | null = null) =>
  new GatewayError({ status: 404, type: 'invalid_request_error', message, param, errorCode });

export const unauthorized = (message: string) =>
  new GatewayError({ status: 401, type: 'authentication_error', message, errorCode: 'invalid_api_key' });

export const payloadTooLarge = (limitBytes: number) =>
  new GatewayError({
    status: 413,
    type: 'invalid_request_error',
    message: `Request body is larger than ${limitBytes} bytes. Send a shorter conversation or raise MAX_BODY_BYTES.`,
    errorCode: 'request_too_large',
  });

export const headersTooLarge = (bytes: number, limitBytes: number) =>
  new GatewayError({
    status: 431,
    type: 'invalid_request_error',
    message:
      `The request line and headers take ${bytes} bytes; the limit is ${limitBytes}. ` +
      'Send fewer or shorter headers (large cookies are the usual cause).',
    errorCode: 'request_headers_too_large',
  });

export const internalError = () =>
  new GatewayError({
    status: 500,
    type: 'server_error',
    message: 'The gateway hit an internal error. It has been logged; retrying may help.',
    errorCode: 'internal_error',
  });

/** What logs and metrics record for a client that left: nginx's (and OpenAI's logs') 499. */
export const CLIENT_CLOSED_STATUS = 499;

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
