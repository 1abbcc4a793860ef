#!/usr/bin/env bun
// The load generator's process (started by load-process.ts, one per cell):
//   bun scripts/bench/load-runner.ts '<LoadSpec as JSON>'
// closed-loop: runs the cell, reads the watched processes' CPU time around it, prints one
// JSON line (ClosedLoopResult). hold: opens N streams, prints a "first-bytes" line once
// each has its first body bytes (or failed), keeps them open until stdin closes, then
// closes them and prints a "closed" line.

import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { sendToEmulator, visitChatPage, type EmulatorVisitor } from './emulator-client.ts';
import { chatOnce, completionProblem, StreamAnswerChecker, type GatewayTarget } from './gateway-client.ts';
import { transportErrorKind } from './http-timing.ts';
import type { ClosedLoopResult, ClosedLoopSpec, CpuUse, HoldClosed, HoldFirstBytes, HoldSpec, LoadClient, LoadSpec } from './load-process.ts';
import { distribution, runClosedLoop, type ClosedLoopOptions, type Outcome } from './load.ts';
import { readProcCpuMs } from './processes.ts';
import { buildRequest, RawHttpConnection } from './raw-http.ts';

type RawChat = Extract<LoadClient, { kind: 'raw-chat' }>;

/** One worker's raw connection and what every request to it shares. */
interface RawWorker {
  connection: RawHttpConnection;
  host: string;
  headers: Record<string, string>;
}

function chatBody(model: string, message: string, stream: boolean): string {
  return JSON.stringify({ model, messages: [{ role: 'user', content: message }], stream });
}

async function openRaw(client: RawChat): Promise<RawWorker> {
  const url = new URL(client.url);
  const connection = await RawHttpConnection.open(url.hostname, Number(url.port));
  return { connection, host: url.host, headers: { Authorization: `Bearer ${client.apiKey}`, 'Content-Type': 'application/json' } };
}

async function rawChatOnce(worker: RawWorker, client: RawChat, message: string, signal: AbortSignal): Promise<Outcome> {
  const t0 = performance.now();
  const request = buildRequest('POST', worker.host, '/v1/chat/completions', worker.headers, chatBody(client.model, message, client.stream));
  const checker = client.stream ? new StreamAnswerChecker(message, client.replyLength) : null;
  try {
    const response = await worker.connection.request(request, t0, signal, checker === null ? undefined : (text, at) => checker.push(text, at));
    if (response.status !== 200) return { ok: false, error: `http ${response.status}`, totalMs: response.totalMs };
    if (checker === null) {
      const problem = completionProblem(response.body, message, client.replyLength);
      if (problem !== null) return { ok: false, error: `malformed: ${problem}`, totalMs: response.totalMs };
      return { ok: true, ttfbMs: response.ttfbMs, ttfcMs: response.totalMs, totalMs: response.totalMs };
    }
    const problem = checker.problem();
    if (problem !== null) return { ok: false, error: `malformed: ${problem}`, totalMs: response.totalMs };
    return { ok: true, ttfbMs: response.ttfbMs, ttfcMs: checker.ttfcMs, totalMs: response.totalMs };
  } catch (error) {
    return { ok: false, error: transportErrorKind(error), totalMs: performance.now() - t0 };
  }
}

/** The closed loop for each kind of client; workers hold a raw connection or a browser visit. */
function loopFor(spec: ClosedLoopSpec): Omit<ClosedLoopOptions<unknown>, 'concurrency' | 'warmupMs' | 'durationMs'> {
  const { client, messagePrefix } = spec;
  switch (client.kind) {
    case 'raw-chat':
      return {
        setupWorker: () => openRaw(client),
        request: (worker, seq, signal) => rawChatOnce(worker as RawWorker, client, `${messagePrefix}${seq}`, signal),
      };
    case 'fetch-chat': {
      const target: GatewayTarget = { url: client.url, apiKey: client.apiKey, model: client.model, replyLength: client.replyLength };
      const mode = client.stream ? 'stream' : 'non-stream';
      return {
        setupWorker: async () => undefined,
        request: (_, seq, signal) => chatOnce(target, mode, `${messagePrefix}${seq}`, signal),
      };
    }
    case 'fetch-direct':
      return {
        setupWorker: (_, signal) => visitChatPage(client.url, client.replyLength, signal),
        request: (visitor, seq, signal) => sendToEmulator(visitor as EmulatorVisitor, `${messagePrefix}${seq}`, signal),
      };
  }
}

/** Busy and total jiffies of all cores (/proc/stat), to tell whether something else used the machine. */
async function machineJiffies(): Promise<{ busy: number; total: number }> {
  const line = (await readFile('/proc/stat', 'utf8')).split('\n', 1)[0] ?? '';
  const values = line.trim().split(/\s+/).slice(1).map(Number);
  const total = values.slice(0, 8).reduce((a, b) => a + b, 0);
  const idle = (values[3] ?? 0) + (values[4] ?? 0);
  return { busy: total - idle, total };
}

