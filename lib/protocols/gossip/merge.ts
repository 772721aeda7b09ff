import { ConfigError } from '../../core';
import { Database, Version, compareClocks, compareStamps, sameVersion } from './versions';

/**
 * Merging in anti-entropy: the rule that reconciles two replicas' versions of one key. It is
 * where eventual consistency (最终一致性) is won or lost: anti-entropy and read repair only
 * converge if merging is commutative, associative and idempotent (a join, as in Shapiro et
 * al.'s CRDTs, 2011), and no acknowledged write is lost only if the rule keeps what it must.
 * Two rules, as pure functions with exact contracts (the exercise "Merging in anti-entropy"):
 *
 * - `lww`: last-writer-wins by (timestamp, node) (Demers et al. 1987 §1.1; Cassandra). One
 *   version survives; a concurrent write with the older stamp is silently dropped.
 * - `siblings`: vector clocks (Dynamo, DeCandia et al. 2007 §4.4): keep every version no
 *   other version has seen; concurrent versions survive side by side as siblings until a
 *   client writes over them.
 *
 * Every gossip node, CAP replica and repair in these folders merges through `MergeRules`, so a
 * learner's rule runs inside anti-entropy, read repair and hinted handoff unchanged.
 */

/**
 * Last-writer-wins merge of one key.
 *
 * Contract:
 * - `local` and `remote` are each `undefined` (that replica has no value for the key) or one
 *   Version.
 * - If one is undefined return the other (both undefined: return undefined).
 * - Otherwise return the one that is greater by `compareStamps` (timestamp first, then node id:
 *   the tie-break that makes every replica pick the same winner). Equal stamps mean the same
 *   write: return either.
 * - Return one of the two arguments as it is; do not mutate them.
 *
 * @example
 *   lww({ value: 'a', timestampMs: 5, node: 'r1', clock: { r1: 1 } },
 *       { value: 'b', timestampMs: 5, node: 'r2', clock: { r2: 1 } }); // the 'b' version (r2 > r1)
 */
export type LwwMergeRule = (local: Version | undefined, remote: Version | undefined) => Version | undefined;

/**
 * Vector-clock merge of one key, keeping siblings.
 *
 * Contract:
 * - `local` and `remote` are sibling lists: in each, no version has seen another
 *   (`compareClocks` is 'concurrent' between any two). Either may be empty.
 * - Return every version of the union that no other version of the union has seen: drop `v`
 *   when `compareClocks(v.clock, w.clock) === 'before'` for some `w`. Versions with equal
 *   clocks are the same write: keep one of them.
 * - Order does not matter (the caller sorts); do not mutate the arguments.
 *
 * @example
 *   siblings([{ value: 'a', timestampMs: 1, node: 'r1', clock: { r1: 1 } }],
 *            [{ value: 'b', timestampMs: 2, node: 'r2', clock: { r2: 1 } }]); // both: concurrent siblings
 */
export type SiblingMergeRule = (local: readonly Version[], remote: readonly Version[]) => Version[];

/** The two merge rules together: what a learner's module exports and a test passes in. */
export interface MergeRules {
  lww: LwwMergeRule;
  siblings: SiblingMergeRule;
}

/** How a store reconciles versions: last-writer-wins or vector clocks with siblings. */
export type Reconciliation = 'lww' | 'vector-clocks';

/** Reference last-writer-wins merge. */
export const lww: LwwMergeRule = (local, remote) => {
  if (local === undefined) return remote;
  if (remote === undefined) return local;
  return compareStamps(remote, local) > 0 ? remote : local;
};

/** Reference sibling merge: the versions of the union that nothing else in it has seen. */
export const siblings: SiblingMergeRule = (local, remote) => {
  const all = [...local, ...remote];
  const out: Version[] = [];
  for (const v of all) {
    const seen = all.some((w) => compareClocks(v.clock, w.clock) === 'before');
    if (seen) continue;
    if (out.some((w) => compareClocks(v.clock, w.clock) === 'equal')) continue;
    out.push(v);
  }
  return out;
};

/** The reference rules: the defaults of every node and store. */
export const referenceMergeRules: MergeRules = { lww, siblings };

/** The reference rules with the given ones swapped in; throws a ConfigError naming a rule that is not a function. */
export function resolveMergeRules(rules: Partial<MergeRules> = {}): MergeRules {
  const out: MergeRules = { ...referenceMergeRules };
  for (const name of Object.keys(referenceMergeRules) as (keyof MergeRules)[]) {
    const rule = rules[name];
    if (rule === undefined) continue;
    if (typeof rule !== 'function') throw new ConfigError(`rules.${name}`, 'a function', rule);
    (out as unknown as Record<string, unknown>)[name] = rule;
  }
  return out;
}

