/**
 * Graded tests of the XA exercise (exercises/xa.ts): the TM's recovery decision for in-doubt
 * transactions. Rule cases on frozen inputs, then the learner's rule inside the simulated TM:
 * the TM crashing between prepare and commit, a crash at each step, and a seeded chaos sweep
 * with TM and RM crashes, loss, duplication, reordering and partitions.
 */
import { GradedFailure, gradedSuite, implementation } from '../../lib/grade';
import {
  RecoveryInput,
  RecoveryPlan,
  RecoveryRule,
  TmLogRecord,
  Xid,
  crashAtEachStep,
  makeXid,
  tmCrashBetweenPrepareAndCommit,
  xaChaosRun,
  xidToString,
} from '../../lib/protocols/xa';

type Exercise = typeof import('../../solutions/xa');

/** The learner's rule (or the reference, with --target solutions). */
function rule(): RecoveryRule {
  return implementation<Exercise>('xa').recoveryDecision;
}

const a0 = makeXid('tm1.t0', 'bank-a');
const b0 = makeXid('tm1.t0', 'bank-b');
const a1 = makeXid('tm1.t1', 'bank-a');
const b1 = makeXid('tm1.t1', 'bank-b');
const commitT0: TmLogRecord = { type: 'commit', gtrid: 'tm1.t0', branches: [{ rm: 'bank-a', xid: a0 }, { rm: 'bank-b', xid: b0 }] };
const endT0: TmLogRecord = { type: 'end', gtrid: 'tm1.t0' };

function show(input: RecoveryInput): string {
  const log = input.log.map((r) => `${r.type} ${r.gtrid}`).join(', ') || 'empty';
  const lists = input.recovered.map((r) => `${r.rm}: ${r.xids === null ? 'no answer' : `[${r.xids.map((x) => `${x.gtrid}@${x.formatId}`).join(', ')}]`}`).join('; ');
  return `tm ${input.tm}, log [${log}], xa_recover ${lists}`;
}

/** Runs the rule and checks the shape of its answer. */
function decide(input: RecoveryInput): RecoveryPlan {
  const plan = rule()(input);
  if (!plan || !Array.isArray(plan.branches) || !Array.isArray(plan.end)) {
    throw new GradedFailure({ invariant: 'plan shape', message: `recoveryDecision(${show(input)}) returned ${JSON.stringify(plan)}`, hint: 'return { branches: [{ rm, xid, action }], end: [gtrid, ...] }' });
  }
  return plan;
}

/** The action the plan gives to xid at rm (undefined when the plan leaves it out). */
function actionOf(plan: RecoveryPlan, rm: string, xid: Xid): string | undefined {
  return plan.branches.find((b) => b.rm === rm && b.xid && xidToString(b.xid) === xidToString(xid))?.action;
}

function expectAction(input: RecoveryInput, rm: string, xid: Xid, expected: string, why: string): RecoveryPlan {
  const plan = decide(input);
  const got = actionOf(plan, rm, xid);
  if (got !== expected) {
    throw new GradedFailure({ invariant: 'recovery decision', message: `recoveryDecision(${show(input)}) gave ${xid.gtrid} at ${rm} ${got === undefined ? 'no action' : `'${got}'`}, expected '${expected}'`, hint: why });
  }
  return plan;
}

function expectEnd(input: RecoveryInput, expected: string[], why: string): void {
  const got = [...decide(input).end].sort();
  if (JSON.stringify(got) !== JSON.stringify([...expected].sort())) {
    throw new GradedFailure({ invariant: 'end record', message: `recoveryDecision(${show(input)}) ends ${JSON.stringify(got)}, expected ${JSON.stringify(expected)}`, hint: why });
  }
}

