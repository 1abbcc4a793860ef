// A site that sets a 60 KB cookie, over HTTP: the cookie is refused (never stored nor
// resent), the answer is a protocol error, and the log says which cookie without its value.

import { afterEach, expect, test } from 'bun:test';
import { eventually, startHarness, type Harness } from '../../helpers/harness.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

const accounts = { identities: [{ id: 'alice', cookies: 'kimi_visitor=alice' }] };
const ask = (harness: Harness) => harness.call('/v1/chat/completions', { json: { messages: [{ role: 'user', content: 'hello' }] } });

test('a 60 KB Set-Cookie on the chat page: refused, logged by name, never resent', async () => {
  h = await startHarness({ accounts });
  // The start-up nonce fetch is done once a request has been answered; the fault is for the next page.
  expect((await ask(h)).status).toBe(200);
  h.emulator.addFault({ kind: 'big_cookie', on: 'page', bytes: 60 * 1024, times: 1 });
  h.emulator.expireNonces();
  const res = await ask(h);
  expect(res.status).toBe(502);
  expect(((await res.json()) as { error: { code: string } }).error.code).toBe('upstream_protocol_error');
  // Log lines leave once per event-loop turn (and through a pipe from the binary): wait for it.
  expect(await eventually(() => h!.logs.some((l) => l.includes('upstream cookie refused')))).toBe(true);
  const line = h!.logs.find((l) => l.includes('upstream cookie refused'));
  expect(line).toContain('"cookie":"kimi_big"');
  expect(line).not.toContain('aaaaaaaa');
  // The next request fetches a clean page and goes through without the refused cookie.
  expect((await ask(h)).status).toBe(200);
  const sent = h.emulator.received.at(-1)!;
  expect(sent.outcome).toBe('ok');
  expect(sent.headers.cookie).not.toContain('kimi_big');
  expect(h.logs.join('\n')).not.toContain('a'.repeat(100));
});

test('a 60 KB Set-Cookie on a message answer: refused, the answer is a protocol error', async () => {
  h = await startHarness({ accounts });
  h.emulator.addFault({ kind: 'big_cookie', bytes: 60 * 1024, times: 1 });
  const res = await ask(h);
  expect(res.status).toBe(502);
  expect((await ask(h)).status).toBe(200);
  expect(h.emulator.received.at(-1)!.headers.cookie).not.toContain('kimi_big');
});
