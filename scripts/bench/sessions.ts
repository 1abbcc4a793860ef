// Section "sessions": the cost of conversations stored in SQLite, measured in-process on a
// real database file (openDatabase: WAL, synchronous NORMAL) through the real
// SessionService / SessionRepo / SessionPruner, without HTTP:
//  1. per-turn cost (begin + commit) at 1000 active sessions, for named sessions (stored
//     history near CONTEXT_MAX_LENGTH) and for recognised ones (the client resends a
//     6-message, ~1 KB history, so every turn goes through the fingerprint lookup);
//  2. pruning 100 000 expired sessions while a simulated request arrives every 1 ms: how
//     long a request waits behind the prune, against an equal period without pruning, for
//     several pruner batch sizes.

import type { Database } from 'bun:sqlite';
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChatMessage } from '../../src/conversation/messages.ts';
import { PROMPT_SEPARATOR, renderMessage } from '../../src/conversation/prompt.ts';
import { silentLogger } from '../../src/log.ts';
import { SessionPruner } from '../../src/sessions/session-pruner.ts';
import { SessionRepo, type StoredSession } from '../../src/sessions/session-repo.ts';
import { SessionService, type SessionServiceOptions } from '../../src/sessions/session-service.ts';
import { seededRandom } from '../../emulator/prng.ts';
import { openDatabase } from '../../src/store/database.ts';
import { distribution, type Distribution } from './load.ts';
import { describeEnvironment, fmtMs, fmtRate, renderTable, renderTargets, writeSectionResults, type Column, type TargetCheck } from './report.ts';
import type { BenchContext, BenchOptions } from './types.ts';

// The gateway's defaults (src/config.ts): CONTEXT_MAX_LENGTH, SESSION_TTL, REQUEST_TIMEOUT_MS.
const SETTINGS: Omit<SessionServiceOptions, 'repo'> = { ttlMs: 3_600_000, maxSessions: 0, contextMaxLength: 1000, newConversation: () => `session_${Date.now()}_bench0000` };
const REQUEST_TIMEOUT_MS = 180_000;
const OWNER = 'bench-key';
const IDENTITY = 'bench-identity';

const ACTIVE_SESSIONS = 1000;
const EXPIRED_SESSIONS = 100_000;
/** Pruner settings compared: the default (250 rows to start, sized to a 4 ms budget) and fixed sizes. */
const BATCH_CONFIGS: ReadonlyArray<{ batchSize: number; budgetMs: number }> = [
  { batchSize: 250, budgetMs: 2 },
  { batchSize: 250, budgetMs: 0 },
  { batchSize: 500, budgetMs: 0 },
  { batchSize: 1000, budgetMs: 0 },
];
const isDefault = (p: { batchSize: number; budgetMs: number }) => p.batchSize === 250 && p.budgetMs === 2;
const batchLabel = (p: { batchSize: number; budgetMs: number }) => (p.budgetMs > 0 ? `≤${p.budgetMs}ms` : String(p.batchSize));
const REQUEST_INTERVAL_MS = 1;
const CHECKPOINT_EVERY = 500;

/**
 * Where the expired rows sit in the table. `expiry order`: rows were inserted roughly in
 * the order they expire (rowid follows expiry, ±30 s), as after a burst of conversations
 * that ended together, or a downtime; each batch deletes neighbouring rows. `scattered`:
 * expiry unrelated to rowid (long-lived sessions kept alive by the sliding TTL), the worst
 * case: each batch touches ~one table page per row.
 */
export type ExpiredLayout = 'expiry order' | 'scattered';

// Message sizes. Named: a stored history of two exchanges renders to ~940 characters, so
// every turn trims the oldest exchange to stay within the 1000-character budget.
// Recognised: three exchanges of 120 + 220 characters are ~1 KB resent per request.
const NAMED_USER_CHARS = 150;
const NAMED_ANSWER_CHARS = 300;
const RECOGNISED_USER_CHARS = 120;
const RECOGNISED_ANSWER_CHARS = 220;

// The targets.
const TURN_P99_MS = 1;
const STALL_MAX_MS = 20;

interface Workload {
  turns: number;
  warmupTurns: number;
}

export function sessionsWorkload(options: BenchOptions): Workload & { layouts: ExpiredLayout[] } {
  return options.quick
    ? { turns: 4_000, warmupTurns: 1_000, layouts: ['expiry order'] }
    : { turns: 20_000, warmupTurns: 3_000, layouts: ['expiry order', 'scattered'] };
}

