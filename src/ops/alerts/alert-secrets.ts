// Everything secret an alert could quote by accident, gathered when an alert is sent: the
// identities' cookie values (and names, for "name=value" masking) and proxy credentials as
// the pool has them now, plus fixed values (client and admin keys, the webhook URL's token).
// The provider already redacts what it quotes; this is the second lock on the way out.

import type { IdentityPool } from '../../pool/identity-pool.ts';
import { proxySecrets, Redactor } from '../../providers/redactor.ts';

export function alertRedactor(pool: IdentityPool<unknown>, fixed: readonly string[]): () => Redactor {
  return () =>
    Redactor.deferred(() => {
      const secrets = [...fixed];
      const names: string[] = [];
      for (const { config } of pool.list()) {
        for (const pair of (config.cookies ?? '').split(';')) {
          const eq = pair.indexOf('=');
          if (eq < 0) continue;
          names.push(pair.slice(0, eq).trim());
          secrets.push(pair.slice(eq + 1).trim());
        }
        secrets.push(...proxySecrets(config.proxy));
      }
      return { secrets, names };
    });
}
