// Public types of the upstream emulator (the fake kimi-ai.chat). Other parts of the
// project code against these exact names.

export type FaultKind =
  | 'nonce_invalid'
  | 'nonce_403'
  | 'bad_request'
  | 'refused'
  | 'rate_limited'
  | 'challenge'
  | 'challenge_html'
  | 'server_error'
  | 'not_json'
  | 'reset'
  | 'slow'
  | 'redirect'
  | 'huge_json'
  | 'huge_html'
  | 'gzip_bomb'
  | 'echo'
  | 'script_flood'
  | 'big_cookie'
  // Page drift: the chat page as after a site redesign (on: 'page' only).
  | 'page_no_ajax'
  | 'page_no_nonce'
  // Model faults: they malform an answer that is a tool call (tool_*) or JSON (json_*) and
  // leave every other answer alone, unspent.
  | 'tool_fenced'
  | 'tool_bad_json'
  | 'tool_undeclared'
  | 'tool_none'
  | 'json_fenced'
  | 'json_invalid';

export const FAULT_KINDS: readonly FaultKind[] = [
  'nonce_invalid',
  'nonce_403',
  'bad_request',
  'refused',
  'rate_limited',
  'challenge',
  'challenge_html',
  'server_error',
  'not_json',
  'reset',
  'slow',
  'redirect',
  'huge_json',
  'huge_html',
  'gzip_bomb',
  'echo',
  'script_flood',
  'big_cookie',
  'page_no_ajax',
  'page_no_nonce',
  'tool_fenced',
  'tool_bad_json',
  'tool_undeclared',
  'tool_none',
  'json_fenced',
  'json_invalid',
];

export interface FaultRule {
  kind: FaultKind;
  /** Which requests it applies to; default 'message' (POST admin-ajax). 'page' = GET /chat/. */
  on?: 'message' | 'page';
  /** Only requests whose identity key equals this. */
  identity?: string;
  /** Apply to at most N matching requests, then the rule is spent (default: unlimited). A model fault only counts answers it changed. */
  times?: number;
  /** 0..1, chance a matching request gets the fault (seeded PRNG, options.seed). */
  probability?: number;
  /** For rate_limited: Retry-After header value (seconds or HTTP date). */
  retryAfter?: string;
  /** For challenge / server_error / challenge_html. */
  status?: number;
  /** For refused. */
  text?: string;
  /** For slow (default 30000). */
  delayMs?: number;
  /** For redirect: the Location header, sent as given (relative, another host, file:...). Default "/chat/". */
  location?: string;
  /** For huge_json / huge_html / gzip_bomb (body size after decompression) and big_cookie (cookie value size). */
  bytes?: number;
  /** For script_flood: how many empty <script> elements the page carries (default 300000). */
  count?: number;
}

export interface EmulatorOptions {
  port?: number;
  latencyMs?: number;
  replyLength?: number;
  nonceTtlMs?: number;
  staleNonceStyle?: 'json' | '403';
  bindNonceToCookie?: boolean;
  maxMessageLength?: number;
  pageFillerBytes?: number;
  nonceLength?: number;
  seed?: number;
  faults?: FaultRule[];
}

export type MessageOutcome =
  | 'ok'
  | FaultKind
  | 'stale_nonce'
  | 'too_long'
  | 'empty'
  | 'bad_model'
  | 'bad_form';

export interface ReceivedMessage {
  at: number;
  identity: string;
  nonce: string;
  message: string;
  model: string;
  sessionId: string;
  headers: Record<string, string>;
  outcome: MessageOutcome;
}

export interface IdentityStats {
  pages: number;
  messages: number;
  inFlight: number;
  maxInFlight: number;
  messageTimes: number[];
}

export type RuntimeConfig = Pick<
  EmulatorOptions,
  'latencyMs' | 'replyLength' | 'nonceTtlMs' | 'staleNonceStyle' | 'maxMessageLength'
>;

export interface Emulator {
  /** "http://127.0.0.1:PORT", no trailing slash. */
  url: string;
  port: number;
  received: ReceivedMessage[];
  stats(): Record<string, IdentityStats>;
  addFault(rule: FaultRule): void;
  clearFaults(): void;
  configure(patch: Partial<RuntimeConfig>): void;
  expireNonces(): void;
  reset(): void;
  stop(): Promise<void>;
}