export interface TurnCostResult {
  path: 'named' | 'named, checkpoints off the turn (diagnostic)' | 'recognised, 6-message history' | 'recognised, new conversation';
  sessions: number;
  /** What each turn carries: the stored history (named) or the resent one (recognised). */
  historyNote: string;
  turns: number;
  turnMs: Distribution;
  turnsPerSecond: number | null;
}

export interface PruneResult {
  layout: ExpiredLayout;
  batchSize: number;
  budgetMs: number;
  setupInsertMs: number;
  expiredInserted: number;
  rowsDeleted: number;
  rowsLeft: number;
  batches: number;
  pruneMs: number;
  batchMs: Distribution;
  usPerRow: number;
  walPagesAfterPrune: number | null;
  duringPrune: StallStats;
  baseline: StallStats;
}

export interface StallStats {
  periodMs: number;
  requests: number;
  stallMs: Distribution | null;
  over20ms: number;
}

export async function runSessionsBench(ctx: BenchContext): Promise<void> {
  const tmp = await mkdtemp(join(tmpdir(), 'kimi-bench-sessions-'));
  const open = new Set<Database>();
  const openDb = (name: string): Database => {
    const db = openDatabase(join(tmp, name));
    open.add(db);
    return db;
  };
  const closeDb = async (db: Database, name: string): Promise<void> => {
    db.close();
    open.delete(db);
    for (const suffix of ['', '-wal', '-shm']) await rm(join(tmp, name + suffix), { force: true });
  };
  try {
    const workload = sessionsWorkload(ctx.options);
    const texts = new TextPool(0x5e55_1045);

    const loadBefore = loadavg();
    const namedRuns: TurnCostResult[] = [];
    for (const checkpointOffTurn of [false, true]) {
      const name = checkpointOffTurn ? 'named-manual-checkpoint.sqlite' : 'named.sqlite';
      ctx.progress(`[sessions] named turns${checkpointOffTurn ? ' (diagnostic: checkpoints between turns)' : ''}: ${workload.turns} over ${ACTIVE_SESSIONS} sessions`);
      const namedDb = openDb(name);
      const named = await benchNamedTurns(namedDb, workload, texts, checkpointOffTurn);
      await closeDb(namedDb, name);
      ctx.progress(`[sessions]   p50 ${fmtMs(named.turnMs.p50)} ms  p99 ${fmtMs(named.turnMs.p99)} ms  max ${fmtMs(named.turnMs.max)} ms`);
      namedRuns.push(named);
    }

    ctx.progress(`[sessions] recognised turns: ${workload.turns} over ${ACTIVE_SESSIONS} conversations`);
    const recognisedDb = openDb('recognised.sqlite');
    const recognised = await benchRecognisedTurns(recognisedDb, workload, texts);
    await closeDb(recognisedDb, 'recognised.sqlite');
    for (const r of recognised) {
      ctx.progress(`[sessions]   ${r.path}: p50 ${fmtMs(r.turnMs.p50)} ms  p99 ${fmtMs(r.turnMs.p99)} ms  max ${fmtMs(r.turnMs.max)} ms`);
    }
    const turnCost = [namedRuns[0]!, ...recognised, ...namedRuns.slice(1)];

    const prunes: PruneResult[] = [];
    for (const layout of workload.layouts) {
      for (const { batchSize, budgetMs } of BATCH_CONFIGS) {
        ctx.progress(`[sessions] prune ${EXPIRED_SESSIONS} expired sessions (${layout}), batch ${batchSize}, a request every ${REQUEST_INTERVAL_MS} ms`);
        const name = `prune-${layout.replace(' ', '-')}-${batchSize}-${budgetMs}.sqlite`;
        const db = openDb(name);
        const result = await benchPrune(db, layout, batchSize, budgetMs, workload, texts);
        await closeDb(db, name);
        ctx.progress(
          `[sessions]   ${result.rowsDeleted} rows in ${result.batches} batches, ${fmtMs(result.pruneMs)} ms, batch max ${fmtMs(result.batchMs.max)} ms; ` +
            `stall p99 ${fmtMs(result.duringPrune.stallMs?.p99)} ms, max ${fmtMs(result.duringPrune.stallMs?.max)} ms ` +
            `(baseline max ${fmtMs(result.baseline.stallMs?.max)} ms)`,
        );
        prunes.push(result);
      }
    }
    const loadAfter = loadavg();

    const checks = evaluateSessionTargets(turnCost, prunes);
    console.log(renderSessionsReport(turnCost, prunes, checks, { before: loadBefore, after: loadAfter }));

    const path = await writeSectionResults(ctx.options.outDir, 'sessions', {
      section: 'sessions',
      generatedAt: new Date().toISOString(),
      environment: describeEnvironment(ctx.root),
      settings: {
        sessionSettings: SETTINGS,
        requestTimeoutMs: REQUEST_TIMEOUT_MS,
        activeSessions: ACTIVE_SESSIONS,
        expiredSessions: EXPIRED_SESSIONS,
        batchConfigs: BATCH_CONFIGS,
        requestIntervalMs: REQUEST_INTERVAL_MS,
        workload,
        messageChars: {
          namedUser: NAMED_USER_CHARS,
          namedAnswer: NAMED_ANSWER_CHARS,
          recognisedUser: RECOGNISED_USER_CHARS,
          recognisedAnswer: RECOGNISED_ANSWER_CHARS,
        },
        database: 'temporary file, openDatabase (WAL, synchronous NORMAL)',
        diagnosticCheckpointEvery: CHECKPOINT_EVERY,
      },
      loadAverage: { before: loadBefore, after: loadAfter },
      turnCost,
      prune: prunes,
      targets: checks,
    });
    ctx.progress(`[sessions] wrote ${path}`);
  } finally {
    for (const db of open) db.close();
    await rm(tmp, { recursive: true, force: true });
  }
}

