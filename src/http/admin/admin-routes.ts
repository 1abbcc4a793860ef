// /admin/* and /dashboard behind the admin key (AdminApi.authorize runs before every handler).

import type { GatewayApp } from '../app.ts';
import type { AdminApi } from './admin-api.ts';

export const adminRoutes = (admin: AdminApi) => (app: GatewayApp) =>
  app.guard({ parse: 'none', beforeHandle: ({ request }) => admin.authorize(request) }, (operator) =>
    operator
      .get('/dashboard', () => admin.dashboard())
      .get('/admin/canary', () => admin.canary())
      .get('/admin/identities', () => admin.identities())
      .post('/admin/identities/:id/:action', ({ params }) => admin.identityAction(params.id, params.action))
      .get('/admin/identities/:id', ({ params }) => admin.edits.get(params.id))
      .post('/admin/identities', ({ request }) => admin.edits.add(request))
      .post('/admin/identities/probe', ({ request }) => admin.edits.probe(request))
      .patch('/admin/identities/:id', ({ params, request }) => admin.edits.patch(params.id, request))
      .delete('/admin/identities/:id', ({ params }) => admin.edits.remove(params.id))
      .post('/admin/reload', () => admin.reload())
      .get('/admin/sessions', ({ request }) => admin.sessions(new URL(request.url)))
      .delete('/admin/sessions/:id', ({ request, params }) => admin.deleteSession(params.id, new URL(request.url)))
      .get('/admin/activity', ({ request }) => admin.activity(new URL(request.url))),
  );
