// Pool events → log lines: state changes and reloads (per-request lines come later).

import type { Logger } from '../log.ts';
import type { IdentityPool } from './identity-pool.ts';

export function logPoolEvents(pool: IdentityPool, log: Logger): void {
  pool.onEvent((event) => {
    if (event.type === 'state') {
      const fields = { identity: event.id, from: event.from, to: event.to, reason: event.reason };
      if (event.to === 'ready') log.info('identity back in rotation', fields);
      else log.warn(`identity ${event.to}`, fields);
    } else if (event.type === 'reloaded') {
      log.info('account pool reloaded', { added: event.added.join(',') || '-', removed: event.removed.join(',') || '-', kept: event.kept.length });
    }
  });
}