// ---- 1. per-turn cost ---------------------------------------------------------------

/**
 * `checkpointOffTurn` is a diagnostic: WAL auto-checkpoints off, and a checkpoint between
 * turns every CHECKPOINT_EVERY turns, outside the measured time (as a checkpoint run off the
 * request path would be), to show how much of the tail the checkpoints inside commits are.
 */
async function benchNamedTurns(db: Database, workload: Workload, texts: TextPool, checkpointOffTurn = false): Promise<TurnCostResult> {
  if (checkpointOffTurn) db.exec('PRAGMA wal_autocheckpoint = 0');
  const repo = new SessionRepo(db);
  const names = insertNamedSessions(repo, ACTIVE_SESSIONS, 'named', Date.now(), texts);
  const service = new SessionService({ repo, ...SETTINGS });
  const signal = new AbortController().signal;
  const rng = seededRandom(7);
  let wrongSession = 0;

  const oneTurn = async (): Promise<number> => {
    const name = names[Math.floor(rng() * names.length)]!;
    const messages: ChatMessage[] = [{ role: 'user', content: texts.namedUser() }];
    const answer = texts.namedAnswer();
    const t0 = performance.now();
    const turn = await service.begin({ owner: OWNER, name, messages, signal, deadline: Date.now() + REQUEST_TIMEOUT_MS });
    await turn.commit({ role: 'assistant', content: answer }, IDENTITY);
    const ms = performance.now() - t0;
    turn.release();
    // The stored history must have been found and continued.
    if (turn.sessionId !== name || turn.messages.length < 3) wrongSession++;
    return ms;
  };

  const checkpoint = (i: number): void => {
    if (checkpointOffTurn && i % CHECKPOINT_EVERY === 0) db.exec('PRAGMA wal_checkpoint(PASSIVE)');
  };
  for (let i = 0; i < workload.warmupTurns; i++) {
    checkpoint(i);
    await oneTurn();
  }
  checkpoint(0);
  Bun.gc(true);
  const times = new Float64Array(workload.turns);
  let wallMs = 0;
  for (let i = 0; i < workload.turns; i++) {
    checkpoint(i + 1);
    const t0 = performance.now();
    times[i] = await oneTurn();
    wallMs += performance.now() - t0;
  }
  if (wrongSession > 0) throw new Error(`${wrongSession} named turns did not continue their stored session`);

  const stored = db
    .query<{ chars: number; messages: number }, []>(
      'SELECT avg(length(history)) AS chars, avg(json_array_length(history)) AS messages FROM sessions',
    )
    .get();
  const rendered = averageRenderedHistory(db);
  return {
    path: checkpointOffTurn ? 'named, checkpoints off the turn (diagnostic)' : 'named',
    sessions: service.size,
    historyNote: `stored ${rendered.toFixed(0)} ch (${(stored?.messages ?? 0).toFixed(1)} msgs, ${((stored?.chars ?? 0) / 1024).toFixed(2)} KB JSON)`,
    turns: workload.turns,
    turnMs: distribution(Array.from(times))!,
    turnsPerSecond: (workload.turns / wallMs) * 1000,
  };
}

