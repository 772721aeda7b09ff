import { ConfigError } from '../../core';
import { Account, AccountChange, BranchRecord, BranchReply, BranchRequest, BranchState, noChange } from './messages';

/**
 * The participant's rules of TCC: what a store does with Try, Confirm and Cancel for one
 * branch, as pure functions of (the branch record or undefined, the account, the request). This
 * is where TCC's well-known traps live (Seata's "TCC fence" exists for exactly these three):
 *
 * - idempotence (幂等): the network and the transaction manager's retries deliver the same
 *   Try, Confirm or Cancel more than once; only the first may change money;
 * - empty rollback (空回滚): a Cancel for a branch whose Try never ran (lost, or still on its
 *   way); there is nothing to release, but the Cancel must be recorded and answered ok, or the
 *   transaction manager retries forever;
 * - suspension (悬挂): a Try that arrives after its Cancel; if it reserved, nobody would ever
 *   release the reservation. The recorded Cancel makes the store refuse it.
 *
 * A rule returns the new branch record (undefined: still none), the change to the account (as
 * differences) and the reply. The participant applies the change and persists the record in
 * one local transaction, so a crash never splits them. Learners write these
 * (exercises/tcc.ts); the references below are the defaults.
 */

/** What a rule decides: the record after the call, the account change, and the reply. */
export interface BranchResult {
  record: BranchRecord | undefined;
  change: AccountChange;
  reply: BranchReply;
}

/**
 * A participant rule. `record` is the branch record of (request.txn, request.branch) in this
 * store, or undefined if there is none; `account` is the request's account as it is now
 * (read only); the result says what to do.
 */
export type BranchRule = (record: BranchRecord | undefined, account: Readonly<Account>, request: BranchRequest) => BranchResult;

/** The three rules together: what a learner's module exports and a graded test plugs in. */
export interface TccRules {
  tryBranch: BranchRule;
  confirmBranch: BranchRule;
  cancelBranch: BranchRule;
}

/**
 * Try (reference). Contract:
 * - no record: the debit side checks `account.balance >= amount`; if not, it refuses (reply
 *   `{ ok: false, state: 'none', reason: 'insufficient funds' }`, no record, no change: the local
 *   transaction rolled back, as Seata's does). Otherwise it reserves: debit moves the amount from
 *   `balance` to `frozen`; credit adds it to `pending`; the record becomes TRIED; reply ok.
 * - TRIED (a retried or duplicated Try): no change, reply ok.
 * - CANCELLED (the Try came after its Cancel: suspension): refuse, no change, the record stays
 *   cancelled; reply `{ ok: false, state: 'cancelled', reason: 'cancelled' }`.
 * - CONFIRMED (a very late duplicate): no change, reply ok with state 'confirmed'.
 *
 * @example
 *   tryBranch(undefined, { balance: 100, frozen: 0, pending: 0 }, { txn: 't1', branch: 'debit', account: 'a0', amount: 30 });
 *   // { record: { ..., state: 'tried' }, change: { balance: -30, frozen: 30, pending: 0 }, reply: { ok: true, state: 'tried' } }
 */
export const tryBranch: BranchRule = (record, account, request) => {
  if (record !== undefined) {
    if (record.state === 'cancelled') return unchanged(record, { ok: false, state: 'cancelled', reason: 'cancelled' });
    return unchanged(record, { ok: true, state: record.state });
  }
  const { amount } = request;
  if (request.branch === 'debit') {
    if (account.balance < amount) return unchanged(undefined, { ok: false, state: 'none', reason: 'insufficient funds' });
    return { record: { ...request, state: 'tried' }, change: { balance: -amount, frozen: amount, pending: 0 }, reply: { ok: true, state: 'tried' } };
  }
  return { record: { ...request, state: 'tried' }, change: { balance: 0, frozen: 0, pending: amount }, reply: { ok: true, state: 'tried' } };
};

