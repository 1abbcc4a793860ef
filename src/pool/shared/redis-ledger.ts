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
import { ACQUIRE, CLAIM_REFRESH, EXTRA_CALL, KEEP, RELEASE, RENEW, WRITE_HEALTH, WRITE_STATE } from './ledger-scripts.ts';

export interface RedisLedgerOptions {
  /** How long a lease holds without renewal: the longest a dead process keeps an identity's slot. */
  leaseTtlMs: number;
  log: Logger;
  now?: () => number;
  /** Lease reuse under load (see RedisLedger): most calls reserved per keep (0 = off), and how long an idle lease is kept. */
  reuse?: { calls: number; holdMs: number };
}

/**
 * Reuse's defaults: up to 8 calls, stamped 100 ms ahead; an idle lease is kept (and blocks a
 * slot of the identity) half that at most.
 */
export const LEASE_REUSE = { calls: 8, holdMs: 100 } as const;

/** A lease this instance holds: in use, being kept (KEEP on its way), or idle between two requests. */
interface HeldLease {
  id: string;
  member: PoolMember<unknown>;
  probe: boolean;
  /** When its current request started (this process's clock): the next keep asks for as many calls as fit. */
  startedAt: number;
  status: 'in-use' | 'keeping' | 'idle';
  /** Reserved calls not made yet; Infinity when the identity has no rpm limit. */
  calls: number;
  /** Their window entries are `${reservation}#1` … `#${reserved}`; the last are used first. */
  reservation: string;
  /** Reuse (and the reserved calls) may start until then (performance.now(): a clock step must not stretch it). */
  usableUntil: number;
  keeps: number;
}

/** Health and state keys outlive a quiet identity by this much (then the next start begins afresh). */
const KEEP_MS = 7 * 24 * 3_600_000;

type AcquireReply = [1, 0 | 1, string] | [0, LedgerRefusal, string, string, string, string];

/**
 * Lease reuse: when a request ends while this instance has more running on the identity, the
 * lease is not released but kept (KEEP), with a few calls of the rpm window reserved, for the
 * instance's next request there, which then starts with no round trip to Redis. The lease
 * goes back once its calls or its time are used up, or at once when the identity's health
 * changes here or elsewhere. Redis counts the kept lease and every reserved call meanwhile, so
 * no limit is exceeded; the cost is that another instance may find a slot taken by an idle
 * lease for holdMs / 2 and one sweep tick, which is why Redis grants a keep only with room to
 * spare, and why probes and paced identities never keep. A kept lease id serves successive
 * requests, so the pool must release each Lease exactly once (it does: Failover and giveBack).
 */
export class RedisLedger implements PoolLedger {
  /** Leases this process holds, in use or idle: lease id → lease (renewed together). */
  private readonly held = new Map<string, HeldLease>();
  /** Idle leases per identity, newest last. */
  private readonly idle = new Map<string, HeldLease[]>();
  private idleSweep: ReturnType<typeof setInterval> | undefined;
  private readonly reuse: { calls: number; holdMs: number };
  /** Per identity, built once: key names and the freed event (every acquire and release needs them). */
  private readonly keyCache = new Map<string, IdentityKeys>();
  private readonly freedCache = new Map<string, [channel: string, message: string]>();
  private renewTimer: ReturnType<typeof setInterval> | undefined;
  private leaseCount = 0;
  private closed = false;
  private readonly now: () => number;
  private readonly handlers: ((event: LedgerEvent) => void)[] = [];
  private readonly channel: string;

  constructor(
    private readonly shared: SharedState,
    private readonly options: RedisLedgerOptions,
  ) {
    this.now = options.now ?? Date.now;
    this.reuse = options.reuse ?? LEASE_REUSE;
    this.channel = `${shared.prefix}events`;
    shared.onEvent((event) => this.onShared(event));
  }

  unavailableError(): GatewayError | null {
    return this.shared.unavailableError();
  }

