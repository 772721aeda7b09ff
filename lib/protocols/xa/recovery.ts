import { ConfigError } from '../../core';
import { Xid, isOwnXid, xidToString } from './xid';

/**
 * The TM's durable log, presumed abort (假定中止; Mohan, Lindsay & Obermarck 1986, "Transaction
 * Management in the R* Distributed Database Management System", §2.2): the TM writes nothing
 * before it decides. It forces a `commit` record, naming every branch, before its first
 * xa_commit; it writes `end` once every branch has committed, and may then forget the
 * transaction (its records can be dropped from the log). No record means abort.
 */
export type TmLogRecord =
  | { type: 'commit'; gtrid: string; branches: { rm: string; xid: Xid }[] }
  | { type: 'end'; gtrid: string };

/** What the recovery decision sees: the TM's log and what each RM's xa_recover returned. */
export interface RecoveryInput {
  /** The TM's name: its own xids are those for which isOwnXid(xid, tm) holds (gtrid `<tm>.*`, the course's formatId). */
  tm: string;
  /** The TM's log records that it has not forgotten, oldest first. */
  log: readonly TmLogRecord[];
  /**
   * One entry per RM: the xids of its prepared branches (xa_recover), of every TM, or null when
   * the RM did not answer (down or unreachable). The TM leaves out the xids of transactions it
   * is running right now (those are not in doubt: it is still driving them).
   */
  recovered: readonly { rm: string; xids: readonly Xid[] | null }[];
}

/**
 * What to do with one prepared branch: 'commit' or 'rollback' it (xa_commit / xa_rollback),
 * or 'leave' it alone (it belongs to another TM: PostgreSQL's pg_prepared_xacts lists every
 * prepared transaction of the database, whoever made it).
 */
export type BranchAction = 'commit' | 'rollback' | 'leave';

/** The recovery decision: an action for every listed xid, and the transactions the TM may now end (forget). */
export interface RecoveryPlan {
  /** One entry per xid listed in `recovered`, in the same order. */
  branches: { rm: string; xid: Xid; action: BranchAction }[];
  /**
   * The gtrids whose `end` record the TM may write now, after which it forgets them: committed
   * transactions (a commit record, no end record) none of whose branches is still prepared at an
   * RM, where every RM of the transaction answered. Ending one too early forgets the commit
   * record while a branch still waits for it: presumed abort would then roll that branch back.
   */
  end: string[];
}

/** The TM's recovery decision as a pure function: the exercise of exercises/xa.ts. */
export type RecoveryRule = (input: RecoveryInput) => RecoveryPlan;

/**
 * The reference recovery decision of a presumed-abort TM (XA §2.3 and §3.4 on xa_recover;
 * Mohan et al. 1986 §2.2; Gray & Reuter 1993 §12.5):
 *
 * - an xid that is not ours (another format, or another TM's gtrid) -> 'leave';
 * - ours, and the log has a commit record for its gtrid -> 'commit' (the decision was made and
 *   forced; never roll back a branch of a committed transaction);
 * - ours, without a commit record -> 'rollback' (presumed abort: the TM cannot have told anyone
 *   to commit, so nobody has committed);
 * - a committed transaction may end when every RM it touched answered and lists none of its
 *   branches (they have all committed).
 *
 * Running it twice on the same input gives the same plan; committing or rolling back a branch
 * twice is harmless (the second call answers XAER_NOTA).
 *
 * @example
 *   recoveryDecision({ tm: 'tm1', log: [{ type: 'commit', gtrid: 'tm1.t0', branches: [...] }],
 *     recovered: [{ rm: 'bank-a', xids: [makeXid('tm1.t0', 'bank-a'), makeXid('tm2.t5', 'bank-a')] }] });
 *   // branches: commit tm1.t0 at bank-a, leave tm2.t5; end: []
 */
