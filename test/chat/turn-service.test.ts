// The turn as a use case: the real SessionService on a temporary SQLite file, the real pool
// and failover over the fake provider, a fake clock. What goes up to the site is read from
// the fake provider's record of each send.

import { afterAll, describe, expect, spyOn, test } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Database } from 'bun:sqlite';
import { Failover } from '../../src/chat/failover.ts';
import { TurnService } from '../../src/chat/turn-service.ts';
import { PLAIN_TEXT } from '../../src/chat/turn-shape.ts';
import type { ChatMessage } from '../../src/conversation/messages.ts';
import * as promptModule from '../../src/conversation/prompt.ts';
import { GatewayError } from '../../src/errors.ts';
import { DEFAULT_HEALTH_POLICY } from '../../src/pool/health.ts';
import { IdentityPool } from '../../src/pool/identity-pool.ts';
import type { SendJob } from '../../src/providers/provider.ts';
import { SessionRepo } from '../../src/sessions/session-repo.ts';
import { SessionService } from '../../src/sessions/session-service.ts';
import { openDatabase } from '../../src/store/database.ts';
import { FakeClock } from '../support/fake-clock.ts';
import { FakeProvider } from '../support/fake-provider.ts';
import { rejection } from '../support/rejection.ts';

const REQUEST_TIMEOUT_MS = 60_000;
const CALLER = 'key-1';
const never = new AbortController().signal;

const user = (content: string): ChatMessage => ({ role: 'user', content });
const assistant = (content: string): ChatMessage => ({ role: 'assistant', content });

const dirs: string[] = [];
const dbs: Database[] = [];
afterAll(() => {
  for (const db of dbs) db.close();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

interface Setup {
  contextMaxLength?: number;
  ids?: string[];
  random?: () => number;
}

function setup({ contextMaxLength = 2_000, ids = ['a', 'b', 'c'], random = () => 0.5 }: Setup = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'kimi-gw-turns-'));
  dirs.push(dir);
  const db = openDatabase(join(dir, 'gateway.sqlite'));
  dbs.push(db);
  const clock = new FakeClock();
  const provider = new FakeProvider();
  const repo = new SessionRepo(db);
  const sessions = new SessionService({
    repo,
    ttlMs: 3_600_000,
    maxSessions: 0,
    contextMaxLength,
    newConversation: () => provider.newConversation(),
    now: clock.now,
  });
  const pool = new IdentityPool({
    identities: ids.map((id) => ({ id, cookies: `visitor=${id}`, weight: 1, maxConcurrent: 4, rpm: 0, enabled: true })),
    states: provider,
    policy: DEFAULT_HEALTH_POLICY,
    queueMax: 10,
    queueTimeoutMs: 30_000,
    now: clock.now,
    timers: clock.timers,
    random,
  });
  const failover = new Failover({ provider, pool, maxAttempts: 3, attemptTimeoutMs: 10_000, now: clock.now });
  const turns = new TurnService({ sessions, failover, contextMaxLength, requestTimeoutMs: REQUEST_TIMEOUT_MS, now: clock.now });
  const start = (messages: ChatMessage[], sessionName: string | null = null) =>
    turns.start({ caller: CALLER, model: provider.defaultModel, messages, sessionName, shape: PLAIN_TEXT });
  const ask = (messages: ChatMessage[], sessionName: string | null = null) => start(messages, sessionName).run(never);
  /** Every job sent to the site, in order. */
  const sent = (): SendJob[] => {
    const next = new Map<string, number>();
    return provider.calls.map((id) => {
      const i = next.get(id) ?? 0;
      next.set(id, i + 1);
      return provider.identities.get(id)!.sent[i]!;
    });
  };
  const stored = (name: string) => repo.find(CALLER, name, clock.now());
  return { clock, provider, repo, pool, turns, start, ask, sent, stored };
}

