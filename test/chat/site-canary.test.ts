// The site canary on its own: a real IdentityPool and Failover over the fake provider, a fake
// clock for time and the canary's timers. The provider's checkSite answers from a script;
// its send() answers the round trips (and the traffic the tests make).

import { describe, expect, test } from 'bun:test';
import { SiteCanary, type CanaryEvent } from '../../src/chat/canary/site-canary.ts';
import { Failover, type FailoverJob } from '../../src/chat/failover.ts';
import type { IdentityConfig } from '../../src/pool/identity-config.ts';
import type { UpstreamOutcome } from '../../src/providers/outcome.ts';
import type { SiteCheck } from '../../src/providers/provider.ts';
import { FakeClock, settle } from '../support/fake-clock.ts';
import { fakePool } from '../support/fake-pool.ts';
import { FakeProvider } from '../support/fake-provider.ts';
import { identity as baseIdentity } from '../support/identities.ts';

const INTERVAL = 60_000;
const OK_PAGE: SiteCheck = { result: 'ok' };
const DRIFT: SiteCheck = { result: 'drift', reason: 'the chat page has no <script> defining kimi_ajax', excerpt: 'Kimi AI – new look' };
const DOWN: SiteCheck = { result: 'down', reason: 'network error on the chat page: ECONNREFUSED' };
const FAULT: UpstreamOutcome = { kind: 'transient', detail: 'HTTP 502 Bad Gateway', timedOut: false };

const identity = (id: string, extra: Partial<IdentityConfig> = {}): IdentityConfig =>
  baseIdentity(id, { cookies: `visitor=${id}-cookie-value`, maxConcurrent: 2, ...extra });

function setup(ids: Array<string | IdentityConfig> = ['a', 'b'], intervalMs = INTERVAL) {
  const clock = new FakeClock();
  const provider = new FakeProvider();
  const pool = fakePool(provider, clock, { identities: ids.map((i) => (typeof i === 'string' ? identity(i) : i)) });
  const failover = new Failover({ provider, pool, maxAttempts: 2, attemptTimeoutMs: 10_000, now: clock.now });
  const canary = new SiteCanary({ provider, pool, failover, intervalMs, timeoutMs: 5_000, now: clock.now, timers: clock.timers });
  const events: CanaryEvent[] = [];
  canary.onEvent((e) => events.push(e));
  const tick = async (ms: number) => {
    clock.advance(ms);
    await settle();
  };
  const job = (): FailoverJob => ({
    prompt: 'hello',
    model: provider.defaultModel,
    conversation: 'c',
    preferredIdentityId: null,
    signal: new AbortController().signal,
    deadline: clock.now() + 60_000,
  });
  const changes = () => events.flatMap((e) => (e.type === 'change' ? [`${e.change.from}→${e.change.to}`] : []));
  return { clock, provider, pool, failover, canary, events, tick, job, changes };
}

