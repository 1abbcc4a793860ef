// ALERT_WEBHOOK_URL's sender against a real webhook receiver on loopback (Bun.serve in this
// test): the JSON of every event kind, coalescing within the window, a flapping identity held
// back, retries with backoff after a 500, redirects not followed, a bounded queue and a
// bounded read of the answer, and no secret in any body or log line. The sender's timers
// (window, hold, backoff) run on a fake clock; its POSTs are real.

import { afterEach, describe, expect, test } from 'bun:test';
import type { Server } from 'bun';
import { SiteCanary } from '../../src/chat/canary/site-canary.ts';
import { Failover } from '../../src/chat/failover.ts';
import { createLogger } from '../../src/log.ts';
import { ALERT_EVENTS, type Alert, type AlertPayload } from '../../src/ops/alerts/alert.ts';
import { alertRedactor } from '../../src/ops/alerts/alert-secrets.ts';
import { watchCanary, watchPool } from '../../src/ops/alerts/alert-watch.ts';
import { AlertWebhook, webhookSecrets, type AlertWebhookOptions } from '../../src/ops/alerts/alert-webhook.ts';
import { DEFAULT_HEALTH_POLICY } from '../../src/pool/health.ts';
import type { IdentityConfig } from '../../src/pool/identity-config.ts';
import { IdentityPool } from '../../src/pool/identity-pool.ts';
import type { SiteCheck } from '../../src/providers/provider.ts';
import { eventually } from '../helpers/harness.ts';
import { FakeClock, settle } from '../support/fake-clock.ts';
import { FakeProvider, type FakeIdentity } from '../support/fake-provider.ts';

const WINDOW = 2_000;
const HOLD = 60_000;
const TOKEN_PATH = '/hooks/T0KEN-path-5e1f0a9b77';
const QUERY_SECRET = 'query-secret-83c1d2e4';

interface Received {
  path: string;
  contentType: string | null;
  body: AlertPayload;
}

type Answer = Response | (() => Response | Promise<Response>);

/** A webhook receiver: records every POST and answers from a script (then 200 "ok"). */
class Receiver {
  readonly received: Received[] = [];
  readonly answers: Answer[] = [];
  readonly server: Server<unknown>;

  constructor() {
    this.server = Bun.serve({
      hostname: '127.0.0.1',
      port: 0,
      fetch: async (req) => {
        const url = new URL(req.url);
        const body = JSON.parse(await req.text()) as AlertPayload;
        this.received.push({ path: url.pathname + url.search, contentType: req.headers.get('content-type'), body });
        const next = this.answers.shift();
        if (!next) return new Response('ok');
        return typeof next === 'function' ? next() : next;
      },
    });
  }

  get url(): string {
    return `http://127.0.0.1:${this.server.port}${TOKEN_PATH}?key=${QUERY_SECRET}`;
  }

  get origin(): string {
    return `http://127.0.0.1:${this.server.port}`;
  }

  bodies(): AlertPayload[] {
    return this.received.map((r) => r.body);
  }
}

let receivers: Receiver[] = [];
afterEach(async () => {
  for (const r of receivers) await r.server.stop(true);
  receivers = [];
});

function receiver(): Receiver {
  const r = new Receiver();
  receivers.push(r);
  return r;
}

function sender(r: Receiver, extra: Partial<AlertWebhookOptions> = {}) {
  const clock = new FakeClock();
  const logs: string[] = [];
  const log = createLogger({ level: 'debug', pretty: false, write: (line) => logs.push(line) });
  const webhook = new AlertWebhook({
    url: r.url,
    site: 'fake.site',
    version: '9.9.9',
    log,
    windowMs: WINDOW,
    holdMs: HOLD,
    maxAttempts: 3,
    retryBaseMs: 1_000,
    retryMaxMs: 30_000,
    now: clock.now,
    timers: clock.timers,
    random: () => 0.5,
    ...extra,
  });
  return { clock, logs, webhook };
}

