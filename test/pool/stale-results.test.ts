// Answers of calls that started before an identity was cooled, challenged or ejected arrive
// after it: they say nothing about the identity since. A success must not end a cooldown
// early (more calls would reach the site inside its Retry-After), and a fault must not count
// as a failed probe (the ejection would double).

import { describe, expect, test } from 'bun:test';
import { settle, track } from '../support/fake-clock.ts';
import { CHALLENGED, FAULT, identity, limited, makePool, OK, policy } from './pool-fixture.ts';

describe('answers of calls sent before the state began', () => {
  test("a success of a call sent before a 429 does not end the cooldown; nothing is leased until its Retry-After", async () => {
    const { acquire, release, clock, member } = makePool([identity('a', { maxConcurrent: 4 })]);
    const first = await acquire();
    const second = await acquire();
    clock.advance(100);
    release(first, limited(30_000));
    const until = clock.now() + 30_000;
    clock.advance(100);
    release(second, OK);
    expect(member('a').health.state).toMatchObject({ kind: 'cooling', until });
    const next = track(acquire());
    clock.advance(until - clock.now() - 1);
    await settle();
    expect(next.state).toBe('pending');
    clock.advance(2);
    await settle();
    expect(next.state).toBe('resolved');
  });

  test('a success of a call sent before a challenge does not bring the identity back', async () => {
    const { acquire, release, clock, member } = makePool([identity('a', { maxConcurrent: 4 })]);
    const first = await acquire();
    const second = await acquire();
    clock.advance(100);
    release(first, CHALLENGED);
    clock.advance(100);
    release(second, OK);
    expect(member('a').health.state.kind).toBe('challenged');
  });

  test('a fault of a call sent before an ejection is not a failed probe: the ejection keeps its length', async () => {
    const { acquire, release, serve, clock, member } = makePool([identity('a', { maxConcurrent: 4 })]);
    const early = await acquire();
    clock.advance(100);
    for (let i = 0; i < 3; i++) await serve(FAULT);
    const ejected = member('a').health.snapshot();
    expect(ejected).toMatchObject({ state: { kind: 'ejected', until: clock.now() + policy.ejectBaseMs }, ejections: 1 });
    clock.advance(100);
    release(early, FAULT);
    expect(member('a').health.snapshot()).toMatchObject({ state: ejected.state, ejections: 1 });
  });

  test('the probe itself still decides: sent after the ejection, its success brings the identity back', async () => {
    const { acquire, release, serve, clock, member } = makePool([identity('a', { maxConcurrent: 4 })]);
    for (let i = 0; i < 3; i++) await serve(FAULT);
    clock.advance(policy.ejectBaseMs);
    const probe = await acquire();
    clock.advance(100);
    release(probe, OK);
    expect(member('a').health.state).toMatchObject({ kind: 'ready', reason: 'recovered from ejected' });
  });
});