describe('schedule', () => {
  test('the first run comes half an interval after start, then one every interval; none after stop', async () => {
    const { clock, provider, canary, tick } = setup();
    expect(clock.pending).toBe(0);
    canary.start();
    expect(canary.view().nextRunAt).toBe(clock.now() + INTERVAL / 2);
    await tick(INTERVAL / 2 - 1);
    expect(provider.siteChecks).toHaveLength(0);
    await tick(1);
    expect(provider.siteChecks).toHaveLength(1);
    await tick(INTERVAL - 1);
    expect(provider.siteChecks).toHaveLength(1);
    await tick(1);
    expect(provider.siteChecks).toHaveLength(2);
    await tick(INTERVAL);
    expect(provider.siteChecks).toHaveLength(3);
    await canary.stop();
    expect(clock.pending).toBe(0);
    await tick(10 * INTERVAL);
    expect(provider.siteChecks).toHaveLength(3);
    expect(canary.view().nextRunAt).toBeNull();
  });

  test('a run never overlaps the next: a slow check delays it, and the next is due an interval after it began', async () => {
    const { provider, canary, tick, clock } = setup();
    let finish: (check: SiteCheck) => void = () => undefined;
    provider.siteScript.push(() => new Promise<SiteCheck>((resolve) => (finish = resolve)));
    canary.start();
    await tick(INTERVAL / 2);
    const began = clock.now();
    await tick(2 * INTERVAL);
    expect(provider.siteChecks).toHaveLength(1);
    expect(canary.runNow()).toBe(canary.runNow()); // joins the run in progress
    finish(OK_PAGE);
    await settle();
    // Overdue: the next run starts at once (delay 0), not another interval later.
    expect(canary.view().nextRunAt).toBe(clock.now());
    await tick(0);
    expect(provider.siteChecks).toHaveLength(2);
    expect(canary.view().lastRun!.at).toBe(clock.now());
    expect(canary.view().lastRun!.at - began).toBe(2 * INTERVAL);
    expect(canary.view().nextRunAt).toBe(clock.now() + INTERVAL);
    await canary.stop();
  });

  test('stop cancels a page check in flight and records nothing', async () => {
    const { provider, canary, tick, events } = setup();
    let aborted = false;
    provider.siteScript.push(
      (signal) =>
        new Promise<SiteCheck>((resolve) =>
          signal.addEventListener('abort', () => {
            aborted = true;
            resolve({ result: 'down', reason: 'the check was cancelled' });
          }),
        ),
    );
    canary.start();
    await tick(INTERVAL / 2);
    await canary.stop();
    expect(aborted).toBe(true);
    expect(events).toEqual([]);
    expect(canary.view()).toMatchObject({ state: 'unknown', lastRun: null, runs: { ok: 0, drift: 0, down: 0 } });
  });

  test('CANARY_INTERVAL_MS=0: nothing is scheduled and the state is off', async () => {
    const { clock, canary, provider } = setup(['a'], 0);
    canary.start();
    expect(clock.pending).toBe(0);
    expect(canary.enabled).toBe(false);
    expect(canary.view()).toMatchObject({ enabled: false, state: 'off', since: null, nextRunAt: null });
    expect(provider.siteChecks).toHaveLength(0);
  });
});

describe('state', () => {
  test('two failed runs in a row mark the site, following the latest failure; one passing run clears it', async () => {
    const { provider, canary, changes } = setup();
    provider.siteScript.push(DRIFT, OK_PAGE, DRIFT, DRIFT, DOWN, OK_PAGE);
    await canary.runNow();
    expect(canary.view()).toMatchObject({ state: 'unknown', consecutiveFailures: 1, reason: null });
    expect(canary.failing).toBeNull();
    await canary.runNow();
    expect(canary.view()).toMatchObject({ state: 'ok', consecutiveFailures: 0 });
    await canary.runNow();
    expect(canary.view()).toMatchObject({ state: 'ok', consecutiveFailures: 1 });
    await canary.runNow();
    expect(canary.view()).toMatchObject({ state: 'drift', consecutiveFailures: 2, reason: DRIFT.reason, excerpt: 'Kimi AI – new look' });
    expect(canary.failing).toEqual({ state: 'drift', reason: DRIFT.reason });
    await canary.runNow();
    expect(canary.view()).toMatchObject({ state: 'down', consecutiveFailures: 3, reason: DOWN.reason, excerpt: null });
    await canary.runNow();
    expect(canary.view()).toMatchObject({ state: 'ok', consecutiveFailures: 0, reason: null, excerpt: null });
    expect(changes()).toEqual(['unknown→ok', 'ok→drift', 'drift→down', 'down→ok']);
    expect(canary.view().runs).toEqual({ ok: 2, drift: 3, down: 1 });
  });

  test('a site unreachable from the start is marked down 1.5 intervals after start', async () => {
    const { provider, canary, tick, clock } = setup();
    provider.siteAlways = DOWN;
    const startedAt = clock.now();
    canary.start();
    await tick(INTERVAL / 2);
    expect(canary.view().state).toBe('unknown');
    await tick(INTERVAL - 1);
    expect(canary.view().state).toBe('unknown');
    await tick(1);
    expect(canary.view()).toMatchObject({ state: 'down', since: startedAt + 1.5 * INTERVAL, reason: DOWN.reason });
    await canary.stop();
  });

  test('every run is an event with its result; a change is an event only when the state moves', async () => {
    const { provider, canary, events } = setup();
    provider.siteScript.push(DOWN, DOWN, DOWN);
    for (let i = 0; i < 3; i++) await canary.runNow();
    expect(events.map((e) => (e.type === 'run' ? `run:${e.run.result}` : `change:${e.change.to}`))).toEqual(['run:down', 'run:down', 'change:down', 'run:down']);
  });
});

