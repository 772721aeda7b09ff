import { strict as assert } from 'assert';
import { replayTcc, tccSafety, tccSettled } from '../../lib/checkers';
import { ConfigError } from '../../lib/core';
import {
  BranchRecord,
  BranchRequest,
  brokenTccRules,
  cancelBranch,
  confirmBranch,
  describeTccChaos,
  runTccTransfers,
  singleTransfer,
  tccChaosRun,
  tccCluster,
  tccConfirmRetried,
  tccCoordinatorCrash,
  tccCrashAtEachStep,
  tccEmptyRollback,
  tccInsufficientFunds,
  tccLateCancel,
  tccNormalTransfer,
  tccSuspension,
  tryBranch,
} from '../../lib/protocols/tcc';

const debit: BranchRequest = { txn: 't1', branch: 'debit', account: 'a0', amount: 30 };
const credit: BranchRequest = { txn: 't1', branch: 'credit', account: 'b0', amount: 30 };
const rec = (r: BranchRequest, state: BranchRecord['state']): BranchRecord => ({ ...r, state });
const acct = (balance: number, frozen = 0, pending = 0) => ({ balance, frozen, pending });

/** Steps of the stores' local transactions in a scenario, as "node step branch before->after". */
function localSteps(events: readonly { kind: string; node?: string; text?: string; data?: unknown }[]): string[] {
  return events
    .filter((e) => e.kind === 'annotate' && e.text === 'local txn')
    .map((e) => {
      const d = e.data as { step: string; branch: string; before: string; after: string };
      return `${e.node} ${d.step} ${d.branch} ${d.before}->${d.after}`;
    });
}

