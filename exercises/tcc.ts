/**
 * Exercise: a TCC participant (Try-Confirm-Cancel, 补偿型事务) that survives retries, empty
 * rollbacks (空回滚) and suspension (悬挂).
 *
 * Write the three rules below: what one store (a bank service) does with Try, Confirm and
 * Cancel for one branch of a money transfer. Each is a pure function of
 *   record   this branch's record in the store's branch table, or undefined if there is none
 *            ({ txn, branch: 'debit' | 'credit', account, amount, state: 'tried' | 'confirmed' | 'cancelled' })
 *   account  the account as it is now ({ balance, frozen, pending }; read only)
 *   request  what the transaction manager asked ({ txn, branch, account, amount })
 * returning { record, change, reply }: the record after the call (undefined: still none), the
 * change to the account as differences ({ balance, frozen, pending }, 0 for no change), and the
 * reply ({ ok, state, reason? }, where state is the record's state after the call or 'none').
 * The store writes the account and the record together in one local transaction.
 *
 * The graded tests plug your rules into the real stores (lib/protocols/tcc) and run transfers
 * under message loss, duplication, reordering, partitions and crashes, then check that money is
 * conserved, that every transfer is all-or-nothing, and that no reservation is left behind.
 *
 * Read first: the TCC section of notebooks/15-transactions.ipynb, and the contracts in
 * lib/protocols/tcc/rules.ts. Grade your work with:
 *
 *     npm run grade -- tcc
 */
import { NotImplemented } from '../lib/grade';
import type { Account, BranchRecord, BranchRequest, BranchResult } from '../lib/protocols/tcc';

// ---------------------------------------------------------------------------------------------
// Part 1: Try (check and reserve)
// ---------------------------------------------------------------------------------------------

/**
 * No record yet: the debit side needs `account.balance >= amount`, or it refuses with
 * { ok: false, state: 'none', reason: 'insufficient funds' }, no record and no change. Otherwise
 * it reserves: debit moves the amount from balance to frozen; credit adds it to pending; the
 * record becomes { ...request, state: 'tried' }; reply { ok: true, state: 'tried' }.
 * A record already there: TRIED (a retried Try) -> ok, no change; CANCELLED (the Try came after
 * its Cancel) -> refuse with { ok: false, state: 'cancelled', reason: 'cancelled' }, no change;
 * CONFIRMED -> ok, no change.
 *
 * Why: the manager re-sends a Try that seems lost, and the network duplicates it; a Try that
 * reserves after its Cancel leaves money frozen that nobody will ever release (suspension).
 */
export function tryBranch(record: BranchRecord | undefined, account: Readonly<Account>, request: BranchRequest): BranchResult {
  // TODO: look at the record first; only a branch with no record may reserve.
  throw new NotImplemented('tryBranch(record, account, request) in exercises/tcc.ts');
}

// ---------------------------------------------------------------------------------------------
// Part 2: Confirm (apply what Try reserved)
// ---------------------------------------------------------------------------------------------

/**
 * TRIED: apply the RECORDED amount: debit takes it off frozen (the money has left); credit moves
 * it from pending to balance; the record becomes CONFIRMED; reply { ok: true, state: 'confirmed' }.
 * CONFIRMED (a retry or a duplicate): ok, no change. CANCELLED: no change, reply
 * { ok: false, state: 'cancelled' }. No record: no change, no record, { ok: false, state: 'none' }.
 *
 * Why: the manager re-sends Confirm until it hears back, so the same Confirm can arrive many
 * times; only the first may move money. A final state (confirmed or cancelled) never changes.
 */
export function confirmBranch(record: BranchRecord | undefined, account: Readonly<Account>, request: BranchRequest): BranchResult {
  // TODO: switch on the record's state.
  throw new NotImplemented('confirmBranch(record, account, request) in exercises/tcc.ts');
}

// ---------------------------------------------------------------------------------------------
// Part 3: Cancel (release what Try reserved)
// ---------------------------------------------------------------------------------------------

/**
 * TRIED: release the RECORDED amount: debit moves it from frozen back to balance; credit takes
 * it off pending; the record becomes CANCELLED; reply { ok: true, state: 'cancelled' }.
 * CANCELLED (a retry or a duplicate): ok, no change. CONFIRMED: no change, reply
 * { ok: false, state: 'confirmed' }. No record (empty rollback: the Try was lost or has not
 * arrived yet): move nothing, but record { ...request, state: 'cancelled' } so that a late Try is
 * refused, and reply { ok: true, state: 'cancelled' }.
 *
 * Why: the manager cancels when a Try times out, and a timed-out Try may never have run here;
 * answering "no such branch" would make the manager retry forever, releasing money that was
 * never reserved would create money, and forgetting the Cancel would let a late Try reserve.
 */
export function cancelBranch(record: BranchRecord | undefined, account: Readonly<Account>, request: BranchRequest): BranchResult {
  // TODO: handle the empty rollback (no record) first.
  throw new NotImplemented('cancelBranch(record, account, request) in exercises/tcc.ts');
}