describe('the message round trip', () => {
  test('only after an interval in which no upstream answer succeeded; its own answer does not count as one', async () => {
    const { provider, failover, canary, tick, job } = setup(['a', 'b']);
    canary.start();
    // No traffic since start: the first run sends one tiny message.
    await tick(INTERVAL / 2);
    expect(provider.calls).toHaveLength(1);
    expect(canary.view().lastRun).toMatchObject({ result: 'ok', page: 'ok', roundTrip: { sent: true, outcome: 'ok' } });
    // Traffic during the next interval: the run checks the page only.
    await failover.send(job());
    expect(provider.calls).toHaveLength(2);
    await tick(INTERVAL);
    expect(provider.calls).toHaveLength(2);
    expect(canary.view().lastRun!.roundTrip).toEqual({ sent: false, why: 'answers_succeeded' });
    expect(provider.siteChecks).toHaveLength(2);
    // Quiet again: one message per run, through the ready identities in turn.
    await tick(INTERVAL);
    await tick(INTERVAL);
    expect(provider.calls).toHaveLength(4);
    const trips = [provider.calls[0], provider.calls[2], provider.calls[3]];
    expect(new Set(trips).size).toBe(2);
    await canary.stop();
  });

  test('a round trip the site fails marks it like a page check: transient → down, protocol → drift', async () => {
    const down = setup(['a']);
    down.provider.always('a', FAULT);
    await down.canary.runNow();
    await down.canary.runNow();
    expect(down.canary.view()).toMatchObject({ state: 'down', reason: 'a message round trip failed: HTTP 502 Bad Gateway' });
    expect(down.canary.view().lastRun).toMatchObject({ page: 'ok', result: 'down', roundTrip: { sent: true, identity: 'a', outcome: 'transient' } });
    down.provider.always('a', { kind: 'ok', message: 'pong' });
    await down.canary.runNow();
    expect(down.canary.view().state).toBe('ok');

    const drift = setup(['a']);
    drift.provider.always('a', { kind: 'protocol', detail: 'JSON without a success flag: {"ok":1}' });
    await drift.canary.runNow();
    await drift.canary.runNow();
    expect(drift.canary.view()).toMatchObject({ state: 'drift', reason: expect.stringContaining('JSON without a success flag') });
  });

  test("trouble of the identity used (challenge, rate limit) says nothing of the site; without a ready identity no message is sent", async () => {
    const { provider, canary } = setup(['a']);
    provider.answer('a', { kind: 'challenged', detail: 'Cloudflare challenge (HTTP 403)' });
    await canary.runNow();
    expect(canary.view().lastRun).toMatchObject({ result: 'ok', roundTrip: { sent: true, outcome: 'challenged' } });
    await canary.runNow();
    expect(canary.view().lastRun).toMatchObject({ result: 'ok', roundTrip: { sent: false, why: 'no_ready_identity' } });
    expect(provider.calls).toHaveLength(1);
    expect(canary.view().state).toBe('ok');
  });

  test('no message when the page check failed', async () => {
    const { provider, canary } = setup(['a']);
    provider.siteAlways = DRIFT;
    await canary.runNow();
    expect(canary.view().lastRun).toMatchObject({ result: 'drift', roundTrip: { sent: false, why: 'page_failed' } });
    expect(provider.calls).toHaveLength(0);
  });
});

test("the page check goes the way a ready identity does (its proxy and user agent), never with its cookies", async () => {
  const proxy = 'http://user:proxy-password@proxy.example:8080';
  const { provider, canary } = setup([
    identity('off', { enabled: false, proxy: 'http://other.example:1' }),
    identity('b', { proxy, userAgent: 'UA-of-b' }),
  ]);
  await canary.runNow();
  expect(provider.siteChecks).toEqual([{ proxy, userAgent: 'UA-of-b' }]);
  expect(JSON.stringify(provider.siteChecks)).not.toContain('cookie-value');
});