const alert = (over: Partial<Alert> & Pick<Alert, 'event' | 'subject' | 'state'>): Alert => ({
  quiet: over.subject === 'site' ? 'ok' : over.subject === 'pool' ? 'serving' : 'ready',
  damped: over.subject !== 'site',
  identity: over.subject.startsWith('identity:') ? over.subject.slice('identity:'.length) : null,
  reason: null,
  excerpt: null,
  text: `${over.subject} is ${over.state}`,
  at: 0,
  ...over,
});

const received = (r: Receiver, n: number) => eventually(() => r.received.length >= n, 5_000);
/** Waits until the sender is sleeping before a retry (a timer of `ms` was set). */
const backoffArmed = (clock: FakeClock, ms: number, count = 1) => eventually(() => clock.delays.filter((d) => d === ms).length >= count, 5_000);

describe('what is sent', () => {
  test('every event kind arrives as a JSON POST with a one-line text and structured fields', async () => {
    const r = receiver();
    const { clock, webhook } = sender(r);
    const provider = new FakeProvider();
    const config = (id: string): IdentityConfig => ({ id, cookies: `visitor=v-${id}`, weight: 1, maxConcurrent: 2, rpm: 0, enabled: true });
    const pool = new IdentityPool<FakeIdentity>({
      identities: [config('a'), config('b')],
      states: provider,
      policy: { ...DEFAULT_HEALTH_POLICY, ejectAfter: 2, random: () => 0.5 },
      queueMax: 1,
      queueTimeoutMs: 1_000,
      now: clock.now,
      timers: clock.timers,
    });
    const failover = new Failover({ provider, pool, maxAttempts: 1, attemptTimeoutMs: 5_000, now: clock.now });
    const canary = new SiteCanary({ provider, pool, failover, intervalMs: 60_000, timeoutMs: 5_000, now: clock.now, timers: clock.timers });
    const notify = (a: Alert) => webhook.notify(a);
    watchPool(pool as IdentityPool<unknown>, notify, clock.now);
    watchCanary(canary as SiteCanary<unknown>, provider.site, notify);
    const window = async (expected: number) => {
      clock.advance(WINDOW);
      expect(await received(r, expected)).toBe(true);
    };
    // Page checks only: a recent answer spares the round trip.
    const checks = async (...results: SiteCheck[]) => {
      for (const check of results) {
        provider.siteScript.push(check);
        await failover.probe('b', 1_000);
        await canary.runNow();
      }
    };

    await checks({ result: 'drift', reason: 'the chat page has no <script> defining kimi_ajax', excerpt: 'Kimi – new look' });
    await checks({ result: 'drift', reason: 'the chat page has no <script> defining kimi_ajax', excerpt: 'Kimi – new look' });
    await window(1);
    await checks({ result: 'down', reason: 'HTTP 502 Bad Gateway' });
    await window(2);
    await checks({ result: 'ok' });
    await window(3);

    provider.answer('a', { kind: 'challenged', detail: 'Cloudflare challenge (HTTP 403)' });
    await failover.probe('a', 1_000);
    await window(4);
    provider.always('b', { kind: 'transient', detail: 'HTTP 504 Gateway Time-out', timedOut: false });
    await failover.probe('b', 1_000);
    await failover.probe('b', 1_000);
    await window(5); // b ejected, and with a challenged, nobody can serve
    clock.advance(HOLD);
    pool.enable('a');
    await window(6);

    const bodies = r.bodies();
    const [drift, down, recovered, challenged, ejected, back] = bodies;
    expect(drift).toMatchObject({
      event: 'site_drift',
      site: 'fake.site',
      identity: null,
      state: 'drift',
      reason: 'the chat page has no <script> defining kimi_ajax',
      excerpt: 'Kimi – new look',
      gateway: { name: 'kimi-gateway', version: '9.9.9' },
    });
    expect(drift!.text).toBe('kimi-gateway: site fake.site changed, the gateway cannot use it: the chat page has no <script> defining kimi_ajax');
    expect(down).toMatchObject({ event: 'site_down', state: 'down', reason: 'HTTP 502 Bad Gateway', text: 'kimi-gateway: site fake.site is down: HTTP 502 Bad Gateway' });
    expect(recovered).toMatchObject({ event: 'site_recovered', state: 'ok', reason: null, text: 'kimi-gateway: site fake.site is back: the canary check passes' });
    expect(challenged).toMatchObject({ event: 'identity_challenged', identity: 'a', state: 'challenged', reason: 'Cloudflare challenge (HTTP 403)' });
    expect(ejected).toMatchObject({ event: 'multiple', identity: null, state: null });
    expect(ejected!.alerts.map((a) => [a.event, a.identity, a.state])).toEqual([
      ['identity_ejected', 'b', 'ejected'],
      ['pool_out_of_service', null, 'out_of_service'],
    ]);
    expect(ejected!.text).toBe(
      'kimi-gateway: 2 changes: identity b was ejected for a while: 2 faults in a row, last: HTTP 504 Gateway Time-out; ' +
        'no identity can serve: all 2 identities are challenged, ejected or disabled (1 challenged, 1 ejected)',
    );
    expect(back!.alerts.map((a) => a.event)).toEqual(['identity_recovered', 'pool_recovered']);
    expect(back!.alerts[0]).toMatchObject({ identity: 'a', state: 'ready', text: 'identity a is back in rotation' });

    const events = new Set(bodies.flatMap((b) => b.alerts.map((a) => a.event)));
    expect([...events].sort()).toEqual([...ALERT_EVENTS].sort());
    for (const { body, contentType } of r.received) {
      expect(contentType).toBe('application/json');
      expect(body.text).toStartWith('kimi-gateway: ');
      expect(body.text).not.toMatch(/[\r\n]/);
      expect(new Date(body.at).toISOString()).toBe(body.at);
      for (const a of body.alerts) expect(a.changes).toBeGreaterThanOrEqual(1);
    }
    expect(webhook.stats).toMatchObject({ sent: 6, failed: 0, dropped: 0, pending: 0, queued: 0 });
  });

  test('changes within the window go out as one POST; a change undone within it is no news', async () => {
    const r = receiver();
    const { clock, webhook } = sender(r);
    webhook.notify(alert({ event: 'site_down', subject: 'site', state: 'down', reason: 'timed out' }));
    clock.advance(WINDOW / 2);
    webhook.notify(alert({ event: 'identity_challenged', subject: 'identity:a', state: 'challenged' }));
    clock.advance(WINDOW / 2 - 1);
    expect(webhook.stats).toMatchObject({ pending: 2, queued: 0 });
    clock.advance(1);
    expect(await received(r, 1)).toBe(true);
    expect(r.bodies()[0]).toMatchObject({ event: 'multiple', text: 'kimi-gateway: 2 changes: site is down; identity:a is challenged' });
    expect(r.bodies()[0]!.alerts.map((a) => a.event)).toEqual(['site_down', 'identity_challenged']);

    // An identity ejected and back within the window: nothing to say.
    webhook.notify(alert({ event: 'identity_ejected', subject: 'identity:b', state: 'ejected' }));
    webhook.notify(alert({ event: 'identity_recovered', subject: 'identity:b', state: 'ready' }));
    clock.advance(WINDOW);
    expect(webhook.stats).toMatchObject({ pending: 0, queued: 0 });
    await webhook.idle();
    expect(r.received).toHaveLength(1);
  });

  test('a flapping identity is heard of once per hold time, with the count of its changes', async () => {
    const r = receiver();
    const { clock, webhook } = sender(r);
    const flap = (state: 'ejected' | 'ready') =>
      webhook.notify(alert({ event: state === 'ejected' ? 'identity_ejected' : 'identity_recovered', subject: 'identity:a', state }));
    flap('ejected');
    clock.advance(WINDOW);
    expect(await received(r, 1)).toBe(true);
    for (let i = 0; i < 6; i++) {
      flap(i % 2 === 0 ? 'ready' : 'ejected');
      clock.advance(5_000);
    }
    expect(webhook.stats).toMatchObject({ queued: 0, pending: 1 });
    // Ejected again when the hold ends: where the last POST left it, nothing sent.
    clock.advance(HOLD);
    expect(webhook.stats).toMatchObject({ queued: 0, pending: 0 });
    expect(r.received).toHaveLength(1);
    // The hold since that POST is over: the next change goes out after the window.
    flap('ready');
    clock.advance(WINDOW);
    expect(await received(r, 2)).toBe(true);
    expect(r.bodies()[1]).toMatchObject({ event: 'identity_recovered', identity: 'a', alerts: [{ changes: 1 }] });
    // Three changes within the next hold: one POST at its end, with the last state and the count.
    for (const state of ['ejected', 'ready', 'ejected'] as const) {
      flap(state);
      clock.advance(WINDOW);
    }
    expect(webhook.stats).toMatchObject({ pending: 1, queued: 0 });
    clock.advance(HOLD);
    expect(await received(r, 3)).toBe(true);
    expect(r.bodies()[2]).toMatchObject({ event: 'identity_ejected', identity: 'a', state: 'ejected', alerts: [{ changes: 3 }] });
    await webhook.idle();
    expect(r.received).toHaveLength(3);
  });

  test('the site is not held: drift, then recovery right after, are both posted', async () => {
    const r = receiver();
    const { clock, webhook } = sender(r);
    webhook.notify(alert({ event: 'site_drift', subject: 'site', state: 'drift' }));
    clock.advance(WINDOW);
    webhook.notify(alert({ event: 'site_recovered', subject: 'site', state: 'ok' }));
    clock.advance(WINDOW);
    expect(await received(r, 2)).toBe(true);
    expect(r.bodies().map((b) => b.event)).toEqual(['site_drift', 'site_recovered']);
  });
});