async function runClosedLoopSpec(spec: ClosedLoopSpec): Promise<ClosedLoopResult> {
  const readAll = () => Promise.all(spec.watch.map((w) => readProcCpuMs(w.pid)));
  let before: (number | null)[] = [];
  let machineBefore = { busy: 0, total: 0 };
  let selfBefore = process.cpuUsage();
  let t0 = 0;
  const stats = await runClosedLoop({
    concurrency: spec.concurrency,
    warmupMs: spec.warmupMs,
    durationMs: spec.durationMs,
    keepSamples: spec.keepSamples,
    ...loopFor(spec),
    onStart: async () => {
      [before, machineBefore] = await Promise.all([readAll(), machineJiffies()]);
      selfBefore = process.cpuUsage();
      t0 = performance.now();
    },
  });
  const wallMs = performance.now() - t0;
  const self = process.cpuUsage(selfBefore);
  const [after, machineAfter] = await Promise.all([readAll(), machineJiffies()]);
  return { stats, cpu: cpuUse(spec, before, after, machineBefore, machineAfter, self, wallMs, stats) };
}

function cpuUse(
  spec: ClosedLoopSpec,
  before: (number | null)[],
  after: (number | null)[],
  machineBefore: { busy: number; total: number },
  machineAfter: { busy: number; total: number },
  self: NodeJS.CpuUsage,
  wallMs: number,
  stats: ClosedLoopResult['stats'],
): CpuUse {
  const processesMs: Record<string, number> = {};
  spec.watch.forEach((w, i) => {
    const a = after[i];
    const b = before[i];
    if (a !== null && a !== undefined && b !== null && b !== undefined) processesMs[w.name] = a - b;
  });
  const totalJiffies = machineAfter.total - machineBefore.total;
  const loadGeneratorMs = (self.user + self.system) / 1000;
  const machineBusyPct = totalJiffies > 0 ? (100 * (machineAfter.busy - machineBefore.busy)) / totalJiffies : Number.NaN;
  const oursMs = Object.values(processesMs).reduce((a, b) => a + b, loadGeneratorMs);
  return {
    processesMs,
    loadGeneratorMs,
    machineBusyPct,
    othersPct: Math.max(0, machineBusyPct - (100 * oursMs) / (wallMs * availableParallelism())),
    wallMs,
    answered: stats.warmupRequests - stats.warmupErrors + stats.ok,
  };
}

async function hold(spec: HoldSpec): Promise<void> {
  const { client } = spec;
  const sentAt = performance.now();
  const workers: RawWorker[] = [];
  const failures: Record<string, number> = {};
  const ttfb: number[] = [];
  let settled = 0;
  let lastFirstByte = sentAt;
  let endedEarly = 0;
  let releasing = false;
  let allSettled!: () => void;
  const everySettled = new Promise<void>((resolve) => {
    allSettled = resolve;
  });
  const fail = (kind: string): void => {
    failures[kind] = (failures[kind] ?? 0) + 1;
    if (++settled === spec.streams) allSettled();
  };
  // Connections in batches, so the listen backlog is never the limit being measured.
  for (let i = 0; i < spec.streams; i += 100) {
    const batch = await Promise.allSettled(Array.from({ length: Math.min(100, spec.streams - i) }, () => openRaw(client)));
    for (const r of batch) {
      if (r.status === 'fulfilled') workers.push(r.value);
      else fail(transportErrorKind(r.reason));
    }
  }
  workers.forEach((worker, i) => {
    const t0 = performance.now();
    let first = true;
    const request = buildRequest('POST', worker.host, '/v1/chat/completions', worker.headers, chatBody(client.model, `${spec.messagePrefix}${i}`, true));
    worker.connection
      .request(request, t0, undefined, (_, at) => {
        if (!first) return;
        first = false;
        ttfb.push(at);
        lastFirstByte = performance.now();
        if (++settled === spec.streams) allSettled();
      })
      .then(
        (response) => {
          if (!releasing) endedEarly++;
          if (first && response.status !== 200) fail(`http ${response.status}`);
        },
        (error: unknown) => {
          if (releasing) return;
          if (first) fail(transportErrorKind(error));
          else endedEarly++;
        },
      );
  });
  const complete = await Promise.race([everySettled.then(() => true), Bun.sleep(spec.firstByteTimeoutMs).then(() => false)]);
  const report: HoldFirstBytes = {
    event: 'first-bytes',
    open: ttfb.length,
    failed: Object.values(failures).reduce((a, b) => a + b, 0),
    failures,
    complete,
    spreadMs: lastFirstByte - sentAt,
    ttfbMs: distribution(ttfb),
  };
  console.log(JSON.stringify(report));
  // Held until the bench closes our stdin.
  for await (const _ of Bun.stdin.stream()) {
    // nothing is sent on stdin; only its end matters
  }
  releasing = true;
  for (const worker of workers) worker.connection.close();
  const closed: HoldClosed = { event: 'closed', endedEarly };
  console.log(JSON.stringify(closed));
}

const spec = JSON.parse(Bun.argv[2] ?? '{}') as LoadSpec;
if (spec.kind === 'closed-loop') console.log(JSON.stringify(await runClosedLoopSpec(spec)));
else if (spec.kind === 'hold') await hold(spec);
else throw new Error('load-runner: unknown spec');
process.exit(0);
