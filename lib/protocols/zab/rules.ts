import { ConfigError, NodeId } from '../../core';
import { Vote, ZXID_ZERO, Zxid, compareZxid, formatZxid } from './messages';

/**
 * The two ZAB decisions where the understanding lives, as pure functions with exact contracts,
 * kept apart from message handling (as lib/protocols/raft/rules.ts and
 * lib/protocols/paxos/rules.ts) so that a learner can write them and tests run the whole
 * protocol, under faults, with the learner's rules inside: pass them as `rules` to `ZabNode`,
 * `zabCluster`, the scenarios or `zabChaosRun`. The node does everything else: it re-sends
 * votes, counts them, runs discovery, sends what the sync rule chose and persists it.
 */

/**
 * Orders server ids: "n2" < "n10" (ids that are a prefix and a number compare by the number),
 * other ids as strings. The tie-break of the vote comparison.
 *
 * @example
 *   compareServerIds('n10', 'n9'); // > 0
 */
export function compareServerIds(a: NodeId, b: NodeId): number {
  const ma = /^(.*?)(\d+)$/.exec(a);
  const mb = /^(.*?)(\d+)$/.exec(b);
  if (ma && mb && ma[1] === mb[1]) return Number(ma[2]) - Number(mb[2]);
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The vote comparison of fast leader election (Medeiros 2012, §3.1; ZooKeeper's
 * `FastLeaderElection.totalOrderPredicate`).
 *
 * Contract: return a positive number when vote `a` is better than vote `b`, a negative one when
 * it is worse, 0 only when both name the same server with the same epoch and zxid. Better
 * means, in this order:
 * 1. the higher `epoch` (the proposed leader's current epoch: the last epoch whose NEWLEADER it
 *    acknowledged);
 * 2. on equal epochs, the higher `zxid` (compareZxid: its last logged transaction);
 * 3. on equal epochs and zxids, the higher server id (compareServerIds), so that every
 *    server ends up with the same vote.
 * Do not mutate the votes. A node adopts and re-broadcasts a vote only when it is better than
 * its own (> 0).
 *
 * Why epoch before zxid: a server that acknowledged NEWLEADER of epoch e holds the initial
 * history of e, which a quorum committed; another with a longer history of an older epoch may
 * miss transactions of it. See `epochBeforeZxidScenario`.
 *
 * @example
 *   compareVotes({ leader: 'n1', zxid: { epoch: 1, counter: 9 }, epoch: 1 },
 *                { leader: 'n2', zxid: { epoch: 1, counter: 3 }, epoch: 2 }); // < 0: epoch 2 wins
 */
export type VoteRule = (a: Vote, b: Vote) => number;

/** What the leader knows when it synchronizes a follower (Zab §IV-B; ZooKeeper's LearnerHandler.syncFollower). */
export interface SyncInput {
  /** The last zxid in the follower's history, from its ACKEPOCH ((0,0) when it is empty). */
  followerLastZxid: Zxid;
  /** The zxids of the leader's history, in order (history index 0, 1, ...). */
  history: readonly Zxid[];
  /** How many transactions of that history are committed (a prefix: indexes 0 .. committed-1). */
  committed: number;
  /**
   * How many of the last committed transactions the leader keeps as a log it can send one by
   * one (ZooKeeper's committed log, `commitLogCount`, 500 by default). Older committed
   * transactions exist only in its snapshot: a follower that needs them gets a SNAP.
   */
  committedLogSize: number;
}

/**
 * How the leader brings a follower to its history.
 * - `DIFF`: the follower's history is a prefix of the leader's; send `history[sendFrom ..
 *   sendTo)`.
 * - `TRUNC`: the follower has transactions after `truncZxid` that the leader does not; it drops
 *   every transaction with a zxid above `truncZxid`, then gets `history[sendFrom .. sendTo)`.
 * - `SNAP`: send the whole history (the follower replaces its own).
 */
export type SyncPlan =
  | { mode: 'DIFF'; sendFrom: number; sendTo: number }
  | { mode: 'TRUNC'; truncZxid: Zxid; sendFrom: number; sendTo: number }
  | { mode: 'SNAP' };

/**
 * Choosing DIFF, TRUNC or SNAP (Medeiros §3.2, "Synchronization"; ZooKeeper's
 * `LearnerHandler.syncFollower`).
 *
 * Contract. Let `n = history.length`, `last = history[n-1]` ((0,0) when n = 0), and
 * `minIndex = max(0, committed - committedLogSize)`: the first index the leader can still send
 * one by one. `sendTo` is always `n`: the follower must end with the leader's whole history,
 * uncommitted proposals included (the new epoch commits them).
 * 1. The follower's last zxid is in the history, at index i (or it is (0,0): take i = -1):
 *    `DIFF` from `i + 1` (empty when i = n - 1), unless `i + 1 < minIndex`: then `SNAP`.
 * 2. It is above `last`: the follower has proposals the leader never had: `TRUNC` to `last`,
 *    `sendFrom = n`.
 * 3. Otherwise it lies between two of the leader's zxids (the follower holds proposals of an
 *    old epoch that the leader does not have): let k be how many of the leader's zxids are
 *    below it; `TRUNC` to `history[k-1]` ((0,0) when k = 0), `sendFrom = k`; unless
 *    `k < minIndex`: then `SNAP`.
 * Do not mutate the input.
 *
 * @example
 *   chooseSync({ followerLastZxid: { epoch: 1, counter: 2 }, history: [z11, z12, z13, z21], committed: 4, committedLogSize: 500 });
 *   // { mode: 'DIFF', sendFrom: 2, sendTo: 4 }
 */
export type SyncRule = (input: SyncInput) => SyncPlan;

/** The pluggable rules together: what a learner's module exports and a test passes in. */
export interface ZabRules {
  compareVotes: VoteRule;
  chooseSync: SyncRule;
}

/** Reference vote comparison: epoch, then zxid, then server id. */
export const compareVotes: VoteRule = (a, b) => {
  if (a.epoch !== b.epoch) return a.epoch - b.epoch;
  const z = compareZxid(a.zxid, b.zxid);
  if (z !== 0) return z;
  return compareServerIds(a.leader, b.leader);
};

/** Reference choice of DIFF, TRUNC or SNAP. */
export const chooseSync: SyncRule = ({ followerLastZxid, history, committed, committedLogSize }) => {
  const n = history.length;
  const minIndex = Math.max(0, committed - committedLogSize);
  const f = followerLastZxid;
  const at = compareZxid(f, ZXID_ZERO) === 0 ? -1 : history.findIndex((z) => compareZxid(z, f) === 0);
  if (at >= 0 || compareZxid(f, ZXID_ZERO) === 0) {
    return at + 1 < minIndex ? { mode: 'SNAP' } : { mode: 'DIFF', sendFrom: at + 1, sendTo: n };
  }
  const last = n > 0 ? history[n - 1] : ZXID_ZERO;
  if (compareZxid(f, last) > 0) return { mode: 'TRUNC', truncZxid: last, sendFrom: n, sendTo: n };
  let k = 0;
  while (k < n && compareZxid(history[k], f) < 0) k++;
  if (k < minIndex) return { mode: 'SNAP' };
  return { mode: 'TRUNC', truncZxid: k > 0 ? history[k - 1] : ZXID_ZERO, sendFrom: k, sendTo: n };
};

/** The reference rules: the defaults of every node, cluster, scenario and sweep. */
export const referenceZabRules: ZabRules = { compareVotes, chooseSync };

/** The reference rules with the given ones swapped in; throws a ConfigError naming a rule that is not a function. */
export function resolveZabRules(rules: Partial<ZabRules> = {}): ZabRules {
  if (!rules || typeof rules !== 'object') throw new ConfigError('rules', 'an object { compareVotes?, chooseSync? }', rules);
  const out: ZabRules = { ...referenceZabRules };
  for (const name of Object.keys(rules) as (keyof ZabRules)[]) {
    if (!(name in referenceZabRules)) throw new ConfigError(`rules.${String(name)}`, `one of ${Object.keys(referenceZabRules).join(', ')}`, name);
    const rule = rules[name];
    if (rule === undefined) continue;
    if (typeof rule !== 'function') throw new ConfigError(`rules.${name}`, 'a function', rule);
    (out as unknown as Record<string, unknown>)[name] = rule;
  }
  return out;
}

/**
 * Classic wrong versions of the rules, each a slip a learner makes. test/unit/zab-bugs.test.ts
 * shows that a scenario or the checkers catch every one, naming the property that broke.
 */
export const brokenZabRules = {
  /** Compares the last zxid before the epoch: a longer history of an old epoch beats the holder of a newer epoch's committed history (see epochBeforeZxidScenario). */
  zxidBeforeEpoch: {
    compareVotes: ((a, b) => {
      const z = compareZxid(a.zxid, b.zxid);
      if (z !== 0) return z;
      if (a.epoch !== b.epoch) return a.epoch - b.epoch;
      return compareServerIds(a.leader, b.leader);
    }) as VoteRule,
  },
  /** Forgets the server-id tie-break: equal epochs and zxids compare equal, nobody adopts another's vote, and the election never ends. */
  noServerIdTieBreak: {
    compareVotes: ((a, b) => (a.epoch !== b.epoch ? a.epoch - b.epoch : compareZxid(a.zxid, b.zxid))) as VoteRule,
  },
  /** Compares epochs and ids only: a server missing committed transactions can win (see partialCommitScenario). */
  ignoreZxid: {
    compareVotes: ((a, b) => (a.epoch !== b.epoch ? a.epoch - b.epoch : compareServerIds(a.leader, b.leader))) as VoteRule,
  },
  /** Sends a DIFF where a TRUNC is needed: the follower keeps an old leader's proposal that the new epoch dropped. */
  diffInsteadOfTrunc: {
    chooseSync: ((input) => {
      const plan = chooseSync(input);
      return plan.mode === 'TRUNC' ? { mode: 'DIFF', sendFrom: plan.sendFrom, sendTo: plan.sendTo } : plan;
    }) as SyncRule,
  },
  /** Sends only the committed part of the leader's history: the uncommitted proposals it holds, which the new epoch commits, never reach the follower. */
  diffSkipsUncommitted: {
    chooseSync: ((input) => {
      const plan = chooseSync(input);
      if (plan.mode === 'SNAP') return plan;
      return { ...plan, sendTo: Math.max(plan.sendFrom, Math.min(plan.sendTo, input.committed)) };
    }) as SyncRule,
  },
  /** Starts the DIFF at the follower's last transaction instead of the one after it: the follower logs (and delivers) it twice. */
  diffOffByOne: {
    chooseSync: ((input) => {
      const plan = chooseSync(input);
      return plan.mode === 'DIFF' && plan.sendFrom > 0 ? { ...plan, sendFrom: plan.sendFrom - 1 } : plan;
    }) as SyncRule,
  },
} satisfies Record<string, Partial<ZabRules>>;

/** Checks a rule's result shape, so that a wrong answer fails with a message naming the rule and its input. */
export function checkZabRuleResult(rule: keyof ZabRules, result: unknown, input: () => string): void {
  let problem: string | null = null;
  if (rule === 'compareVotes') {
    if (typeof result !== 'number' || Number.isNaN(result)) problem = 'a number (> 0: the first vote is better)';
  } else {
    const r = result as Record<string, unknown> | null | undefined;
    const index = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v >= 0;
    const isZxid = (z: unknown) => !!z && typeof z === 'object' && typeof (z as Zxid).epoch === 'number' && typeof (z as Zxid).counter === 'number';
    if (!r || (r.mode !== 'DIFF' && r.mode !== 'TRUNC' && r.mode !== 'SNAP')) problem = "{ mode: 'DIFF' | 'TRUNC' | 'SNAP', ... }";
    else if (r.mode !== 'SNAP' && !(index(r.sendFrom) && index(r.sendTo) && (r.sendFrom as number) <= (r.sendTo as number))) problem = '{ sendFrom, sendTo } with 0 <= sendFrom <= sendTo';
    else if (r.mode === 'TRUNC' && !isZxid(r.truncZxid)) problem = "{ mode: 'TRUNC', truncZxid: Zxid, sendFrom, sendTo }";
  }
  if (problem === null) return;
  const shown = result === undefined ? 'undefined' : JSON.stringify(result);
  throw new Error(`${rule} returned ${shown} for ${input()}; it must return ${problem}`);
}

/** "DIFF [2, 4)", "TRUNC to (1,3) then [3, 4)", "SNAP": a plan in words. */
export function describeSyncPlan(plan: SyncPlan): string {
  switch (plan.mode) {
    case 'DIFF':
      return `DIFF [${plan.sendFrom}, ${plan.sendTo})`;
    case 'TRUNC':
      return `TRUNC to ${formatZxid(plan.truncZxid)} then [${plan.sendFrom}, ${plan.sendTo})`;
    case 'SNAP':
      return 'SNAP';
  }
}