/** A stateless client's conversation: it keeps the history and resends it each turn. */
interface Conversation {
  serial: number;
  sessionId: string;
  messages: ChatMessage[];
}

async function benchRecognisedTurns(db: Database, workload: Workload, texts: TextPool): Promise<TurnCostResult[]> {
  const repo = new SessionRepo(db);
  const service = new SessionService({ repo, ...SETTINGS });
  const signal = new AbortController().signal;
  const rng = seededRandom(11);
  let serial = 0;
  let wrongSession = 0;
  let resentChars = 0;
  let resentSamples = 0;

  /** One turn of `conversation`: the client sends its history plus a new question. */
  const oneTurn = async (conversation: Conversation): Promise<number> => {
    const messages: ChatMessage[] = [...conversation.messages, { role: 'user', content: texts.recognisedUser(conversation.serial) }];
    const answer = texts.recognisedAnswer(conversation.serial);
    const t0 = performance.now();
    const turn = await service.begin({ owner: OWNER, name: null, messages, signal, deadline: Date.now() + REQUEST_TIMEOUT_MS });
    await turn.commit({ role: 'assistant', content: answer }, IDENTITY);
    const ms = performance.now() - t0;
    turn.release();
    if (conversation.messages.length === 0) conversation.sessionId = turn.sessionId;
    else if (turn.sessionId !== conversation.sessionId) wrongSession++;
    conversation.messages = [...messages, { role: 'assistant', content: answer }];
    return ms;
  };

  /** Three answered exchanges (6 messages): the next turn resends ~1 KB. Returns turn 1's time. */
  const newConversation = async (): Promise<{ conversation: Conversation; firstTurnMs: number }> => {
    const conversation: Conversation = { serial: serial++, sessionId: '', messages: [] };
    const firstTurnMs = await oneTurn(conversation);
    await oneTurn(conversation);
    await oneTurn(conversation);
    return { conversation, firstTurnMs };
  };

  const slots: Conversation[] = [];
  for (let i = 0; i < ACTIVE_SESSIONS; i++) slots.push((await newConversation()).conversation);

  // Each measured turn is the 4th of a conversation (6 messages resent); the conversation
  // then ends (deleted, so 1000 stay active) and a new one takes its slot, built outside
  // the measured time except for its first turn (a new conversation: the insert path).
  const measure = async (turns: number, record: boolean): Promise<{ continued: Float64Array; created: Float64Array; wallMs: number }> => {
    const continued = new Float64Array(turns);
    const created = new Float64Array(turns);
    let wallMs = 0;
    for (let i = 0; i < turns; i++) {
      const k = Math.floor(rng() * slots.length);
      const conversation = slots[k]!;
      if (record) {
        resentChars += conversation.messages.reduce((n, m) => n + m.content.length, 0);
        resentSamples++;
      }
      const t0 = performance.now();
      continued[i] = await oneTurn(conversation);
      wallMs += performance.now() - t0;
      service.delete(OWNER, conversation.sessionId);
      const next = await newConversation();
      created[i] = next.firstTurnMs;
      slots[k] = next.conversation;
    }
    return { continued, created, wallMs };
  };

  await measure(workload.warmupTurns, false);
  Bun.gc(true);
  const { continued, created, wallMs } = await measure(workload.turns, true);
  if (wrongSession > 0) throw new Error(`${wrongSession} recognised turns were not matched to their conversation by fingerprint`);
  const resentKb = resentChars / resentSamples / 1024;
  return [
    {
      path: 'recognised, 6-message history',
      sessions: service.size,
      historyNote: `resent 6 msgs + 1 new (${resentKb.toFixed(2)} KB text)`,
      turns: workload.turns,
      turnMs: distribution(Array.from(continued))!,
      // The measured turns only (the untimed rebuilds of new conversations are left out).
      turnsPerSecond: (workload.turns / wallMs) * 1000,
    },
    {
      path: 'recognised, new conversation',
      sessions: service.size,
      historyNote: '1 user msg (insert)',
      turns: workload.turns,
      turnMs: distribution(Array.from(created))!,
      turnsPerSecond: null,
    },
  ];
}

