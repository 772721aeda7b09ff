/**
 * Graded tests of the TCC participant exercise (exercises/tcc.ts). Rule cases check each
 * contract on frozen inputs (retries, empty rollback, suspension, final states); scripted
 * scenarios and a seeded chaos sweep run whole transfers with the learner's rules inside the
 * stores, under loss, duplication, reordering, partitions and crashes, and check money
 * conservation, atomicity and that no reservation is left behind (lib/checkers/tcc).
 */
import { GradedFailure, gradedSuite, implementation } from '../../lib/grade';
import {
  Account,
  BranchRecord,
  BranchRequest,
  BranchResult,
  TccRules,
  TccScenarioResult,
  describeTccChaos,
  tccChaosRun,
  tccConfirmRetried,
  tccCoordinatorCrash,
  tccEmptyRollback,
  tccInsufficientFunds,
  tccLateCancel,
  tccNormalTransfer,
  tccSuspension,
} from '../../lib/protocols/tcc';

type Exercise = typeof import('../../solutions/tcc');

/** The learner's rules (or the reference, with --target solutions). */
function rules(): TccRules {
  const module = implementation<Exercise>('tcc');
  return { tryBranch: module.tryBranch, confirmBranch: module.confirmBranch, cancelBranch: module.cancelBranch };
}

const debitRequest: BranchRequest = Object.freeze({ txn: 't1', branch: 'debit', account: 'a0', amount: 30 });
const creditRequest: BranchRequest = Object.freeze({ txn: 't1', branch: 'credit', account: 'b0', amount: 30 });
const account = (balance: number, frozen = 0, pending = 0): Account => Object.freeze({ balance, frozen, pending });
const record = (request: BranchRequest, state: BranchRecord['state']): BranchRecord => Object.freeze({ ...request, state });

interface Expected {
  state: BranchRecord['state'] | 'none';
  change: [number, number, number];
  ok: boolean;
}

/** Calls `rule` on a frozen copy of its input and compares record state, change and reply. */
function expectRule(name: keyof TccRules, rule: TccRules[keyof TccRules], input: [BranchRecord | undefined, Account, BranchRequest], expected: Expected, why: string): void {
  const [rec, acc, req] = input;
  const shown = `${name}(${rec === undefined ? 'no record' : `record ${rec.branch} ${rec.state} ${rec.amount}`}, balance ${acc.balance} frozen ${acc.frozen} pending ${acc.pending}, ${req.branch} ${req.amount})`;
  const result = rule(rec, acc, req) as BranchResult | undefined;
  const fail = (what: string) => {
    throw new GradedFailure({ invariant: name, message: `${shown}: ${what}`, hint: why });
  };
  if (!result || typeof result !== 'object' || !result.change || !result.reply) return fail(`returned ${JSON.stringify(result)}, expected { record, change, reply }`);
  const state = result.record === undefined ? 'none' : result.record.state;
  if (state !== expected.state) fail(`the record's state is ${state}, expected ${expected.state}`);
  if (result.record !== undefined && (result.record.txn !== req.txn || result.record.branch !== req.branch || result.record.amount !== (rec?.amount ?? req.amount))) {
    fail(`the record ${JSON.stringify(result.record)} does not name this branch and its amount`);
  }
  const got: [number, number, number] = [result.change.balance, result.change.frozen, result.change.pending];
  if (got.some((v, i) => v !== expected.change[i])) {
    fail(`changed the account by balance ${got[0]}, frozen ${got[1]}, pending ${got[2]}; expected balance ${expected.change[0]}, frozen ${expected.change[1]}, pending ${expected.change[2]}`);
  }
  if (result.reply.ok !== expected.ok) fail(`replied ok: ${result.reply.ok}, expected ok: ${expected.ok}`);
  if (result.reply.state !== expected.state) fail(`replied state '${result.reply.state}', expected '${expected.state}'`);
}

/** A scenario's checker verdicts, as a graded failure. */
function expectClean(result: TccScenarioResult, seed: number, hint: string): void {
  for (const verdict of [result.safety, result.settled]) {
    if (!verdict.ok) throw new GradedFailure({ invariant: verdict.invariant, message: `${result.name}: ${verdict.message}`, seed, timeMs: verdict.timeMs, hint });
  }
}

function expectOutcome(result: TccScenarioResult, seed: number, debit: string, credit: string, hint: string): void {
  const o = result.outcomes[0];
  if (o.debit !== debit || o.credit !== credit) {
    throw new GradedFailure({ invariant: 'atomicity', message: `${result.name}: the branches ended debit ${o.debit}, credit ${o.credit}; expected debit ${debit}, credit ${credit}`, seed, hint });
  }
}

