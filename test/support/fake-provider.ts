// A Provider for unit tests: identities are plain objects, answers come from a script
// (per identity, in order), time is whatever the test's clock says. No network.
// A scripted function stands for the call itself: it may advance the test's clock (the
// call's latency), look at the job, or wait for the test; returning a SendResult also says
// how long the call waited for a connection slot.

import type { UpstreamOutcome } from '../../src/providers/outcome.ts';
import type { IdentityTransport, ModelInfo, Provider, RefreshResult, SendJob, SendResult, SiteCheck } from '../../src/providers/provider.ts';

export interface FakeIdentity {
  id: string;
  transport: IdentityTransport;
  /** What createIdentity was given to restore (null: started afresh). */
  restored: unknown;
  /** Bumped by refresh(); saved and restored through snapshots. */
  credential: number;
  sent: SendJob[];
}

type Answer = UpstreamOutcome | SendResult;
export type ScriptedCheck = SiteCheck | ((signal: AbortSignal) => SiteCheck | Promise<SiteCheck>);
export type CheckRoute = Pick<IdentityTransport, 'proxy' | 'userAgent'> | undefined;
export type Scripted = Answer | ((job: SendJob, identity: FakeIdentity) => Answer | Promise<Answer>);

const MODEL: ModelInfo = { id: 'fake-model', upstream: 'fake/Model', created: 0, ownedBy: 'tests' };

export class FakeProvider implements Provider<FakeIdentity> {
  readonly site = 'fake.site';
  readonly models = [MODEL];
  readonly defaultModel = MODEL;
  /** What each identity answers next; once that runs out, its `always` answer, or ok. */
  readonly script = new Map<string, Scripted[]>();
  private readonly standing = new Map<string, Scripted>();
  readonly identities = new Map<string, FakeIdentity>();
  /** Which identity each send() went through, in order. */
  readonly calls: string[] = [];
  /** Every conversation handle handed out, in order. */
  readonly conversationsIssued: string[] = [];
  /** What checkSite() answers next (in order); once that runs out, `siteAlways` (default ok). */
  readonly siteScript: ScriptedCheck[] = [];
  siteAlways: ScriptedCheck = { result: 'ok' };
  /** The route each checkSite() call was given, in order. */
  readonly siteChecks: CheckRoute[] = [];

  findModel(name: string): ModelInfo | undefined {
    return name === MODEL.id ? MODEL : undefined;
  }

  /** Queues answers for an identity. */
  answer(id: string, ...outcomes: Scripted[]): this {
    this.script.set(id, [...(this.script.get(id) ?? []), ...outcomes]);
    return this;
  }

  /** What an identity answers whenever nothing is queued for it. */
  always(id: string, outcome: Scripted): this {
    this.standing.set(id, outcome);
    return this;
  }

  createIdentity(transport: IdentityTransport, saved: unknown): FakeIdentity {
    const credential = typeof saved === 'object' && saved !== null && typeof (saved as { credential?: unknown }).credential === 'number' ? (saved as { credential: number }).credential : 0;
    const identity: FakeIdentity = { id: transport.id, transport, restored: saved, credential, sent: [] };
    this.identities.set(transport.id, identity);
    return identity;
  }

  snapshot(identity: FakeIdentity): unknown {
    return { credential: identity.credential };
  }

  version(identity: FakeIdentity): string {
    return String(identity.credential);
  }

  needsRefresh(identity: FakeIdentity): boolean {
    return identity.credential === 0;
  }

  async refresh(identity: FakeIdentity): Promise<RefreshResult> {
    identity.credential++;
    return { ok: true };
  }

  async send(identity: FakeIdentity, job: SendJob): Promise<SendResult> {
    identity.sent.push(job);
    this.calls.push(identity.id);
    const next = this.script.get(identity.id)?.shift() ?? this.standing.get(identity.id);
    const answer: Answer =
      next === undefined ? { kind: 'ok', message: `answer from ${identity.id}` } : typeof next === 'function' ? await next(job, identity) : next;
    return 'outcome' in answer ? answer : { outcome: answer, slotWaitMs: 0 };
  }

  newConversation(): string {
    const handle = `conversation-${this.conversationsIssued.length + 1}`;
    this.conversationsIssued.push(handle);
    return handle;
  }

  credentialAgeMs(): number | null {
    return null;
  }

  async checkSite(signal: AbortSignal, via?: Pick<IdentityTransport, 'proxy' | 'userAgent'>): Promise<SiteCheck> {
    this.siteChecks.push(via);
    const next = this.siteScript.shift() ?? this.siteAlways;
    return typeof next === 'function' ? next(signal) : next;
  }
}
