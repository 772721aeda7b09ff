import { TxnId } from '../twophase/messages';

/**
 * The vocabulary of TCC (Try-Confirm-Cancel, 补偿型事务 / 柔性事务): accounts with a reserved
 * part, branch records, and the messages between the application's transaction manager and the
 * stores, as plain data. TCC is the reservation pattern of Pat Helland's "Life beyond Distributed
 * Transactions" (CIDR 2007, §5 "tentative operations") as the Java frameworks implement it:
 * Seata's TCC mode with its "TCC fence" table, Hmily and ByteTCC. Each store exposes three local
 * operations for its half of a business action:
 *
 *   Try      check and reserve (the debit side freezes the amount; the credit side records a
 *            pending credit)
 *   Confirm  apply what Try reserved (never fails a business check: Try already did)
 *   Cancel   release what Try reserved
 *
 * and records, in the same local transaction, the branch's state (TRIED, CONFIRMED, CANCELLED)
 * in a branch table keyed by (transaction, branch): that record is what makes Confirm and Cancel
 * idempotent, an early Cancel an "empty rollback" (空回滚), and a late Try refusable (防悬挂:
 * preventing "suspension", a reservation nobody will ever release).
 */

export type { TxnId };

/** Which half of a transfer a branch is: money leaves the debit account and enters the credit account. */
export type BranchRole = 'debit' | 'credit';

/** A branch record's state (Seata's fence states TRIED, COMMITTED, ROLLBACKED; here Confirm and Cancel's names). */
export type BranchState = 'tried' | 'confirmed' | 'cancelled';

/**
 * One account of one store, in whole currency units. `balance` is what the owner may spend;
 * `frozen` is money taken out of the balance by a debit Try and not yet confirmed (gone) or
 * cancelled (given back); `pending` is money promised by a credit Try and not yet confirmed
 * (added to the balance) or cancelled (dropped). `balance + frozen` is the owner's money.
 */
export interface Account {
  balance: number;
  frozen: number;
  pending: number;
}

/** A change to an account, as differences (+ adds, - takes away): what one local transaction did. */
export type AccountChange = Account;

/** No change at all. */
export const noChange: AccountChange = Object.freeze({ balance: 0, frozen: 0, pending: 0 }) as AccountChange;

/**
 * A branch record (one row of the TCC fence table), kept durably by the store that runs the
 * branch: which transaction, which half, on which account, for how much, and its state. The
 * amount recorded by Try is the one Confirm and Cancel use.
 */
export interface BranchRecord {
  txn: TxnId;
  branch: BranchRole;
  account: string;
  amount: number;
  state: BranchState;
}

/** What the transaction manager asks a store to do for one branch: the business parameters travel with every call. */
export interface BranchRequest {
  txn: TxnId;
  branch: BranchRole;
  account: string;
  amount: number;
}

/**
 * A store's answer to Try, Confirm or Cancel. `ok` says whether the branch is now where the
 * call wanted it (Try: reserved; Confirm: confirmed; Cancel: cancelled); `state` is the branch
 * record's state after the call ('none' when there is no record); `reason` says why a Try was
 * refused ('insufficient funds', 'cancelled' for a Try that came after its Cancel).
 */
export interface BranchReply {
  ok: boolean;
  state: BranchState | 'none';
  reason?: string;
}

/** Messages, as the frameworks name the calls. Replies carry the request's txn and branch. */
export type TccMessage =
  | ({ type: 'Try' } & BranchRequest)
  | ({ type: 'Confirm' } & BranchRequest)
  | ({ type: 'Cancel' } & BranchRequest)
  | ({ type: 'TryReply'; txn: TxnId; branch: BranchRole } & BranchReply)
  | ({ type: 'ConfirmReply'; txn: TxnId; branch: BranchRole } & BranchReply)
  | ({ type: 'CancelReply'; txn: TxnId; branch: BranchRole } & BranchReply);

/** The decision of the transaction manager for a whole transfer. */
export type TccDecision = 'confirm' | 'cancel';

/**
 * Timers of the transaction manager: start a transfer; stop waiting for Try replies (then
 * Cancel); re-send Try once to a silent branch; re-send the decision with back-off (`attempt`
 * numbers the chain, so a stale timer is ignored).
 */
export type TccCoordinatorTimer =
  | { type: 'StartTransfer'; txn: TxnId }
  | { type: 'TryTimeout'; txn: TxnId }
  | { type: 'TryRetry'; txn: TxnId }
  | { type: 'DecisionRetry'; txn: TxnId; attempt: number };

/** The store's timer: the local transaction at the head of an account's queue commits now. */
export type TccParticipantTimer = { type: 'LocalCommit'; account: string; serial: number };