describe('delivery', () => {
  test('a 500 is retried with exponential backoff (Retry-After honoured) until it is taken', async () => {
    const r = receiver();
    r.answers.push(new Response('boom', { status: 500 }), new Response('busy', { status: 429, headers: { 'Retry-After': '7' } }), new Response('no', { status: 503 }));
    const { clock, webhook } = sender(r, { maxAttempts: 4 });
    webhook.notify(alert({ event: 'site_down', subject: 'site', state: 'down' }));
    clock.advance(WINDOW);
    expect(await received(r, 1)).toBe(true);
    expect(await backoffArmed(clock, 750)).toBe(true); // 1 s base, jitter on the upper half
    clock.advance(750);
    expect(await received(r, 2)).toBe(true);
    expect(await backoffArmed(clock, 7_000)).toBe(true);
    clock.advance(7_000);
    expect(await received(r, 3)).toBe(true);
    expect(await backoffArmed(clock, 3_000)).toBe(true); // third try: 4 s ceiling
    clock.advance(3_000);
    expect(await received(r, 4)).toBe(true);
    await webhook.idle();
    expect(webhook.stats).toMatchObject({ sent: 1, failed: 0, queued: 0 });
    expect(new Set(r.received.map((x) => JSON.stringify(x.body))).size).toBe(1);
  });

  test('after maxAttempts failures the alert is given up, logged by origin only, and the next one still goes', async () => {
    const r = receiver();
    for (let i = 0; i < 3; i++) r.answers.push(new Response('down', { status: 502 }));
    const { clock, webhook, logs } = sender(r, { maxAttempts: 3 });
    webhook.notify(alert({ event: 'site_down', subject: 'site', state: 'down' }));
    clock.advance(WINDOW);
    expect(await received(r, 1)).toBe(true);
    expect(await backoffArmed(clock, 750)).toBe(true);
    clock.advance(750);
    expect(await received(r, 2)).toBe(true);
    expect(await backoffArmed(clock, 1_500)).toBe(true);
    clock.advance(1_500);
    expect(await received(r, 3)).toBe(true);
    await webhook.idle();
    expect(webhook.stats).toMatchObject({ sent: 0, failed: 1 });
    const line = logs.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.msg === 'alert not delivered to the webhook');
    expect(line).toMatchObject({ level: 'warn', webhook: r.origin, event: 'site_down', attempts: 3, error: 'HTTP 502' });
    webhook.notify(alert({ event: 'site_recovered', subject: 'site', state: 'ok' }));
    clock.advance(WINDOW);
    expect(await received(r, 4)).toBe(true);
    await webhook.idle();
    expect(webhook.stats).toMatchObject({ sent: 1, failed: 1 });
  });

  test('no answer within the timeout counts as a failure and is retried', async () => {
    const r = receiver();
    let release: () => void = () => undefined;
    r.answers.push(() => new Promise<Response>((resolve) => (release = () => resolve(new Response('late')))));
    const { clock, webhook } = sender(r, { timeoutMs: 200 });
    webhook.notify(alert({ event: 'site_down', subject: 'site', state: 'down' }));
    clock.advance(WINDOW);
    expect(await backoffArmed(clock, 750)).toBe(true);
    release();
    clock.advance(750);
    expect(await received(r, 2)).toBe(true);
    await webhook.idle();
    expect(webhook.stats).toMatchObject({ sent: 1, failed: 0 });
  });

  test('a redirect is not followed (nor retried)', async () => {
    const r = receiver();
    const elsewhere = receiver();
    r.answers.push(new Response(null, { status: 307, headers: { Location: `${elsewhere.origin}/catch` } }));
    const { clock, webhook, logs } = sender(r);
    webhook.notify(alert({ event: 'site_down', subject: 'site', state: 'down' }));
    clock.advance(WINDOW);
    expect(await received(r, 1)).toBe(true);
    await webhook.idle();
    expect(webhook.stats).toMatchObject({ sent: 0, failed: 1 });
    expect(elsewhere.received).toHaveLength(0);
    expect(r.received).toHaveLength(1);
    expect(logs.some((l) => l.includes('a redirect, not followed'))).toBe(true);
  });

  test("the webhook's answer is read only a few KB into a long body", async () => {
    const r = receiver();
    let produced = 0;
    const chunk = new Uint8Array(64 * 1024).fill(120);
    r.answers.push(
      () =>
        new Response(
          new ReadableStream<Uint8Array>(
            {
              pull(controller) {
                produced += chunk.byteLength;
                controller.enqueue(chunk);
                if (produced >= 512 * 1024 * 1024) controller.close();
              },
            },
            { highWaterMark: 0 },
          ),
        ),
    );
    const { clock, webhook } = sender(r);
    webhook.notify(alert({ event: 'site_down', subject: 'site', state: 'down' }));
    clock.advance(WINDOW);
    expect(await received(r, 1)).toBe(true);
    await webhook.idle();
    expect(webhook.stats.sent).toBe(1);
    // What loopback socket buffers take before the cancel lands (measured: a few MB), not the 512 MB on offer.
    expect(produced).toBeLessThan(64 * 1024 * 1024);
  });

  test('notify never waits: with a POST hanging, the queue stays bounded by dropping the oldest waiting alert', async () => {
    const r = receiver();
    let release: () => void = () => undefined;
    r.answers.push(() => new Promise<Response>((resolve) => (release = () => resolve(new Response('ok')))));
    const { clock, webhook, logs } = sender(r, { maxQueue: 2, timeoutMs: 60_000 });
    const states = ['drift', 'down', 'ok', 'drift'] as const;
    for (const state of states) {
      webhook.notify(alert({ event: state === 'ok' ? 'site_recovered' : state === 'drift' ? 'site_drift' : 'site_down', subject: 'site', state }));
      clock.advance(WINDOW);
      if (state === 'drift' && r.received.length === 0) expect(await received(r, 1)).toBe(true);
    }
    expect(webhook.stats).toMatchObject({ queued: 2, dropped: 2 });
    expect(logs.filter((l) => l.includes('alert queue full'))).toHaveLength(2);
    release();
    expect(await received(r, 2)).toBe(true);
    await webhook.idle();
    expect(r.bodies().map((b) => b.state)).toEqual(['drift', 'drift']);
    expect(webhook.stats).toMatchObject({ sent: 2, queued: 0 });
  });

  test('close() posts what is pending at once', async () => {
    const r = receiver();
    const { webhook } = sender(r);
    webhook.notify(alert({ event: 'site_down', subject: 'site', state: 'down' }));
    await webhook.close(5_000);
    expect(r.bodies().map((b) => b.event)).toEqual(['site_down']);
    webhook.notify(alert({ event: 'site_recovered', subject: 'site', state: 'ok' }));
    expect(webhook.stats.pending).toBe(0);
  });
});

