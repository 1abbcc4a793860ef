// The site canary over HTTP, against the emulator switched to a changed chat page (drift)
// and to an unreachable or failing upstream (down): two runs → /readyz 503 with the reason,
// the gauge and the runs counter in /metrics, a warn log line with a short excerpt, GET
// /admin/canary; one passing run clears it. The tiny message round trip is counted at the
// emulator: only after an interval in which no answer succeeded. CANARY_INTERVAL_MS is its
// least (1 s): the first run comes after 0.5 s, the next every second.

import { afterEach, describe, expect, test } from 'bun:test';
import { eventually, HARNESS_ADMIN_KEY, poolOf, startHarness, type Harness } from '../helpers/harness.ts';

const INTERVAL = 1_000;
const env = { CANARY_INTERVAL_MS: String(INTERVAL) };
/** Long enough for a few runs on a busy machine. */
const RUNS_DEADLINE = 15_000;
const TEST_TIMEOUT = 60_000;

let h: Harness | null = null;
afterEach(async () => {
  await h?.stop();
  h = null;
});

interface Readiness {
  status: string;
  site: { state: string; reason: string | null; since: number | null; lastRunAt: number | null };
}

interface CanaryStatus {
  state: string;
  reason: string | null;
  excerpt: string | null;
  consecutiveFailures: number;
  lastRun: { result: string; page: string; roundTrip: { sent: boolean; why?: string; outcome?: string } } | null;
  runs: { ok: number; drift: number; down: number };
}

async function readyz(harness: Harness): Promise<{ status: number; body: Readiness }> {
  const res = await fetch(`${harness.gateway.url}/readyz`);
  return { status: res.status, body: (await res.json()) as Readiness };
}

async function canary(harness: Harness): Promise<CanaryStatus> {
  const res = await fetch(`${harness.gateway.url}/admin/canary`, { headers: { authorization: `Bearer ${HARNESS_ADMIN_KEY}` } });
  expect(res.status).toBe(200);
  return (await res.json()) as CanaryStatus;
}

async function metrics(harness: Harness): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const line of (await (await fetch(`${harness.gateway.url}/metrics`)).text()).split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    out.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return out;
}

type LogLine = Record<string, unknown>;
const logLines = (harness: Harness): LogLine[] => harness.logs.map((l) => JSON.parse(l) as LogLine);
const logged = (harness: Harness, match: (line: LogLine) => boolean) => eventually(() => logLines(harness).some(match), RUNS_DEADLINE);
const readyzIs = (harness: Harness, status: number) => eventually(async () => (await readyz(harness)).status === status, RUNS_DEADLINE);

describe('drift: the chat page changed', () => {
  test('without kimi_ajax: two runs → /readyz 503 site_drift with the reason, gauge 0, runs by result, a warn line; recovery clears it', async () => {
    h = await startHarness({ env, accounts: poolOf(['a']) });
    expect(await eventually(async () => (await canary(h!)).runs.ok >= 1, RUNS_DEADLINE)).toBe(true);
    expect((await readyz(h)).body).toMatchObject({ status: 'ready', site: { state: 'ok', reason: null } });
    expect((await metrics(h)).get('kimi_gateway_canary_success')).toBe(1);

    h.emulator.addFault({ kind: 'page_no_ajax', on: 'page' });
    expect(await readyzIs(h, 503)).toBe(true);
    const { body } = await readyz(h);
    expect(body).toMatchObject({ status: 'site_drift', site: { state: 'drift', reason: expect.stringContaining('no <script> defining kimi_ajax') } });
    const status = await canary(h);
    expect(status).toMatchObject({ state: 'drift', excerpt: expect.stringContaining('Kimi AI Chat'), lastRun: { result: 'drift', page: 'drift' } });
    expect(status.consecutiveFailures).toBeGreaterThanOrEqual(2);
    const m = await metrics(h);
    expect(m.get('kimi_gateway_canary_success')).toBe(0);
    expect(m.get('kimi_gateway_canary_runs_total{result="drift"}')).toBeGreaterThanOrEqual(2);
    expect(m.get('kimi_gateway_canary_runs_total{result="down"}')).toBe(0);
    expect(await logged(h, (l) => l.level === 'warn' && String(l.msg).startsWith('site drift') && String(l.excerpt).includes('Kimi AI Chat'))).toBe(true);
    const warn = logLines(h).find((l) => String(l.msg).startsWith('site drift'))!;
    expect(String(warn.reason)).toContain('kimi_ajax');
    expect(String(warn.excerpt).length).toBeLessThanOrEqual(301);

    h.emulator.clearFaults();
    expect(await readyzIs(h, 200)).toBe(true);
    expect((await readyz(h)).body).toMatchObject({ status: 'ready', site: { state: 'ok', reason: null } });
    expect((await metrics(h)).get('kimi_gateway_canary_success')).toBe(1);
    expect(await logged(h, (l) => l.level === 'info' && String(l.msg).startsWith('site recovered'))).toBe(true);
  }, TEST_TIMEOUT);

  test('kimi_ajax without its nonce: drift naming the nonce', async () => {
    h = await startHarness({ env, accounts: poolOf(['a']) });
    h.emulator.addFault({ kind: 'page_no_nonce', on: 'page' });
    expect(await readyzIs(h, 503)).toBe(true);
    expect((await readyz(h)).body).toMatchObject({ status: 'site_drift', site: { state: 'drift', reason: expect.stringContaining('no usable "nonce"') } });
  }, TEST_TIMEOUT);
});

