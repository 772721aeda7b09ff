import { NodeId, TraceEvent } from '../core';

/**
 * Invariants of TCC (Try-Confirm-Cancel) on the money-transfer example, checked from the trace.
 *
 * How the checker reads a run: every local transaction of a store (one Try, Confirm or Cancel,
 * with its branch record and account change persisted together) is announced with
 *
 *   ctx.annotate('local txn', { txn, branch, step, account, before, after, change })
 *
 * (`step` 'try' | 'confirm' | 'cancel'; `before` / `after` the branch record's state, or 'none';
 * `change` the account differences { balance, frozen, pending }). The stores of
 * lib/protocols/tcc do so in the handler that persists, so the annotations are the durable
 * history: replaying them from the opening balances gives every account at every moment,
 * crashes included. Nothing here trusts a store's own view.
 *
 * Always (safety, at every local transaction):
 * - money conserved: the owners' money (balance + frozen, all accounts) plus the money in
 *   flight (confirmed debits whose credit is not confirmed yet, minus confirmed credits whose
 *   debit is not) equals the opening total;
 * - no negative amount: no balance (no overdraft), frozen or pending amount below zero;
 * - idempotence: a repeated Try, Confirm or Cancel never moves money;
 * - empty rollback: a Cancel for a branch with no record never moves money;
 * - no suspension: a Try after its branch's Cancel never reserves;
 * - final state: a confirmed branch is never cancelled, a cancelled one never confirmed.
 * Once settled (after healing, every transfer finished):
 * - atomicity: each transfer's two branches are both confirmed, or neither is;
 * - no reservation left behind: no branch still TRIED, every frozen and pending amount zero;
 * - money conserved: the balances alone add up to the opening total.
 */

/** The annotation text of a local transaction (see the module comment). */
export const localTxnNote = 'local txn';

/** What a store annotates for each local transaction. */
export interface LocalTxnNote {
  txn: string;
  branch: 'debit' | 'credit';
  step: 'try' | 'confirm' | 'cancel';
  account: string;
  before: 'tried' | 'confirmed' | 'cancelled' | 'none';
  after: 'tried' | 'confirmed' | 'cancelled' | 'none';
  change: { balance: number; frozen: number; pending: number };
}

/** One transfer as the checker needs it (the shape of lib/protocols/transfer's Transfer). */
export interface TccTransferRef {
  id: string;
  amount: number;
  from: { store: string; account: string };
  to: { store: string; account: string };
}

/** What the checker is given: the trace, the opening balances (store -> account -> balance) and the transfers. */
export interface TccCheckInput {
  events: readonly TraceEvent[];
  opening: Record<string, Record<string, number>>;
  transfers: readonly TccTransferRef[];
}

export type TccInvariant =
  | 'money conserved'
  | 'no negative amount'
  | 'idempotence'
  | 'empty rollback'
  | 'no suspension'
  | 'final state'
  | 'atomicity'
  | 'no reservation left behind';

/** ok, or the first invariant that broke: which, where, when, in one sentence. */
export type TccCheckResult = { ok: true } | { ok: false; invariant: TccInvariant; message: string; txn?: string; timeMs: number };

/** Accounts rebuilt from the trace: store -> account -> { balance, frozen, pending }. */
export type TccAccounts = Record<string, Record<string, { balance: number; frozen: number; pending: number }>>;

/** The branch states rebuilt from the trace: `${txn}/${branch}` -> state. */
export type TccBranchStates = Map<string, 'tried' | 'confirmed' | 'cancelled'>;

/** The replay of a trace: accounts and branch states at the end, and the first always-invariant that broke. */
export interface TccReplay {
  accounts: TccAccounts;
  branches: TccBranchStates;
  safety: TccCheckResult;
  /** Sum of every opening balance. */
  openingTotal: number;
}

/**
 * Replays the local transactions of a trace from the opening balances, checking the
 * always-invariants at each one.
 *
 * @example
 *   const { accounts, safety } = replayTcc({ events: sim.trace.events, opening: workload.balances, transfers: workload.transfers });
 */
