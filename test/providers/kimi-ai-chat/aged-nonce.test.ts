// A nonce that is only old (NONCE_MAX_AGE_MS) against the emulator: the client asks before
// fetching a new one (with Redis, one instance claims the fetch and the others go on with the
// old nonce until its result arrives). A nonce the site refused cannot be used at all: the
// client asks whether another instance fetches the new one and takes it over, or fetches it.

import { afterAll, expect, test } from 'bun:test';
import { startEmulator } from '../../../emulator/emulator.ts';
import { eventually } from '../../helpers/harness.ts';
import { KimiClient } from '../../../src/providers/kimi-ai-chat/client.ts';
import { KimiIdentity } from '../../../src/providers/kimi-ai-chat/identity.ts';
import { MODELS } from '../../../src/providers/kimi-ai-chat/models.ts';
import type { SendJob } from '../../../src/providers/provider.ts';

const MAX_AGE_MS = 60_000;
const emulator = startEmulator();
afterAll(() => emulator.stop());

let clock = 1_000_000;
const client = new KimiClient({ baseUrl: emulator.url, nonceMaxAgeMs: MAX_AGE_MS, now: () => clock });

let identities = 0;
async function agedIdentity(): Promise<KimiIdentity> {
  const id = `aged-${++identities}`;
  const identity = new KimiIdentity({ id, cookies: `kimi_visitor=${id}` });
  expect((await client.refreshNonce(identity)).ok).toBe(true);
  clock += MAX_AGE_MS;
  return identity;
}

const job = (
  mayRefreshAged?: () => boolean,
  refreshed?: () => void,
  credentialsFromElsewhere?: (current: KimiIdentity) => Promise<KimiIdentity | null>,
): SendJob<KimiIdentity> => ({
  prompt: 'hello',
  model: MODELS[1]!,
  conversation: 'session_1_abcdefghi',
  signal: new AbortController().signal,
  timeoutMs: 10_000,
  deadline: Infinity,
  mayCallAgain: () => true,
  mayRefreshAged,
  refreshed,
  credentialsFromElsewhere,
});

test('an old nonce another instance is replacing is used as it is: no page fetch', async () => {
  const identity = await agedIdentity();
  const old = identity.nonce!.value;
  let asked = 0;
  const sent = await client.send(identity, job(() => (asked++, false)));
  expect(sent.outcome.kind).toBe('ok');
  expect(asked).toBe(1);
  expect(emulator.stats()[identity.id]!.pages).toBe(1);
  expect(emulator.received.at(-1)!.identity).toBe(identity.id);
  expect(identity.nonce!.value).toBe(old);
});

test('an old nonce this instance may replace is fetched again, once, and said so before the message goes', async () => {
  const identity = await agedIdentity();
  const old = identity.nonce!.value;
  let asked = 0;
  let messagesWhenTold = -1;
  const sent = await client.send(identity, job(() => (asked++, true), () => (messagesWhenTold = emulator.stats()[identity.id]?.messages ?? 0)));
  expect(sent.outcome.kind).toBe('ok');
  expect(asked).toBe(1);
  expect(emulator.stats()[identity.id]!.pages).toBe(2);
  expect(identity.nonce!.value).not.toBe(old);
  expect(messagesWhenTold).toBe(0);
});

test('an old nonce whose refresh fails is still used: the site may take it', async () => {
  const identity = await agedIdentity();
  const old = identity.nonce!.value;
  emulator.addFault({ kind: 'server_error', on: 'page', identity: identity.id, times: 1 });
  let told = false;
  const sent = await client.send(identity, job(() => true, () => (told = true)));
  expect(sent.outcome.kind).toBe('ok');
  expect(told).toBe(false);
  expect(emulator.stats()[identity.id]!.messages).toBe(1);
  expect(identity.nonce!.value).toBe(old);
});

test('alone (nobody to ask), an old nonce is fetched again', async () => {
  const identity = await agedIdentity();
  expect((await client.send(identity, job())).outcome.kind).toBe('ok');
  expect(emulator.stats()[identity.id]!.pages).toBe(2);
});

