import { ConfigError, NodeId } from '../../core';
import { ParticipantLogRecord } from './log';
import { Outcome, ThreePhaseState, Vote } from './messages';

/**
 * The decision rules of atomic commitment, as pure functions with exact contracts: the part
 * of the protocols where the understanding lives, kept apart from message handling so that a
 * learner can write them and the graded tests can run the whole protocol with the learner's
 * rules inside (pass them as `rules` to the nodes or to `commitCluster`). The references below
 * are the defaults.
 */

/**
 * The coordinator's decision rule (Gray 1978 §5.8.3; BHG §7.4, rule of the coordinator).
 *
 * Contract:
 * - `votes` has one entry per participant of the transaction, in participant order: `'yes'`,
 *   `'no'`, or `undefined` while that participant's vote has not arrived.
 * - `timedOut` is true when the coordinator's vote timeout fired (or after a restart, when the
 *   votes were lost with the crash); false when it is called because a vote arrived.
 * - Return `'commit'` only if every participant voted yes (a NO, or a missing vote, means some
 *   participant may already have aborted unilaterally); `'abort'` as soon as any vote is no,
 *   or when `timedOut` and some vote is missing; `'wait'` otherwise (keep collecting).
 * Called after every vote and at every vote timeout until it returns commit or abort. In
 * 3PC the same rule decides whether to go on to PreCommit ('commit') or to abort.
 *
 * @example
 *   coordinatorDecision(new Map([['p1', 'yes'], ['p2', undefined]]), false); // 'wait'
 *   coordinatorDecision(new Map([['p1', 'yes'], ['p2', undefined]]), true);  // 'abort'
 */
export type CoordinatorDecisionRule = (votes: ReadonlyMap<NodeId, Vote | undefined>, timedOut: boolean) => Outcome | 'wait';

/**
 * What a participant can conclude about one transaction from its own log alone (BHG §7.4
 * "recovery" and "cooperative termination"). Used on restart (to recover) and when a peer asks
 * "do you know the outcome?" (to answer, or to abort unilaterally).
 *
 * Contract:
 * - `log` holds this participant's durable records of ONE transaction, oldest first (possibly
 *   none: it never heard of the transaction).
 * - If there is an `outcome` record, return its outcome: the participant already knows.
 * - Else, if it voted yes (a `vote` record with vote 'yes'; with or without a 3PC `precommit`
 *   record), return `'ask'`: it is in doubt and must not decide alone, since the coordinator
 *   may have decided either way.
 * - Else (it voted no, or never voted) return `'abort'`: without its YES nobody can commit,
 *   so it may abort unilaterally.
 *
 * @example
 *   participantRecovery([{ type: 'vote', txn: 't1', vote: 'yes', coordinator: 'c', participants: ['p1'] }]); // 'ask'
 *   participantRecovery([]); // 'abort'
 */
export type ParticipantRecoveryRule = (log: readonly ParticipantLogRecord[]) => Outcome | 'ask';

/**
 * The 3PC termination rule of a recovery coordinator (Skeen 1981; BHG §7.5, rules TR1-TR4).
 *
 * Contract:
 * - `states` holds the states the recovery coordinator collected (its own included) from
 *   the participants it could reach: 'uncertain', 'precommitted', 'committed' or 'aborted'.
 * - Return `'abort'` if any is aborted (TR1); `'commit'` if any is committed (TR2); `'commit'`
 *   if any is precommitted (TR4: the node then sends PreCommit to the uncertain ones before
 *   DoCommit); `'abort'` if all are uncertain (TR3: nobody can have committed).
 * Applied by a participant alone (a map with just its own state) it gives the classic 3PC
 * timeouts: uncertain -> abort, precommitted -> commit.
 */
export type TerminationRule = (states: ReadonlyMap<NodeId, ThreePhaseState>) => Outcome;

/** The pluggable rules, together: what a learner's module exports and a graded test passes in. */
export interface CommitRules {
  coordinatorDecision: CoordinatorDecisionRule;
  participantRecovery: ParticipantRecoveryRule;
  terminationDecision: TerminationRule;
}

/** Reference coordinator rule: all yes -> commit; any no -> abort; missing at timeout -> abort; else wait. */
export const coordinatorDecision: CoordinatorDecisionRule = (votes, timedOut) => {
  let missing = false;
  for (const vote of votes.values()) {
    if (vote === 'no') return 'abort';
    if (vote === undefined) missing = true;
  }
  if (!missing) return 'commit';
  return timedOut ? 'abort' : 'wait';
};

/** Reference recovery rule: a logged outcome stands; voted yes without one -> ask; otherwise abort. */
export const participantRecovery: ParticipantRecoveryRule = (log) => {
  let votedYes = false;
  for (const record of log) {
    if (record.type === 'outcome') return record.outcome;
    if (record.type === 'vote' && record.vote === 'yes') votedYes = true;
  }
  return votedYes ? 'ask' : 'abort';
};

/** Reference 3PC termination rule: any aborted -> abort; any committed or precommitted -> commit; else abort. */
export const terminationDecision: TerminationRule = (states) => {
  const seen = new Set(states.values());
  if (seen.has('aborted')) return 'abort';
  if (seen.has('committed') || seen.has('precommitted')) return 'commit';
  return 'abort';
};

/** The reference rules: the defaults of every node and cluster. */
export const referenceRules: CommitRules = { coordinatorDecision, participantRecovery, terminationDecision };

/** The reference rules with the given ones swapped in; throws a ConfigError naming a rule that is not a function. */
export function resolveRules(rules: Partial<CommitRules> = {}): CommitRules {
  const out: CommitRules = { ...referenceRules };
  for (const name of Object.keys(referenceRules) as (keyof CommitRules)[]) {
    const rule = rules[name];
    if (rule === undefined) continue;
    if (typeof rule !== 'function') throw new ConfigError(`rules.${name}`, 'a function', rule);
    (out as unknown as Record<string, unknown>)[name] = rule;
  }
  return out;
}

/**
 * Checks what a pluggable rule returned, so that a wrong answer fails with a message that
 * says which rule, on what input, and what it should return (instead of a confusing run).
 * `input` describes the input; it is called only on failure.
 */
export function checkRuleResult<R extends string>(rule: keyof CommitRules, result: unknown, allowed: readonly R[], input: () => string): R {
  if (typeof result === 'string' && (allowed as readonly string[]).includes(result)) return result as R;
  const shown = result === undefined ? 'undefined' : JSON.stringify(result);
  throw new Error(`${rule} returned ${shown} for ${input()}; it must return ${allowed.map((a) => `'${a}'`).join(', ')}`);
}

/**
 * The transaction specs by id, built once per specs array (a node restarts with the same
 * options, so the index is shared): a coordinator looks its transaction up in O(1).
 */
const specIndexes = new WeakMap<readonly { txn: string }[], Map<string, unknown>>();
export function findTransaction<S extends { txn: string }>(specs: readonly S[], txn: string): S | undefined {
  let index = specIndexes.get(specs);
  if (!index) {
    index = new Map(specs.map((spec) => [spec.txn, spec]));
    specIndexes.set(specs, index);
  }
  return index.get(txn) as S | undefined;
}

/** "p1=yes p2=- p3=no": a map of votes or states for a message. */
export function describeMap(map: ReadonlyMap<NodeId, string | undefined>): string {
  return [...map].map(([node, value]) => `${node}=${value ?? '-'}`).join(' ');
}
