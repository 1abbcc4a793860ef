// Site canary events → log lines: a warn when the site is marked drift or down (what was
// wrong, with a short redacted excerpt), an info when it recovers or a run fails once.

import type { SiteCanary } from '../chat/canary/site-canary.ts';
import type { Logger } from '../log.ts';

const SHORT = 300;
const short = (text: string | null): string | undefined => (text === null ? undefined : text.length > SHORT ? `${text.slice(0, SHORT)}…` : text);

export function logCanaryEvents(canary: SiteCanary<unknown>, site: string, log: Logger): void {
  canary.onEvent((event) => {
    if (event.type === 'run') {
      const { run } = event;
      if (run.result === 'ok') return;
      log.info('site canary run failed', { site, result: run.result, reason: short(run.reason), page: run.page, round_trip: run.roundTrip.sent });
      return;
    }
    const { from, to, reason, excerpt } = event.change;
    if (to === 'drift') {
      const fields = { site, state: to, from, reason: short(reason), excerpt: short(excerpt) };
      log.warn(`site ${to}: ${site} is not in the shape the gateway reads; /readyz answers 503`, fields);
    } else if (to === 'down') {
      log.warn(`site ${to}: ${site} cannot be reached; /readyz answers 503`, { site, state: to, from, reason: short(reason) });
    } else if (to === 'ok' && from !== 'unknown') {
      log.info(`site recovered: ${site} passes the canary check again`, { site, state: to, from });
    }
  });
}
