// Canned upstream answers: what WordPress, nginx and Cloudflare send back, byte for byte.

const AJAX_HEADERS = {
  'content-type': 'application/json; charset=UTF-8',
  server: 'nginx',
  'x-robots-tag': 'noindex',
  'x-content-type-options': 'nosniff',
  expires: 'Wed, 11 Jan 1984 05:00:00 GMT',
  'cache-control': 'no-cache, must-revalidate, max-age=0, no-store, private',
  'referrer-policy': 'strict-origin-when-cross-origin',
  'x-frame-options': 'SAMEORIGIN',
} as const;

const HTML_AJAX_HEADERS = { ...AJAX_HEADERS, 'content-type': 'text/html; charset=UTF-8' } as const;

const NGINX_REASONS: Record<number, string> = {
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Temporarily Unavailable',
  504: 'Gateway Time-out',
};

/** PHP's json_encode escapes "/" and so does WordPress; "/" only occurs inside strings. */
function wpJson(value: unknown): string {
  return JSON.stringify(value).replaceAll('/', '\\/');
}

export function ajaxSuccess(message: string): Response {
  return new Response(wpJson({ success: true, data: { message } }), { headers: AJAX_HEADERS });
}

/** wp_send_json_error(text): HTTP 200 with success false. */
export function ajaxError(text: string): Response {
  return new Response(wpJson({ success: false, data: text }), { headers: AJAX_HEADERS });
}

/** A plugin-level limit: wp_send_json_error(text, 429), optionally with Retry-After. */
export function ajaxRateLimited(retryAfter: string | undefined): Response {
  const body = wpJson({ success: false, data: 'Too many requests. Please wait a moment and try again.' });
  const headers: Record<string, string> = { ...AJAX_HEADERS };
  if (retryAfter !== undefined) headers['retry-after'] = retryAfter;
  return new Response(body, { status: 429, headers });
}

/** wp_die() as admin-ajax.php uses it: a bare "0" or "-1" body. */
export function ajaxDie(body: '0' | '-1', status: number): Response {
  return new Response(body, { status, headers: HTML_AJAX_HEADERS });
}

export function staleNonce(style: 'json' | '403'): Response {
  return style === '403' ? ajaxDie('-1', 403) : ajaxError('Invalid security token');
}

export function phpFatalFragment(): Response {
  const body =
    '<br />\n<b>Fatal error</b>:  Allowed memory size of 134217728 bytes exhausted (tried to allocate 20480 bytes) in ' +
    '<b>/var/www/html/wp-content/plugins/kimi-chat/includes/class-kimi-api.php</b> on line <b>212</b><br />\n';
  return new Response(body, { headers: HTML_AJAX_HEADERS });
}

export function nginxError(status: number): Response {
  const title = `${status} ${NGINX_REASONS[status] ?? 'Error'}`;
  const body = `<html>\r\n<head><title>${title}</title></head>\r\n<body>\r\n<center><h1>${title}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n`;
  return new Response(body, { status, headers: { 'content-type': 'text/html', server: 'nginx' } });
}

export function notFoundPage(): Response {
  const body =
    '<!DOCTYPE html>\n<html lang="en-US">\n<head><meta charset="UTF-8"><title>Page not found &#8211; Kimi AI</title></head>\n' +
    '<body class="error404"><main><h1 class="page-title">This page doesn&rsquo;t seem to exist.</h1></main></body>\n</html>\n';
  return new Response(body, { status: 404, headers: { 'content-type': 'text/html; charset=UTF-8', server: 'nginx' } });
}

/** The peer sees its connection dropped (TCP RST) before any response byte. */
export function connectionReset(): Response {
  return new Response(
    new ReadableStream({
      start(controller) {
        // An error without a reason keeps Bun from logging it as an unhandled error.
        controller.error();
      },
    }),
  );
}
