/**
 * Exercise: the transaction manager's recovery decision for in-doubt XA transactions.
 *
 * A TM that crashed between prepare and commit comes back to find prepared branches at its
 * resource managers (xa_recover lists them; PostgreSQL's pg_prepared_xacts lists them with
 * every other prepared transaction of the database). It must decide, for each one, whether to
 * commit it, roll it back, or leave it alone, and when it may write the `end` record of a
 * committed transaction and forget it. Write that decision below: one pure function.
 *
 * The graded tests check the rules on frozen inputs, then plug your function into the real TM
 * of lib/protocols/xa (simulator nodes over the embedded store) and crash TMs and RMs at every
 * step, under message loss, duplication, reordering and partitions, checking that every
 * transfer commits at both banks or at neither, that money is conserved, and that no row lock
 * or prepared branch is left once everything has healed.
 *
 * Read first: the XA section of notebooks/15-transactions.ipynb, and the contracts in
 * lib/protocols/xa/recovery.ts. Grade your work with:
 *
 *     npm run grade -- xa
 */
import { NotImplemented } from '../lib/grade';
import type { RecoveryInput, RecoveryPlan } from '../lib/protocols/xa';
// You will want these helpers (uncomment):
// import { isOwnXid, xidToString } from '../lib/protocols/xa';

// ---------------------------------------------------------------------------------------------
// The recovery decision of a presumed-abort TM
// ---------------------------------------------------------------------------------------------

/**
 * `input.tm` is this TM's name: its xids are those for which `isOwnXid(xid, input.tm)` is true.
 * `input.log` is its log: `{ type: 'commit', gtrid, branches: [{ rm, xid }] }` records (forced
 * before the first xa_commit) and maybe `{ type: 'end', gtrid }` records.
 * `input.recovered` has one entry per RM: `{ rm, xids }`, the xids of that RM's prepared branches
 * (of every TM), or `xids: null` when the RM did not answer.
 *
 * Return `{ branches, end }`:
 * - `branches`: one entry `{ rm, xid, action }` per listed xid, in the order listed, with
 *     'leave'    when the xid is not ours (another TM's, or another format);
 *     'commit'   when ours and the log has a commit record for its gtrid;
 *     'rollback' when ours and there is no commit record (presumed abort).
 * - `end`: the gtrids of committed transactions (commit record, no end record yet) that are
 *   finished: every RM named in the commit record answered, and none lists that branch.
 *
 * Why: the commit record is the decision. Without it the TM cannot have told anyone to commit,
 * so nobody did; with it, some branch may already have committed, so rolling back another
 * would break atomicity. Ending a transaction forgets its commit record: do it only when no
 * branch can ever ask again.
 */
export function recoveryDecision(input: RecoveryInput): RecoveryPlan {
  // TODO: collect the gtrids with a commit record (and those already ended) from input.log;
  // TODO: give every listed xid an action (leave / commit / rollback);
  // TODO: list the committed, not yet ended transactions none of whose branches is still listed.
  throw new NotImplemented('recoveryDecision(input) in exercises/xa.ts');
}
