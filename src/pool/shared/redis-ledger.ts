// The pool's shared ledger on Redis (REDIS_URL): leases with an expiry renewed while their
// request runs (a dead process's lease is gone within one lease time), the rpm window and
// the pacing slot taken in the same atomic step, health written compare-and-set on a
// version, identity state shared, and every change pushed to the other instances on the
// shared channel so they act on it at once rather than at their next poll.

import type { GatewayError } from '../../errors.ts';
import type { Logger } from '../../log.ts';
import type { SharedEvent, SharedState } from '../../store/redis/shared-state.ts';
import type { HealthSnapshot, HealthState } from '../health.ts';
import type { LedgerEvent, LedgerGrant, LedgerRefusal, PoolLedger, SharedHealth } from '../pool-ledger.ts';
import type { PoolMember } from '../pool-member.ts';
import { identityKeys, type IdentityKeys } from './identity-keys.ts';
import { ACQUIRE, CLAIM_REFRESH, EXTRA_CALL, RELEASE, RENEW, WRITE_HEALTH, WRITE_STATE } from './ledger-scripts.ts';

export interface RedisLedgerOptions {
  /** How long a lease holds without renewal: the longest a dead process keeps an identity's slot. */
  leaseTtlMs: number;
  log: Logger;
  now?: () => number;
}

/** Health and state keys outlive a quiet identity by this much (then the next start begins afresh). */
const KEEP_MS = 7 * 24 * 3_600_000;

type AcquireReply = [1, 0 | 1, string] | [0, LedgerRefusal, string, string, string, string];

export class RedisLedger implements PoolLedger {
  /** Leases this process holds: lease id → identity id (renewed together). */
  private readonly held = new Map<string, string>();
  /** Held leases that took their identity's probe. */
  private readonly probes = new Set<string>();
  /** Per identity, built once: key names and the freed event (every acquire and release needs them). */
  private readonly keyCache = new Map<string, IdentityKeys>();
  private readonly freedCache = new Map<string, [channel: string, message: string]>();
  private renewTimer: ReturnType<typeof setInterval> | undefined;
  private leaseCount = 0;
  private readonly now: () => number;
  private readonly handlers: ((event: LedgerEvent) => void)[] = [];
  private readonly channel: string;

  constructor(
    private readonly shared: SharedState,
    private readonly options: RedisLedgerOptions,
  ) {
    this.now = options.now ?? Date.now;
    this.channel = `${shared.prefix}events`;
    shared.onEvent((event) => this.onShared(event));
  }

  unavailableError(): GatewayError | null {
    return this.shared.unavailableError();
  }

  async acquire(member: PoolMember<unknown>, gapMs: number): Promise<LedgerGrant> {
    const keys = this.keysOf(member.id);
    const leaseId = `${this.shared.instance}:${++this.leaseCount}`;
    const reply = await this.shared.run<AcquireReply>(
      ACQUIRE,
      [keys.leases, keys.calls, keys.pace, keys.health, keys.probe],
      [leaseId, member.config.maxConcurrent, member.config.rpm, Math.max(0, Math.round(gapMs)), this.options.leaseTtlMs, isPaced(member) ? 1 : 0],
    );
    if (reply[0] === 1) {
      this.held.set(leaseId, member.id);
      if (reply[1] === 1) this.probes.add(leaseId);
      this.renewTimer ??= setInterval(() => this.renewAll(), Math.max(1_000, Math.floor(this.options.leaseTtlMs / 3)));
      return { ok: true, leaseId, probe: reply[1] === 1 };
    }
    const [, reason, retryAt, serverNow, version, json] = reply;
    // The script answers on Redis's clock; the pool waits on this process's.
    const local = (t: string) => Number(t) - Number(serverNow) + this.now();
    const health = reason === 'unavailable' && json !== '' ? parseHealth(Number(version), json) : null;
    return { ok: false, reason, retryAt: retryAt === '' ? null : local(retryAt), health };
  }

  async extraCall(member: PoolMember<unknown>, leaseId: string, gapMs: number): Promise<boolean> {
    const keys = this.keysOf(member.id);
    const callId = `${leaseId}:${++this.leaseCount}`;
    return (await this.shared.run<number>(EXTRA_CALL, [keys.calls, keys.pace], [callId, member.config.rpm, Math.max(0, Math.round(gapMs))])) === 1;
  }

  release(member: PoolMember<unknown>, leaseId: string): void {
    this.held.delete(leaseId);
    const probe = this.probes.delete(leaseId);
    if (this.held.size === 0) this.stopRenewing();
    const keys = this.keysOf(member.id);
    const [channel, freed] = this.freedEvent(member.id);
    // A lease not released (Redis away) runs out by itself within the lease time.
    this.shared.run(RELEASE, [keys.leases, keys.probe], [leaseId, member.config.maxConcurrent, channel, freed, probe ? 1 : 0]).catch(() => undefined);
  }

