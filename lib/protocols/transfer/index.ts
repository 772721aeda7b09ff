/**
 * The course's money-transfer example (转账), shared by the distributed-transaction topics so
 * that XA (two-phase commit over resource managers) and TCC (Try-Confirm-Cancel) run the very
 * same work and can be compared on one chart: two stores (two banks, two databases), accounts
 * on each, and transfers that take money from an account in one store and put it in an account
 * in the other. A transfer is atomic when both halves happen or neither does; money is
 * conserved when the sum of all balances (plus money in flight that a protocol still owes)
 * never changes.
 *
 * @example
 *   import { transferWorkload } from 'consensus-lab/protocols/transfer';
 *   const w = transferWorkload({ seed: 1, transfers: 100, accountsPerStore: 4 });
 *   w.transfers[0]; // { id: 't0', atMs: ..., from: { store: 'bank-a', account: 'a2' }, to: ..., amount: 37 }
 */
import { ConfigError, Random, requireInteger, requireNumberInRange } from '../../core';

/** One account in one store. */
export interface AccountRef {
  store: string;
  account: string;
}

/** One transfer of `amount` (whole currency units) from one store's account to another store's. */
export interface Transfer {
  id: string;
  /** When the application submits it (virtual ms from the start). */
  atMs: number;
  from: AccountRef;
  to: AccountRef;
  amount: number;
}

export interface TransferWorkloadOptions {
  seed: number;
  /** How many transfers (>= 1). */
  transfers: number;
  /** The two stores' names (default ['bank-a', 'bank-b']). */
  stores?: [string, string];
  /** Accounts in each store (>= 1, default 4): fewer accounts, more contention on each row. */
  accountsPerStore?: number;
  /** Every account's opening balance (default 1000). */
  openingBalance?: number;
  /** Mean gap between submissions (ms, exponential, default 5): the offered load is 1000/meanGapMs per second. */
  meanGapMs?: number;
  /** Amounts are uniform integers in [1, maxAmount] (default 100). */
  maxAmount?: number;
}

export interface TransferWorkload {
  seed: number;
  stores: [string, string];
  /** Opening balances, store -> account -> balance. */
  balances: Record<string, Record<string, number>>;
  transfers: Transfer[];
}

/** The account names of store `index` (0 or 1): 'a0', 'a1', ... and 'b0', 'b1', .... */
export function accountNames(index: 0 | 1, accountsPerStore: number): string[] {
  const letter = index === 0 ? 'a' : 'b';
  return Array.from({ length: accountsPerStore }, (_, i) => `${letter}${i}`);
}

/**
 * A seeded workload: the same options give the same transfers. Half the transfers go from
 * the first store to the second, half the other way (chosen at random per transfer), so that
 * both stores are debited and credited.
 */
export function transferWorkload(options: TransferWorkloadOptions): TransferWorkload {
  const seed = requireInteger('seed', options.seed, 0);
  const count = requireInteger('transfers', options.transfers, 1);
  const stores = options.stores ?? ['bank-a', 'bank-b'];
  if (!Array.isArray(stores) || stores.length !== 2 || stores[0] === stores[1] || stores.some((s) => typeof s !== 'string' || s === '')) {
    throw new ConfigError('stores', 'two different non-empty store names', stores);
  }
  const perStore = requireInteger('accountsPerStore', options.accountsPerStore ?? 4, 1);
  const opening = requireInteger('openingBalance', options.openingBalance ?? 1000, 0);
  const meanGapMs = requireNumberInRange('meanGapMs', options.meanGapMs ?? 5, 0, Infinity);
  const maxAmount = requireInteger('maxAmount', options.maxAmount ?? 100, 1);
  const rng = new Random(`transfer-workload:${seed}`);
  const names: [string[], string[]] = [accountNames(0, perStore), accountNames(1, perStore)];
  const balances: Record<string, Record<string, number>> = {};
  stores.forEach((store, i) => {
    balances[store] = Object.fromEntries(names[i].map((a) => [a, opening]));
  });
  const transfers: Transfer[] = [];
  let atMs = 0;
  for (let i = 0; i < count; i++) {
    if (i > 0) atMs += meanGapMs === 0 ? 0 : rng.exponential(meanGapMs);
    const forward = rng.chance(0.5);
    const fromIndex = forward ? 0 : 1;
    const toIndex = forward ? 1 : 0;
    transfers.push({
      id: `t${i}`,
      atMs: Math.round(atMs * 1000) / 1000,
      from: { store: stores[fromIndex], account: rng.pick(names[fromIndex]) },
      to: { store: stores[toIndex], account: rng.pick(names[toIndex]) },
      amount: rng.int(1, maxAmount),
    });
  }
  return { seed, stores: [stores[0], stores[1]], balances, transfers };
}

/** The sum of every balance in `balances` (store -> account -> balance). */
export function totalMoney(balances: Record<string, Record<string, number>>): number {
  let total = 0;
  for (const store of Object.keys(balances)) {
    for (const account of Object.keys(balances[store])) total += balances[store][account];
  }
  return total;
}

/**
 * What one protocol did with one workload, in the same terms for XA and TCC, so that a
 * notebook can put them on one chart.
 */
export interface TransferRunReport {
  /** 'XA' or 'TCC' (or a variant's name). */
  protocol: string;
  seed: number;
  /** Transfers that took effect in both stores. */
  committed: number;
  /** Transfers that took effect in neither (rolled back, cancelled, refused for lack of funds). */
  aborted: number;
  /** Transfers with no outcome when the run ended (in doubt, or still running). */
  unfinished: number;
  /** Virtual time from the first submission to the last outcome (ms). */
  durationMs: number;
  /** Committed transfers per virtual second over durationMs. */
  throughputPerSec: number;
  /** Per finished transfer: submission to outcome (ms). */
  latencyMs: number[];
  /**
   * Per row lock (XA) or per reservation (TCC): how long the money it covers was unavailable
   * to other transfers (ms). XA: a row lock from the first write until commit or rollback;
   * TCC: a local lock only for the length of one local transaction (Try, Confirm or Cancel).
   */
  lockHeldMs: number[];
  /** Per reservation (TCC only; [] for XA): from Try until Confirm or Cancel (ms). */
  reservedMs: number[];
  /** Sum of balances before and after (after counts money still reserved or in doubt). */
  moneyBefore: number;
  moneyAfter: number;
  /** What was left behind at the end: a line per held lock, prepared transaction or reservation. */
  leftovers: string[];
}
