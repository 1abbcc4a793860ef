// Pool benchmarks (issue: identity pool):
//  1. picking cost per request with 10 and 1000 identities (pickIdentity alone, and a
//     full acquire + release round trip);
//  2. a chaos run through the real gateway and emulator: 5 identities, one always
//     rate-limited, one challenged, 5 % transient faults on the rest, nonces expiring;
//  3. an outlier run (issue 14): 5 identities, one failing 30 % of its calls; upstream calls
//     per client success (failover retries count) and how much traffic the failing one keeps.

import { parseCommandLine } from '../../src/config.ts';
import { startEmulator, type ReceivedMessage } from '../../emulator/emulator.ts';
import { startGateway } from '../../src/gateway.ts';
import { silentLogger } from '../../src/log.ts';
import { DEFAULT_HEALTH_POLICY } from '../../src/pool/health.ts';
import type { IdentityConfig } from '../../src/pool/identity-config.ts';
import { IdentityPool } from '../../src/pool/identity-pool.ts';
import { pickIdentity, WeightedMembers } from '../../src/pool/pick-identity.ts';
import type { IdentityStates } from '../../src/pool/pool-persistence.ts';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface PickCost {
  identities: number;
  pickNs: number;
  acquireReleaseNs: number;
}

/** Picking never looks at an identity's provider state. */
const NO_STATE: IdentityStates<null> = { createIdentity: () => null, snapshot: () => null, version: () => '' };

export async function benchPickCost(sizes = [10, 1000]): Promise<PickCost[]> {
  const results: PickCost[] = [];
  for (const n of sizes) {
    const identities: IdentityConfig[] = Array.from({ length: n }, (_, i) => ({ id: `id-${i}`, weight: 1 + (i % 3), maxConcurrent: 4, rpm: 0, enabled: true }));
    const pool = new IdentityPool({ identities, states: NO_STATE, policy: DEFAULT_HEALTH_POLICY, queueMax: 10, queueTimeoutMs: 1000 });
    // a realistic mix: some busy, a tenth cooling
    pool.list().forEach((m, i) => {
      if (i % 10 === 0) m.health.record({ kind: 'rate_limited', retryAfterMs: 3_600_000, detail: 'bench' }, Date.now());
      if (i % 7 === 0) m.inFlight = 2;
    });
    const weighted = new WeightedMembers(pool.list());
    const iterations = 300_000;
    const now = Date.now();
    for (let i = 0; i < 20_000; i++) pickIdentity(weighted, { now });
    let t0 = Bun.nanoseconds();
    for (let i = 0; i < iterations; i++) pickIdentity(weighted, { now });
    const pickNs = (Bun.nanoseconds() - t0) / iterations;

    const signal = new AbortController().signal;
    const rounds = 100_000;
    t0 = Bun.nanoseconds();
    for (let i = 0; i < rounds; i++) {
      const lease = await pool.acquire({ signal, deadline: now + 60_000 });
      pool.release(lease, { outcome: { kind: 'ok', message: '' }, latencyMs: 900, timeoutCounts: true });
    }
    const acquireReleaseNs = (Bun.nanoseconds() - t0) / rounds;
    pool.close();
    results.push({ identities: n, pickNs, acquireReleaseNs });
  }
  return results;
}

export interface ChaosResult {
  durationS: number;
  requests: number;
  successes: number;
  successRate: number;
  upstreamMessageCalls: number;
  staleNonceCalls: number;
  pageFetches: number;
  callsPerSuccessExclNonce: number;
  callsHittingCooling: number;
  /** Emulator-side: arrivals within a 429's Retry-After (includes calls already in flight when the 429 was sent). */
  callsArrivingInCooldownWindow: number;
  /** Ejections by outlier detection (5 % faults everywhere should be none). */
  outlierEjections: string[];
  share: Record<string, number>;
  outcomes: Record<string, number>;
}