export default gradedSuite('tcc', [
  {
    name: 'Try reserves, or refuses for lack of funds',
    points: 2,
    description: 'tryBranch with no record: debit freezes the amount (balance -> frozen), credit records a pending credit; a debit without the funds refuses and records nothing.',
    run() {
      const { tryBranch } = rules();
      expectRule('tryBranch', tryBranch, [undefined, account(100), debitRequest], { state: 'tried', change: [-30, 30, 0], ok: true }, 'debit Try: move the amount from balance to frozen');
      expectRule('tryBranch', tryBranch, [undefined, account(10), creditRequest], { state: 'tried', change: [0, 0, 30], ok: true }, 'credit Try: record a pending credit; the balance changes only on Confirm');
      expectRule('tryBranch', tryBranch, [undefined, account(30), debitRequest], { state: 'tried', change: [-30, 30, 0], ok: true }, 'exactly enough is enough');
      expectRule('tryBranch', tryBranch, [undefined, account(20, 50), debitRequest], { state: 'none', change: [0, 0, 0], ok: false }, 'frozen money is not available: 20 < 30 refuses, with no record and no change');
    },
  },
  {
    name: 'a retried Try reserves once',
    points: 2,
    description: 'tryBranch on a TRIED record (a re-sent or duplicated Try): ok, no change.',
    run() {
      const { tryBranch } = rules();
      expectRule('tryBranch', tryBranch, [record(debitRequest, 'tried'), account(70, 30), debitRequest], { state: 'tried', change: [0, 0, 0], ok: true }, 'the reservation is already there: reserving again freezes the money twice');
      expectRule('tryBranch', tryBranch, [record(creditRequest, 'tried'), account(100, 0, 30), creditRequest], { state: 'tried', change: [0, 0, 0], ok: true }, 'the pending credit is already there');
      expectRule('tryBranch', tryBranch, [record(debitRequest, 'confirmed'), account(70), debitRequest], { state: 'confirmed', change: [0, 0, 0], ok: true }, 'a very late duplicate of a confirmed Try changes nothing');
    },
  },
  {
    name: 'Confirm applies once',
    points: 2,
    description: 'confirmBranch: TRIED -> CONFIRMED with the recorded amount (debit: frozen drops; credit: pending becomes balance); a duplicate Confirm is ok and moves nothing.',
    run() {
      const { confirmBranch } = rules();
      expectRule('confirmBranch', confirmBranch, [record(debitRequest, 'tried'), account(70, 30), debitRequest], { state: 'confirmed', change: [0, -30, 0], ok: true }, 'debit Confirm: the frozen money leaves the account');
      expectRule('confirmBranch', confirmBranch, [record(creditRequest, 'tried'), account(100, 0, 30), creditRequest], { state: 'confirmed', change: [30, 0, -30], ok: true }, 'credit Confirm: the pending credit becomes balance');
      expectRule('confirmBranch', confirmBranch, [{ ...record(debitRequest, 'tried'), amount: 25 }, account(75, 25), debitRequest], { state: 'confirmed', change: [0, -25, 0], ok: true }, 'apply the amount Try recorded, not the one in the request');
      expectRule('confirmBranch', confirmBranch, [record(creditRequest, 'confirmed'), account(130), creditRequest], { state: 'confirmed', change: [0, 0, 0], ok: true }, 'a duplicate Confirm (the manager retries until it hears back) must not credit twice');
    },
  },
  {
    name: 'Cancel releases once',
    points: 2,
    description: 'cancelBranch: TRIED -> CANCELLED with the recorded amount (debit: frozen back to balance; credit: pending dropped); a duplicate Cancel is ok and moves nothing.',
    run() {
      const { cancelBranch } = rules();
      expectRule('cancelBranch', cancelBranch, [record(debitRequest, 'tried'), account(70, 30), debitRequest], { state: 'cancelled', change: [30, -30, 0], ok: true }, 'debit Cancel: the frozen money goes back to the balance');
      expectRule('cancelBranch', cancelBranch, [record(creditRequest, 'tried'), account(100, 0, 30), creditRequest], { state: 'cancelled', change: [0, 0, -30], ok: true }, 'credit Cancel: drop the pending credit');
      expectRule('cancelBranch', cancelBranch, [record(debitRequest, 'cancelled'), account(100), debitRequest], { state: 'cancelled', change: [0, 0, 0], ok: true }, 'a duplicate Cancel must not release twice');
    },
  },
  {
    name: 'empty rollback: a Cancel before its Try',
    points: 2,
    description: 'cancelBranch with no record: record the branch CANCELLED, move no money, reply ok (空回滚).',
    run() {
      const { cancelBranch } = rules();
      const why = 'the Try never ran here (lost, or still on its way): release nothing, but remember the Cancel and answer ok, or the manager retries forever';
      expectRule('cancelBranch', cancelBranch, [undefined, account(100), debitRequest], { state: 'cancelled', change: [0, 0, 0], ok: true }, why);
      expectRule('cancelBranch', cancelBranch, [undefined, account(100), creditRequest], { state: 'cancelled', change: [0, 0, 0], ok: true }, why);
    },
  },
  {
    name: 'suspension: a Try after its Cancel is refused',
    points: 2,
    description: 'tryBranch on a CANCELLED record: refuse, no change, the record stays CANCELLED (防悬挂).',
    run() {
      const { tryBranch } = rules();
      const why = 'the transfer was cancelled: a reservation made now would never be confirmed or cancelled (suspension)';
      expectRule('tryBranch', tryBranch, [record(debitRequest, 'cancelled'), account(100), debitRequest], { state: 'cancelled', change: [0, 0, 0], ok: false }, why);
      expectRule('tryBranch', tryBranch, [record(creditRequest, 'cancelled'), account(100), creditRequest], { state: 'cancelled', change: [0, 0, 0], ok: false }, why);
    },
  },
  {
    name: 'a final state never changes',
    points: 2,
    description: 'Confirm after Cancel and Cancel after Confirm move no money and reply with the final state (ok: false); Confirm with no record does nothing.',
    run() {
      const { confirmBranch, cancelBranch } = rules();
      expectRule('cancelBranch', cancelBranch, [record(debitRequest, 'confirmed'), account(70), debitRequest], { state: 'confirmed', change: [0, 0, 0], ok: false }, 'the money has left: a Cancel after Confirm must not refund it (answer: it is confirmed)');
      expectRule('cancelBranch', cancelBranch, [record(creditRequest, 'confirmed'), account(130), creditRequest], { state: 'confirmed', change: [0, 0, 0], ok: false }, 'a Cancel after Confirm must not take the credit back');
      expectRule('confirmBranch', confirmBranch, [record(debitRequest, 'cancelled'), account(100), debitRequest], { state: 'cancelled', change: [0, 0, 0], ok: false }, 'a Confirm after Cancel must not take money that was given back');
      expectRule('confirmBranch', confirmBranch, [undefined, account(100), creditRequest], { state: 'none', change: [0, 0, 0], ok: false }, 'nothing was reserved: there is nothing to confirm');
    },
  },
  {
    name: 'scripted failures: lost Confirm, lost Try, late Try, late Cancel, manager crash',
    points: 2,
    description: 'Whole transfers with your rules in both stores: a lost and duplicated Confirm, a lost Try (empty rollback), a Try slower than the timeout (suspension), a stale Cancel after Confirm, and a manager crash after Try. Money conserved, all or nothing, nothing left reserved.',
    run(ctx) {
      const r = rules();
      for (const seed of ctx.seeds(3)) {
        const cases: [TccScenarioResult, string, string, string][] = [
          [tccNormalTransfer(seed, { rules: r }), 'confirmed', 'confirmed', 'nothing goes wrong: Try, then Confirm at both stores'],
          [tccInsufficientFunds(seed, { rules: r }), 'cancelled', 'cancelled', 'a refused Try leaves no record; the Cancel that follows is an empty rollback'],
          [tccConfirmRetried(seed, { rules: r }), 'confirmed', 'confirmed', 'a duplicate Confirm must be answered ok without moving money'],
          [tccEmptyRollback(seed, { rules: r }), 'cancelled', 'cancelled', 'a Cancel with no record: record CANCELLED, move nothing, answer ok'],
          [tccSuspension(seed, { rules: r }), 'cancelled', 'cancelled', 'a Try that arrives after its Cancel must be refused'],
          [tccLateCancel(seed, { rules: r }), 'confirmed', 'confirmed', 'a Cancel after Confirm must not move money'],
          [tccCoordinatorCrash(seed, 200, { rules: r }), 'cancelled', 'cancelled', 'the recovered manager cancels: release what Try reserved'],
        ];
        for (const [result, debit, credit, hint] of cases) {
          expectClean(result, seed, hint);
          expectOutcome(result, seed, debit, credit, hint);
        }
      }
    },
  },
  {
    name: 'chaos: money conserved, all or nothing, nothing left reserved',
    points: 4,
    timeoutMs: 60000,
    description: '40 seeded runs of 20 transfers with your rules, under loss, duplication, long reordering, partitions and crashes of the manager and the stores; then heal: every transfer must finish, with every invariant of lib/checkers/tcc.',
    run(ctx) {
      const r = rules();
      for (const seed of ctx.seeds(40)) {
        const result = tccChaosRun(seed, { rules: r });
        const problem = describeTccChaos(result);
        if (problem === 'ok') continue;
        const verdict = !result.safety.ok ? result.safety : !result.settled.ok ? result.settled : null;
        throw new GradedFailure({
          invariant: verdict ? verdict.invariant : 'liveness',
          message: verdict ? verdict.message : problem,
          seed,
          timeMs: verdict ? verdict.timeMs : result.cluster.sim.now(),
          hint: 'replay it with tccChaosRun(seed, { rules }) and draw the trace: look for a repeated Try, Confirm or Cancel, a Cancel with no record, or a Try after a Cancel',
        });
      }
    },
  },
]);