  async acquire(member: PoolMember<unknown>, gapMs: number): Promise<LedgerGrant> {
    if (gapMs <= 0) {
      const lease = this.takeIdle(member);
      if (lease) return { ok: true, leaseId: lease.id, probe: false };
    }
    const keys = this.keysOf(member.id);
    const leaseId = `${this.shared.instance}:${++this.leaseCount}`;
    const reply = await this.shared.run<AcquireReply>(
      ACQUIRE,
      [keys.leases, keys.calls, keys.pace, keys.health, keys.probe],
      [leaseId, member.config.maxConcurrent, member.config.rpm, Math.max(0, Math.round(gapMs)), this.options.leaseTtlMs, isPaced(member) ? 1 : 0],
    );
    if (reply[0] === 1) {
      const probe = reply[1] === 1;
      this.held.set(leaseId, { id: leaseId, member, probe, startedAt: performance.now(), status: 'in-use', calls: 0, reservation: leaseId, usableUntil: 0, keeps: 0 });
      this.renewTimer ??= setInterval(() => this.renewAll(), Math.max(1_000, Math.floor(this.options.leaseTtlMs / 3)));
      return { ok: true, leaseId, probe };
    }
    const [, reason, retryAt, serverNow, version, json] = reply;
    // The script answers on Redis's clock; the pool waits on this process's.
    const local = (t: string) => Number(t) - Number(serverNow) + this.now();
    const health = reason === 'unavailable' && json !== '' ? parseHealth(Number(version), json) : null;
    return { ok: false, reason, retryAt: retryAt === '' ? null : local(retryAt), health };
  }

  /** An idle lease of the identity with a call left and time to make it, now in use; stale ones go back. */
  private takeIdle(member: PoolMember<unknown>): HeldLease | null {
    const list = this.idle.get(member.id);
    if (list === undefined) return null;
    const now = performance.now();
    let taken: HeldLease | null = null;
    while (taken === null && list.length > 0) {
      const lease = list.pop()!;
      if (lease.calls > 0 && now < lease.usableUntil && member.health.state.kind === 'ready') {
        lease.status = 'in-use';
        lease.calls--;
        lease.startedAt = now;
        taken = lease;
      } else this.giveBack(lease);
    }
    if (list.length === 0) this.idle.delete(member.id);
    return taken;
  }

  /** Another request of this instance runs on the identity now: the sign of load that makes a keep worth it. */
  private busy(identity: string, except: HeldLease): boolean {
    for (const lease of this.held.values()) if (lease !== except && lease.status === 'in-use' && lease.member.id === identity) return true;
    return false;
  }

  async extraCall(member: PoolMember<unknown>, leaseId: string, gapMs: number): Promise<boolean> {
    const keys = this.keysOf(member.id);
    const callId = `${leaseId}:${++this.leaseCount}`;
    return (await this.shared.run<number>(EXTRA_CALL, [keys.calls, keys.pace], [callId, member.config.rpm, Math.max(0, Math.round(gapMs))])) === 1;
  }

  release(member: PoolMember<unknown>, leaseId: string): void {
    const lease = this.held.get(leaseId);
    if (lease === undefined || lease.status !== 'in-use') return;
    const now = performance.now();
    const keepable = !this.closed && !lease.probe && this.reuse.calls > 0 && !isPaced(member) && member.health.state.kind === 'ready';
    if (keepable && lease.calls > 0 && now < lease.usableUntil) return this.makeIdle(lease);
    if (keepable && this.busy(member.id, lease)) return this.keep(lease, now);
    this.giveBack(lease);
  }

  /** Asks Redis to keep the lease with calls reserved for as many requests as fit in the hold at this one's pace. */
  private keep(lease: HeldLease, now: number): void {
    const { member } = lease;
    const keys = this.keysOf(member.id);
    const [channel, freed] = this.freedEvent(member.id);
    const pace = Math.max(1, now - lease.startedAt);
    const wanted = Math.max(1, Math.min(this.reuse.calls, Math.floor(this.reuse.holdMs / 2 / pace)));
    const stale = this.unusedCalls(lease);
    const rpm = member.config.rpm;
    lease.status = 'keeping';
    lease.calls = 0;
    lease.reservation = `${lease.id}#${++lease.keeps}`;
    this.shared
      .run<number>(KEEP, [keys.leases, keys.calls, keys.health], [
        lease.id,
        member.config.maxConcurrent,
        rpm,
        wanted,
        this.reuse.holdMs,
        lease.reservation,
        channel,
        freed,
        this.options.leaseTtlMs,
        ...stale,
      ])
      .then(
        (granted) => {
          if (Number(granted) === 0) return this.forget(lease);
          lease.calls = rpm > 0 ? Number(granted) : Infinity;
          // The calls are stamped holdMs after Redis's now: start them well before, on this clock too.
          lease.usableUntil = now + this.reuse.holdMs / 2;
          this.makeIdle(lease);
        },
        () => {
          // Not known whether Redis kept it (a timeout) or never saw it: released with every call it may have reserved.
          lease.calls = rpm > 0 ? wanted : 0;
          this.giveBack(lease);
        },
      );
  }

  private makeIdle(lease: HeldLease): void {
    // The identity's health changed while the keep was on its way (or the ledger closed): back at once.
    if (this.closed || lease.member.health.state.kind !== 'ready') return this.giveBack(lease);
    lease.status = 'idle';
    const list = this.idle.get(lease.member.id);
    if (list) list.push(lease);
    else this.idle.set(lease.member.id, [lease]);
    this.idleSweep ??= setInterval(() => this.sweepIdle(), Math.max(10, Math.floor(this.reuse.holdMs / 4)));
  }