/**
 * Classic wrong merges, each a slip a learner makes. `checkMergeRules` and the anti-entropy
 * tests catch every one and name the property it breaks.
 */
export const brokenMergeRules = {
  /** Keeps its own version whenever it has one: two replicas never agree (breaks convergence). */
  keepLocal: { lww: ((local, remote) => local ?? remote) as LwwMergeRule },
  /**
   * Compares timestamps only and keeps its own on a tie: two writes in the same millisecond on
   * two nodes never reconcile (breaks convergence; the node id is the tie-break).
   */
  timestampWithoutTieBreak: {
    lww: ((local, remote) => {
      if (local === undefined) return remote;
      if (remote === undefined) return local;
      return remote.timestampMs > local.timestampMs ? remote : local;
    }) as LwwMergeRule,
  },
  /** Keeps the older version: replicas agree, on the wrong value (breaks "the newest write wins": an update is lost). */
  oldestWins: {
    lww: ((local, remote) => {
      if (local === undefined) return remote;
      if (remote === undefined) return local;
      return compareStamps(remote, local) < 0 ? remote : local;
    }) as LwwMergeRule,
  },
  /** Keeps its own versions when the other side's are concurrent with them: siblings vanish (lost update, and no convergence). */
  dropConcurrentSiblings: {
    siblings: ((local, remote) => {
      const merged = siblings(local, remote);
      const hasLocal = merged.some((v) => local.some((w) => sameVersion(v, w)));
      return hasLocal ? merged.filter((v) => local.some((w) => sameVersion(v, w))) : merged;
    }) as SiblingMergeRule,
  },
  /** Unions the lists without pruning: an overwritten version lives on beside the write that replaced it. */
  keepOverwrittenSiblings: {
    siblings: ((local, remote) => {
      const out: Version[] = [...local];
      for (const v of remote) if (!out.some((w) => compareClocks(v.clock, w.clock) === 'equal')) out.push(v);
      return out;
    }) as SiblingMergeRule,
  },
} satisfies Record<string, Partial<MergeRules>>;

/**
 * Merges one key's sibling lists with the store's reconciliation and sorts the result by
 * stamp: the one place a node calls the rules. Throws naming the rule when it returns
 * something that is not a version list.
 */
export function mergeKey(local: readonly Version[] | undefined, remote: readonly Version[] | undefined, mode: Reconciliation, rules: MergeRules): Version[] {
  const a = local ?? [];
  const b = remote ?? [];
  if (mode === 'lww') {
    const winner = rules.lww(newestOf(a), newestOf(b));
    if (winner !== undefined && (winner === null || typeof winner !== 'object' || typeof winner.timestampMs !== 'number')) {
      throw new Error(`lww returned ${JSON.stringify(winner)}; it must return one of its two arguments (a Version) or undefined`);
    }
    return winner === undefined ? [] : [winner];
  }
  const merged = rules.siblings(a, b);
  if (!Array.isArray(merged)) throw new Error(`siblings returned ${JSON.stringify(merged)}; it must return an array of versions`);
  return merged.slice().sort(compareStamps);
}

/** The newest of a sibling list by stamp (what a LWW store holds), or undefined. */
function newestOf(list: readonly Version[]): Version | undefined {
  let best: Version | undefined;
  for (const v of list) if (best === undefined || compareStamps(v, best) > 0) best = v;
  return best;
}

/**
 * Merges a remote database (or part of one) into a local one, key by key. Returns the new
 * database (the local one is not changed) and the keys whose versions changed.
 *
 * @example
 *   const { db, changed } = mergeDatabase(mine, theirs, 'lww', referenceMergeRules);
 */
export function mergeDatabase(local: Database, remote: Database, mode: Reconciliation, rules: MergeRules): { db: Database; changed: string[] } {
  const db: Database = { ...local };
  const changed: string[] = [];
  for (const key of Object.keys(remote)) {
    const before = local[key] ?? [];
    const after = mergeKey(before, remote[key], mode, rules);
    if (!sameList(before, after)) {
      db[key] = after;
      changed.push(key);
    }
  }
  return { db, changed };
}

function sameList(a: readonly Version[], b: readonly Version[]): boolean {
  return a.length === b.length && a.every((v, i) => sameVersion(v, b[i]));
}
