// DELETE /v1/sessions/{id}: a client ends one of its own conversations.

import { clientText, GatewayError } from '../../errors.ts';
import type { SessionService } from '../../sessions/session-service.ts';
import { jsonResponse } from '../responses.ts';

export async function deleteSession(sessions: SessionService, caller: string, id: string): Promise<Response> {
  if (!(await sessions.delete(caller, id))) {
    throw new GatewayError('session_not_found', `No session ${clientText(id)} for this API key (it may have expired or been deleted already).`);
  }
  return jsonResponse({ id, object: 'session.deleted', deleted: true });
}
