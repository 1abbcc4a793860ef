// Which redirects the chat-page fetch follows: the configured origin (and its https
// upgrade on the same host), nothing else; refusals name a host, never a path or query.

import { describe, expect, test } from 'bun:test';
import { describeLocation, redirectDecision } from '../../src/providers/redirects.ts';

const httpsSite = new URL('https://kimi-ai.chat');
const httpSite = new URL('http://kimi-ai.chat');
const at = (site: URL) => new URL('/chat/', site);

const followed = (location: string, site = httpsSite, current = at(site)) => {
  const d = redirectDecision(location, current, site);
  return 'follow' in d ? d.follow.href : null;
};
const refusal = (location: string | null, site = httpsSite) => {
  const d = redirectDecision(location, at(site), site);
  return 'refuse' in d ? d.refuse : null;
};

describe('redirectDecision', () => {
  test('same origin: absolute, relative and path-relative Locations are followed', () => {
    expect(followed('https://kimi-ai.chat/chat/?lang=en')).toBe('https://kimi-ai.chat/chat/?lang=en');
    expect(followed('/chat')).toBe('https://kimi-ai.chat/chat');
    expect(followed('other/')).toBe('https://kimi-ai.chat/chat/other/');
    expect(followed('HTTPS://KIMI-AI.CHAT/chat/')).toBe('https://kimi-ai.chat/chat/');
  });

  test('http → https on the same host and default ports is followed; the reverse is not', () => {
    expect(followed('https://kimi-ai.chat/chat/', httpSite)).toBe('https://kimi-ai.chat/chat/');
    expect(refusal('http://kimi-ai.chat/chat/')).toContain('kimi-ai.chat');
    expect(refusal('https://kimi-ai.chat:8443/chat/', httpSite)).toContain('kimi-ai.chat:8443');
  });

  test('another host, a subdomain, another port: refused, naming host and port only', () => {
    expect(refusal('https://evil.example/login?token=secret')).toBe('a redirect to evil.example (not kimi-ai.chat)');
    expect(refusal('https://www.kimi-ai.chat/chat/')).toContain('www.kimi-ai.chat');
    expect(refusal('https://kimi-ai.chat:444/chat/')).toContain('kimi-ai.chat:444');
    expect(refusal('//evil.example/chat/')).toContain('evil.example');
    expect(refusal('https://evil.example/login?token=secret')).not.toContain('token');
  });

  test('non-http(s) schemes are refused by scheme', () => {
    expect(refusal('file:///etc/passwd')).toBe('a redirect to a file: URL');
    expect(refusal('data:text/html,<script>var kimi_ajax={}</script>')).toBe('a redirect to a data: URL');
    expect(refusal('javascript:alert(1)')).toBe('a redirect to a javascript: URL');
    expect(refusal('ftp://kimi-ai.chat/chat/')).toBe('a redirect to a ftp: URL');
  });

  test('credentials in the URL, an empty or unreadable Location: refused', () => {
    expect(refusal('https://user:pw@kimi-ai.chat/chat/')).toContain('credentials');
    expect(refusal('https://user:pw@kimi-ai.chat/chat/')).not.toContain('pw');
    expect(refusal(null)).toContain('without a Location');
    expect(refusal('   ')).toContain('without a Location');
    expect(refusal('http://[::1')).toContain('unreadable');
  });
});

describe('describeLocation', () => {
  test('host only, or the scheme', () => {
    const from = new URL('https://kimi-ai.chat/wp-admin/admin-ajax.php');
    expect(describeLocation('https://evil.example:8080/steal?nonce=abc', from)).toBe('evil.example:8080');
    expect(describeLocation('/elsewhere', from)).toBe('kimi-ai.chat');
    expect(describeLocation('file:///etc/passwd', from)).toBe('a file: URL');
    expect(describeLocation(null, from)).toBe('no Location');
  });
});