test('no secret in any body or log line: cookies, proxy credentials, keys, the webhook URL token', async () => {
  const r = receiver();
  const COOKIE = 'wp-logged-in-secret-a81f3c';
  const PROXY_PASSWORD = 'proxy-pass-77d0e1';
  const API_KEY = 'sk-client-key-4c2b9a10';
  const provider = new FakeProvider();
  const clock = new FakeClock();
  const pool = new IdentityPool<FakeIdentity>({
    identities: [
      {
        id: 'acc-1',
        cookies: `wordpress_logged_in_x=${COOKIE}; kimi_visitor=v-acc-1`,
        proxy: `http://bob:${PROXY_PASSWORD}@127.0.0.1:3128`,
        weight: 1,
        maxConcurrent: 1,
        rpm: 0,
        enabled: true,
      },
    ],
    states: provider,
    policy: DEFAULT_HEALTH_POLICY,
    queueMax: 1,
    queueTimeoutMs: 1_000,
    now: clock.now,
    timers: clock.timers,
  });
  r.answers.push(new Response('nope', { status: 404 }));
  const { webhook, logs } = sender(r, { redactor: alertRedactor(pool as IdentityPool<unknown>, [API_KEY, ...webhookSecrets(r.url)]) });
  // A reason that quotes everything, as a careless upstream error page might.
  const leaky = `echo: Cookie wordpress_logged_in_x=${COOKIE}; proxy bob:${PROXY_PASSWORD}; key ${API_KEY}; hook ${r.url} path ${TOKEN_PATH} q=${QUERY_SECRET}`;
  webhook.notify(alert({ event: 'identity_challenged', subject: 'identity:acc-1', state: 'challenged', reason: leaky, excerpt: leaky, text: `identity acc-1 was challenged: ${leaky}` }));
  await webhook.close(5_000);
  webhook.notify(alert({ event: 'site_down', subject: 'site', state: 'down', reason: leaky }));
  expect(r.received).toHaveLength(1);
  const everything = JSON.stringify(r.bodies()) + logs.join('\n');
  for (const secret of [COOKIE, PROXY_PASSWORD, API_KEY, TOKEN_PATH, QUERY_SECRET, 'T0KEN-path-5e1f0a9b77']) {
    expect({ secret, found: everything.includes(secret) }).toEqual({ secret, found: false });
  }
  expect(r.bodies()[0]!.reason).toContain('***');
  expect(r.bodies()[0]!.identity).toBe('acc-1');
  // The failure is logged, naming the webhook by its origin.
  expect(logs.some((l) => l.includes('alert not delivered') && l.includes(`"webhook":"${r.origin}"`))).toBe(true);
  await settle();
});