describe('down: the site cannot be reached', () => {
  test('a chat page answering 502: /readyz 503 site_down, then ready again once it answers', async () => {
    h = await startHarness({ env, accounts: poolOf(['a']) });
    h.emulator.addFault({ kind: 'server_error', on: 'page', status: 502 });
    expect(await readyzIs(h, 503)).toBe(true);
    expect((await readyz(h)).body).toMatchObject({ status: 'site_down', site: { state: 'down', reason: expect.stringContaining('HTTP 502') } });
    expect((await metrics(h)).get('kimi_gateway_canary_runs_total{result="down"}')).toBeGreaterThanOrEqual(2);
    expect(await logged(h, (l) => l.level === 'warn' && String(l.msg).startsWith('site down') && String(l.reason).includes('HTTP 502'))).toBe(true);
    h.emulator.clearFaults();
    expect(await readyzIs(h, 200)).toBe(true);
  }, TEST_TIMEOUT);

  test('unreachable from the start: /readyz turns 503 within two canary periods (it used to stay 200)', async () => {
    const closed = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: () => new Response('') });
    const nowhere = `http://127.0.0.1:${closed.port}`;
    await closed.stop(true);
    const started = performance.now();
    h = await startHarness({ env, accounts: poolOf(['a']), argv: ['--upstream', nowhere] });
    expect((await readyz(h)).body.site.state).toBe('unknown');
    // The identity is "ready" (nothing failed a request): only the canary can tell.
    expect(await readyzIs(h, 503)).toBe(true);
    const marked = performance.now() - started;
    expect((await readyz(h)).body).toMatchObject({ status: 'site_down', site: { state: 'down', reason: expect.stringContaining('network error on the chat page') } });
    // Marked by the second run (0.5 and 1.5 periods after start); the bound is loose for a busy machine.
    expect((await canary(h)).runs.down).toBeGreaterThanOrEqual(2);
    expect(marked).toBeLessThan(2 * INTERVAL + 10_000);
  }, TEST_TIMEOUT);
});

describe('the message round trip', () => {
  test('sent only after an interval without a successful answer (counted at the emulator)', async () => {
    h = await startHarness({ env, accounts: poolOf(['a']) });
    const pings = () => h!.emulator.received.filter((r) => r.message === 'ping').length;
    const runs = async () => {
      const { runs: r } = await canary(h!);
      return r.ok + r.drift + r.down;
    };

    // No traffic at all: every run sends one message, nothing else reaches the site.
    expect(await eventually(async () => (await runs()) >= 3, RUNS_DEADLINE)).toBe(true);
    const before = await runs();
    const messages = h.emulator.received.length;
    const after = await runs();
    expect(h.emulator.received.every((r) => r.message === 'ping' && r.outcome === 'ok')).toBe(true);
    expect(messages).toBeGreaterThanOrEqual(before);
    expect(messages).toBeLessThanOrEqual(after + 1);
    expect((await canary(h)).lastRun?.roundTrip).toMatchObject({ sent: true, outcome: 'ok' });

    // Traffic: back-to-back requests; once a whole interval has had answers, the runs check the page only.
    let traffic = true;
    let answered = 0;
    const client = (async () => {
      while (traffic) {
        const res = await h!.call('/v1/chat/completions', { json: { messages: [{ role: 'user', content: 'hello' }] } });
        if (res.status === 200) answered++;
        await res.arrayBuffer();
        await Bun.sleep(20);
      }
    })();
    expect(await eventually(() => answered > 0, RUNS_DEADLINE)).toBe(true);
    const seen = await runs();
    expect(await eventually(async () => (await runs()) >= seen + 2, RUNS_DEADLINE)).toBe(true);
    const quietPings = pings();
    const from = await runs();
    expect(await eventually(async () => (await runs()) >= from + 3, RUNS_DEADLINE)).toBe(true);
    expect(pings()).toBe(quietPings);
    expect((await canary(h)).lastRun?.roundTrip).toEqual({ sent: false, why: 'answers_succeeded' });
    traffic = false;
    await client;
    // Every other message the site saw was a client's.
    expect(h.emulator.received.length - pings()).toBe(answered);

    // Quiet again: the round trips resume.
    const resumed = pings();
    expect(await eventually(() => pings() >= resumed + 2, RUNS_DEADLINE)).toBe(true);
  }, TEST_TIMEOUT);
});

test('GET /admin/canary needs the admin key; with CANARY_INTERVAL_MS=0 the canary is off and /readyz says so', async () => {
  h = await startHarness({ env: { CANARY_INTERVAL_MS: '0' } });
  expect((await fetch(`${h.gateway.url}/admin/canary`)).status).toBe(401);
  expect(await canary(h)).toMatchObject({ enabled: false, state: 'off', lastRun: null, runs: { ok: 0, drift: 0, down: 0 } });
  expect((await readyz(h)).body).toMatchObject({ status: 'ready', site: { state: 'off', reason: null, since: null, lastRunAt: null } });
  const m = await metrics(h);
  expect(m.has('kimi_gateway_canary_success')).toBe(false);
  expect(m.has('kimi_gateway_canary_runs_total{result="ok"}')).toBe(false);
}, TEST_TIMEOUT);