  async writeHealth(member: PoolMember<unknown>, baseVersion: number): Promise<{ ok: true; version: number } | { ok: false; health: SharedHealth }> {
    const keys = this.keysOf(member.id);
    const snapshot = member.health.snapshot();
    const reply = await this.shared.run<[1, string] | [0, string, string]>(
      WRITE_HEALTH,
      [keys.health],
      [baseVersion, JSON.stringify(snapshot), availableAt(snapshot.state), probes(snapshot.state) ? 1 : 0, this.channel, this.shared.instance, member.id, KEEP_MS],
    );
    if (reply[0] === 1) return { ok: true, version: Number(reply[1]) };
    const health = parseHealth(Number(reply[1]), reply[2]);
    // A version without a snapshot cannot happen (both are written together); start over from it.
    return health ? { ok: false, health } : { ok: true, version: Number(reply[1]) };
  }

  async load(id: string): Promise<{ health: SharedHealth | null; state: { state: string; seed: string } | null }> {
    const keys = this.keysOf(id);
    const [health, state] = await Promise.all([
      this.shared.send<[string | null, string | null]>('HMGET', [keys.health, 'version', 'json']),
      this.shared.send<[string | null, string | null]>('HMGET', [keys.state, 'json', 'seed']),
    ]);
    return {
      health: health[0] !== null && health[1] !== null ? parseHealth(Number(health[0]), health[1]) : null,
      state: state[0] !== null && state[1] !== null ? { state: state[0], seed: state[1] } : null,
    };
  }

  writeState(member: PoolMember<unknown>, state: string, seed: string): void {
    const keys = this.keysOf(member.id);
    this.shared.run(WRITE_STATE, [keys.state, keys.refresh], [state, seed, this.channel, this.shared.instance, member.id, KEEP_MS]).catch(() => undefined);
  }

  async claimRefresh(id: string, ms: number): Promise<boolean> {
    const keys = this.keysOf(id);
    return (await this.shared.run<number>(CLAIM_REFRESH, [keys.refresh], [this.shared.instance, ms])) === 1;
  }

  private keysOf(id: string): IdentityKeys {
    let keys = this.keyCache.get(id);
    if (keys === undefined) {
      keys = identityKeys(this.shared.prefix, id);
      this.keyCache.set(id, keys);
    }
    return keys;
  }

  private freedEvent(id: string): [channel: string, message: string] {
    let event = this.freedCache.get(id);
    if (event === undefined) {
      event = this.shared.eventArgs({ type: 'freed', id });
      this.freedCache.set(id, event);
    }
    return event;
  }

  onEvent(handler: (event: LedgerEvent) => void): void {
    this.handlers.push(handler);
  }

  close(): void {
    this.stopRenewing();
  }

  private stopRenewing(): void {
    clearInterval(this.renewTimer);
    this.renewTimer = undefined;
  }

  /** Every lease this process holds, pushed out again; one that failed to renew is retried next round. */
  private renewAll(): void {
    for (const [leaseId, id] of this.held) {
      const keys = this.keysOf(id);
      this.shared.run(RENEW, [keys.leases, keys.probe], [leaseId, this.options.leaseTtlMs]).catch((error: GatewayError) => {
        this.options.log.debug('lease renewal failed; retried next round', { identity: id, error: error.message });
      });
    }
  }

  private onShared(event: SharedEvent): void {
    const id = typeof event.id === 'string' ? event.id : null;
    if (id === null) return;
    let ledgerEvent: LedgerEvent | null = null;
    if (event.type === 'freed') ledgerEvent = { type: 'freed', id };
    else if (event.type === 'health' && typeof event.json === 'string' && typeof event.version === 'number') {
      const health = parseHealth(event.version, event.json);
      if (health) ledgerEvent = { type: 'health', id, health };
    } else if (event.type === 'state' && typeof event.state === 'string' && typeof event.seed === 'string') {
      ledgerEvent = { type: 'state', id, state: event.state, seed: event.seed };
    }
    if (ledgerEvent) for (const handler of this.handlers) handler(ledgerEvent);
  }
}

/** When the identity may take calls again, for the acquire script: 0 ready, -1 only an operator, else the end of its state. */
function availableAt(state: HealthState): number {
  switch (state.kind) {
    case 'ready':
      return 0;
    case 'disabled':
      return -1;
    default:
      return Math.round(state.until);
  }
}

/** The first call after such a state ends is a probe, and only one instance may send it. */
const probes = (state: HealthState): boolean => state.kind === 'cooling' || state.kind === 'challenged' || state.kind === 'ejected';

function parseHealth(version: number, json: string): SharedHealth | null {
  try {
    const snapshot = JSON.parse(json) as HealthSnapshot;
    return snapshot && typeof snapshot === 'object' && snapshot.state ? { version, snapshot } : null;
  } catch {
    return null;
  }
}

/** Whether the identity has a pacing gap at all (minIntervalMs or jitterMs): only then is the pacing slot read. */
function isPaced(member: PoolMember<unknown>): boolean {
  return (member.config.minIntervalMs ?? 0) > 0 || (member.config.jitterMs ?? 0) > 0;
}
