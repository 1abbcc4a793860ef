// Pool events → log lines: state changes, reloads and identity-state saving trouble.

import type { Logger } from '../log.ts';
import type { IdentityPool } from '../pool/identity-pool.ts';

export function logPoolEvents(pool: IdentityPool<unknown>, log: Logger): void {
  pool.onEvent((event) => {
    if (event.type === 'state') {
      const fields = { identity: event.id, from: event.from, to: event.to, reason: event.reason };
      if (event.to === 'ready') log.info('identity back in rotation', fields);
      else log.warn(`identity ${event.to}`, fields);
    } else if (event.type === 'reloaded') {
      log.info('account pool reloaded', { added: event.added.join(',') || '-', removed: event.removed.join(',') || '-', kept: event.kept.length });
    } else if (event.type === 'persist') {
      if (event.ok) log.info('identity state is saved again');
      else log.warn('cannot save identity state (cookies, nonce, health); serving on, it is saved at the next change', { error: event.error });
    }
  });
}