test('a nonce the site refused is fetched again without asking the aged-nonce claim, even while another instance holds it', async () => {
  const identity = await agedIdentity();
  clock -= MAX_AGE_MS; // fresh by age: only the site's refusal makes it stale
  emulator.expireNonces();
  let asked = 0;
  const sent = await client.send(identity, job(() => (asked++, false)));
  expect(sent.outcome.kind).toBe('ok');
  expect(asked).toBe(0);
  expect(emulator.stats()[identity.id]!.pages).toBe(2);
});

/** An identity whose nonce the site refuses now (and another object for the same account, as another instance holds it). */
async function refusedIdentity(): Promise<KimiIdentity> {
  const identity = await agedIdentity();
  clock -= MAX_AGE_MS; // fresh by age: only the site's refusal makes it stale
  emulator.expireNonces();
  return identity;
}

test('a refused nonce another instance fetched again is taken over: no page fetch here, the retry carries its nonce', async () => {
  const identity = await refusedIdentity();
  const elsewhere = new KimiIdentity({ id: identity.id, cookies: `kimi_visitor=${identity.id}` });
  expect((await client.refreshNonce(elsewhere)).ok).toBe(true);
  const pages = emulator.stats()[identity.id]!.pages;
  const asked: KimiIdentity[] = [];
  const sent = await client.send(identity, job(undefined, undefined, async (current) => (asked.push(current), elsewhere)));
  expect(sent.outcome.kind).toBe('ok');
  expect(asked).toEqual([identity]);
  expect(emulator.stats()[identity.id]!.pages).toBe(pages);
  expect(emulator.received.at(-1)).toMatchObject({ outcome: 'ok', nonce: elsewhere.nonce!.value });
});

test('a refused nonce nobody else fetches (null), or whose shared state still holds the refused nonce, is fetched here', async () => {
  for (const other of [null, 'same'] as const) {
    const identity = await refusedIdentity();
    const refused = identity.nonce!;
    const stillRefused = new KimiIdentity({ id: identity.id, cookies: `kimi_visitor=${identity.id}` });
    stillRefused.nonce = { ...refused };
    const pages = emulator.stats()[identity.id]!.pages;
    let told = 0;
    const sent = await client.send(identity, job(undefined, () => told++, async () => (other === null ? null : stillRefused)));
    expect(sent.outcome.kind).toBe('ok');
    expect(emulator.stats()[identity.id]!.pages).toBe(pages + 1);
    expect(told).toBe(1);
  }
});

test('requests of this process that need the nonce while the first waits for another instance’s wait with it: one ask, no page fetch, the wait counted as a slot wait', async () => {
  const identity = await refusedIdentity();
  const elsewhere = new KimiIdentity({ id: identity.id, cookies: `kimi_visitor=${identity.id}` });
  expect((await client.refreshNonce(elsewhere)).ok).toBe(true);
  const pages = emulator.stats()[identity.id]!.pages;
  let asks = 0;
  let second: ReturnType<typeof client.send> | undefined;
  let arrive!: () => void;
  const arrived = new Promise<void>((resolve) => (arrive = resolve));
  const first = client.send(
    identity,
    job(undefined, undefined, async () => {
      asks++;
      // Another request of this process comes while the first waits.
      setTimeout(() => (second = client.send(identity, job(undefined, undefined, async () => (asks++, null)))), 0);
      await arrived;
      return elsewhere;
    }),
  );
  await eventually(() => second !== undefined && identity.nonce === null, 1_000);
  clock += 250; // the wait, on the client's clock
  arrive();
  const [a, b] = await Promise.all([first, second!]);
  expect([a.outcome.kind, b.outcome.kind]).toEqual(['ok', 'ok']);
  expect(asks).toBe(1);
  expect(emulator.stats()[identity.id]!.pages).toBe(pages);
  expect(emulator.received.slice(-2).map((m) => m.nonce)).toEqual([elsewhere.nonce!.value, elsewhere.nonce!.value]);
  expect(a.slotWaitMs).toBeGreaterThanOrEqual(250);
  expect(b.slotWaitMs).toBeGreaterThanOrEqual(250);
});
