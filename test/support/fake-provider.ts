// A Provider for unit tests: identities are plain objects, answers come from a script
// (per identity, in order), time is whatever the test's clock says. No network.

import type { UpstreamOutcome } from '../../src/providers/outcome.ts';
import type { IdentityTransport, ModelInfo, Provider, RefreshResult, SendJob, SendResult } from '../../src/providers/provider.ts';

export interface FakeIdentity {
  id: string;
  /** Bumped by refresh(); saved and restored through snapshots. */
  credential: number;
  sent: SendJob[];
}

export type Scripted = UpstreamOutcome | ((job: SendJob) => UpstreamOutcome | Promise<UpstreamOutcome>);

const MODEL: ModelInfo = { id: 'fake-model', upstream: 'fake/Model', created: 0, ownedBy: 'tests' };

export class FakeProvider implements Provider<FakeIdentity> {
  readonly site = 'fake.site';
  readonly models = [MODEL];
  readonly defaultModel = MODEL;
  /** What each identity answers next; an identity with nothing scripted answers ok. */
  readonly script = new Map<string, Scripted[]>();
  readonly identities = new Map<string, FakeIdentity>();
  private conversations = 0;

  findModel(name: string): ModelInfo | undefined {
    return name === MODEL.id ? MODEL : undefined;
  }

  /** Queues answers for an identity. */
  answer(id: string, ...outcomes: Scripted[]): this {
    this.script.set(id, [...(this.script.get(id) ?? []), ...outcomes]);
    return this;
  }

  createIdentity(transport: IdentityTransport, saved: unknown): FakeIdentity {
    const credential = typeof saved === 'object' && saved !== null && typeof (saved as { credential?: unknown }).credential === 'number' ? (saved as { credential: number }).credential : 0;
    const identity: FakeIdentity = { id: transport.id, credential, sent: [] };
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
    const next = this.script.get(identity.id)?.shift();
    const outcome = next === undefined ? { kind: 'ok' as const, message: `answer from ${identity.id}` } : typeof next === 'function' ? await next(job) : next;
    return { outcome, slotWaitMs: 0 };
  }

  newConversation(): string {
    return `conversation-${++this.conversations}`;
  }

  credentialAgeMs(): number | null {
    return null;
  }
}
