// The chat page after a site change the gateway cannot read: the kimi_ajax settings renamed
// away (page_no_ajax), or kimi_ajax still there but without its nonce (page_no_nonce).
// Everything else on the page (title, scripts, the visitor cookie) stays as it was.

import type { FaultKind } from './types.ts';

export type PageDriftKind = Extract<FaultKind, 'page_no_ajax' | 'page_no_nonce'>;

export function isPageDrift(kind: FaultKind): kind is PageDriftKind {
  return kind === 'page_no_ajax' || kind === 'page_no_nonce';
}

const decoder = new TextDecoder();
const encoder = new TextEncoder();

export function driftedPage(kind: PageDriftKind, page: Uint8Array<ArrayBuffer>): Uint8Array<ArrayBuffer> {
  const html = decoder.decode(page);
  const changed =
    kind === 'page_no_ajax'
      ? html.replace('var kimi_ajax = ', 'var kimiChatConfig = ').replace('window.kimi_ajax', 'window.kimiChatConfig')
      : html.replace(/"nonce":"[^"]*",?/, '');
  return encoder.encode(changed);
}
