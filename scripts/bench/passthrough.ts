#!/usr/bin/env bun
// The speed yardstick: the least a gateway in front of kimi-ai.chat must do per request, as
// one `Bun.serve` with no pool, no sessions, no metrics and no logs. It visits the chat page
// once at start (cookie + nonce), then per POST /v1/chat/completions: checks the bearer key,
// reads the JSON body, posts the site's form with one fetch (the real client's fields and
// browser headers, the client's signal attached), parses the site's JSON answer and answers
// with an OpenAI chat.completion or a minimal SSE stream (role chunk at once, content chunk,
// finish chunk, [DONE]). Honest: one upstream POST per request, nothing cached between
// requests but what the gateway caches too (nonce, cookies, header set).
//
//   bun scripts/bench/passthrough.ts --upstream URL --api-key KEY [--port 0]
// Prints "passthrough listening on http://127.0.0.1:PORT" once ready.

export {}; // a module: top-level await below

const USER_AGENT = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
const MODELS: Record<string, string> = {
  'kimi-k2-instruct-0905': 'moonshotai/Kimi-K2-Instruct-0905',
  'kimi-k2-instruct': 'moonshotai/Kimi-K2-Instruct',
};
const DEFAULT_MODEL = 'kimi-k2-instruct-0905';
const SESSION_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';
const ID_ALPHABET = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const LABELS: Record<string, string> = { system: 'System', user: 'User', assistant: 'Assistant', tool: 'Tool' };
const SSE_HEADERS = { 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-cache, no-transform', 'X-Accel-Buffering': 'no' };

interface Args {
  port: number;
  upstream: string;
  apiKey: string;
}

function parseArgs(argv: readonly string[]): Args {
  const args: Partial<Args> = { port: 0 };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[++i];
    if (value === undefined) throw new Error(`${flag} needs a value`);
    if (flag === '--port') args.port = Number(value);
    else if (flag === '--upstream') args.upstream = value.replace(/\/+$/, '');
    else if (flag === '--api-key') args.apiKey = value;
    else throw new Error(`unknown option: ${flag}`);
  }
  if (args.upstream === undefined || args.apiKey === undefined) throw new Error('--upstream and --api-key are required');
  return args as Args;
}

/** The one page visit: the site's cookies and the nonce its `kimi_ajax` object carries. */
async function visitChatPage(baseUrl: string): Promise<{ cookie: string; nonce: string; ajaxUrl: string }> {
  const response = await fetch(`${baseUrl}/chat/`, { headers: { 'User-Agent': USER_AGENT, Accept: 'text/html' } });
  const html = await response.text();
  if (response.status !== 200) throw new Error(`GET /chat/ answered ${response.status}`);
  const config = /var kimi_ajax\s*=\s*(\{[^;]*\});/.exec(html)?.[1];
  if (config === undefined) throw new Error('GET /chat/: no kimi_ajax in the page');
  const { nonce, ajax_url } = JSON.parse(config) as { nonce?: string; ajax_url?: string };
  if (typeof nonce !== 'string') throw new Error('GET /chat/: kimi_ajax has no nonce');
  const cookie = response.headers
    .getSetCookie()
    .map((line) => line.split(';', 1)[0]?.trim() ?? '')
    .filter((pair) => pair.includes('='))
    .join('; ');
  const path = ajax_url === undefined ? '/wp-admin/admin-ajax.php' : new URL(ajax_url, baseUrl).pathname;
  return { cookie, nonce, ajaxUrl: `${baseUrl}${path}` };
}

function randomString(alphabet: string, length: number): string {
  let out = '';
  for (const b of crypto.getRandomValues(new Uint8Array(length))) out += alphabet[b % alphabet.length];
  return out;
}

function errorResponse(status: number, message: string, type: string): Response {
  return Response.json({ error: { message, type, param: null, code: null } }, { status });
}

interface ChatBody {
  model?: unknown;
  messages?: unknown;
  stream?: unknown;
}

/** The prompt as the gateway builds it: a lone user message as it is, otherwise a labelled transcript. */
function promptOf(messages: unknown): string | null {
  if (!Array.isArray(messages) || messages.length === 0) return null;
  const parts: string[] = [];
  for (const m of messages as { role?: unknown; content?: unknown }[]) {
    if (typeof m?.content !== 'string' || typeof m.role !== 'string') return null;
    parts.push(messages.length === 1 ? m.content : `${LABELS[m.role] ?? 'User'}: ${m.content}`);
  }
  return parts.join('\n\n');
}

const tokens = (text: string): number => Math.ceil(text.length / 4);

