// Fault rules: validation of incoming rules and picking the rule that hits a request.

import { seededRandom, type Random } from './prng.ts';
import { isPageDrift } from './page-drift.ts';
import { isModelFault } from './tool-play.ts';
import { FAULT_KINDS, type FaultKind, type FaultRule } from './types.ts';

export type FaultTarget = 'message' | 'page';

interface ActiveRule {
  rule: FaultRule;
  remaining: number;
}

/** Throws a descriptive Error when the value is not a usable FaultRule. */
export function parseFaultRule(value: unknown): FaultRule {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error('a fault rule must be a JSON object');
  }
  const raw = value as Record<string, unknown>;
  if (typeof raw.kind !== 'string' || !FAULT_KINDS.includes(raw.kind as FaultKind)) {
    throw new Error(`fault kind must be one of: ${FAULT_KINDS.join(', ')}`);
  }
  const rule: FaultRule = { kind: raw.kind as FaultKind };
  if (raw.on !== undefined) {
    if (raw.on !== 'message' && raw.on !== 'page') throw new Error("fault 'on' must be 'message' or 'page'");
    if (raw.on === 'page' && isModelFault(rule.kind)) throw new Error(`fault '${rule.kind}' changes model answers: 'on' must be 'message'`);
    rule.on = raw.on;
  }
  if (isPageDrift(rule.kind) && rule.on !== 'page') throw new Error(`fault '${rule.kind}' changes the chat page: 'on' must be 'page'`);
  for (const key of ['identity', 'retryAfter', 'text', 'location'] as const) {
    const field = raw[key];
    if (field === undefined) continue;
    if (typeof field !== 'string') throw new Error(`fault '${key}' must be a string`);
    rule[key] = field;
  }
  for (const key of ['times', 'status', 'delayMs', 'bytes', 'count'] as const) {
    const field = raw[key];
    if (field === undefined) continue;
    if (typeof field !== 'number' || !Number.isInteger(field) || field < 0) {
      throw new Error(`fault '${key}' must be a non-negative integer`);
    }
    rule[key] = field;
  }
  if (rule.status !== undefined && (rule.status < 100 || rule.status > 599)) {
    throw new Error("fault 'status' must be an HTTP status (100-599)");
  }
  if (raw.probability !== undefined) {
    const p = raw.probability;
    if (typeof p !== 'number' || !(p >= 0 && p <= 1)) throw new Error("fault 'probability' must be within 0..1");
    rule.probability = p;
  }
  return rule;
}

export class FaultBook {
  private rules: ActiveRule[] = [];
  private random: Random;

  constructor(private readonly seed: number) {
    this.random = seededRandom(seed);
  }

  add(rule: FaultRule): void {
    const copy = parseFaultRule(rule);
    if (copy.times === 0) return;
    this.rules.push({ rule: copy, remaining: copy.times ?? Number.POSITIVE_INFINITY });
  }

  clear(): void {
    this.rules = [];
  }

  /** Forget the rules and replay the probability draws from the seed again. */
  reset(): void {
    this.rules = [];
    this.random = seededRandom(this.seed);
  }

  /**
   * The first unspent rule that matches and whose draw hits; consumes one use of it. Rules
   * whose kind `applies` rejects are skipped before their draw, so they stay unspent.
   */
  match(target: FaultTarget, identity: string, applies: (kind: FaultKind) => boolean = () => true): FaultRule | undefined {
    if (this.rules.length === 0) return undefined;
    for (let i = 0; i < this.rules.length; i++) {
      const active = this.rules[i];
      if (active === undefined) continue;
      const { rule } = active;
      if ((rule.on ?? 'message') !== target) continue;
      if (rule.identity !== undefined && rule.identity !== identity) continue;
      if (!applies(rule.kind)) continue;
      if (rule.probability !== undefined && this.random() >= rule.probability) continue;
      active.remaining -= 1;
      if (active.remaining <= 0) this.rules.splice(i, 1);
      return rule;
    }
    return undefined;
  }
}