describe('TurnService', () => {
  test("a named session's stored history goes into the prompt", async () => {
    const { ask, sent } = setup();
    const first = await ask([user('My name is Ada.')], 'chat-1');
    const second = await ask([user('What is my name?')], 'chat-1');
    expect(first.sessionId).toBe('chat-1');
    expect(sent().map((job) => job.prompt)).toEqual([
      'My name is Ada.',
      `User: My name is Ada.\n\nAssistant: ${first.text}\n\nUser: What is my name?`,
    ]);
    expect(second.prompt).toBe(sent()[1]!.prompt);
  });

  test('the turn is stored only once it is answered: while the site is asked, the session is as it was', async () => {
    const { ask, provider, stored } = setup();
    const first = await ask([user('one')], 'chat-1');
    const seenDuringCall: Array<number | null> = [];
    for (const id of ['a', 'b', 'c']) {
      provider.always(id, () => {
        seenDuringCall.push(stored('chat-1')?.turns ?? null);
        return { kind: 'ok', message: 'two!' };
      });
    }
    await ask([user('two')], 'chat-1');
    expect(seenDuringCall).toEqual([1]);
    expect(stored('chat-1')).toMatchObject({ turns: 2, history: [user('one'), assistant(first.text), user('two'), assistant('two!')] });
  });

  test("a new session's first turn is not stored before its answer", async () => {
    const { ask, provider, stored } = setup();
    const seenDuringCall: unknown[] = [];
    for (const id of ['a', 'b', 'c']) {
      provider.always(id, () => {
        seenDuringCall.push(stored('chat-1'));
        return { kind: 'ok', message: 'hi' };
      });
    }
    await ask([user('one')], 'chat-1');
    expect(seenDuringCall).toEqual([null]);
    expect(stored('chat-1')?.turns).toBe(1);
  });

  test('a failed turn leaves the session as it was', async () => {
    const { ask, provider, stored, sent } = setup();
    await ask([user('one')], 'chat-1');
    const before = stored('chat-1');
    provider.answer(before!.identityId!, { kind: 'refused', reason: 'no' }); // the session's identity serves its next turn
    expect(await rejection(ask([user('two')], 'chat-1'))).toMatchObject({ errorCode: 'upstream_refused' });
    expect(stored('chat-1')).toEqual(before);
    await ask([user('three')], 'chat-1');
    expect(sent().at(-1)!.prompt).not.toContain('two');
  });

  test('a conversation that cannot fit is refused at start() with context_length_exceeded, before anything is sent or stored', () => {
    const { start, provider, repo } = setup({ contextMaxLength: 100 });
    let error: unknown;
    try {
      start([user('x'.repeat(200))], 'chat-1');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(GatewayError);
    expect(error).toMatchObject({ errorCode: 'context_length_exceeded', param: 'messages' });
    expect(provider.calls).toEqual([]);
    expect(provider.conversationsIssued).toEqual([]);
    expect(repo.size).toBe(0);
  });

  test("the prompt built at start() from the request's own messages is sent as it is when the session adds nothing", async () => {
    const { start, sent } = setup();
    const build = spyOn(promptModule, 'buildPrompt');
    try {
      const turn = start([user('hello'), assistant('hi'), user('how are you?')]);
      expect(build).toHaveBeenCalledTimes(1);
      const answer = await turn.run(never);
      expect(build).toHaveBeenCalledTimes(1);
      expect(sent()[0]!.prompt).toBe(turn.ownPrompt.prompt);
      expect(answer.prompt).toBe(turn.ownPrompt.prompt);
    } finally {
      build.mockRestore();
    }
  });

  test('the prompt is built again when the session adds stored history', async () => {
    const { ask, start, sent } = setup();
    await ask([user('one')], 'chat-1');
    const build = spyOn(promptModule, 'buildPrompt');
    try {
      const turn = start([user('two')], 'chat-1');
      await turn.run(never);
      expect(build).toHaveBeenCalledTimes(2);
      expect(sent().at(-1)!.prompt).not.toBe(turn.ownPrompt.prompt);
    } finally {
      build.mockRestore();
    }
  });

  test("a named session keeps the site's conversation handle across turns; another session gets its own", async () => {
    const { ask, sent, stored } = setup();
    await ask([user('one')], 'chat-1');
    await ask([user('two')], 'chat-1');
    await ask([user('elsewhere')], 'chat-2');
    expect(sent().map((job) => job.conversation)).toEqual(['conversation-1', 'conversation-1', 'conversation-2']);
    expect(stored('chat-1')?.upstreamSessionId).toBe('conversation-1');
  });

  test("a client that resends its history continues on the same conversation handle", async () => {
    const { ask, sent } = setup();
    const first = await ask([user('one')]);
    const second = await ask([user('one'), assistant(first.text), user('two')]);
    expect(second.sessionId).toBe(first.sessionId);
    expect(sent().map((job) => job.conversation)).toEqual(['conversation-1', 'conversation-1']);
  });

  test("the session's identity is preferred for its next turn", async () => {
    let draw = 0; // 0 draws the first identity, 0.999 the last
    const { ask, provider, stored } = setup({ random: () => draw });
    await ask([user('one')], 'chat-1');
    expect(provider.calls).toEqual(['a']);
    draw = 0.999;
    await ask([user('two')], 'chat-1');
    await ask([user('elsewhere')], 'chat-2');
    expect(provider.calls).toEqual(['a', 'a', 'c']);
    expect(stored('chat-1')?.identityId).toBe('a');
  });

  test("when the session's identity fails, the identity that answered becomes the session's", async () => {
    let draw = 0;
    const { ask, provider, stored } = setup({ random: () => draw });
    await ask([user('one')], 'chat-1');
    provider.answer('a', { kind: 'transient', detail: 'HTTP 502', timedOut: false });
    draw = 0.999;
    await ask([user('two')], 'chat-1');
    expect(provider.calls).toEqual(['a', 'a', 'c']);
    expect(stored('chat-1')?.identityId).toBe('c');
  });

  test('the deadline runs from start(), not from run()', async () => {
    const { start, clock, sent } = setup();
    const startedAt = clock.now();
    const turn = start([user('one')]);
    clock.advance(5_000);
    await turn.run(never);
    expect(turn.deadline).toBe(startedAt + REQUEST_TIMEOUT_MS);
    expect(sent()[0]!.deadline).toBe(startedAt + REQUEST_TIMEOUT_MS);
  });
});
