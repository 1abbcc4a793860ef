// One identity as the account pool file describes it, after validation and defaults.

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
}

/** Used when neither the identity nor the file's "defaults" set a value. */
export const BUILTIN_DEFAULTS = { weight: 1, maxConcurrent: 4, rpm: 0, enabled: true } as const;

/** No account file: one anonymous visitor that collects its own cookies. */
export const ANONYMOUS_IDENTITY: IdentityConfig = { id: 'anonymous', ...BUILTIN_DEFAULTS };