export default gradedSuite('xa', [
  {
    name: 'a commit record means commit',
    points: 2,
    description: 'Own branches of a transaction with a commit record in the log are committed (the decision was forced before any xa_commit; XA §2.3).',
    run() {
      const why = 'the commit record is the decision: finish it';
      const both = { tm: 'tm1', log: [commitT0], recovered: [{ rm: 'bank-a', xids: [a0] }, { rm: 'bank-b', xids: [b0] }] };
      expectAction(both, 'bank-a', a0, 'commit', why);
      expectAction(both, 'bank-b', b0, 'commit', why);
      expectAction({ tm: 'tm1', log: [commitT0], recovered: [{ rm: 'bank-a', xids: [] }, { rm: 'bank-b', xids: [b0] }] }, 'bank-b', b0, 'commit', 'bank-a already committed: bank-b must commit too');
    },
  },
  {
    name: 'no commit record means rollback (presumed abort)',
    points: 2,
    description: 'An own prepared branch without a commit record is rolled back: the TM never decided commit, so nobody committed (Mohan et al. 1986 §2.2).',
    run() {
      const why = 'presumed abort: no commit record, so the TM cannot have told anyone to commit';
      expectAction({ tm: 'tm1', log: [], recovered: [{ rm: 'bank-a', xids: [a1] }, { rm: 'bank-b', xids: [] }] }, 'bank-a', a1, 'rollback', why);
      const mixed = { tm: 'tm1', log: [commitT0], recovered: [{ rm: 'bank-a', xids: [a0, a1] }, { rm: 'bank-b', xids: [b1] }] };
      expectAction(mixed, 'bank-a', a1, 'rollback', 'only t0 has a commit record: t1 rolls back');
      expectAction(mixed, 'bank-b', b1, 'rollback', 'only t0 has a commit record: t1 rolls back');
      expectAction(mixed, 'bank-a', a0, 'commit', 't0 has a commit record');
    },
  },
  {
    name: 'never roll back a branch of a committed transaction',
    points: 2,
    description: 'With a commit record in the log, no branch of that transaction may be rolled back, even one listed again after the end record (atomicity, BHG §7.2 AC1).',
    run() {
      const why = 'another branch may already have committed: rolling this one back breaks atomicity';
      expectAction({ tm: 'tm1', log: [commitT0, endT0], recovered: [{ rm: 'bank-a', xids: [a0] }, { rm: 'bank-b', xids: null }] }, 'bank-a', a0, 'commit', why);
      expectAction({ tm: 'tm1', log: [commitT0], recovered: [{ rm: 'bank-a', xids: [a0] }, { rm: 'bank-b', xids: null }] }, 'bank-a', a0, 'commit', why);
    },
  },
  {
    name: "leave other TMs' xids alone",
    points: 2,
    description: "Prepared branches of another TM (or another XA format, or another tool's GID) are not ours: 'leave' them, whatever our log says.",
    run() {
      const why = "xa_recover (and pg_prepared_xacts) list every TM's prepared branches: only the TM that made an xid may decide it";
      const other = makeXid('tm2.t0', 'bank-a');
      const prefix = makeXid('tm10.t0', 'bank-a');
      const format = makeXid('tm1.t0', 'bank-a', 1);
      const input = { tm: 'tm1', log: [], recovered: [{ rm: 'bank-a', xids: [other, prefix, format] }, { rm: 'bank-b', xids: [] }] };
      expectAction(input, 'bank-a', other, 'leave', why);
      expectAction(input, 'bank-a', prefix, 'leave', 'tm10.t0 belongs to tm10, not tm1 (use isOwnXid: the gtrid starts with "tm1.")');
      expectAction(input, 'bank-a', format, 'leave', 'another formatId: not an xid of the course\'s TMs');
      expectAction({ tm: 'tm1', log: [commitT0], recovered: [{ rm: 'bank-a', xids: [makeXid('tm2.t0', 'bank-a')] }, { rm: 'bank-b', xids: [] }] }, 'bank-a', makeXid('tm2.t0', 'bank-a'), 'leave', 'our commit record is for tm1.t0, not tm2.t0');
    },
  },
  {
    name: 'end a transaction only when all its branches are done',
    points: 2,
    description: 'The end record (after which the TM forgets the commit) is written only when every RM of the transaction answered and lists none of its branches.',
    run() {
      expectEnd({ tm: 'tm1', log: [commitT0], recovered: [{ rm: 'bank-a', xids: [] }, { rm: 'bank-b', xids: [b0] }] }, [], 'bank-b still has t0 prepared: forgetting the commit now would make the next recovery roll it back');
      expectEnd({ tm: 'tm1', log: [commitT0], recovered: [{ rm: 'bank-a', xids: [] }, { rm: 'bank-b', xids: null }] }, [], 'bank-b did not answer: it may still have t0 prepared');
      expectEnd({ tm: 'tm1', log: [commitT0], recovered: [{ rm: 'bank-a', xids: [] }, { rm: 'bank-b', xids: [] }] }, ['tm1.t0'], 'both banks answered and neither lists t0: it is finished');
      expectEnd({ tm: 'tm1', log: [commitT0, endT0], recovered: [{ rm: 'bank-a', xids: [] }, { rm: 'bank-b', xids: [] }] }, [], 't0 already has an end record');
      expectEnd({ tm: 'tm1', log: [], recovered: [{ rm: 'bank-a', xids: [a1] }, { rm: 'bank-b', xids: [] }] }, [], 'only committed transactions get an end record (presumed abort logs nothing for a rollback)');
    },
  },
  {
    name: 'idempotent: deciding twice, or after the plan was carried out, is safe',
    points: 2,
    description: 'A TM may crash during recovery and recover again: the same input gives the same plan, and once the plan is carried out the next decision ends the transaction and touches nothing.',
    run() {
      const input = { tm: 'tm1', log: [commitT0], recovered: [{ rm: 'bank-a', xids: [a0, a1] }, { rm: 'bank-b', xids: [b0, makeXid('tm2.t3', 'bank-b')] }] };
      const first = JSON.stringify(decide(input));
      const second = JSON.stringify(decide(input));
      if (first !== second) throw new GradedFailure({ invariant: 'idempotence', message: `two calls on ${show(input)} gave ${first} then ${second}`, hint: 'a pure function of its input: no state kept between calls' });
      const after = { tm: 'tm1', log: [commitT0], recovered: [{ rm: 'bank-a', xids: [] }, { rm: 'bank-b', xids: [makeXid('tm2.t3', 'bank-b')] }] };
      const plan = decide(after);
      const touched = plan.branches.filter((b) => b.action !== 'leave');
      if (touched.length > 0 || JSON.stringify(plan.end) !== JSON.stringify(['tm1.t0'])) {
        throw new GradedFailure({ invariant: 'idempotence', message: `after the plan was carried out, recoveryDecision(${show(after)}) returned ${JSON.stringify({ touched: touched.map((b) => `${b.action} ${b.xid.gtrid}`), end: plan.end })}`, hint: "t0's branches are gone: end it; tm2.t3 is not ours: leave it" });
      }
    },
  },
  {
    name: 'the TM crashes between prepare and commit: recovery finishes the work',
    points: 3,
    description: 'tm1 crashes after its commit record, before any xa_commit; rows stay locked and tm2\'s transfer waits; tm1 restarts and your rule must commit t0, leave tm2\'s branches alone, and let t1 commit too.',
    run(ctx) {
      const recovery = rule();
      for (const seed of ctx.seeds(5)) {
        const r = tmCrashBetweenPrepareAndCommit(seed, 300, { recovery });
        const fail = (invariant: string, message: string, hint: string) => { throw new GradedFailure({ invariant, message, seed, timeMs: r.sim.now(), hint }); };
        if (!r.check.ok) fail(r.check.invariant, r.check.message, 'tm1 logged commit for t0: its branches must commit; tm2\'s branches are not tm1\'s to touch');
        const balances = r.cluster.balances();
        if (JSON.stringify(balances) !== JSON.stringify({ 'bank-a': { a0: 850, a1: 1000 }, 'bank-b': { b0: 1100, b1: 1050 } })) {
          fail('both transfers commit', `balances after recovery ${JSON.stringify(balances)}; expected a0=850 b0=1100 b1=1050 (t0 and t1 committed). ${r.summary.replace(/\n/g, '; ')}`, 'recovery must commit t0 (it has a commit record), which frees row a0 for t1');
        }
      }
    },
  },
  {
    name: 'a crash at each step: roll back before the commit record, commit after it',
    points: 2,
    description: 'The TM crashes before prepare, after one prepare, after both, after the commit record, after one commit: the transfer must roll back in the first three cases and commit in the last two, leaving nothing behind.',
    run(ctx) {
      const recovery = rule();
      const expected = ['rolled back', 'rolled back', 'rolled back', 'committed at both banks', 'committed at both banks'];
      for (const seed of ctx.seeds(3)) {
        const rows = crashAtEachStep(seed, 300, { recovery });
        rows.forEach((row, i) => {
          if (row.outcome !== expected[i] || row.leftAfter !== 'nothing') {
            throw new GradedFailure({ invariant: 'crash at each step', message: `TM crash ${row.crash}: the transfer ended '${row.outcome}' (expected '${expected[i]}'), left behind: ${row.leftAfter}; recovery did: ${row.recovery}`, seed, hint: 'the commit record decides: none -> rollback, present -> commit' });
          }
        });
      }
    },
  },
  {
    name: 'atomicity, money and no leftovers under seeded faults',
    points: 4,
    timeoutMs: 60000,
    description: 'Two TMs, two banks, 100 seeded fault schedules (loss, duplication, reordering, partitions, TM and RM crashes and restarts): each transfer commits at both banks or neither, money is conserved, and after healing no lock or prepared branch is left.',
    run(ctx) {
      const recovery = rule();
      for (const seed of ctx.seeds(100)) {
        const r = xaChaosRun(seed, { recovery });
        if (!r.safety.ok) {
          throw new GradedFailure({ invariant: r.safety.invariant, message: r.safety.message, seed, hint: 'roll back only without a commit record, never touch another TM\'s xid, end only when every branch is done' });
        }
        if (!r.liveness.ok) {
          throw new GradedFailure({ invariant: 'liveness', message: r.liveness.message, seed, timeMs: r.cluster.sim.now(), hint: 'every own in-doubt branch must get commit or rollback, and finished transactions must end' });
        }
      }
    },
  },
]);
