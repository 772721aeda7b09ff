/**
 * The XA graded tests must catch the classic mistakes of a TM's recovery decision, each with a
 * named test: we grade variants of the reference solution, each with one bug, through the real
 * grader (as a learner's submission would be graded) and check which tests fail and why.
 */
import { strict as assert } from 'assert';
import { GradedResult, compiled, gradeVariant } from './grade-variant';

/** exercises/xa.js = the reference with `patch` applied to `plan` (the reference's answer) before it is returned. */
function variant(patch: string): GradedResult[] {
  return gradeVariant(
    'xa',
    `const reference = require(${compiled('solutions/xa.js')});
const lib = require(${compiled('lib/protocols/xa/index.js')});
exports.recoveryDecision = (input) => { const plan = reference.recoveryDecision(input); ${patch}; return plan; };
`,
  );
}

function failed(results: GradedResult[]): string[] {
  return results.filter((t) => t.score < t.max_score).map((t) => t.name.replace(/^xa: /, ''));
}

describe('xa graded tests catch the classic bugs', function () {
  this.timeout(120000);

  it('the reference, graded as a submission, earns every point', () => {
    assert.deepEqual(failed(variant('')), []);
  });

  it("'roll back everything in doubt' (ignores the commit record): caught by the rule case and the crash scenarios", () => {
    const results = variant(`plan.branches = plan.branches.map((b) => ({ ...b, action: b.action === 'leave' ? 'leave' : 'rollback' }))`);
    const names = failed(results);
    for (const name of ['a commit record means commit', 'the TM crashes between prepare and commit: recovery finishes the work', 'a crash at each step: roll back before the commit record, commit after it']) {
      assert.ok(names.includes(name), `${name} not among ${names.join('; ')}`);
    }
    const scenario = results.find((t) => t.name.includes('crashes between prepare and commit'))!;
    assert.match(scenario.output, /atomicity broken for txn tm1\.t0/);
    assert.match(scenario.output, /--seed \d+/);
  });

  it("'commit everything prepared' (forgets presumed abort): caught", () => {
    const names = failed(variant(`plan.branches = plan.branches.map((b) => ({ ...b, action: b.action === 'leave' ? 'leave' : 'commit' }))`));
    assert.ok(names.includes('no commit record means rollback (presumed abort)'), names.join('; '));
    assert.ok(names.includes('a crash at each step: roll back before the commit record, commit after it'), names.join('; '));
  });

  it("'touch foreign xids' (rolls back another TM's branches): caught by the rule case and the two-TM crash scenario", () => {
    const results = variant(`plan.branches = plan.branches.map((b) => ({ ...b, action: b.action === 'leave' ? 'rollback' : b.action }))`);
    const names = failed(results);
    assert.ok(names.includes("leave other TMs' xids alone"), names.join('; '));
    assert.ok(names.includes('the TM crashes between prepare and commit: recovery finishes the work'), names.join('; '));
    const scenario = results.find((t) => t.name.includes('crashes between prepare and commit'))!;
    assert.match(scenario.output, /logged its commit decision/);
  });

  it("'own = gtrid starts with the TM name' (no dot: tm1 takes tm10's xids): caught by the rule case only", () => {
    const names = failed(variant(`plan.branches = plan.branches.map((b) => ({ ...b, action: b.xid.gtrid.startsWith(input.tm) && b.xid.formatId === lib.COURSE_FORMAT_ID ? (input.log.some((r) => r.type === 'commit' && r.gtrid === b.xid.gtrid) ? 'commit' : 'rollback') : 'leave' }))`));
    assert.deepEqual(names, ["leave other TMs' xids alone"]);
  });

  it("'end too early' (ends every committed transaction at once): caught by the end-record case", () => {
    const names = failed(variant(`const ended = new Set(input.log.filter((r) => r.type === 'end').map((r) => r.gtrid)); plan.end = input.log.filter((r) => r.type === 'commit' && !ended.has(r.gtrid)).map((r) => r.gtrid)`));
    assert.ok(names.includes('end a transaction only when all its branches are done'), names.join('; '));
  });

  it('a rule that throws loses only the tests that call it, and the grader carries on', () => {
    const results = variant(`if (input.recovered.some((r) => r.xids === null)) throw new TypeError('oops')`);
    const names = failed(results);
    assert.ok(names.includes('never roll back a branch of a committed transaction'), names.join('; '));
    assert.ok(!names.includes('a commit record means commit'), 'every RM answers in that case');
    assert.match(results.find((t) => t.name.includes('never roll back'))!.output, /TypeError: oops/);
  });
});
