// An identity's config for unit tests: one slot, weight 1, no rpm limit, a cookie named after it.

import type { IdentityConfig } from '../../src/pool/identity-config.ts';

export const identity = (id: string, extra: Partial<IdentityConfig> = {}): IdentityConfig => ({
  id,
  cookies: `visitor=${id}`,
  weight: 1,
  maxConcurrent: 1,
  rpm: 0,
  enabled: true,
  ...extra,
});