async function main(): Promise<void> {
  const args = parseArgs(Bun.argv.slice(2));
  const site = await visitChatPage(args.upstream);
  const expectedAuth = `Bearer ${args.apiKey}`;
  const upstreamHeaders: Record<string, string> = {
    'User-Agent': USER_AGENT,
    'Accept-Language': 'en-US,en;q=0.9',
    'Cache-Control': 'no-cache',
    Accept: 'application/json, text/javascript, */*; q=0.01',
    'Content-Type': 'application/x-www-form-urlencoded; charset=UTF-8',
    'X-Requested-With': 'XMLHttpRequest',
    Origin: new URL(args.upstream).origin,
    Referer: `${args.upstream}/chat/`,
    'Sec-Fetch-Dest': 'empty',
    'Sec-Fetch-Mode': 'cors',
    'Sec-Fetch-Site': 'same-origin',
    ...(site.cookie === '' ? {} : { Cookie: site.cookie }),
  };

  /** One upstream POST; the answer's text, or null for any failure. */
  const ask = async (prompt: string, upstreamModel: string, signal: AbortSignal): Promise<string | null> => {
    const form = new URLSearchParams({
      action: 'kimi_send_message',
      nonce: site.nonce,
      message: prompt,
      model: upstreamModel,
      session_id: `session_${Date.now()}_${randomString(SESSION_ALPHABET, 9)}`,
    });
    try {
      const res = await fetch(site.ajaxUrl, { method: 'POST', headers: upstreamHeaders, body: form.toString(), redirect: 'manual', signal });
      const text = await res.text();
      if (res.status !== 200) return null;
      const parsed = JSON.parse(text) as { success?: unknown; data?: { message?: unknown } };
      return parsed.success === true && typeof parsed.data?.message === 'string' ? parsed.data.message : null;
    } catch {
      return null;
    }
  };

  const server = Bun.serve({
    hostname: '127.0.0.1',
    port: args.port,
    async fetch(req) {
      if (new URL(req.url).pathname !== '/v1/chat/completions' || req.method !== 'POST') return errorResponse(404, 'not found', 'invalid_request_error');
      if (req.headers.get('authorization') !== expectedAuth) return errorResponse(401, 'invalid API key', 'invalid_request_error');
      let body: ChatBody;
      try {
        body = (await req.json()) as ChatBody;
      } catch {
        return errorResponse(400, 'the body is not JSON', 'invalid_request_error');
      }
      const prompt = promptOf(body.messages);
      if (prompt === null) return errorResponse(400, 'messages must be [{role, content}]', 'invalid_request_error');
      const model = typeof body.model === 'string' ? body.model : DEFAULT_MODEL;
      const upstreamModel = MODELS[model];
      if (upstreamModel === undefined) return errorResponse(404, `unknown model ${model}`, 'invalid_request_error');
      const id = `chatcmpl-${randomString(ID_ALPHABET, 24)}`;
      const created = Math.floor(Date.now() / 1000);

      if (body.stream !== true) {
        const answer = await ask(prompt, upstreamModel, req.signal);
        if (answer === null) return errorResponse(502, 'upstream failed', 'upstream_error');
        return Response.json({
          id,
          object: 'chat.completion',
          created,
          model,
          choices: [{ index: 0, message: { role: 'assistant', content: answer, refusal: null }, logprobs: null, finish_reason: 'stop' }],
          usage: { prompt_tokens: tokens(prompt), completion_tokens: tokens(answer), total_tokens: tokens(prompt) + tokens(answer) },
        });
      }

      const chunk = (delta: object, finish: string | null): string => {
        const choices = [{ index: 0, delta, logprobs: null, finish_reason: finish }];
        return `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, choices })}\n\n`;
      };
      const encoder = new TextEncoder();
      const upstreamCancel = new AbortController();
      return new Response(
        new ReadableStream<Uint8Array>({
          async start(controller) {
            controller.enqueue(encoder.encode(chunk({ role: 'assistant', content: '' }, null)));
            const answer = await ask(prompt, upstreamModel, AbortSignal.any([req.signal, upstreamCancel.signal]));
            if (upstreamCancel.signal.aborted) return;
            const tail =
              answer === null
                ? `data: ${JSON.stringify({ error: { message: 'upstream failed', type: 'upstream_error', param: null, code: null } })}\n\n`
                : chunk({ content: answer }, null) + chunk({}, 'stop') + 'data: [DONE]\n\n';
            controller.enqueue(encoder.encode(tail));
            controller.close();
          },
          cancel() {
            upstreamCancel.abort();
          },
        }),
        { headers: SSE_HEADERS },
      );
    },
  });
  const stop = (): void => {
    void server.stop(true).then(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  console.log(`passthrough listening on http://127.0.0.1:${server.port}`);
}

await main();