/**
 * Confirm (reference). Contract:
 * - TRIED: apply with the recorded amount: debit drops it from `frozen` (the money has left);
 *   credit moves it from `pending` to `balance`; the record becomes CONFIRMED; reply ok.
 * - CONFIRMED (a retry or duplicate): no change, reply ok.
 * - CANCELLED: never change money; reply `{ ok: false, state: 'cancelled' }`.
 * - no record: the manager confirms only after every Try succeeded, so this is a bug
 *   elsewhere: change nothing, record nothing, reply `{ ok: false, state: 'none' }`.
 */
export const confirmBranch: BranchRule = (record) => {
  if (record === undefined) return unchanged(undefined, { ok: false, state: 'none' });
  if (record.state === 'confirmed') return unchanged(record, { ok: true, state: 'confirmed' });
  if (record.state === 'cancelled') return unchanged(record, { ok: false, state: 'cancelled' });
  const { amount } = record;
  const change: AccountChange = record.branch === 'debit' ? { balance: 0, frozen: -amount, pending: 0 } : { balance: amount, frozen: 0, pending: -amount };
  return { record: { ...record, state: 'confirmed' }, change, reply: { ok: true, state: 'confirmed' } };
};

/**
 * Cancel (reference). Contract:
 * - TRIED: release with the recorded amount: debit moves it from `frozen` back to `balance`;
 *   credit drops it from `pending`; the record becomes CANCELLED; reply ok.
 * - CANCELLED (a retry or duplicate): no change, reply ok.
 * - CONFIRMED: never change money; reply `{ ok: false, state: 'confirmed' }`.
 * - no record (empty rollback: the Try never ran here, or has not arrived yet): change
 *   nothing, but record the branch as CANCELLED (from the request's fields) so that a late Try
 *   is refused; reply ok.
 */
export const cancelBranch: BranchRule = (record, _account, request) => {
  if (record === undefined) return { record: { ...request, state: 'cancelled' }, change: { ...noChange }, reply: { ok: true, state: 'cancelled' } };
  if (record.state === 'cancelled') return unchanged(record, { ok: true, state: 'cancelled' });
  if (record.state === 'confirmed') return unchanged(record, { ok: false, state: 'confirmed' });
  const { amount } = record;
  const change: AccountChange = record.branch === 'debit' ? { balance: amount, frozen: -amount, pending: 0 } : { balance: 0, frozen: 0, pending: -amount };
  return { record: { ...record, state: 'cancelled' }, change, reply: { ok: true, state: 'cancelled' } };
};

/** The reference rules: the defaults of every participant. */
export const referenceTccRules: TccRules = { tryBranch, confirmBranch, cancelBranch };

/**
 * Broken participants, one classic slip each, for the notebook and the tests: the checker and
 * the graded tests must catch every one.
 * - `noIdempotence`: Confirm and Cancel apply again on a retry; a retried Try reserves again.
 * - `noEmptyRollback`: a Cancel without a record releases the request's amount anyway (the
 *   frozen or pending amount goes negative) and records nothing.
 * - `suspensionAllowed`: a Try after its Cancel reserves anyway (a reservation nobody releases).
 * - `cancelAfterConfirmRefunds`: a Cancel after Confirm undoes the transfer.
 */
