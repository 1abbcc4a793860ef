// Checks one identity config against the site with a throwaway state, outside the pool: its
// chat page and nonce (Provider.refresh), then optionally one tiny message with no retry.
// Shared by `kimi-gateway check` and the admin API's probe-before-save. Nothing persists;
// details are scrubbed of the identity's cookies and proxy credentials.

import type { IdentityConfig } from '../pool/identity-config.ts';
import { transportOf } from '../pool/identity-config.ts';
import { outcomeDetail, type UpstreamOutcome } from '../providers/outcome.ts';
import type { Provider } from '../providers/provider.ts';
import { proxySecrets, Redactor } from '../providers/redactor.ts';

const PROBE_PROMPT = 'ping';

/** One step's result: ok with its time, or the outcome kind and a short (scrubbed) detail, or skipped and why. */
export type StepResult = { ok: true; ms: number } | { ok: false; kind: string; detail: string } | { ok: null; why: string };

export interface IdentityCheck {
  page: StepResult;
  /** null when no message was asked for. */
  send: StepResult | null;
  /** The page worked and, when a message was due, it was answered (a disabled identity is judged on its page alone). */
  works: boolean;
}

export interface IdentityCheckOptions {
  /** Also send one message (a disabled identity is skipped). */
  send: boolean;
  timeoutMs: number;
  /** Longest detail kept, in characters. */
  detailMax: number;
  signal?: AbortSignal;
}

export async function checkIdentity(provider: Provider<unknown>, config: IdentityConfig, options: IdentityCheckOptions): Promise<IdentityCheck> {
  const identity = provider.createIdentity(transportOf(config), null);
  const scrub = scrubberFor(config);
  const failed = (outcome: UpstreamOutcome): StepResult => {
    const oneLine = scrub(outcomeDetail(outcome)).replace(/\s+/g, ' ').trim();
    return { ok: false, kind: outcome.kind, detail: oneLine.length > options.detailMax ? `${oneLine.slice(0, options.detailMax - 1)}…` : oneLine };
  };
  const signal = options.signal ?? new AbortController().signal;

  let started = performance.now();
  const refreshed = await provider.refresh(identity, signal);
  const page: StepResult = refreshed.ok ? { ok: true, ms: elapsed(started) } : failed(refreshed.outcome);

  let sent: StepResult | null = null;
  if (options.send) {
    if (!config.enabled) sent = { ok: null, why: 'skipped (disabled)' };
    else if (!page.ok) sent = { ok: null, why: 'skipped (no nonce)' };
    else {
      started = performance.now();
      const { outcome } = await provider.send(identity, {
        prompt: PROBE_PROMPT,
        model: provider.defaultModel,
        conversation: provider.newConversation(),
        signal,
        timeoutMs: options.timeoutMs,
        deadline: Date.now() + options.timeoutMs,
        // Exactly one message: a fresh nonce that is refused is itself the finding.
        mayCallAgain: () => false,
      });
      sent = outcome.kind === 'ok' ? { ok: true, ms: elapsed(started) } : failed(outcome);
    }
  }
  const works = page.ok === true && (!config.enabled || sent === null || sent.ok === true);
  return { page, send: sent, works };
}

/**
 * Masks this identity's cookie values and proxy credentials wherever they might be echoed.
 * The client already redacts what it quotes from the site; this also covers the identity's
 * seed cookies under their original names.
 */
function scrubberFor(config: IdentityConfig): (text: string) => string {
  const cookies = (config.cookies ?? '').split(';').filter((pair) => pair.includes('='));
  const redactor = new Redactor(
    [...cookies.map((pair) => pair.slice(pair.indexOf('=') + 1).trim()), ...proxySecrets(config.proxy)],
    cookies.map((pair) => pair.slice(0, pair.indexOf('=')).trim()),
  );
  return (text) => redactor.redact(text);
}

function elapsed(since: number): number {
  return Math.round(performance.now() - since);
}