export async function benchChaos(durationS = 15, concurrency = 8): Promise<ChaosResult> {
  const retryAfterS = 2;
  const emulator = startEmulator({
    latencyMs: 20,
    nonceTtlMs: 3_000,
    seed: 42,
    faults: [
      { kind: 'rate_limited', identity: 'limited', retryAfter: String(retryAfterS) },
      { kind: 'challenge', identity: 'challenged' },
      { kind: 'server_error', probability: 0.05 },
    ],
  });
  const ids = ['limited', 'challenged', 'good-1', 'good-2', 'good-3'];
  const dir = mkdtempSync(join(tmpdir(), 'kimi-gw-chaos-'));
  const accountsFile = join(dir, 'accounts.json');
  writeFileSync(accountsFile, JSON.stringify({ defaults: { maxConcurrent: 8 }, identities: ids.map((id) => ({ id, cookies: `kimi_visitor=${id}` })) }));
  const cmd = parseCommandLine(['--port', '0', '--upstream', emulator.url], { API_KEYS: 'bench', HOST: '127.0.0.1', ACCOUNTS_FILE: accountsFile, DB_PATH: join(dir, 'gw.sqlite') });
  if (cmd.kind !== 'run') throw new Error('config');
  const gateway = await startGateway(cmd.config, silentLogger);
  // Exact count from the scheduler's side: picks of an identity while it was cooling.
  let picksWhileCooling = 0;
  const outlierEjections: string[] = [];
  gateway.pool.onEvent((event) => {
    if (event.type === 'state' && event.to === 'ejected' && event.reason.startsWith('outlier:')) outlierEjections.push(event.id);
    if (event.type !== 'picked' || event.probe) return;
    const state = gateway.pool.list().find((m) => m.id === event.id)?.health.state;
    if (state?.kind === 'cooling' && Date.now() < state.until) picksWhileCooling++;
  });
  const url = `${gateway.url}/v1/chat/completions`;
  const headers = { authorization: 'Bearer bench', 'content-type': 'application/json' };

  let requests = 0;
  let successes = 0;
  const end = performance.now() + durationS * 1000;
  try {
    await Promise.all(
      Array.from({ length: concurrency }, async (_, w) => {
        for (let i = 0; performance.now() < end; i++) {
          const res = await fetch(url, { method: 'POST', headers, body: JSON.stringify({ messages: [{ role: 'user', content: `chaos ${w}-${i}` }] }) });
          await res.arrayBuffer();
          requests++;
          if (res.status === 200) successes++;
        }
      }),
    );
  } finally {
    await gateway.stop();
    await emulator.stop();
  }

  const received = emulator.received;
  const outcomes: Record<string, number> = {};
  for (const r of received) outcomes[r.outcome] = (outcomes[r.outcome] ?? 0) + 1;
  const staleNonceCalls = outcomes.stale_nonce ?? 0;
  const share: Record<string, number> = {};
  for (const id of ids) share[id] = received.filter((r) => r.identity === id && r.outcome === 'ok').length / Math.max(1, successes);
  return {
    durationS,
    requests,
    successes,
    successRate: successes / Math.max(1, requests),
    upstreamMessageCalls: received.length,
    staleNonceCalls,
    pageFetches: Object.values(emulator.stats()).reduce((n, s) => n + s.pages, 0),
    callsPerSuccessExclNonce: (received.length - staleNonceCalls) / Math.max(1, successes),
    callsHittingCooling: picksWhileCooling,
    callsArrivingInCooldownWindow: callsDuringCooldown(received, retryAfterS * 1000),
    outlierEjections,
    share,
    outcomes,
  };
}

export interface OutlierChaosResult {
  durationS: number;
  requests: number;
  successes: number;
  upstreamMessageCalls: number;
  /** Every upstream message call (failover retries included) per client success. */
  callsPerSuccess: number;
  /** The failing identity's share of upstream calls (a fair share is 1/5). */
  flakyShare: number;
  flakyFailures: number;
  outlierEjections: number;
  /** Time the failing identity spent ejected by outlier detection, as a share of the run. */
  flakyEjectedShare: number;
}

export async function benchOutlierChaos(durationS = 15, concurrency = 8): Promise<OutlierChaosResult> {
  const flaky = 'flaky';
  const ids = ['good-1', 'good-2', 'good-3', 'good-4', flaky];
  const emulator = startEmulator({ latencyMs: 20, seed: 42, faults: [{ kind: 'server_error', identity: flaky, probability: 0.3 }] });
  const dir = mkdtempSync(join(tmpdir(), 'kimi-gw-outlier-'));
  const accountsFile = join(dir, 'accounts.json');
  writeFileSync(accountsFile, JSON.stringify({ defaults: { maxConcurrent: 4 }, identities: ids.map((id) => ({ id, cookies: `kimi_visitor=${id}` })) }));
  const cmd = parseCommandLine(['--port', '0', '--upstream', emulator.url], { API_KEYS: 'bench', HOST: '127.0.0.1', ACCOUNTS_FILE: accountsFile, DB_PATH: join(dir, 'gw.sqlite') });
  if (cmd.kind !== 'run') throw new Error('config');
  const gateway = await startGateway(cmd.config, silentLogger);
  let outlierEjections = 0;
  let ejectedSince: number | null = null;
  let ejectedMs = 0;
  gateway.pool.onEvent((event) => {
    if (event.type !== 'state' || event.id !== flaky) return;
    if (event.to === 'ejected' && event.reason.startsWith('outlier:')) {
      outlierEjections++;
      ejectedSince = performance.now();
    } else if (ejectedSince !== null && event.to !== 'ejected') {
      ejectedMs += performance.now() - ejectedSince;
      ejectedSince = null;
    }
  });
  const url = `${gateway.url}/v1/chat/completions`;
  const headers = { authorization: 'Bearer bench', 'content-type': 'application/json' };
  let requests = 0;
  let successes = 0;
  const start = performance.now();
  const end = start + durationS * 1000;
  try {
    await Promise.all(
      Array.from({ length: concurrency }, async (_, w) => {
        for (let i = 0; performance.now() < end; i++) {
          const res = await fetch(url, { method: 'POST', headers, body: JSON.stringify({ messages: [{ role: 'user', content: `outlier ${w}-${i}` }] }) });
          await res.arrayBuffer();
          requests++;
          if (res.status === 200) successes++;
        }
      }),
    );
  } finally {
    if (ejectedSince !== null) ejectedMs += performance.now() - ejectedSince;
    await gateway.stop();
    await emulator.stop();
  }
  const received = emulator.received;
  const toFlaky = received.filter((r) => r.identity === flaky);
  return {
    durationS,
    requests,
    successes,
    upstreamMessageCalls: received.length,
    callsPerSuccess: received.length / Math.max(1, successes),
    flakyShare: toFlaky.length / Math.max(1, received.length),
    flakyFailures: toFlaky.filter((r) => r.outcome !== 'ok').length,
    outlierEjections,
    flakyEjectedShare: ejectedMs / (performance.now() - start),
  };
}