export const brokenTccRules: Record<'noIdempotence' | 'noEmptyRollback' | 'suspensionAllowed' | 'cancelAfterConfirmRefunds', Partial<TccRules>> = {
  noIdempotence: {
    tryBranch: (record, account, request) => tryBranch(record?.state === 'tried' ? undefined : record, account, request),
    confirmBranch: (record, account, request) => confirmBranch(record?.state === 'confirmed' ? { ...record, state: 'tried' } : record, account, request),
    cancelBranch: (record, account, request) => cancelBranch(record?.state === 'cancelled' ? { ...record, state: 'tried' } : record, account, request),
  },
  noEmptyRollback: {
    cancelBranch: (record, account, request) =>
      record === undefined ? cancelBranchReleasing({ ...request, state: 'tried' }) : cancelBranch(record, account, request),
  },
  suspensionAllowed: {
    tryBranch: (record, account, request) => tryBranch(record?.state === 'cancelled' ? undefined : record, account, request),
  },
  cancelAfterConfirmRefunds: {
    cancelBranch: (record, account, request) => {
      if (record?.state !== 'confirmed') return cancelBranch(record, account, request);
      const { amount } = record;
      const change: AccountChange = record.branch === 'debit' ? { balance: amount, frozen: 0, pending: 0 } : { balance: -amount, frozen: 0, pending: 0 };
      return { record: { ...record, state: 'cancelled' }, change, reply: { ok: true, state: 'cancelled' } };
    },
  },
};

/** A release as if the branch had been tried, leaving no record: the noEmptyRollback slip. */
function cancelBranchReleasing(pretend: BranchRecord): BranchResult {
  const result = cancelBranch(pretend, { balance: 0, frozen: 0, pending: 0 }, pretend);
  return { ...result, record: undefined };
}

function unchanged(record: BranchRecord | undefined, reply: BranchReply): BranchResult {
  return { record, change: { ...noChange }, reply };
}

/** The reference rules with the given ones swapped in; throws a ConfigError naming a rule that is not a function. */
export function resolveTccRules(rules: Partial<TccRules> = {}): TccRules {
  const out: TccRules = { ...referenceTccRules };
  for (const name of Object.keys(referenceTccRules) as (keyof TccRules)[]) {
    const rule = rules[name];
    if (rule === undefined) continue;
    if (typeof rule !== 'function') throw new ConfigError(`rules.${name}`, 'a function (record, account, request) => result', rule);
    out[name] = rule;
  }
  return out;
}

const states: readonly (BranchState | 'none')[] = ['tried', 'confirmed', 'cancelled', 'none'];

/**
 * Checks what a rule returned, so that a malformed answer fails with a message that names the
 * rule, its input and what is wrong (instead of a confusing run).
 */
export function checkBranchResult(rule: keyof TccRules, result: unknown, input: () => string): BranchResult {
  const fail = (what: string): never => {
    throw new Error(`${rule} returned ${safeJson(result)} for ${input()}: ${what}`);
  };
  if (!result || typeof result !== 'object') fail('it must return { record, change, reply }');
  const r = result as Partial<BranchResult>;
  if (r.record !== undefined) {
    const rec = r.record as Partial<BranchRecord> | null;
    if (!rec || typeof rec !== 'object' || typeof rec.txn !== 'string' || (rec.branch !== 'debit' && rec.branch !== 'credit') ||
      typeof rec.account !== 'string' || typeof rec.amount !== 'number' || !(['tried', 'confirmed', 'cancelled'] as unknown[]).includes(rec.state)) {
      fail("record must be undefined or { txn, branch, account, amount, state: 'tried' | 'confirmed' | 'cancelled' }");
    }
  }
  const change = r.change as Partial<AccountChange> | undefined;
  if (!change || typeof change !== 'object' || !(['balance', 'frozen', 'pending'] as const).every((k) => Number.isFinite(change[k]))) {
    fail('change must be { balance, frozen, pending }, three numbers (use 0 for no change)');
  }
  const reply = r.reply as Partial<BranchReply> | undefined;
  if (!reply || typeof reply.ok !== 'boolean' || !states.includes(reply.state as BranchState)) {
    fail("reply must be { ok: boolean, state: 'tried' | 'confirmed' | 'cancelled' | 'none', reason? }");
  }
  return r as BranchResult;
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? 'undefined';
  } catch {
    return String(value);
  }
}

/** True when the change moves no money at all. */
export function isNoChange(change: AccountChange): boolean {
  return change.balance === 0 && change.frozen === 0 && change.pending === 0;
}
