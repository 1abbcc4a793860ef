// pickIdentity: the conversation's own identity while it is eligible; otherwise the
// power of two random choices: draw two eligible identities (with replacement) in
// proportion to their weight and keep the first unless the second is clearly less
// loaded. Among comparable identities the split follows the weights exactly; a busy,
// slow or failing one loses. Drawing tries a few random draws first (O(log n) each) and
// scans only when most identities are ineligible.

import type { PoolMember } from './pool-member.ts';

export interface PickOptions {
  now: number;
  exclude?: ReadonlySet<string>;
  preferredId?: string | null;
  random?: () => number;
}

const RANDOM_DRAWS = 8;
/** The second draw wins only with a score this much lower: smaller gaps are noise. */
const CLEARLY_BETTER = 0.8;

/** Members with cumulative weights, rebuilt when the pool changes. */
export class WeightedMembers<M extends PoolMember<unknown> = PoolMember<unknown>> {
  readonly cumulative: number[];
  readonly total: number;

  constructor(readonly members: readonly M[]) {
    let sum = 0;
    this.cumulative = members.map((m) => (sum += m.config.weight));
    this.total = sum;
  }

  draw(random: () => number): M {
    const target = random() * this.total;
    let lo = 0;
    let hi = this.cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.cumulative[mid]! > target) hi = mid;
      else lo = mid + 1;
    }
    return this.members[lo]!;
  }
}

export function pickIdentity<M extends PoolMember<unknown>>(pool: WeightedMembers<M>, options: PickOptions): M | null {
  const { now, exclude, preferredId, random = Math.random } = options;
  const usable = (m: M) => !exclude?.has(m.id) && m.isEligible(now);
  if (preferredId) {
    const preferred = pool.members.find((m) => m.id === preferredId);
    if (preferred && usable(preferred)) return preferred;
  }
  if (pool.members.length === 0) return null;

  let first: M | null = null;
  for (let i = 0; i < RANDOM_DRAWS; i++) {
    const m = pool.draw(random);
    if (!usable(m)) continue;
    if (!first) first = m;
    else return betterOf(first, m);
  }
  const eligible = pool.members.filter(usable);
  if (eligible.length <= 1) return eligible[0] ?? null;
  const subset = new WeightedMembers(eligible);
  return betterOf(subset.draw(random), subset.draw(random));
}

function betterOf<M extends PoolMember<unknown>>(first: M, second: M): M {
  if (first === second) return first;
  return second.load.score(second.inFlight) < first.load.score(first.inFlight) * CLEARLY_BETTER ? second : first;
}
