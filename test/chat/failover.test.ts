// Failover on its own: a real IdentityPool over the fake provider, a fake clock for time and
// the pool's timers. A scripted answer may move the clock: that is the call's latency.
// Which error a client gets for an outcome is upstream-errors.ts's to say; these tests
// check that failover hands over exactly that error, from the right attempt.

import { describe, expect, test } from 'bun:test';
import { Failover, type FailoverJob } from '../../src/chat/failover.ts';
import { newTurnReport } from '../../src/chat/turn-report.ts';
import { upstreamError, type FailedOutcome } from '../../src/chat/upstream-errors.ts';
import { ClientGoneError, GatewayError } from '../../src/errors.ts';
import type { IdentityConfig } from '../../src/pool/identity-config.ts';
import type { PoolEvent } from '../../src/pool/pool-events.ts';
import type { UpstreamOutcome } from '../../src/providers/outcome.ts';
import { FakeClock, settle, track } from '../support/fake-clock.ts';
import { fakePool } from '../support/fake-pool.ts';
import { FakeProvider } from '../support/fake-provider.ts';
import { identity } from '../support/identities.ts';
import { CHALLENGED, FAULT, OK, TIMED_OUT } from '../support/outcomes.ts';
import { rejection } from '../support/rejection.ts';
import { seededRandom } from '../support/seeded-random.ts';

const ATTEMPT_TIMEOUT_MS = 10_000;
const never = new AbortController().signal;

function setup(ids: Array<string | IdentityConfig>, { maxAttempts = 3 } = {}) {
  const clock = new FakeClock();
  const provider = new FakeProvider();
  const pool = fakePool(provider, clock, { identities: ids.map((i) => (typeof i === 'string' ? identity(i) : i)), random: seededRandom(3) });
  const events: PoolEvent[] = [];
  pool.onEvent((e) => events.push(e));
  const failover = new Failover({ provider, pool, maxAttempts, attemptTimeoutMs: ATTEMPT_TIMEOUT_MS, now: clock.now });
  const job = (extra: Partial<FailoverJob> = {}): FailoverJob => ({
    prompt: 'hello',
    model: provider.defaultModel,
    conversation: 'conversation-x',
    preferredIdentityId: null,
    signal: never,
    deadline: clock.now() + 60_000,
    ...extra,
  });
  const member = (id: string) => pool.list().find((m) => m.id === id)!;
  /** Every identity answers from one shared list, in call order, whichever identity is asked. */
  const answerInTurn = (...outcomes: UpstreamOutcome[]) => {
    for (const m of pool.list()) provider.always(m.id, () => outcomes.shift() ?? OK);
  };
  return { clock, provider, pool, events, failover, job, member, answerInTurn };
}

/** The error a client gets for this outcome, as upstream-errors.ts maps it. */
const mapped = (outcome: FailedOutcome, site: string) => {
  const error = upstreamError(outcome, site);
  return error instanceof GatewayError ? { errorCode: error.errorCode, message: error.message } : { name: error.name };
};

