// kimi-ai.chat behind the Provider seam: identities are KimiIdentity (cookie jar, nonce),
// messages go through KimiClient, conversations are the site's session_id.

import type { Logger } from '../../log.ts';
import { isAcceptableNonce } from './ajax-config.ts';
import type { IdentityTransport, ModelInfo, Provider, RefreshResult, SendJob, SendResult, SiteCheck } from '../provider.ts';
import { KimiClient } from './client.ts';
import { CookieJar, type CookieJarSnapshot } from './cookie-jar.ts';
import { KimiIdentity, type NonceState } from './identity.ts';
import { DEFAULT_MODEL, findModel, MODELS } from './models.ts';
import { newUpstreamSessionId } from './session-id.ts';

export interface KimiAiChatOptions {
  baseUrl: string;
  /** Refresh a nonce proactively once it is this old (NONCE_MAX_AGE_MS). */
  nonceMaxAgeMs: number;
  /** Most bytes read from one page or answer, after decompression (UPSTREAM_MAX_BYTES). */
  maxBodyBytes?: number;
  /** Upper bound for one chat-page fetch. */
  pageTimeoutMs?: number;
  /** More values to mask wherever the site's words are quoted: client API keys, the admin key. */
  secrets?: readonly string[];
  log?: Logger;
  now?: () => number;
}

/** What survives a restart: the cookies the site set and the nonce it gave. */
interface KimiSnapshot {
  cookies: CookieJarSnapshot;
  nonce: NonceState | null;
}

export class KimiAiChatProvider implements Provider<KimiIdentity> {
  readonly site = 'kimi-ai.chat';
  readonly models = MODELS;
  readonly defaultModel = DEFAULT_MODEL;
  readonly client: KimiClient;
  private readonly now: () => number;

  constructor(options: KimiAiChatOptions) {
    this.now = options.now ?? Date.now;
    this.client = new KimiClient({
      baseUrl: options.baseUrl,
      nonceMaxAgeMs: options.nonceMaxAgeMs,
      maxBodyBytes: options.maxBodyBytes,
      pageTimeoutMs: options.pageTimeoutMs,
      secrets: options.secrets,
      log: options.log,
      now: this.now,
    });
  }

  findModel(name: string): ModelInfo | undefined {
    return findModel(name);
  }

  createIdentity(transport: IdentityTransport, saved: unknown): KimiIdentity {
    const snapshot = readSnapshot(saved);
    const identity = new KimiIdentity(transport, this.now, snapshot ? CookieJar.fromSnapshot(snapshot.cookies, this.now) : undefined);
    identity.nonce = snapshot?.nonce ?? null;
    return identity;
  }

  snapshot(identity: KimiIdentity): KimiSnapshot {
    return { cookies: identity.jar.snapshot(), nonce: identity.nonce };
  }

  /** Changes with every fetch, even one that returns the same nonce (its age is new): a refresh is always saved and shared. */
  version(identity: KimiIdentity): string {
    const nonce = identity.nonce;
    return `${identity.jar.header()}\u0000${nonce?.value ?? ''}\u0000${nonce?.fetchedAt ?? ''}`;
  }

  needsRefresh(identity: KimiIdentity): boolean {
    return identity.nonce === null;
  }

  async refresh(identity: KimiIdentity, signal?: AbortSignal): Promise<RefreshResult> {
    const result = await this.client.refreshNonce(identity, signal);
    return result.ok ? { ok: true } : { ok: false, outcome: result.outcome };
  }

  send(identity: KimiIdentity, job: SendJob<KimiIdentity>): Promise<SendResult> {
    return this.client.send(identity, job);
  }

  newConversation(): string {
    return newUpstreamSessionId(this.now());
  }

  credentialAgeMs(identity: KimiIdentity, now: number): number | null {
    return identity.nonce ? Math.max(0, now - identity.nonce.fetchedAt) : null;
  }

  checkSite(signal: AbortSignal, via?: Pick<IdentityTransport, 'proxy' | 'userAgent'>): Promise<SiteCheck> {
    return this.client.checkSite(signal, via);
  }
}

/** A snapshot saved by this provider (or the columns of an older gateway); anything else starts afresh. */
function readSnapshot(saved: unknown): KimiSnapshot | null {
  if (typeof saved !== 'object' || saved === null) return null;
  const { cookies, nonce } = saved as Partial<KimiSnapshot>;
  if (typeof cookies !== 'object' || cookies === null) return null;
  return { cookies, nonce: isNonce(nonce) ? nonce : null };
}

function isNonce(value: unknown): value is NonceState {
  if (typeof value !== 'object' || value === null) return false;
  const n = value as Partial<NonceState>;
  return typeof n.value === 'string' && isAcceptableNonce(n.value) && typeof n.ajaxPath === 'string' && typeof n.fetchedAt === 'number';
}