// ---- 2. pruning while requests flow -------------------------------------------------

async function benchPrune(db: Database, layout: ExpiredLayout, batchSize: number, budgetMs: number, workload: Workload, texts: TextPool): Promise<PruneResult> {
  const repo = new SessionRepo(db);
  const now = Date.now();

  // 100k expired sessions, half named (a ~1 KB history), half recognised (a tip, no
  // history), expired over the last hour, in `layout`; then the 1000 live named ones.
  const setupStarted = performance.now();
  const rng = seededRandom(batchSize);
  repo.transaction(() => {
    for (let i = 0; i < EXPIRED_SESSIONS; i++) {
      const jitter = Math.floor(rng() * 60_000) - 30_000;
      const expiresAt =
        layout === 'scattered'
          ? now - 1_000 - Math.floor(rng() * 3_600_000)
          : Math.min(now - 1_000, now - 3_600_000 + Math.floor((i * 3_600_000) / EXPIRED_SESSIONS) + jitter);
      const named = i % 2 === 0;
      repo.save({
        owner: OWNER,
        id: named ? `old-${i}` : `conv_${hex(rng, 32)}`,
        tip: named ? null : hex(rng, 32),
        upstreamSessionId: `session_${expiresAt}_${hex(rng, 9)}`,
        identityId: IDENTITY,
        history: named ? texts.namedHistory() : [],
        turns: 3,
        createdAt: expiresAt - SETTINGS.ttlMs - 600_000,
        lastUsedAt: expiresAt - SETTINGS.ttlMs,
        expiresAt,
      });
    }
  });
  const names = insertNamedSessions(repo, ACTIVE_SESSIONS, 'live', now, texts);
  db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
  const setupInsertMs = performance.now() - setupStarted;

  const service = new SessionService({ repo, ...SETTINGS });
  const batchTimes: number[] = [];
  const pruneExpired = repo.pruneExpired.bind(repo);
  repo.pruneExpired = (at: number, limit: number): number => {
    const t0 = performance.now();
    const n = pruneExpired(at, limit);
    batchTimes.push(performance.now() - t0);
    return n;
  };
  const pruner = new SessionPruner(repo, { intervalMs: 60_000, batchSize, batchBudgetMs: budgetMs, log: silentLogger });

  const signal = new AbortController().signal;
  const pick = seededRandom(batchSize + 1);
  const oneTurn = async (): Promise<void> => {
    const name = names[Math.floor(pick() * names.length)]!;
    const turn = await service.begin({
      owner: OWNER,
      name,
      messages: [{ role: 'user', content: texts.namedUser() }],
      signal,
      deadline: Date.now() + REQUEST_TIMEOUT_MS,
    });
    try {
      await turn.commit({ role: 'assistant', content: texts.namedAnswer() }, IDENTITY);
    } finally {
      turn.release();
    }
  };
  for (let i = 0; i < Math.min(2_000, workload.warmupTurns); i++) await oneTurn();
  Bun.gc(true);

  let rowsDeleted: number;
  let pruneMs: number;
  let duringPrune: StallStats;
  const simulator = new RequestSimulator(oneTurn, REQUEST_INTERVAL_MS);
  try {
    simulator.start();
    const started = performance.now();
    rowsDeleted = await pruner.run();
    pruneMs = performance.now() - started;
    duringPrune = stallStats(await simulator.stop(), pruneMs);
  } finally {
    simulator.abandon();
    await pruner.stop();
  }
  const walPagesAfterPrune = db.query<{ log: number }, []>('PRAGMA wal_checkpoint(PASSIVE)').get()?.log ?? null;

  // The same request rate for as long, with nothing else going on.
  const baselineSimulator = new RequestSimulator(oneTurn, REQUEST_INTERVAL_MS);
  let baseline: StallStats;
  try {
    baselineSimulator.start();
    await Bun.sleep(pruneMs);
    baseline = stallStats(await baselineSimulator.stop(), pruneMs);
  } finally {
    baselineSimulator.abandon();
  }

  const rowsLeft = repo.countRows();
  if (rowsDeleted !== EXPIRED_SESSIONS || rowsLeft !== ACTIVE_SESSIONS || service.size !== ACTIVE_SESSIONS) {
    throw new Error(`prune (batch ${batchSize}) deleted ${rowsDeleted} of ${EXPIRED_SESSIONS}, left ${rowsLeft} rows (service counts ${service.size}), expected ${ACTIVE_SESSIONS}`);
  }
  return {
    layout,
    batchSize,
    budgetMs,
    setupInsertMs,
    expiredInserted: EXPIRED_SESSIONS,
    rowsDeleted,
    rowsLeft,
    batches: batchTimes.length,
    pruneMs,
    batchMs: distribution(batchTimes)!,
    usPerRow: (batchTimes.reduce((a, b) => a + b, 0) * 1000) / Math.max(1, rowsDeleted),
    walPagesAfterPrune,
    duringPrune,
    baseline,
  };
}

