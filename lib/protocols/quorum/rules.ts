import { ConfigError, NodeId } from '../../core';
import { VersionedValue, compareVersions } from './versions';

/**
 * The quorum read's two decisions, as pure functions with exact contracts: which value a
 * read returns, and which replicas read repair fixes (DeCandia et al., "Dynamo", SOSP 2007,
 * §4.5 and §5: "the coordinator [...] performs a read repair: it updates the replicas that
 * returned stale versions"). A learner writes them; the store runs with them inside (pass
 * them as `rules` to `quorumCluster`), under faults and over many seeds. The references below
 * are the defaults.
 */

/** One replica's answer to a read: its record for the key, or null if it holds none. */
export interface ReadReply {
  from: NodeId;
  record: VersionedValue | null;
}

/**
 * The value a quorum read returns (Dynamo §4.5; Gifford, "Weighted voting", SOSP 1979: "the
 * copy with the highest version number is current").
 *
 * Contract:
 * - `replies` holds at least R replies, one per replica, in the order they arrived.
 * - Return the record with the highest version (see `compareVersions`: the higher timestamp,
 *   then the higher node id); null only if every reply's record is null.
 * - Do not modify the replies.
 *
 * @example
 *   resolveRead([{ from: 'n1', record: null }, { from: 'n2', record: { value: 'b', version: { ts: 9, node: 'n4' } } }]);
 *   // { value: 'b', version: { ts: 9, node: 'n4' } }
 */
export type ResolveReadRule = (replies: readonly ReadReply[]) => VersionedValue | null;

/**
 * The replicas read repair writes the returned value back to (Dynamo §5, read repair).
 *
 * Contract:
 * - `chosen` is what the read returns (from `resolveRead`); if it is null, return [].
 * - Return the `from` of every reply whose record is null or has a version older than
 *   `chosen.version`, in reply order, each node once. Replies that already hold `chosen`'s
 *   version (or a newer one) are left alone.
 * - The coordinator calls it once with the replies it has when it answers the client, and
 *   again with each reply that arrives later, so late replicas are repaired too.
 *
 * @example
 *   repairTargets([{ from: 'n1', record: null }, { from: 'n2', record: b }], b); // ['n1']
 */
export type RepairTargetsRule = (replies: readonly ReadReply[], chosen: VersionedValue | null) => NodeId[];

/** The pluggable rules together: what a learner's module exports and a graded test passes in. */
export interface QuorumRules {
  resolveRead: ResolveReadRule;
  repairTargets: RepairTargetsRule;
}

/** Reference: the record with the highest version. */
export const resolveRead: ResolveReadRule = (replies) => {
  let best: VersionedValue | null = null;
  for (const reply of replies) {
    if (reply.record && (best === null || compareVersions(reply.record.version, best.version) > 0)) best = reply.record;
  }
  return best;
};

/** Reference: every replica that answered with nothing or with an older version. */
export const repairTargets: RepairTargetsRule = (replies, chosen) => {
  if (chosen === null) return [];
  const out: NodeId[] = [];
  for (const reply of replies) {
    const stale = reply.record === null || compareVersions(reply.record.version, chosen.version) < 0;
    if (stale && !out.includes(reply.from)) out.push(reply.from);
  }
  return out;
};

/** The reference rules: the defaults of every store and cluster. */
export const referenceQuorumRules: QuorumRules = { resolveRead, repairTargets };

/** The reference rules with the given ones swapped in; throws a ConfigError naming a rule that is not a function. */
export function resolveQuorumRules(rules: Partial<QuorumRules> = {}): QuorumRules {
  const out: QuorumRules = { ...referenceQuorumRules };
  for (const name of Object.keys(referenceQuorumRules) as (keyof QuorumRules)[]) {
    const rule = rules[name];
    if (rule === undefined) continue;
    if (typeof rule !== 'function') throw new ConfigError(`rules.${name}`, 'a function', rule);
    (out as unknown as Record<string, unknown>)[name] = rule;
  }
  return out;
}

/**
 * Classic wrong versions of the rules. test/unit/quorum.test.ts shows each one caught, with a
 * message that names the property it breaks.
 */
export const brokenQuorumRules = {
  /** Returns the first reply that arrived instead of the newest: a fast stale replica wins. */
  firstReply: { resolveRead: ((replies) => replies.find((r) => r.record !== null)?.record ?? null) as ResolveReadRule },
  /** Never repairs: stale replicas stay stale until a later write reaches them. */
  noRepair: { repairTargets: (() => []) as RepairTargetsRule },
  /** Repairs replicas that had nothing, but not those that hold an older version. */
  repairOnlyMissing: {
    repairTargets: ((replies, chosen) => (chosen === null ? [] : replies.filter((r) => r.record === null).map((r) => r.from))) as RepairTargetsRule,
  },
} satisfies Record<string, Partial<QuorumRules>>;