describe('failover', () => {
  const retryable: Array<[string, UpstreamOutcome]> = [
    ['rate_limited', { kind: 'rate_limited', retryAfterMs: 20_000, detail: 'HTTP 429' }],
    ['challenged', CHALLENGED],
    ['transient', FAULT],
    ['transient (timed out)', TIMED_OUT],
    ['nonce_rejected', { kind: 'nonce_rejected', detail: 'rejected after refresh', afterRefresh: true }],
  ];
  for (const [name, outcome] of retryable) {
    test(`${name}: the request moves to another identity and is answered`, async () => {
      const { failover, job, provider } = setup(['a', 'b', 'c']);
      provider.always('a', outcome);
      const answer = await failover.send(job({ preferredIdentityId: 'a' }));
      expect(provider.calls).toHaveLength(2);
      expect(provider.calls[0]).toBe('a');
      expect(answer.identityId).toBe(provider.calls[1]!);
      expect(answer.identityId).not.toBe('a');
      expect(answer.text).toBe(`answer from ${answer.identityId}`);
    });
  }

  const clientErrors: Array<[FailedOutcome, string]> = [
    [{ kind: 'refused', reason: 'message too long', about: 'too_long' }, 'upstream_refused'],
    [{ kind: 'refused', reason: 'no' }, 'upstream_refused'],
    [{ kind: 'protocol', detail: 'redirect to another site' }, 'upstream_protocol_error'],
    [{ kind: 'protocol', detail: 'over UPSTREAM_MAX_BYTES', tooLarge: true }, 'upstream_too_large'],
  ];
  for (const [outcome, code] of clientErrors) {
    const variant = 'tooLarge' in outcome ? ' (too large)' : 'about' in outcome ? ` (${outcome.about})` : '';
    test(`${outcome.kind}${variant}: ${code} at once, no other identity tried`, async () => {
      const { failover, job, provider } = setup(['a', 'b', 'c']);
      provider.always('a', outcome);
      const error = await rejection(failover.send(job({ preferredIdentityId: 'a' })));
      expect(error).toBeInstanceOf(GatewayError);
      expect(error).toMatchObject({ errorCode: code });
      expect(error).toMatchObject(mapped(outcome, provider.site));
      expect(provider.calls).toEqual(['a']);
    });
  }

  test('with no other identity to move to, the client gets the failure it had (rate limit with its Retry-After)', async () => {
    const { failover, job, provider } = setup(['a']);
    const outcome: FailedOutcome = { kind: 'rate_limited', retryAfterMs: 20_000, detail: 'HTTP 429' };
    provider.always('a', outcome);
    const error = await rejection(failover.send(job()));
    expect(error).toMatchObject({ ...mapped(outcome, provider.site), retryAfterSeconds: 20 });
    expect(provider.calls).toEqual(['a']);
  });

  test('never the same identity twice in one request, even with attempts left', async () => {
    const { failover, job, provider } = setup(['a', 'b', 'c'], { maxAttempts: 6 });
    for (const id of ['a', 'b', 'c']) provider.always(id, FAULT);
    const error = await rejection(failover.send(job()));
    expect(error).toMatchObject({ errorCode: 'upstream_unavailable' });
    expect(provider.calls).toHaveLength(3);
    expect(new Set(provider.calls).size).toBe(3);
  });

  test("MAX_ATTEMPTS bounds the attempts; the client gets the last attempt's failure", async () => {
    const { failover, job, provider, answerInTurn } = setup(['a', 'b', 'c', 'd', 'e'], { maxAttempts: 3 });
    answerInTurn({ kind: 'rate_limited', retryAfterMs: null, detail: 'HTTP 429' }, CHALLENGED, TIMED_OUT, OK);
    const error = await rejection(failover.send(job()));
    expect(error).toMatchObject(mapped(TIMED_OUT as FailedOutcome, provider.site));
    expect(provider.calls).toHaveLength(3);
  });

  test('each attempt gets at most the time left before the deadline; none starts after it', async () => {
    const { failover, job, provider, clock } = setup(['a', 'b', 'c']);
    for (const id of ['a', 'b', 'c']) {
      provider.always(id, (sent) => {
        clock.advance(sent.timeoutMs);
        return TIMED_OUT;
      });
    }
    const error = await rejection(failover.send(job({ deadline: clock.now() + 15_000 })));
    expect(error).toMatchObject({ errorCode: 'upstream_timeout' });
    expect(provider.calls).toHaveLength(2);
    const budgets = provider.calls.map((id) => provider.identities.get(id)!.sent[0]!.timeoutMs);
    expect(budgets).toEqual([ATTEMPT_TIMEOUT_MS, 5_000]);
  });

  test('when no identity can serve at all: no_identity_available, nothing sent', async () => {
    const { failover, job, provider, pool } = setup(['a', 'b']);
    pool.disable('a');
    pool.disable('b');
    expect(await rejection(failover.send(job()))).toMatchObject({ errorCode: 'no_identity_available' });
    expect(provider.calls).toEqual([]);
  });
});