/**
 * One request due every `intervalMs`. Each tick serves, in order, every request already
 * due (as a server would drain its queue after the event loop was blocked), and records
 * for each the time from when it was due to when its turn finished.
 */
class RequestSimulator {
  private nextDue = 0;
  private stopAt = Number.POSITIVE_INFINITY;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly stalls: number[] = [];
  private failure: unknown = null;
  private done = false;
  private resolveFinished: () => void = () => {};
  private readonly finished = new Promise<void>((resolve) => {
    this.resolveFinished = resolve;
  });

  constructor(
    private readonly turn: () => Promise<void>,
    private readonly intervalMs: number,
  ) {}

  start(): void {
    this.nextDue = performance.now();
    this.timer = setTimeout(() => void this.tick(), 0);
  }

  /** Stops scheduling; resolves with the stalls once requests due up to now were served. */
  async stop(): Promise<number[]> {
    this.stopAt = performance.now();
    if (this.timer !== undefined && this.nextDue > this.stopAt) this.finish();
    await this.finished;
    if (this.failure !== null) throw this.failure;
    return this.stalls;
  }

  /** Cleanup after an error: no further ticks. */
  abandon(): void {
    this.stopAt = Number.NEGATIVE_INFINITY;
    this.finish();
  }

  private finish(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.done = true;
    this.resolveFinished();
  }

  private async tick(): Promise<void> {
    this.timer = undefined;
    if (this.done) return;
    try {
      while (this.nextDue <= this.stopAt && this.nextDue <= performance.now()) {
        const due = this.nextDue;
        this.nextDue += this.intervalMs;
        await this.turn();
        this.stalls.push(performance.now() - due);
      }
    } catch (error) {
      this.failure = error;
      this.finish();
      return;
    }
    if (this.nextDue > this.stopAt || this.done) {
      this.finish();
      return;
    }
    this.timer = setTimeout(() => void this.tick(), Math.max(0, this.nextDue - performance.now()));
  }
}

function stallStats(stalls: readonly number[], periodMs: number): StallStats {
  return { periodMs, requests: stalls.length, stallMs: distribution(stalls), over20ms: stalls.filter((s) => s > STALL_MAX_MS).length };
}

// ---- data -----------------------------------------------------------------------------

/** `count` live named sessions with a realistic stored history, in one transaction. */
function insertNamedSessions(repo: SessionRepo, count: number, prefix: string, now: number, texts: TextPool): string[] {
  const names = Array.from({ length: count }, (_, i) => `${prefix}-session-${i}`);
  repo.transaction(() => {
    for (const [i, id] of names.entries()) {
      const session: StoredSession = {
        owner: OWNER,
        id,
        tip: null,
        upstreamSessionId: `session_${now}_${String(i).padStart(9, '0')}`,
        identityId: IDENTITY,
        history: texts.namedHistory(),
        turns: 2,
        createdAt: now - 600_000,
        lastUsedAt: now - 60_000,
        expiresAt: now - 60_000 + SETTINGS.ttlMs,
      };
      repo.save(session);
    }
  });
  return names;
}

function averageRenderedHistory(db: Database): number {
  const rows = db.query<{ history: string }, []>('SELECT history FROM sessions').all();
  let total = 0;
  for (const row of rows) {
    const history = JSON.parse(row.history) as ChatMessage[];
    total += history.map((m) => renderMessage(m)).join(PROMPT_SEPARATOR).length;
  }
  return total / Math.max(1, rows.length);
}

const WORDS = (
  'the a gateway session answer question model token request client stream history prompt ' +
  'budget upstream identity pool turn message context window latency cache sqlite index ' +
  'table row commit lock queue timer event loop batch prune expire recognise fingerprint ' +
  'please explain why how what when could would should because therefore however example'
).split(' ');

