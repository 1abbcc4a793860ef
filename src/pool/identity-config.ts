// One identity as the account pool file describes it, after validation and defaults.

import type { IdentityTransport } from '../providers/provider.ts';

export interface IdentityConfig {
  id: string;
  cookies?: string;
  userAgent?: string;
  proxy?: string;
  weight: number;
  maxConcurrent: number;
  /** Calls allowed in any rolling 60 s; 0 = no limit. */
  rpm: number;
  enabled: boolean;
  /** Least time between the starts of two upstream calls (pacing.ts); absent = 0. */
  minIntervalMs?: number;
  /** A random extra up to this, drawn per gap, on top of minIntervalMs; absent = 0. */
  jitterMs?: number;
}

/** The part the provider reaches the site with; the rest is the pool's. */
export const transportOf = (config: IdentityConfig): IdentityTransport => ({
  id: config.id,
  cookies: config.cookies,
  userAgent: config.userAgent,
  proxy: config.proxy,
});

/** Whether two configs reach the site the same way (a reload that changes this starts a new identity state). */
export const sameTransport = (a: IdentityConfig, b: IdentityConfig): boolean =>
  (a.cookies ?? '') === (b.cookies ?? '') && a.userAgent === b.userAgent && a.proxy === b.proxy;

/** Used when neither the identity nor the file's "defaults" set a value. */
export const BUILTIN_DEFAULTS = { weight: 1, maxConcurrent: 4, rpm: 0, enabled: true, minIntervalMs: 0, jitterMs: 0 } as const;

/** No account file: one anonymous visitor that collects its own cookies. */
export const ANONYMOUS_IDENTITY: IdentityConfig = { id: 'anonymous', ...BUILTIN_DEFAULTS };
