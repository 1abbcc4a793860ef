// ALERT_WEBHOOK_URL end to end: the gateway (source or binary) posts to a webhook receiver on
// loopback when the site canary marks the emulator's changed page as drift and when it
// recovers, and when its only identity is challenged (which leaves nobody to serve: both in
// one POST). No body carries a cookie, a key or the webhook's token; the log names the
// webhook by its origin only.

import { afterEach, expect, test } from 'bun:test';
import type { Server } from 'bun';
import type { AlertPayload } from '../../src/ops/alerts/alert.ts';
import { eventually, HARNESS_ADMIN_KEY, startHarness, TEST_KEY, type Harness } from '../helpers/harness.ts';

const TOKEN = 'T0KEN-b7e2c41f9a0d';
const COOKIE = 'wp-session-secret-5d93aa1c';
const DEADLINE = 20_000;

let h: Harness | null = null;
let server: Server<unknown> | null = null;
afterEach(async () => {
  await h?.stop();
  await server?.stop(true);
  h = null;
  server = null;
});

test('site drift and recovery, an identity challenged with nobody left to serve: JSON POSTs with a text line and no secret', async () => {
  const posts: Array<{ path: string; body: AlertPayload }> = [];
  server = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    async fetch(req) {
      const url = new URL(req.url);
      posts.push({ path: url.pathname + url.search, body: (await req.json()) as AlertPayload });
      return new Response('ok');
    },
  });
  const origin = `http://127.0.0.1:${server.port}`;
  const hook = `${origin}/services/${TOKEN}?token=${TOKEN}`;
  h = await startHarness({
    env: { CANARY_INTERVAL_MS: '1000', ALERT_WEBHOOK_URL: hook },
    accounts: { identities: [{ id: 'acc-1', cookies: `kimi_visitor=v-acc-1; wordpress_logged_in_x=${COOKIE}` }] },
  });
  const events = () => posts.flatMap((p) => p.body.alerts.map((a) => a.event));

  h.emulator.addFault({ kind: 'page_no_ajax', on: 'page' });
  expect(await eventually(() => events().includes('site_drift'), DEADLINE)).toBe(true);
  const drift = posts.find((p) => p.body.event === 'site_drift')!.body;
  expect(drift.text).toStartWith('kimi-gateway: site kimi-ai.chat changed, the gateway cannot use it: ');
  // (A copy: bun's toMatchObject puts its asymmetric matchers into the object it checks.)
  expect({ ...drift }).toMatchObject({
    site: 'kimi-ai.chat',
    state: 'drift',
    identity: null,
    reason: expect.stringContaining('kimi_ajax'),
    excerpt: expect.stringContaining('Kimi AI Chat'),
  });
  expect(drift.gateway.version).toMatch(/^\d+\.\d+\.\d+/);

  h.emulator.clearFaults();
  expect(await eventually(() => events().includes('site_recovered'), DEADLINE)).toBe(true);

  // One challenge takes the only identity out: nobody can serve.
  h.emulator.addFault({ kind: 'challenge', times: 1 });
  await (await h.call('/v1/chat/completions', { json: { messages: [{ role: 'user', content: 'hello' }] } })).arrayBuffer();
  expect(await eventually(() => events().includes('pool_out_of_service'), DEADLINE)).toBe(true);
  const out = posts.find((p) => p.body.alerts.some((a) => a.event === 'pool_out_of_service'))!.body;
  expect(out.alerts.map((a) => a.event)).toEqual(['identity_challenged', 'pool_out_of_service']);
  expect(out.event).toBe('multiple');
  expect(out.text).toContain('identity acc-1 was challenged by the site');
  expect(out.text).toContain('no identity can serve: the only identity is challenged, ejected or disabled');

  for (const { path, body } of posts) {
    expect(path).toBe(`/services/${TOKEN}?token=${TOKEN}`);
    expect(body.text).not.toMatch(/[\r\n]/);
    const text = JSON.stringify(body);
    for (const secret of [COOKIE, TOKEN, TEST_KEY, HARNESS_ADMIN_KEY]) expect({ secret, inBody: text.includes(secret) }).toEqual({ secret, inBody: false });
  }
  await h.stop();
  const logs = h.logs.join('\n');
  expect(logs).toContain(`"webhook":"${origin}"`);
  expect(logs).not.toContain(TOKEN);
  expect(logs).not.toContain(COOKIE);
}, 60_000);

test('a webhook URL that is not http(s) stops start-up without repeating it', async () => {
  const { parseCommandLine } = await import('../../src/config.ts');
  expect(() => parseCommandLine([], { ALERT_WEBHOOK_URL: `ftp://hooks.example/${TOKEN}` })).toThrow(
    'ALERT_WEBHOOK_URL: not an http:// or https:// URL (the value is not repeated here: it may hold a token).',
  );
  const run = parseCommandLine([], { ALERT_WEBHOOK_URL: `https://hooks.example/services/${TOKEN}?x=1` });
  expect(run.kind === 'run' && run.config.alertWebhookUrl).toBe(`https://hooks.example/services/${TOKEN}?x=1`);
  expect(() => parseCommandLine([], { CANARY_INTERVAL_MS: '500' })).toThrow('CANARY_INTERVAL_MS: "500" is not a whole number between 1000 and 86400000. Use 0 to turn it off.');
  const off = parseCommandLine([], { CANARY_INTERVAL_MS: '0' });
  expect(off.kind === 'run' && off.config.canaryIntervalMs).toBe(0);
});