/** Pre-generated message texts (seeded), so building requests costs next to nothing. */
class TextPool {
  private readonly users: string[];
  private readonly answers: string[];
  private readonly shortUsers: string[];
  private readonly shortAnswers: string[];
  private u = 0;
  private a = 0;

  constructor(seed: number) {
    const rng = seededRandom(seed);
    this.users = Array.from({ length: 256 }, () => words(rng, NAMED_USER_CHARS));
    this.answers = Array.from({ length: 256 }, () => words(rng, NAMED_ANSWER_CHARS));
    this.shortUsers = Array.from({ length: 256 }, () => words(rng, RECOGNISED_USER_CHARS - 10));
    this.shortAnswers = Array.from({ length: 256 }, () => words(rng, RECOGNISED_ANSWER_CHARS - 10));
  }

  namedUser(): string {
    return this.users[this.u++ & 255]!;
  }

  namedAnswer(): string {
    return this.answers[this.a++ & 255]!;
  }

  /** Two exchanges: ~940 characters rendered, just under CONTEXT_MAX_LENGTH. */
  namedHistory(): ChatMessage[] {
    return [
      { role: 'user', content: this.namedUser() },
      { role: 'assistant', content: this.namedAnswer() },
      { role: 'user', content: this.namedUser() },
      { role: 'assistant', content: this.namedAnswer() },
    ];
  }

  /** Unique per conversation (its serial), so two conversations never share a fingerprint. */
  recognisedUser(serial: number): string {
    return `#${String(serial).padStart(8, '0')} ${this.shortUsers[this.u++ & 255]!}`;
  }

  recognisedAnswer(serial: number): string {
    return `#${String(serial).padStart(8, '0')} ${this.shortAnswers[this.a++ & 255]!}`;
  }
}

function words(rng: () => number, chars: number): string {
  let text = '';
  while (text.length < chars) text += `${text === '' ? '' : ' '}${WORDS[Math.floor(rng() * WORDS.length)]!}`;
  return text.slice(0, chars);
}

function hex(rng: () => number, length: number): string {
  let out = '';
  while (out.length < length) out += Math.floor(rng() * 0x1_0000_0000).toString(16).padStart(8, '0');
  return out.slice(0, length);
}

// ---- report ---------------------------------------------------------------------------

export function evaluateSessionTargets(turnCost: readonly TurnCostResult[], prunes: readonly PruneResult[]): TargetCheck[] {
  const checks: TargetCheck[] = [];
  for (const r of turnCost) {
    if (r.path !== 'named' && r.path !== 'recognised, 6-message history') continue;
    checks.push({
      name: `per-turn p99, ${r.path}, ${r.sessions} sessions`,
      pass: r.turnMs.p99 <= TURN_P99_MS,
      detail: `${fmtMs(r.turnMs.p99)} ms vs ≤ ${TURN_P99_MS} ms (p50 ${fmtMs(r.turnMs.p50)} ms, max ${fmtMs(r.turnMs.max)} ms, n=${r.turns})`,
    });
  }
  for (const p of prunes) {
    const max = p.duringPrune.stallMs?.max ?? Number.NaN;
    checks.push({
      name: `longest request stall while pruning ${p.rowsDeleted} rows (${p.layout}), batch ${batchLabel(p)}${isDefault(p) ? ' (default)' : ''}`,
      pass: max <= STALL_MAX_MS,
      detail: `${fmtMs(max)} ms vs ≤ ${STALL_MAX_MS} ms (p99 ${fmtMs(p.duringPrune.stallMs?.p99)} ms, ${p.duringPrune.over20ms} of ${p.duringPrune.requests} requests over ${STALL_MAX_MS} ms; ` +
        `baseline max ${fmtMs(p.baseline.stallMs?.max)} ms)`,
    });
  }
  return checks;
}

const TURN_COLUMNS: readonly Column[] = [
  { title: 'path', align: 'left' },
  { title: 'sessions' },
  { title: 'history', align: 'left' },
  { title: 'turns' },
  { title: 'p50 ms' },
  { title: 'p90 ms' },
  { title: 'p99 ms' },
  { title: 'max ms' },
  { title: 'mean ms' },
  { title: 'turns/s' },
];