/** Messages that reached an identity while a 429's Retry-After was still running. */
function callsDuringCooldown(received: readonly ReceivedMessage[], retryAfterMs: number): number {
  let hits = 0;
  const limitedAt = new Map<string, number>();
  for (const r of received) {
    const since = limitedAt.get(r.identity);
    if (since !== undefined && r.at < since + retryAfterMs) hits++;
    if (r.outcome === 'rate_limited') limitedAt.set(r.identity, r.at);
  }
  return hits;
}

export function printPoolResults(pick: PickCost[], chaos: ChaosResult, outliers: OutlierChaosResult): void {
  console.log('\n== identity pool: picking cost ==');
  for (const p of pick) {
    console.log(`  ${String(p.identities).padStart(5)} identities: pickIdentity ${p.pickNs.toFixed(0)} ns, acquire+release ${p.acquireReleaseNs.toFixed(0)} ns`);
  }
  console.log(`\n== identity pool: chaos run (${chaos.durationS} s, 5 identities: 1 always 429, 1 challenged, 5 % faults, nonce TTL 3 s) ==`);
  console.log(`  client success rate          ${(chaos.successRate * 100).toFixed(2)} % (${chaos.successes}/${chaos.requests})`);
  console.log(`  upstream calls per success   ${chaos.callsPerSuccessExclNonce.toFixed(4)} (excluding ${chaos.staleNonceCalls} stale-nonce calls; target ≤ 1.05)`);
  console.log(`  page fetches (nonce)         ${chaos.pageFetches}`);
  console.log(`  calls hitting a cooling id   ${chaos.callsHittingCooling} picked while cooling (target 0); ${chaos.callsArrivingInCooldownWindow} arrived inside a Retry-After window (in flight before the 429 was known)`);
  console.log(`  outlier ejections            ${chaos.outlierEjections.length === 0 ? 'none' : chaos.outlierEjections.join(', ')}`);
  console.log(`  share of successes           ${Object.entries(chaos.share).map(([id, s]) => `${id} ${(s * 100).toFixed(1)} %`).join(', ')}`);
  console.log(`  upstream outcomes            ${JSON.stringify(chaos.outcomes)}`);
  console.log(`\n== identity pool: outlier run (${outliers.durationS} s, 5 identities: 1 failing 30 % of its calls) ==`);
  console.log(`  client success rate          ${((outliers.successes / Math.max(1, outliers.requests)) * 100).toFixed(2)} % (${outliers.successes}/${outliers.requests})`);
  console.log(`  upstream calls per success   ${outliers.callsPerSuccess.toFixed(4)} (all ${outliers.upstreamMessageCalls} calls, failover retries included; target ≤ 1.05)`);
  console.log(`  failing identity             ${(outliers.flakyShare * 100).toFixed(2)} % of calls (fair share 20 %), ${outliers.flakyFailures} failed; ${outliers.outlierEjections} outlier ejection(s), out ${(outliers.flakyEjectedShare * 100).toFixed(0)} % of the run`);
}

/** The `pool` section of `bun run bench`. */
export async function runPoolBench(ctx: import('./types.ts').BenchContext): Promise<void> {
  const { mkdir } = await import('node:fs/promises');
  ctx.progress('[pool] picking cost');
  const pick = await benchPickCost();
  const seconds = ctx.options.durationS ?? (ctx.options.quick ? 5 : 15);
  ctx.progress(`[pool] chaos run (${seconds} s)`);
  const chaos = await benchChaos(seconds);
  ctx.progress(`[pool] outlier run (${seconds} s)`);
  const outliers = await benchOutlierChaos(seconds);
  printPoolResults(pick, chaos, outliers);
  await mkdir(ctx.options.outDir, { recursive: true });
  await Bun.write(join(ctx.options.outDir, 'pool.json'), JSON.stringify({ pick, chaos, outliers }, null, 2));
}
