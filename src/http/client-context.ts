// The two resolves every client API route group starts with, in this order: the caller's key
// (Authorization: Bearer or x-api-key) is checked before anything reads the body (a client
// without a key gets 401, never a 400 about its body), then the body is read under
// MAX_BODY_BYTES. Elysia's own parsing is off on these groups (`parse: 'none'`).

import { createClientCheck } from './auth.ts';
import { readJsonBody } from './read-body.ts';
import type { RequestTrace } from './request-trace.ts';

/** `bearer` is what @elysiajs/bearer extracted (see createClientCheck). */
export function callerResolve(apiKeys: readonly string[]) {
  const checkClient = createClientCheck(apiKeys);
  return ({ bearer: standardBearer, request, trace }: { bearer: string | undefined; request: Request; trace: RequestTrace }) => {
    const caller = checkClient(request.headers, standardBearer);
    trace.keyName = caller;
    return { caller };
  };
}

export function bodyResolve(maxBodyBytes: number) {
  return async ({ request, trace }: { request: Request; trace: RequestTrace }) => {
    const body = await readJsonBody(request, maxBodyBytes);
    trace.requested(body); // shown even if the request is refused
    return { body };
  };
}