const PRUNE_COLUMNS: readonly Column[] = [
  { title: 'expired rows', align: 'left' },
  { title: 'batch' },
  { title: 'deleted' },
  { title: 'batches' },
  { title: 'prune ms' },
  { title: 'batch p50' },
  { title: 'batch p90' },
  { title: 'batch max' },
  { title: 'µs/row' },
  { title: 'requests' },
  { title: 'stall p50' },
  { title: 'stall p99' },
  { title: 'stall max' },
  { title: '>20 ms' },
  { title: 'base p99' },
  { title: 'base max' },
];

export function renderSessionsReport(
  turnCost: readonly TurnCostResult[],
  prunes: readonly PruneResult[],
  checks: readonly TargetCheck[],
  load: { before: number[]; after: number[] },
): string {
  const turnRows = turnCost.map((r) => [
    r.path,
    String(r.sessions),
    r.historyNote,
    String(r.turns),
    fmtMs(r.turnMs.p50),
    fmtMs(r.turnMs.p90),
    fmtMs(r.turnMs.p99),
    fmtMs(r.turnMs.max),
    fmtMs(r.turnMs.mean),
    r.turnsPerSecond === null ? '' : fmtRate(r.turnsPerSecond),
  ]);
  const pruneRows = prunes.map((p) => [
    p.layout,
    `${batchLabel(p)}${isDefault(p) ? '*' : ''}`,
    String(p.rowsDeleted),
    String(p.batches),
    fmtMs(p.pruneMs),
    fmtMs(p.batchMs.p50),
    fmtMs(p.batchMs.p90),
    fmtMs(p.batchMs.max),
    p.usPerRow.toFixed(1),
    String(p.duringPrune.requests),
    fmtMs(p.duringPrune.stallMs?.p50),
    fmtMs(p.duringPrune.stallMs?.p99),
    fmtMs(p.duringPrune.stallMs?.max),
    String(p.duringPrune.over20ms),
    fmtMs(p.baseline.stallMs?.p99),
    fmtMs(p.baseline.stallMs?.max),
  ]);
  const setup = prunes.map((p) => fmtMs(p.setupInsertMs)).join(', ');
  const fmtLoad = (l: number[]): string => l.map((x) => x.toFixed(2)).join(' ');
  return [
    '',
    `== sessions: per-turn cost, begin + commit (in-process, SQLite file in WAL, ${ACTIVE_SESSIONS} active sessions) ==`,
    '',
    renderTable(TURN_COLUMNS, turnRows),
    '',
    'named: X-Session-Id turns on a random session of the 1000, each sending one new user message; the stored history is',
    `trimmed to CONTEXT_MAX_LENGTH ${SETTINGS.contextMaxLength} each commit. recognised: stateless clients resending their history; every measured`,
    'turn is a conversation\'s 4th (found by fingerprint); "new conversation" is a conversation\'s first turn (insert).',
    'turns/s counts measured turns back to back (one at a time, no HTTP).',
    `diagnostic: the same named turns with wal_autocheckpoint = 0 and a checkpoint every ${CHECKPOINT_EVERY} turns between turns (not timed):`,
    'the difference to "named" is what the WAL checkpoints that run inside a commit add.',
    '',
    `== sessions: pruning ${EXPIRED_SESSIONS} expired sessions while a request arrives every ${REQUEST_INTERVAL_MS} ms ==`,
    '',
    renderTable(PRUNE_COLUMNS, pruneRows),
    '',
    'stall = time from when a request was due to when its named turn finished (event loop blocked + queue + the turn).',
    'base = the same request stream for an equal period without pruning, right after it. * = SessionPruner default.',
    'Expired rows: half named with a ~1 KB history, half recognised (tip, no history); 1000 live sessions stay.',
    'expiry order = rows inserted in about the order they expire (each batch deletes neighbouring rows);',
    'scattered = expiry unrelated to insertion order (the worst case: ~one table page written per row).',
    'batch p50/p90/max = one DELETE of the pruner (ms); the pruner\'s own checkpoint after each batch runs in a separate event-loop turn and is not in it.',
    `setup (insert ${EXPIRED_SESSIONS} + ${ACTIVE_SESSIONS} rows, one transaction, checkpoint), ms: ${setup}`,
    `load average (1/5/15 min) before ${fmtLoad(load.before)}, after ${fmtLoad(load.after)}; ${cpus().length} CPUs`,
    '',
    '== targets ==',
    renderTargets(checks),
    '',
  ].join('\n');
}
