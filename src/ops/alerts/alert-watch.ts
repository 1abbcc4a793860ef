// What is worth an alert: the site canary's changes (drift, down, recovered), an identity
// challenged, ejected or back, and the pool as a whole out of service (every identity
// challenged, ejected or disabled) or serving again. Listeners on the canary's and the
// pool's events; they only call `notify`, which never blocks.

import type { SiteCanary } from '../../chat/canary/site-canary.ts';
import type { IdentityPool } from '../../pool/identity-pool.ts';
import type { PoolEvent } from '../../pool/pool-events.ts';
import type { Alert } from './alert.ts';

export type Notify = (alert: Alert) => void;

/** States in which an identity takes no requests until time or an operator brings it back. */
const OUT_OF_SERVICE = new Set(['challenged', 'ejected', 'disabled']);

export function watchCanary(canary: SiteCanary<unknown>, site: string, notify: Notify): void {
  canary.onEvent((event) => {
    if (event.type !== 'change') return;
    const { to, reason, excerpt, at } = event.change;
    const base = { subject: 'site', state: to, quiet: 'ok', damped: false, identity: null, reason, excerpt, at };
    if (to === 'drift') notify({ ...base, event: 'site_drift', text: `site ${site} changed, the gateway cannot use it: ${reason ?? 'drift'}` });
    else if (to === 'down') notify({ ...base, event: 'site_down', text: `site ${site} is down: ${reason ?? 'unreachable'}` });
    else if (to === 'ok') notify({ ...base, event: 'site_recovered', reason: null, excerpt: null, text: `site ${site} is back: the canary check passes` });
  });
}

export function watchPool(pool: IdentityPool<unknown>, notify: Notify, now: () => number = Date.now): void {
  let out = outOfService(pool);
  pool.onEvent((event) => {
    // A change another instance made (REDIS_URL) is alerted by that instance.
    if (event.type === 'state' && !event.remote) {
      const alert = identityAlert(event, now());
      if (alert) notify(alert);
    }
    if (event.type !== 'state' && event.type !== 'reloaded') return;
    const next = outOfService(pool);
    if (next === out) return;
    out = next;
    notify(poolAlert(pool, next, now()));
  });
}

function identityAlert(event: Extract<PoolEvent, { type: 'state' }>, at: number): Alert | null {
  const { id, to, reason } = event;
  const base = { subject: `identity:${id}`, state: to, quiet: 'ready', damped: true, identity: id, excerpt: null, at };
  switch (to) {
    case 'challenged':
      return { ...base, event: 'identity_challenged', reason, text: `identity ${id} was challenged by the site and is out of rotation: ${reason}` };
    case 'ejected':
      return { ...base, event: 'identity_ejected', reason, text: `identity ${id} was ejected for a while: ${reason}` };
    case 'ready':
      return { ...base, event: 'identity_recovered', reason, text: `identity ${id} is back in rotation` };
    default:
      // Cooling ends by itself; disabling is an operator's own act.
      return null;
  }
}

function outOfService(pool: IdentityPool<unknown>): boolean {
  const members = pool.list().filter((m) => !m.removed);
  return members.length > 0 && members.every((m) => OUT_OF_SERVICE.has(m.health.state.kind));
}

function poolAlert(pool: IdentityPool<unknown>, out: boolean, at: number): Alert {
  const members = pool.list().filter((m) => !m.removed);
  const counts = new Map<string, number>();
  for (const m of members) counts.set(m.health.state.kind, (counts.get(m.health.state.kind) ?? 0) + 1);
  const summary = [...counts].map(([state, n]) => `${n} ${state}`).join(', ');
  const base = { subject: 'pool', quiet: 'serving', damped: true, identity: null, excerpt: null, at, reason: summary };
  const all = members.length === 1 ? 'the only identity is' : `all ${members.length} identities are`;
  return out
    ? { ...base, event: 'pool_out_of_service', state: 'out_of_service', text: `no identity can serve: ${all} challenged, ejected or disabled (${summary})` }
    : { ...base, event: 'pool_recovered', state: 'serving', text: `identities can serve again (${summary})` };
}
