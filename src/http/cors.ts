// CORS for browser clients (NextChat, LobeChat call the API straight from the page).

export const CORS_HEADERS: Record<string, string> = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Expose-Headers': 'Retry-After, X-Context-Dropped-Messages, X-Request-Id, X-Session-Id',
};

export function preflightResponse(request: Request): Response {
  return new Response(null, {
    status: 204,
    headers: {
      ...CORS_HEADERS,
      'Access-Control-Allow-Methods': 'GET, POST, PATCH, DELETE, OPTIONS',
      'Access-Control-Allow-Headers': request.headers.get('access-control-request-headers') ?? 'Authorization, Content-Type, X-Api-Key',
      'Access-Control-Max-Age': '86400',
    },
  });
}