describe('TCC (Try-Confirm-Cancel; Seata TCC fence; Helland 2007 §5)', () => {
  describe('the reference participant rules (the exercise contracts)', () => {
    it('Try: debit freezes, credit records pending, lack of funds refuses with no record', () => {
      assert.deepEqual(tryBranch(undefined, acct(100), debit), { record: rec(debit, 'tried'), change: acct(-30, 30), reply: { ok: true, state: 'tried' } });
      assert.deepEqual(tryBranch(undefined, acct(0), credit).change, acct(0, 0, 30));
      const refused = tryBranch(undefined, acct(29, 100), debit);
      assert.equal(refused.record, undefined);
      assert.deepEqual(refused.change, acct(0));
      assert.deepEqual(refused.reply, { ok: false, state: 'none', reason: 'insufficient funds' });
    });

    it('idempotence: a repeated Try, Confirm or Cancel moves nothing and answers as the first did', () => {
      assert.deepEqual(tryBranch(rec(debit, 'tried'), acct(70, 30), debit).change, acct(0));
      assert.deepEqual(confirmBranch(rec(credit, 'confirmed'), acct(130), credit), { record: rec(credit, 'confirmed'), change: acct(0), reply: { ok: true, state: 'confirmed' } });
      assert.deepEqual(cancelBranch(rec(debit, 'cancelled'), acct(100), debit), { record: rec(debit, 'cancelled'), change: acct(0), reply: { ok: true, state: 'cancelled' } });
    });

    it('Confirm and Cancel use the recorded amount', () => {
      const tried = { ...rec(debit, 'tried'), amount: 12 };
      assert.deepEqual(confirmBranch(tried, acct(88, 12), debit).change, acct(0, -12));
      assert.deepEqual(cancelBranch(tried, acct(88, 12), debit).change, acct(12, -12));
      assert.deepEqual(confirmBranch({ ...rec(credit, 'tried'), amount: 12 }, acct(0, 0, 12), credit).change, acct(12, 0, -12));
    });

    it('empty rollback records CANCELLED with no change; a Try after it is refused (suspension)', () => {
      const empty = cancelBranch(undefined, acct(100), credit);
      assert.deepEqual(empty, { record: rec(credit, 'cancelled'), change: acct(0), reply: { ok: true, state: 'cancelled' } });
      const late = tryBranch(empty.record, acct(100), credit);
      assert.deepEqual(late.change, acct(0));
      assert.equal(late.record?.state, 'cancelled');
      assert.equal(late.reply.ok, false);
    });

    it('final states never change: Cancel after Confirm and Confirm after Cancel move nothing', () => {
      assert.deepEqual(cancelBranch(rec(debit, 'confirmed'), acct(70), debit).reply, { ok: false, state: 'confirmed' });
      assert.deepEqual(cancelBranch(rec(debit, 'confirmed'), acct(70), debit).change, acct(0));
      assert.deepEqual(confirmBranch(rec(debit, 'cancelled'), acct(100), debit).reply, { ok: false, state: 'cancelled' });
      assert.deepEqual(confirmBranch(undefined, acct(100), debit), { record: undefined, change: acct(0), reply: { ok: false, state: 'none' } });
    });
  });

  describe('scenarios', () => {
    it('normal transfer: Try at both stores, then Confirm at both; 30 moved from a0 to b0', () => {
      const r = tccNormalTransfer(1);
      assert.deepEqual(localSteps(r.sim.trace.events), ['bank-a try debit none->tried', 'bank-b try credit none->tried', 'bank-a confirm debit tried->confirmed', 'bank-b confirm credit tried->confirmed']);
      assert.ok(r.safety.ok && r.settled.ok);
      const snap = r.cluster.snapshot();
      assert.deepEqual(snap['bank-a'].accounts.a0, acct(70));
      assert.deepEqual(snap['bank-b'].accounts.b0, acct(130));
    });

    it('Confirm lost, retried, duplicated: bank-b confirms once and answers the duplicate', () => {
      const r = tccConfirmRetried(1);
      const confirms = localSteps(r.sim.trace.events).filter((s) => s.startsWith('bank-b confirm'));
      assert.deepEqual(confirms, ['bank-b confirm credit tried->confirmed', 'bank-b confirm credit confirmed->confirmed']);
      assert.ok(r.settled.ok, JSON.stringify(r.settled));
      assert.deepEqual(r.cluster.snapshot()['bank-b'].accounts.b0, acct(130));
    });

    it('insufficient funds: the debit Try refuses, both branches end cancelled, nothing moved', () => {
      const r = tccInsufficientFunds(1);
      assert.equal(r.outcomes[0].decision, 'cancel');
      assert.ok(r.settled.ok);
      assert.deepEqual(r.cluster.snapshot()['bank-a'].accounts.a0, acct(100));
    });

    it('empty rollback: bank-b never sees a Try, records the Cancel with no change', () => {
      const r = tccEmptyRollback(1);
      assert.ok(localSteps(r.sim.trace.events).includes('bank-b cancel credit none->cancelled'));
      assert.ok(r.settled.ok);
    });

    it('suspension: the slow Tries arrive after the Cancel and are refused', () => {
      const r = tccSuspension(1);
      const steps = localSteps(r.sim.trace.events);
      const cancelAt = steps.indexOf('bank-b cancel credit none->cancelled');
      assert.ok(cancelAt >= 0, steps.join('; '));
      assert.ok(steps.slice(cancelAt).includes('bank-b try credit cancelled->cancelled'), steps.join('; '));
      assert.ok(r.settled.ok);
      const broken = tccSuspension(1, { rules: brokenTccRules.suspensionAllowed });
      assert.equal(broken.safety.ok ? '' : broken.safety.invariant, 'no suspension');
    });

    it('a Cancel after Confirm moves nothing; the refunding variant breaks "final state"', () => {
      assert.ok(tccLateCancel(1).settled.ok);
      const broken = tccLateCancel(1, { rules: brokenTccRules.cancelAfterConfirmRefunds });
      assert.equal(broken.safety.ok ? '' : broken.safety.invariant, 'final state');
    });

    it('manager crash after Try: reservations held while it is down, recovery cancels them', () => {
      const r = tccCoordinatorCrash(1, 200);
      const [reserveA, reserveB] = r.cluster.reservations();
      assert.ok(reserveA.heldMs >= 200 && reserveB.heldMs >= 200, JSON.stringify(r.cluster.reservations()));
      assert.equal(reserveA.end, 'cancel');
      assert.ok(r.sim.trace.events.some((e) => e.kind === 'annotate' && e.text === 'recovered'));
      assert.ok(r.settled.ok);
    });

    it('crash at each step: what is left while down, and a clean finish after recovery', () => {
      const { rows } = tccCrashAtEachStep(1);
      const byPoint = Object.fromEntries(rows.map((r) => [r.crashPoint, r]));
      assert.deepEqual([byPoint['before Try'].downFrozen, byPoint['before Try'].outcome], [0, 'confirm']);
      assert.deepEqual([byPoint['after one Try'].downDebit, byPoint['after one Try'].downCredit, byPoint['after one Try'].outcome], ['tried', 'none', 'cancel']);
      assert.deepEqual([byPoint['after both Tries'].downFrozen, byPoint['after both Tries'].downPending, byPoint['after both Tries'].outcome], [30, 30, 'cancel']);
      assert.deepEqual([byPoint['after the Confirm decision'].downDebit, byPoint['after the Confirm decision'].outcome], ['tried', 'confirm']);
      assert.deepEqual([byPoint['after one Confirm'].downDebit, byPoint['after one Confirm'].downCredit], ['confirmed', 'tried']);
      for (const row of rows) {
        assert.equal(row.check, 'ok', row.crashPoint);
        assert.deepEqual([row.afterFrozen, row.afterPending], [0, 0], row.crashPoint);
      }
    });
  });

  describe('the checker', () => {
    it('replays the accounts from the annotations and reports the first broken invariant', () => {
      const r = tccNormalTransfer(1);
      const input = { events: r.sim.trace.events, opening: r.cluster.workload.balances, transfers: r.cluster.workload.transfers };
      assert.deepEqual(replayTcc(input).accounts['bank-b'].b0, acct(130));
      // Drop the credit Confirm from the trace: a half-done transfer with a pending credit left.
      const cut = r.sim.trace.events.filter((e) => !(e.kind === 'annotate' && e.text === 'local txn' && e.node === 'bank-b' && (e.data as { step: string }).step === 'confirm'));
      const verdict = tccSettled({ ...input, events: cut });
      assert.equal(verdict.ok ? '' : verdict.invariant, 'atomicity');
      assert.ok(tccSafety({ ...input, events: cut }).ok, 'mid-run, money in flight is conserved');
    });
  });

  describe('chaos sweep (loss, duplication, reordering, partitions, crashes)', function () {
    this.timeout(60000);
    const seeds = Array.from({ length: 200 }, (_, i) => i + 1);

    it('the reference keeps every invariant and finishes every transfer, 200 seeds', () => {
      for (const seed of seeds) {
        const r = tccChaosRun(seed);
        assert.equal(describeTccChaos(r), 'ok', `seed ${seed}: replay with ${r.replay}`);
      }
    });

    for (const [name, invariant] of [['noIdempotence', 'idempotence'], ['noEmptyRollback', 'empty rollback'], ['suspensionAllowed', 'no suspension']] as const) {
      it(`the broken variant ${name} is caught (${invariant}) within 20 seeds`, () => {
        const found = seeds.slice(0, 20).map((seed) => tccChaosRun(seed, { rules: brokenTccRules[name] })).find((r) => !r.safety.ok || !r.liveness.ok || !r.settled.ok);
        assert.ok(found, `${name} survived 20 seeds`);
        const verdict = !found.safety.ok ? found.safety : found.settled;
        assert.ok(!verdict.ok && verdict.invariant === invariant, `seed ${found.seed}: ${describeTccChaos(found)}`);
      });
    }

    it('same seed, same trace hash', () => {
      const a = tccChaosRun(17).cluster.sim.trace.hash();
      const b = tccChaosRun(17).cluster.sim.trace.hash();
      assert.equal(a, b);
      assert.notEqual(a, tccChaosRun(18).cluster.sim.trace.hash());
    });
  });

  describe('runTccTransfers and its options', () => {
    it('reports the shared TransferRunReport: all transfers finish, money is conserved, locks are local', () => {
      const { report } = runTccTransfers({ seed: 3, workload: { transfers: 50, accountsPerStore: 4 } });
      assert.equal(report.protocol, 'TCC');
      assert.equal(report.committed + report.aborted, 50);
      assert.equal(report.unfinished, 0);
      assert.equal(report.moneyBefore, report.moneyAfter);
      assert.deepEqual(report.leftovers, []);
      assert.ok(report.reservedMs.length >= 2 * report.committed, 'every committed transfer reserved at both stores');
      assert.ok(report.lockHeldMs.every((ms) => ms === 1), 'each local transaction holds its row lock for localTxnMs = 1');
      assert.ok(report.throughputPerSec > 0);
    });

    it('bad options throw ConfigError naming the field', () => {
      assert.throws(() => tccCluster({ seed: 1, tryTimeoutMs: 0 }), (e: unknown) => e instanceof ConfigError && /tryTimeoutMs must be a number > 0, got 0/.test(e.message));
      assert.throws(() => tccCluster({ seed: 1, retryMs: 50, maxRetryMs: 10 }), (e: unknown) => e instanceof ConfigError && /maxRetryMs/.test(e.message));
      assert.throws(() => tccCluster({ seed: 1, localTxnMs: -1 }), ConfigError);
      assert.throws(() => tccCluster({ seed: 'x' }), (e: unknown) => e instanceof ConfigError && /seed must be an integer >= 0/.test(e.message));
      assert.throws(() => tccCluster({ seed: 1, coordinator: 'bank-a' }), ConfigError);
      assert.throws(() => tccCluster({ seed: 1, rules: { tryBranch: 3 as never } }), (e: unknown) => e instanceof ConfigError && /rules.tryBranch/.test(e.message));
      assert.throws(() => tccCluster({ seed: 1, bogus: true } as never), (e: unknown) => e instanceof ConfigError && /bogus/.test(e.message));
      assert.throws(() => tccCluster({ seed: 1, workload: { transfers: 0 } }), (e: unknown) => e instanceof ConfigError && /transfers/.test(e.message));
      assert.throws(() => tccCluster({ seed: 1, network: { dropRate: 2 } }), ConfigError);
      assert.doesNotThrow(() => tccCluster({ seed: 'any', workload: singleTransfer() }));
    });

    it('a malformed rule result fails with a message naming the rule', () => {
      const cluster = tccCluster({ seed: 1, workload: singleTransfer(), rules: { tryBranch: () => ({ record: undefined, change: { balance: 0 }, reply: { ok: true, state: 'tried' } }) as never } });
      assert.throws(() => cluster.run(100), /tryBranch returned .* change must be \{ balance, frozen, pending \}/);
    });
  });
});