  /** Frees the lease on Redis with the reserved calls it did not make. */
  private giveBack(lease: HeldLease): void {
    const { member } = lease;
    this.forget(lease);
    const keys = this.keysOf(member.id);
    const [channel, freed] = this.freedEvent(member.id);
    // A lease not released (Redis away) runs out by itself within the lease time; so do its calls within 60 s.
    this.shared
      .run(RELEASE, [keys.leases, keys.probe, keys.calls], [lease.id, member.config.maxConcurrent, channel, freed, lease.probe ? 1 : 0, ...this.unusedCalls(lease)])
      .catch(() => undefined);
  }

  private forget(lease: HeldLease): void {
    this.held.delete(lease.id);
    if (this.held.size === 0) this.stopRenewing();
  }

  /** The window entries of the lease's reserved calls not made. */
  private unusedCalls(lease: HeldLease): string[] {
    return Number.isFinite(lease.calls) ? Array.from({ length: lease.calls }, (_, i) => `${lease.reservation}#${i + 1}`) : [];
  }

  /** Idle leases whose time is up go back. */
  private sweepIdle(): void {
    const now = performance.now();
    for (const [identity, list] of this.idle) {
      const keep = list.filter((lease) => now < lease.usableUntil);
      if (keep.length === list.length) continue;
      for (const lease of list) if (now >= lease.usableUntil) this.giveBack(lease);
      if (keep.length > 0) this.idle.set(identity, keep);
      else this.idle.delete(identity);
    }
    if (this.idle.size === 0) {
      clearInterval(this.idleSweep);
      this.idleSweep = undefined;
    }
  }

  /** A lease Redis no longer has: forgotten here, and out of the idle list. */
  private lost(leaseId: string): void {
    const lease = this.held.get(leaseId);
    if (lease === undefined) return;
    this.forget(lease);
    const list = this.idle.get(lease.member.id);
    const at = list?.indexOf(lease) ?? -1;
    if (list && at >= 0) list.splice(at, 1);
  }

  /** Every idle lease of the identity goes back at once (its health changed here or elsewhere). */
  private dropIdle(identity: string): void {
    const list = this.idle.get(identity);
    this.idle.delete(identity);
    if (list) for (const lease of list) this.giveBack(lease);
  }

  async writeHealth(member: PoolMember<unknown>, baseVersion: number): Promise<{ ok: true; version: number } | { ok: false; health: SharedHealth }> {
    this.dropIdle(member.id);
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
    return (await this.shared.run<number>(CLAIM_REFRESH, [keys.refresh], [this.shared.instance, ms, 'wait'])) === 1;
  }

  async claimRefused(id: string, ms: number, takeOverShared: boolean): Promise<'mine' | 'theirs' | 'shared'> {
    const keys = this.keysOf(id);
    const claimed = await this.shared.run<number>(CLAIM_REFRESH, [keys.refresh], [this.shared.instance, ms, takeOverShared ? 'take' : 'ask']);
    return claimed === 1 ? 'mine' : claimed === 2 ? 'shared' : 'theirs';
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
    this.closed = true;
    for (const identity of [...this.idle.keys()]) this.dropIdle(identity);
    clearInterval(this.idleSweep);
    this.idleSweep = undefined;
    this.stopRenewing();
  }

  private stopRenewing(): void {
    clearInterval(this.renewTimer);
    this.renewTimer = undefined;
  }

  /** Every lease this process holds, pushed out again; one that failed to renew is retried next round. */
  private renewAll(): void {
    for (const { id: leaseId, member } of this.held.values()) {
      const identity = member.id;
      const keys = this.keysOf(identity);
      this.shared.run<number>(RENEW, [keys.leases, keys.probe], [leaseId, this.options.leaseTtlMs]).then(
        (kept) => {
          // Gone from Redis (swept after a renewal gap): never reused; its request, if one runs, just ends.
          if (Number(kept) === 0) this.lost(leaseId);
        },
        (error: GatewayError) => {
          this.options.log.debug('lease renewal failed; retried next round', { identity, error: error.message });
        },
      );
    }
  }

  private onShared(event: SharedEvent): void {
    const id = typeof event.id === 'string' ? event.id : null;
    if (id === null) return;
    let ledgerEvent: LedgerEvent | null = null;
    if (event.type === 'freed') ledgerEvent = { type: 'freed', id };
    else if (event.type === 'health' && typeof event.json === 'string' && typeof event.version === 'number') {
      this.dropIdle(id);
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