export function replayTcc(input: TccCheckInput): TccReplay {
  const accounts: TccAccounts = {};
  let openingTotal = 0;
  for (const store of Object.keys(input.opening)) {
    accounts[store] = {};
    for (const [account, balance] of Object.entries(input.opening[store])) {
      accounts[store][account] = { balance, frozen: 0, pending: 0 };
      openingTotal += balance;
    }
  }
  const amounts = new Map(input.transfers.map((t) => [t.id, t.amount]));
  const branches: TccBranchStates = new Map();
  let owned = openingTotal; // balance + frozen, everywhere
  let inFlight = 0;
  let safety: TccCheckResult = { ok: true };
  const fail = (invariant: TccInvariant, message: string, timeMs: number, txn?: string) => {
    if (safety.ok) safety = { ok: false, invariant, message: `${message} (at ${ms(timeMs)} ms)`, timeMs, ...(txn === undefined ? {} : { txn }) };
  };
  for (const event of input.events) {
    if (event.kind !== 'annotate' || event.text !== localTxnNote) continue;
    const note = event.data as LocalTxnNote;
    const store: NodeId = event.node;
    const where = `${store} ${note.step} of ${note.txn} ${note.branch} on ${note.account}`;
    const moved = note.change.balance !== 0 || note.change.frozen !== 0 || note.change.pending !== 0;
    const key = `${note.txn}/${note.branch}`;
    const previous = branches.get(key) ?? 'none';
    const repeated = (note.step === 'try' && previous === 'tried') || (note.step === 'confirm' && previous === 'confirmed') || (note.step === 'cancel' && previous === 'cancelled');
    if (moved && repeated) fail('idempotence', `${where}: a repeated ${note.step} moved money ${describeChange(note.change)}`, event.timeMs, note.txn);
    if (note.step === 'cancel' && previous === 'none' && moved) fail('empty rollback', `${where}: a Cancel with no Try before it moved money ${describeChange(note.change)}`, event.timeMs, note.txn);
    if (note.step === 'try' && previous === 'cancelled' && (moved || note.after !== 'cancelled')) {
      fail('no suspension', `${where}: a Try after the branch was cancelled ${moved ? `reserved ${describeChange(note.change)}` : `made it ${note.after}`}`, event.timeMs, note.txn);
    }
    if ((previous === 'confirmed' || previous === 'cancelled') && note.after !== previous) {
      fail('final state', `${where}: the branch was ${previous} and became ${note.after}`, event.timeMs, note.txn);
    } else if (!repeated && (previous === 'confirmed' || previous === 'cancelled') && moved) {
      fail('final state', `${where}: the branch was ${previous} and a ${note.step} moved money ${describeChange(note.change)}`, event.timeMs, note.txn);
    }
    const account = (accounts[store] ??= {})[note.account] ??= { balance: 0, frozen: 0, pending: 0 };
    account.balance += note.change.balance;
    account.frozen += note.change.frozen;
    account.pending += note.change.pending;
    owned += note.change.balance + note.change.frozen;
    if (note.after === 'none') branches.delete(key);
    else branches.set(key, note.after);
    if (note.after === 'confirmed' && previous !== 'confirmed') inFlight += (note.branch === 'debit' ? 1 : -1) * (amounts.get(note.txn) ?? 0);
    if (previous === 'confirmed' && note.after !== 'confirmed') inFlight -= (note.branch === 'debit' ? 1 : -1) * (amounts.get(note.txn) ?? 0);
    for (const field of ['balance', 'frozen', 'pending'] as const) {
      if (account[field] < 0) fail('no negative amount', `${where}: ${store} ${note.account} ${field} went to ${account[field]}`, event.timeMs, note.txn);
    }
    if (owned + inFlight !== openingTotal) {
      fail('money conserved', `${where}: balances + frozen + in flight = ${owned} + ${inFlight} = ${owned + inFlight}, opening total ${openingTotal}`, event.timeMs, note.txn);
    }
  }
  return { accounts, branches, safety, openingTotal };
}

/**
 * The always-invariants (see the module comment): the first one broken, or ok.
 *
 * @example
 *   tccSafety({ events: sim.trace.events, opening: w.balances, transfers: w.transfers }); // { ok: true }
 */
export function tccSafety(input: TccCheckInput): TccCheckResult {
  return replayTcc(input).safety;
}

/**
 * Every invariant, the settled ones included: call it once the run has healed and every
 * transfer has finished (`atMs` is the time to report, default the last event's).
 *
 * @example
 *   tccSettled({ events: sim.trace.events, opening: w.balances, transfers: w.transfers });
 *   // { ok: false, invariant: 'no reservation left behind', message: 'bank-b b1 still has 37 pending ...' }
 */
export function tccSettled(input: TccCheckInput, atMs?: number): TccCheckResult {
  const replay = replayTcc(input);
  if (!replay.safety.ok) return replay.safety;
  const timeMs = atMs ?? (input.events.length > 0 ? input.events[input.events.length - 1].timeMs : 0);
  for (const t of input.transfers) {
    const debit = replay.branches.get(`${t.id}/debit`) ?? 'none';
    const credit = replay.branches.get(`${t.id}/credit`) ?? 'none';
    if ((debit === 'confirmed') !== (credit === 'confirmed')) {
      return { ok: false, invariant: 'atomicity', message: `transfer ${t.id} is half done: debit ${debit} at ${t.from.store}, credit ${credit} at ${t.to.store}`, txn: t.id, timeMs };
    }
    if (debit === 'tried' || credit === 'tried') {
      return { ok: false, invariant: 'no reservation left behind', message: `transfer ${t.id} still has a TRIED branch: debit ${debit} at ${t.from.store}, credit ${credit} at ${t.to.store}`, txn: t.id, timeMs };
    }
  }
  let balances = 0;
  for (const [store, accounts] of Object.entries(replay.accounts)) {
    for (const [name, a] of Object.entries(accounts)) {
      balances += a.balance;
      if (a.frozen !== 0 || a.pending !== 0) {
        return { ok: false, invariant: 'no reservation left behind', message: `${store} ${name} still has frozen ${a.frozen} and pending ${a.pending} after every transfer finished`, timeMs };
      }
    }
  }
  if (balances !== replay.openingTotal) {
    return { ok: false, invariant: 'money conserved', message: `the balances add up to ${balances} after every transfer finished, the opening total was ${replay.openingTotal}`, timeMs };
  }
  return { ok: true };
}

function describeChange(change: { balance: number; frozen: number; pending: number }): string {
  const parts = (['balance', 'frozen', 'pending'] as const).filter((k) => change[k] !== 0).map((k) => `${k} ${change[k] > 0 ? '+' : ''}${change[k]}`);
  return `(${parts.join(', ')})`;
}

function ms(value: number): string {
  return String(Math.round(value * 1000) / 1000);
}