export const recoveryDecision: RecoveryRule = (input) => {
  const committed = new Map<string, { rm: string; xid: Xid }[]>();
  for (const record of input.log) {
    if (record.type === 'commit') committed.set(record.gtrid, record.branches);
  }
  const branches: RecoveryPlan['branches'] = [];
  const listed = new Set<string>();
  const answered = new Set<string>();
  for (const { rm, xids } of input.recovered) {
    if (xids === null) continue;
    answered.add(rm);
    for (const xid of xids) {
      listed.add(`${rm}\u0000${xidToString(xid)}`);
      const action: BranchAction = !isOwnXid(xid, input.tm) ? 'leave' : committed.has(xid.gtrid) ? 'commit' : 'rollback';
      branches.push({ rm, xid, action });
    }
  }
  const ended = new Set(input.log.filter((r) => r.type === 'end').map((r) => r.gtrid));
  const end: string[] = [];
  for (const [gtrid, parts] of committed) {
    if (ended.has(gtrid)) continue;
    if (parts.every((p) => answered.has(p.rm) && !listed.has(`${p.rm}\u0000${xidToString(p.xid)}`))) end.push(gtrid);
  }
  return { branches, end };
};

/**
 * Checks a recovery plan's shape (a learner's rule may return anything), so that a wrong answer
 * fails with a message naming the rule and its input instead of a confusing run.
 */
export function checkRecoveryPlan(plan: unknown, input: RecoveryInput): RecoveryPlan {
  const fail = (what: string) => {
    throw new Error(`recoveryDecision returned ${what} for tm ${input.tm} with ${input.log.length} log record(s) and ${input.recovered.length} RM list(s); it must return { branches: [{ rm, xid, action: 'commit' | 'rollback' | 'leave' }], end: [gtrid, ...] }`);
  };
  if (!plan || typeof plan !== 'object') fail(plan === undefined ? 'undefined' : JSON.stringify(plan));
  const p = plan as RecoveryPlan;
  if (!Array.isArray(p.branches) || !Array.isArray(p.end)) fail(`an object without the arrays branches and end`);
  for (const b of p.branches) {
    if (!b || typeof b.rm !== 'string' || !b.xid || !['commit', 'rollback', 'leave'].includes(b.action)) fail(`a branch entry ${JSON.stringify(b)}`);
  }
  for (const g of p.end) if (typeof g !== 'string') fail(`an end entry ${JSON.stringify(g)}`);
  return p;
}

/** The rule to use: the reference by default, or a function (a learner's); a ConfigError otherwise. */
export function resolveRecoveryRule(rule: RecoveryRule | undefined): RecoveryRule {
  if (rule === undefined) return recoveryDecision;
  if (typeof rule !== 'function') throw new ConfigError('recovery', 'a function (input) => plan, like recoveryDecision', rule);
  return rule;
}

/**
 * Classic wrong recovery rules, for the notebook and the tests: each breaks one part of the
 * reference, and the chaos sweep (chaos.ts) or the crash scenarios catch it.
 * - rollbackEverything: "in doubt? roll back" (ignores the commit record);
 * - commitEverything: "prepared? then commit" (ignores presumed abort);
 * - touchForeign: also rolls back other TMs' branches;
 * - endTooEarly: writes end for every committed transaction at once, then forgets its decision.
 */
export const brokenRecoveryRules: Record<'rollbackEverything' | 'commitEverything' | 'touchForeign' | 'endTooEarly', RecoveryRule> = {
  rollbackEverything: (input) => {
    const plan = recoveryDecision(input);
    return { ...plan, branches: plan.branches.map((b) => ({ ...b, action: b.action === 'leave' ? 'leave' : 'rollback' })) };
  },
  commitEverything: (input) => {
    const plan = recoveryDecision(input);
    return { ...plan, branches: plan.branches.map((b) => ({ ...b, action: b.action === 'leave' ? 'leave' : 'commit' })) };
  },
  touchForeign: (input) => {
    const plan = recoveryDecision(input);
    return { ...plan, branches: plan.branches.map((b) => ({ ...b, action: b.action === 'leave' ? 'rollback' : b.action })) };
  },
  endTooEarly: (input) => {
    const plan = recoveryDecision(input);
    const ended = new Set(input.log.filter((r) => r.type === 'end').map((r) => r.gtrid));
    return { ...plan, end: input.log.filter((r) => r.type === 'commit' && !ended.has(r.gtrid)).map((r) => r.gtrid) };
  },
};
