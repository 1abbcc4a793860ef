import { describe, expect, test } from 'bun:test';
import { SSE_DONE, SSE_KEEPALIVE, sseData, sseError, splitForStreaming } from '../../src/http/openai/sse.ts';
import { invalidRequest } from '../../src/errors.ts';

describe('SSE framing', () => {
  test('data frames are one JSON line followed by a blank line', () => {
    expect(sseData({ a: 'x\ny' })).toBe('data: {"a":"x\\ny"}\n\n');
    expect(SSE_DONE).toBe('data: [DONE]\n\n');
    expect(SSE_KEEPALIVE.startsWith(':')).toBe(true);
  });

  test('error frames carry the OpenAI error envelope', () => {
    expect(JSON.parse(sseError(invalidRequest('bad', 'p', 'context_length_exceeded')).slice(6))).toEqual({
      error: { message: 'bad', type: 'invalid_request_error', param: 'p', code: 'context_length_exceeded' },
    });
  });

  test('splitting keeps every character, in order, in small pieces', () => {
    const text = 'The quick brown fox jumps over the lazy dog. 你好，世界！'.repeat(20) + '😀'.repeat(30);
    const pieces = splitForStreaming(text);
    expect(pieces.join('')).toBe(text);
    expect(pieces.length).toBeGreaterThan(10);
    for (const p of pieces) {
      expect(p.length).toBeLessThanOrEqual(24);
      expect(p.length).toBeGreaterThan(0);
      // never half of a surrogate pair
      expect(/^[\uDC00-\uDFFF]|[\uD800-\uDBFF]$/.test(p)).toBe(false);
    }
  });

  test('empty answers give no content pieces', () => {
    expect(splitForStreaming('')).toEqual([]);
  });
});

test('content frames serialised from a cached envelope are byte-identical to full serialisation', async () => {
  const { contentFrameFor } = await import('../../src/http/openai/chat-stream.ts');
  const { chatChunk, newCompletionMeta } = await import('../../src/http/openai/chat-format.ts');
  const meta = newCompletionMeta('kimi-k2-instruct');
  const frame = contentFrameFor(meta);
  for (const piece of ['plain', 'quote " and \\ backslash', '换行\n和 emoji 😀', '\u0000 marker-like', '']) {
    expect(frame(piece)).toBe(sseData(chatChunk(meta, { content: piece }, null)));
  }
});
