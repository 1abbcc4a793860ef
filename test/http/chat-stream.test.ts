// The stream's own bookkeeping, without a server: a stream always ends exactly once, with
// the reason, however the client leaves; content is produced as it is read.

import { expect, test } from 'bun:test';
import { ClientGoneError, type GatewayError } from '../../src/errors.ts';
import { newCompletionMeta } from '../../src/http/openai/chat-format.ts';
import { chatCompletionStream } from '../../src/http/openai/chat-stream.ts';

const decoder = new TextDecoder();

function streamOf(text: string) {
  const ends: Array<GatewayError | ClientGoneError | null> = [];
  const stream = chatCompletionStream({
    meta: newCompletionMeta('kimi-k2-instruct'),
    includeUsage: false,
    keepAliveIntervalMs: 60_000,
    answer: async () => ({ text, content: text, toolCalls: [], prompt: 'p' }),
    onEnd: (failure) => ends.push(failure),
  });
  return { stream, ends };
}

test('a client that leaves in the middle of a large answer ends the stream once, as client gone', async () => {
  const { stream, ends } = streamOf('word '.repeat(4_000_000));
  const reader = stream.getReader();
  let bytes = 0;
  while (bytes < 100_000) bytes += (await reader.read()).value!.byteLength;
  await reader.cancel();
  expect(ends).toHaveLength(1);
  expect(ends[0]).toBeInstanceOf(ClientGoneError);
});

test('frames are produced as they are read, not all at once', async () => {
  const text = 'word '.repeat(4_000_000);
  const { stream, ends } = streamOf(text);
  const reader = stream.getReader();
  let raw = '';
  for (let i = 0; i < 2; i++) raw += decoder.decode((await reader.read()).value, { stream: true });
  // Nobody reads for a while: the stream must not have run ahead to the end of a 20 MB answer.
  await Bun.sleep(50);
  expect(ends).toEqual([]);
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    raw += decoder.decode(value, { stream: true });
  }
  expect(ends).toEqual([null]);
  expect(raw.endsWith('data: [DONE]\n\n')).toBe(true);
  const content = raw.split('\n\n').filter((f) => f.startsWith('data: {')).map((f) => JSON.parse(f.slice(6)).choices[0]?.delta?.content ?? '');
  expect(content.join('') === text).toBe(true);
});
