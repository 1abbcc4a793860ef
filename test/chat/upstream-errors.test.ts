// upstreamError: a fixed message per outcome kind, never the site's words.

import { describe, expect, test } from 'bun:test';
import { upstreamError } from '../../src/chat/upstream-errors.ts';
import { ClientGoneError, GatewayError, type ErrorCode } from '../../src/errors.ts';
import type { UpstreamOutcome } from '../../src/providers/outcome.ts';
import { ERROR_CATALOG, errorStatus } from '../../src/http/error-catalog.ts';

const MARK = 'SITE-WORDS-7c1e';
type Failed = Exclude<UpstreamOutcome, { kind: 'ok' }>;

const cases: Array<[Failed, number, ErrorCode]> = [
  [{ kind: 'rate_limited', retryAfterMs: 12_000, detail: MARK }, 429, 'upstream_rate_limited'],
  [{ kind: 'challenged', detail: MARK }, 503, 'upstream_challenged'],
  [{ kind: 'transient', detail: MARK, timedOut: true }, 504, 'upstream_timeout'],
  [{ kind: 'transient', detail: MARK, timedOut: false }, 502, 'upstream_unavailable'],
  [{ kind: 'refused', reason: MARK }, 400, 'upstream_refused'],
  [{ kind: 'refused', reason: MARK, about: 'too_long' }, 400, 'upstream_refused'],
  [{ kind: 'refused', reason: MARK, about: 'empty' }, 400, 'upstream_refused'],
  [{ kind: 'refused', reason: MARK, about: 'model' }, 400, 'upstream_refused'],
  [{ kind: 'nonce_rejected', detail: MARK, afterRefresh: true }, 502, 'upstream_nonce_rejected'],
  [{ kind: 'protocol', detail: MARK }, 502, 'upstream_protocol_error'],
  [{ kind: 'protocol', detail: MARK, tooLarge: true }, 502, 'upstream_too_large'],
];

describe('upstreamError', () => {
  for (const [outcome, status, code] of cases) {
    test(`${outcome.kind}${'about' in outcome ? `/${outcome.about}` : ''}${'tooLarge' in outcome ? '/tooLarge' : ''} → ${status} ${code}, fixed text`, () => {
      const error = upstreamError(outcome, 'kimi-ai.chat') as GatewayError;
      expect(error).toBeInstanceOf(GatewayError);
      expect({ status: ERROR_CATALOG[error.errorCode].status, code: error.errorCode }).toEqual({ status, code });
      expect(error.message).not.toContain(MARK);
      expect(error.message).toStartWith('kimi-ai.chat');
    });
  }

  test('a refusal says what to do, by topic', () => {
    const message = (about?: 'too_long' | 'empty' | 'model') => upstreamError({ kind: 'refused', reason: MARK, about }, 'kimi-ai.chat').message;
    expect(message('too_long')).toContain('Shorten');
    expect(message('empty')).toContain('text');
    expect(message('model')).toContain('/v1/models');
    expect(message()).toContain('Rephrase');
  });

  test('rate limited keeps its Retry-After', () => {
    const error = upstreamError({ kind: 'rate_limited', retryAfterMs: 12_000, detail: MARK }, 'kimi-ai.chat') as GatewayError;
    expect(errorStatus(error).headers).toEqual({ 'Retry-After': '12' });
  });

  test('cancelled is the client gone, never sent', () => {
    expect(upstreamError({ kind: 'cancelled' }, 'kimi-ai.chat')).toBeInstanceOf(ClientGoneError);
  });
});