describe('a client that leaves', () => {
  test('a cancelled attempt is ClientGoneError, with no failover and no change to health', async () => {
    const { failover, job, provider, member } = setup(['a', 'b']);
    provider.always('a', { kind: 'cancelled' });
    expect(await rejection(failover.send(job({ preferredIdentityId: 'a' })))).toBeInstanceOf(ClientGoneError);
    expect(provider.calls).toEqual(['a']);
    expect(member('a').health.snapshot()).toMatchObject({ state: { kind: 'ready' }, consecutiveFaults: 0 });
  });

  test('a client gone during a failing attempt gets no second attempt, and is ClientGoneError', async () => {
    const { failover, job, provider } = setup(['a', 'b']);
    const client = new AbortController();
    provider.always('a', () => {
      client.abort();
      return FAULT;
    });
    // Logged as client_closed, not as the site's failure nobody is waiting for.
    expect(await rejection(failover.send(job({ preferredIdentityId: 'a', signal: client.signal })))).toBeInstanceOf(ClientGoneError);
    expect(provider.calls).toEqual(['a']);
  });

  test('a client gone while waiting for an identity: ClientGoneError, nothing sent', async () => {
    const { failover, job, provider, pool } = setup(['a']);
    await pool.acquire({ signal: never, deadline: Number.MAX_SAFE_INTEGER });
    const client = new AbortController();
    const sending = track(failover.send(job({ signal: client.signal })));
    await settle();
    expect(pool.queueDepth).toBe(1);
    client.abort();
    await settle();
    expect(sending.error).toBeInstanceOf(ClientGoneError);
    expect(pool.queueDepth).toBe(0);
    expect(provider.calls).toEqual([]);
  });
});

describe('the turn report', () => {
  test('says who answered, after how many attempts, time upstream and time waiting for an identity, and the outcome', async () => {
    const { failover, job, provider, pool, clock } = setup(['a', 'b']);
    const onB = await pool.acquire({ signal: never, deadline: Number.MAX_SAFE_INTEGER, preferredId: 'b' });
    provider.always('a', () => {
      clock.advance(700);
      return FAULT;
    });
    provider.answer('b', () => {
      clock.advance(300);
      return OK;
    });
    const report = newTurnReport();
    const sending = failover.send(job({ preferredIdentityId: 'a' }), report);
    await settle();
    expect(pool.queueDepth).toBe(1); // a has been tried, b is busy
    clock.advance(1_200);
    pool.release(onB, { outcome: OK, latencyMs: 1, timeoutCounts: true });
    const answer = await sending;
    expect(answer.identityId).toBe('b');
    expect(report).toEqual({ identityId: 'b', attempts: 2, upstreamMs: 1_000, queueWaitMs: 1_200, outcome: 'ok', notStored: null });
  });

  test('is filled for a failed request too', async () => {
    const { failover, job, provider, clock } = setup(['a']);
    provider.always('a', () => {
      clock.advance(250);
      return { kind: 'refused', reason: 'no' };
    });
    const report = newTurnReport();
    await rejection(failover.send(job(), report));
    expect(report).toEqual({ identityId: 'a', attempts: 1, upstreamMs: 250, queueWaitMs: 0, outcome: 'refused', notStored: null });
  });
});

