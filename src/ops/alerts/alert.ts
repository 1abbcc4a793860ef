// What an alert says: one state change of the site, an identity or the pool as a whole, with
// a one-line sentence for chat tools (Slack, Discord, Mattermost show `text`) and the fields
// a program reads. Changes of one subject coalesce; a change back to the last state sent is
// no news (alert-webhook.ts).

export const ALERT_EVENTS = [
  'site_drift',
  'site_down',
  'site_recovered',
  'identity_challenged',
  'identity_ejected',
  'identity_recovered',
  'pool_out_of_service',
  'pool_recovered',
] as const;

export type AlertEvent = (typeof ALERT_EVENTS)[number];

export interface Alert {
  event: AlertEvent;
  /** What it is about: 'site', 'pool' or 'identity:<id>'. */
  subject: string;
  /** The subject's state after the change (site: drift/down/ok; identity: its health; pool: out_of_service/serving). */
  state: string;
  /** The subject's state that needs no alert (site ok, identity ready, pool serving): a return to it after no alert is no news. */
  quiet: string;
  /** A subject that may flap (an identity, the pool): at most one POST about it per hold time. */
  damped: boolean;
  identity: string | null;
  /** Why (the provider's or the pool's words, redacted again before sending). */
  reason: string | null;
  /** A short excerpt of what the site sent (site drift). */
  excerpt: string | null;
  /** The sentence, without the gateway's name. */
  text: string;
  at: number;
}

/** One alert as the webhook's JSON carries it. */
export interface AlertRecord {
  event: AlertEvent;
  identity: string | null;
  state: string;
  reason: string | null;
  excerpt: string | null;
  at: string;
  /** State changes of this subject coalesced into this alert (a flapping identity: more than 1). */
  changes: number;
  text: string;
}

/** The webhook's JSON body: one alert's fields at the top, or `event: "multiple"` and each in `alerts`. */
export interface AlertPayload {
  text: string;
  event: AlertEvent | 'multiple';
  site: string;
  identity: string | null;
  state: string | null;
  reason: string | null;
  excerpt: string | null;
  at: string;
  gateway: { name: string; version: string };
  alerts: AlertRecord[];
}

const GATEWAY = 'kimi-gateway';
/** Chat tools cut long messages; several alerts in one POST share this. */
const MAX_TEXT = 1_000;

export function alertPayload(records: readonly AlertRecord[], site: string, version: string, at: number): AlertPayload {
  const one = records.length === 1 ? records[0]! : null;
  const text = one ? `${GATEWAY}: ${one.text}` : `${GATEWAY}: ${records.length} changes: ${records.map((r) => r.text).join('; ')}`;
  return {
    text: text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT - 1)}…` : text,
    event: one ? one.event : 'multiple',
    site,
    identity: one?.identity ?? null,
    state: one?.state ?? null,
    reason: one?.reason ?? null,
    excerpt: one?.excerpt ?? null,
    at: new Date(at).toISOString(),
    gateway: { name: GATEWAY, version },
    alerts: [...records],
  };
}
