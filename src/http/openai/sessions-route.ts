// DELETE /v1/sessions/{id}: a client ends one of its own conversations.

import { clientText, notFound } from '../../errors.ts';
import type { SessionService } from '../../sessions/session-service.ts';
import { jsonResponse } from '../responses.ts';

export function deleteSession(sessions: SessionService, caller: string, id: string): Response {
  if (!sessions.delete(caller, id)) {
    throw notFound(`No session ${clientText(id)} for this API key (it may have expired or been deleted already).`, 'session_not_found');
  }
  return jsonResponse({ id, object: 'session.deleted', deleted: true });
}