describe('latency and timeouts', () => {
  test("time waiting for a connection slot is not the identity's latency", async () => {
    const { failover, job, provider, clock, events, member } = setup(['a']);
    provider.always('a', () => {
      clock.advance(5_000);
      return { outcome: OK, slotWaitMs: 3_000 };
    });
    const report = newTurnReport();
    await failover.send(job(), report);
    expect(report.upstreamMs).toBe(2_000);
    expect(events.find((e) => e.type === 'outcome')).toMatchObject({ id: 'a', kind: 'ok', latencyMs: 2_000 });
    expect(member('a').counters.successLatencyMs).toBe(2_000);
  });

  test('a timeout with the whole attempt budget counts against the identity', async () => {
    const { failover, job, provider, clock, member } = setup(['a'], { maxAttempts: 1 });
    provider.always('a', () => {
      clock.advance(ATTEMPT_TIMEOUT_MS);
      return TIMED_OUT;
    });
    await rejection(failover.send(job()));
    expect(member('a').health.snapshot().consecutiveFaults).toBe(1);
  });

  test("a timeout cut short by the request's deadline does not count against the identity", async () => {
    const { failover, job, provider, clock, member } = setup(['a'], { maxAttempts: 1 });
    provider.always('a', (sent) => {
      clock.advance(sent.timeoutMs);
      return TIMED_OUT;
    });
    await rejection(failover.send(job({ deadline: clock.now() + 4_000 })));
    expect(provider.identities.get('a')!.sent[0]!.timeoutMs).toBe(4_000);
    expect(member('a').health.snapshot().consecutiveFaults).toBe(0);
  });

  test('a timeout whose budget went partly to a connection-slot wait does not count against the identity', async () => {
    const { failover, job, provider, clock, member } = setup(['a'], { maxAttempts: 1 });
    provider.always('a', () => {
      clock.advance(12_000);
      return { outcome: TIMED_OUT, slotWaitMs: 3_000 };
    });
    await rejection(failover.send(job({ deadline: clock.now() + 12_000 })));
    expect(member('a').health.snapshot().consecutiveFaults).toBe(0);
  });
});

describe('probe', () => {
  test('one attempt on the chosen identity; a success brings a challenged identity back', async () => {
    const { failover, provider, pool, member } = setup(['a', 'b']);
    const lease = await pool.acquire({ signal: never, deadline: Number.MAX_SAFE_INTEGER, preferredId: 'a' });
    pool.release(lease, { outcome: CHALLENGED, latencyMs: 1, timeoutCounts: true });
    const result = await failover.probe('a', 5_000);
    expect(result).toEqual({ outcome: { kind: 'ok', message: 'answer from a' }, latencyMs: 0 });
    expect(provider.calls).toEqual(['a']);
    const sent = provider.identities.get('a')!.sent[0]!;
    expect(provider.conversationsIssued).toHaveLength(1);
    expect(sent).toMatchObject({ prompt: 'ping', model: provider.defaultModel, conversation: provider.conversationsIssued[0], timeoutMs: 5_000 });
    expect(member('a').health.state.kind).toBe('ready');
  });

  test('goes out on a busy identity too: outside the scheduler', async () => {
    const { failover, provider, pool } = setup(['a']);
    await pool.acquire({ signal: never, deadline: Number.MAX_SAFE_INTEGER });
    expect((await failover.probe('a', 5_000))?.outcome.kind).toBe('ok');
    expect(provider.calls).toEqual(['a']);
  });

  test("a probe's failure counts like any other; its timeout always counts against the identity", async () => {
    const { failover, provider, member } = setup(['a']);
    provider.always('a', TIMED_OUT);
    expect((await failover.probe('a', 2_000))?.outcome).toEqual(TIMED_OUT);
    expect(member('a').health.snapshot().consecutiveFaults).toBe(1);
  });

  test('null for an identity the pool does not have; nothing sent', async () => {
    const { failover, provider } = setup(['a']);
    expect(await failover.probe('nobody', 5_000)).toBeNull();
    expect(provider.calls).toEqual([]);
  });
});

describe('a provider bug', () => {
  // Provider.send promises never to throw for a site problem; one that throws anyway must not
  // keep the identity's slot (and a probe flag) for good.
  test('a provider that throws still frees the identity it was leased', async () => {
    const { failover, job, provider, member } = setup(['a']);
    provider.always('a', () => {
      throw new Error('a bug in the provider');
    });
    await rejection(failover.send(job()));
    expect(member('a').inFlight).toBe(0);
  });
});
