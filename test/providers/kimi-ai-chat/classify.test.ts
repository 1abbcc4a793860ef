import { describe, expect, test } from 'bun:test';
import { classifyUpstreamReply } from '../../../src/providers/kimi-ai-chat/classify.ts';

const reply = (status: number, body: string, headers: Record<string, string> = {}) => ({ status, body, headers: new Headers(headers) });
const NOW = Date.parse('2026-11-21T12:00:00Z');

describe('classifyUpstreamReply', () => {
  test('success', () => {
    expect(classifyUpstreamReply(reply(200, '{"success":true,"data":{"message":"hi"}}'), NOW)).toEqual({ kind: 'ok', message: 'hi' });
  });

  test('success:false with a nonce-like text is a nonce rejection', () => {
    expect(classifyUpstreamReply(reply(200, '{"success":false,"data":"Security check failed"}'), NOW).kind).toBe('nonce_rejected');
    expect(classifyUpstreamReply(reply(200, '{"success":false}'), NOW).kind).toBe('nonce_rejected');
  });

  test('success:false with a refusal text is a refusal with the reason', () => {
    expect(classifyUpstreamReply(reply(200, '{"success":false,"data":"Message is too long (max 1000 characters)"}'), NOW)).toEqual({
      kind: 'refused',
      reason: 'Message is too long (max 1000 characters)',
      about: 'too_long',
    });
    expect(classifyUpstreamReply(reply(200, '{"success":false,"data":{"message":"Invalid model"}}'), NOW).kind).toBe('refused');
  });

  test('403 -1 is a nonce rejection; 400 0 is a protocol error', () => {
    expect(classifyUpstreamReply(reply(403, '-1'), NOW).kind).toBe('nonce_rejected');
    expect(classifyUpstreamReply(reply(400, '0'), NOW).kind).toBe('protocol');
  });

  test('429 with Retry-After in seconds and as an HTTP date', () => {
    expect(classifyUpstreamReply(reply(429, '', { 'retry-after': '17' }), NOW)).toMatchObject({ kind: 'rate_limited', retryAfterMs: 17_000 });
    const date = new Date(NOW + 90_000).toUTCString();
    expect(classifyUpstreamReply(reply(429, '', { 'retry-after': date }), NOW)).toMatchObject({ kind: 'rate_limited', retryAfterMs: 90_000 });
    expect(classifyUpstreamReply(reply(429, 'slow down'), NOW)).toMatchObject({ kind: 'rate_limited', retryAfterMs: null });
  });

  test('Cloudflare challenge by header (403 and 503) and by page', () => {
    expect(classifyUpstreamReply(reply(403, '<html>..</html>', { 'cf-mitigated': 'challenge' }), NOW).kind).toBe('challenged');
    expect(classifyUpstreamReply(reply(503, '<html>..</html>', { 'cf-mitigated': 'challenge' }), NOW).kind).toBe('challenged');
    const page = '<!DOCTYPE html><html><head><title>Just a moment...</title></head><body><script src="/cdn-cgi/challenge-platform/h/b/orchestrate/chl_page/v1"></script></body></html>';
    expect(classifyUpstreamReply(reply(200, page), NOW).kind).toBe('challenged');
  });

  test('5xx HTML and non-JSON bodies are transient, with a short excerpt', () => {
    const nginx = '<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>';
    expect(classifyUpstreamReply(reply(502, nginx), NOW)).toEqual({ kind: 'transient', detail: 'HTTP 502 502 Bad Gateway', timedOut: false });
    expect(classifyUpstreamReply(reply(504, 'x'), NOW).kind).toBe('transient');
    const notJson = classifyUpstreamReply(reply(200, '<div>maintenance</div>'), NOW);
    expect(notJson.kind).toBe('transient');
    expect(notJson).toMatchObject({ detail: expect.stringContaining('not JSON') });
  });

  test('success:true without a message is a protocol error', () => {
    expect(classifyUpstreamReply(reply(200, '{"success":true,"data":{}}'), NOW).kind).toBe('protocol');
  });
});
