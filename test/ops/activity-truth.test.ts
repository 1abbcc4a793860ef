// GET /admin/activity over HTTP, against the real gateway and the emulator: the client's own
// mistakes (400, 401, 404, 413) are counted as client errors, apart from what the gateway or
// the site failed; a request refused for its model keeps the name the client sent; an
// unmatched route keeps its path — while /metrics keeps its bounded route label.

import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { eventually, HARNESS_ADMIN_KEY, poolOf, startHarness, type Harness } from '../helpers/harness.ts';

interface Bucket {
  ok: number;
  clientErrors: number;
  failed: number;
  outcomes: Record<string, number>;
}
interface Entry {
  id: string;
  route: string;
  path?: string;
  status: number;
  model: string | null;
  outcome: string;
  result: string;
}
interface Snapshot {
  buckets: Bucket[];
  recent: Entry[];
}

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ accounts: poolOf(['solo']), env: { MAX_BODY_BYTES: '2048' } });
});
afterAll(async () => {
  await h?.stop();
});

async function activity(): Promise<Snapshot> {
  const res = await fetch(`${h.gateway.url}/admin/activity?minutes=15`, { headers: { authorization: `Bearer ${HARNESS_ADMIN_KEY}` } });
  expect(res.status).toBe(200);
  return (await res.json()) as Snapshot;
}

const REFUSED_MODEL = 'gpt-4o-<b>not</b>-here';
const asked = (id: string, body: unknown, headers: Record<string, string> = {}) =>
  h.call('/v1/chat/completions', { json: body, headers: { 'X-Request-Id': id, ...headers } });
const hello = { messages: [{ role: 'user', content: 'hello' }] };

describe('activity tells client errors from failures', () => {
  test('400, 401, 404 (unknown model, unknown URL) and 413 are client errors; a 5xx from the site is the one failure', async () => {
    const statuses: Record<string, number> = {};
    statuses.ok = (await asked('t-ok', hello)).status;
    statuses.bad = (await asked('t-400', { messages: 'not a list' })).status;
    statuses.key = (await asked('t-401', hello, { authorization: 'Bearer sk-wrong' })).status;
    statuses.model = (await asked('t-model', { ...hello, model: REFUSED_MODEL })).status;
    statuses.big = (await asked('t-413', { messages: [{ role: 'user', content: 'x'.repeat(4096) }] })).status;
    statuses.url = (await h.call('/v1/chat/complete', { headers: { 'X-Request-Id': 't-url' } })).status;
    h.emulator.addFault({ kind: 'server_error' });
    statuses.site = (await asked('t-5xx', hello)).status;
    h.emulator.clearFaults();
    expect(statuses).toEqual({ ok: 200, bad: 400, key: 401, model: 404, big: 413, url: 404, site: 502 });

    const ids = ['t-ok', 't-400', 't-401', 't-model', 't-413', 't-url', 't-5xx'];
    // A request is recorded once its response has left, which may be just after the client has it.
    expect(await eventually(async () => {
      const seen = new Set((await activity()).recent.map((r) => r.id));
      return ids.every((id) => seen.has(id));
    }, 5_000)).toBe(true);
    const snap = await activity();
    const byId = new Map(snap.recent.map((r) => [r.id, r]));
    expect(ids.map((id) => [id, byId.get(id)?.result])).toEqual([
      ['t-ok', 'ok'],
      ['t-400', 'client_error'],
      ['t-401', 'client_error'],
      ['t-model', 'client_error'],
      ['t-413', 'client_error'],
      ['t-url', 'client_error'],
      ['t-5xx', 'failed'],
    ]);
    const totals = snap.buckets.reduce((t, b) => ({ ok: t.ok + b.ok, clientErrors: t.clientErrors + b.clientErrors, failed: t.failed + b.failed }), {
      ok: 0,
      clientErrors: 0,
      failed: 0,
    });
    expect(totals).toEqual({ ok: 1, clientErrors: 5, failed: 1 });

    // The refused model's name as the client sent it; the unmatched route's path.
    expect(byId.get('t-model')).toMatchObject({ route: '/v1/chat/completions', model: REFUSED_MODEL, outcome: 'model_not_found', status: 404 });
    expect(byId.get('t-url')).toMatchObject({ route: 'unmatched', path: '/v1/chat/complete', status: 404 });
    expect(byId.get('t-ok')).not.toHaveProperty('path');

    // Metrics label the route, never the raw path, and fold the refused model into "other".
    const metrics = await (await fetch(`${h.gateway.url}/metrics`)).text();
    expect(metrics).toContain('kimi_gateway_requests_total{route="unmatched",model="",status="404"} 1');
    expect(metrics).not.toContain('/v1/chat/complete"');
    expect(metrics).not.toContain('not</b>');
    expect(metrics).toContain('kimi_gateway_requests_total{route="/v1/chat/completions",model="other",status="404"} 1');
  });
});
