import { ConfigError, NodeId } from '../../core';

/**
 * The two lookups of a consistent-hashing ring, as pure functions with exact contracts: the
 * part where the understanding lives (Karger et al., STOC 1997, §4: an item belongs to the
 * first bucket clockwise from its point; DeCandia et al., "Dynamo", SOSP 2007, §4.2-4.3:
 * virtual nodes, and the preference list of the next N distinct physical nodes). A learner
 * writes them; `HashRing`, the analysis functions and the quorum store run with the learner's
 * rules inside (pass them as `rules`). The references below are the defaults.
 *
 * The ring is given as two parallel arrays, sorted by position: `positions[i]` is the ring
 * position (an integer in [0, 2^32)) of virtual node i and `owners[i]` the physical node it
 * belongs to. Equal positions are allowed (a hash collision); they keep their array order.
 */

/**
 * Which virtual node owns ring position `position` (Karger §4; Dynamo §4.2: "walking the ring
 * clockwise to find the first node with a position larger than the item's position").
 *
 * Contract:
 * - `positions` is non-empty and sorted ascending; `position` is an integer in [0, 2^32).
 * - Return the index of the first token whose position is >= `position` (its successor; a
 *   token exactly at `position` owns it).
 * - If `position` is greater than every token, the walk wraps around past 2^32 - 1 to 0:
 *   return 0.
 * - Do not modify the arrays. Aim for O(log n) (binary search): the ring has ~100,000 tokens.
 *
 * @example
 *   successorIndex([100, 200, 300], 150); // 1
 *   successorIndex([100, 200, 300], 200); // 1
 *   successorIndex([100, 200, 300], 301); // 0 (wrap-around)
 */
export type SuccessorRule = (positions: readonly number[], position: number) => number;

/**
 * The preference list of a key: the physical nodes that hold its N replicas (Dynamo §4.3:
 * "the first N successors", skipping positions so that it "contains only distinct physical
 * nodes").
 *
 * Contract:
 * - `owners[i]` is the physical node of token i; `startIndex` is the key's successor index.
 * - Walk the tokens clockwise from `startIndex` (startIndex, startIndex + 1, ..., wrapping from
 *   the last index to 0), visiting each token at most once, and collect `owners[i]` unless it
 *   was already collected, until `n` nodes are collected or every token has been visited.
 * - Return them in the order collected: the first is the key's coordinator (its owner).
 *   Fewer than `n` only when the ring has fewer than `n` distinct nodes.
 *
 * @example
 *   preferenceList(['a', 'a', 'b', 'c'], 1, 2); // ['a', 'b']
 *   preferenceList(['a', 'b', 'c'], 2, 2);      // ['c', 'a'] (wrap-around)
 */
export type PreferenceListRule = (owners: readonly NodeId[], startIndex: number, n: number) => NodeId[];

/** The pluggable ring rules together: what a learner's module exports. */
export interface RingRules {
  successorIndex: SuccessorRule;
  preferenceList: PreferenceListRule;
}

/** Reference successor: binary search for the first position >= `position`, else 0. */
export const successorIndex: SuccessorRule = (positions, position) => {
  let lo = 0;
  let hi = positions.length; // answer in [lo, hi]
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (positions[mid] < position) lo = mid + 1;
    else hi = mid;
  }
  return lo === positions.length ? 0 : lo;
};

/** Reference preference list: the next n distinct physical nodes clockwise. */
export const preferenceList: PreferenceListRule = (owners, startIndex, n) => {
  const out: NodeId[] = [];
  for (let step = 0; step < owners.length && out.length < n; step++) {
    const owner = owners[(startIndex + step) % owners.length];
    if (!out.includes(owner)) out.push(owner);
  }
  return out;
};

/** The reference rules: the defaults of every ring, analysis and quorum store. */
export const referenceRingRules: RingRules = { successorIndex, preferenceList };

/** The reference rules with the given ones swapped in; throws a ConfigError naming a rule that is not a function. */
export function resolveRingRules(rules: Partial<RingRules> = {}): RingRules {
  const out: RingRules = { ...referenceRingRules };
  for (const name of Object.keys(referenceRingRules) as (keyof RingRules)[]) {
    const rule = rules[name];
    if (rule === undefined) continue;
    if (typeof rule !== 'function') throw new ConfigError(`rules.${name}`, 'a function', rule);
    (out as unknown as Record<string, unknown>)[name] = rule;
  }
  return out;
}

/**
 * Classic wrong versions of the ring lookup, each a slip a learner makes. The tests in
 * test/unit/hashring.test.ts show each one caught, with a message that names the property.
 */
export const brokenRingRules = {
  /** Picks the predecessor (the last token at or before the key) instead of the successor. */
  predecessor: {
    successorIndex: ((positions, position) => {
      const i = successorIndex(positions, position);
      if (positions[i] === position) return i;
      return (i - 1 + positions.length) % positions.length;
    }) as SuccessorRule,
  },
  /** No wrap-around at 2^32: a key past the last token goes to the last token instead of the first. */
  noWrapAround: {
    successorIndex: ((positions, position) => {
      let lo = 0;
      let hi = positions.length - 1; // the slip: the search never considers "past the end"
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (positions[mid] < position) lo = mid + 1;
        else hi = mid;
      }
      return lo;
    }) as SuccessorRule,
  },
  /** Takes the next N tokens, not the next N distinct physical nodes: replicas may share a machine. */
  duplicateReplicas: {
    preferenceList: ((owners, startIndex, n) => {
      const out: NodeId[] = [];
      for (let step = 0; step < Math.min(n, owners.length); step++) out.push(owners[(startIndex + step) % owners.length]);
      return out;
    }) as PreferenceListRule,
  },
  /** Stops at the end of the token array instead of wrapping: keys near 2^32 get fewer than N replicas. */
  preferenceListNoWrap: {
    preferenceList: ((owners, startIndex, n) => {
      const out: NodeId[] = [];
      for (let i = startIndex; i < owners.length && out.length < n; i++) if (!out.includes(owners[i])) out.push(owners[i]);
      return out;
    }) as PreferenceListRule,
  },
} satisfies Record<string, Partial<RingRules>>;
