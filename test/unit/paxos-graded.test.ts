/**
 * The Paxos graded tests must catch the classic bugs, each with a message that names the rule
 * it breaks. We grade variants of the reference solution, each with one bug, through the real
 * grader (as a learner's submission would be graded) and check which tests fail and why.
 */
import { strict as assert } from 'assert';
import { GradedResult as Result, compiled, gradeVariant as grade } from './grade-variant';

/**
 * Grades a variant of the reference: `patch` is JavaScript that reassigns exports of `rules`
 * (the reference module's), with `lib` (lib/protocols/paxos) and `ref` (its reference rules) in
 * scope. Unless the patch replaces handleRequest, the variant's handleRequest decides with the
 * variant's own onPrepare and onAccept, as a learner's file does.
 */
function gradeVariant(patch: string): Result[] {
  return grade(
    'paxos',
    `const lib = require(${compiled('lib/protocols/paxos/index.js')});\nconst ref = lib.referencePaxosRules;\n` +
      `const rules = { ...require(${compiled('solutions/paxos.js')}) };\n` +
      `rules.handleRequest = (io, request) => lib.handleRequest(io, request, rules);\n${patch}\nmodule.exports = rules;\n`,
  );
}

function failed(results: Result[]): string[] {
  return results.filter((t) => t.score < t.max_score).map((t) => t.name.replace(/^paxos: /, ''));
}

function output(results: Result[], name: string): string {
  return results.find((t) => t.name === `paxos: ${name}`)?.output ?? '';
}

const promise = 'onPrepare promises only to a strictly higher number';
const accept = 'onAccept accepts nothing below the promise';
const report = 'a Promise carries the highest accepted proposal';
const choose = 'chooseValue adopts the highest-numbered accepted value';
const persist = 'handleRequest persists before it replies';
const adopt = 'a second proposer adopts a value already chosen';
const sweep = 'agreement under loss, duplication, reordering, partitions and crashes';
const search = 'every delivery order at 3 acceptors and 2 proposers is safe';
const multi = 'Multi-Paxos with your rules keeps one command per slot';

describe('paxos graded tests catch the classic bugs', function () {
  this.timeout(300_000);

  it('accepting below the promise: the rule case names it, and the sweep finds two values chosen', () => {
    const results = gradeVariant(`rules.onAccept = lib.brokenPaxosRules.acceptBelowPromise.onAccept;`);
    const names = failed(results);
    assert.ok(names.includes(accept) && names.includes(sweep), names.join('; '));
    assert.match(output(results, accept), /P1a \(accept\): accept no proposal numbered below the promise[\s\S]*accepting below the promise/);
    assert.match(output(results, sweep), /agreement broken in slot 0: two values chosen[\s\S]*--seed \d+/);
  });

  it('promising twice to equal numbers (a literal >=, or rounds compared alone): the rule case names it', () => {
    const literal = failed(gradeVariant(`rules.onPrepare = (s, n) => lib.compareBallots(n, s.promised) >= 0 ? { reply: 'promise', newState: { promised: n, accepted: s.accepted }, accepted: s.accepted } : { reply: 'reject', newState: s };`));
    assert.deepEqual(literal, [promise]);
    const results = gradeVariant(`rules.onPrepare = lib.brokenPaxosRules.promiseEqualNumbers.onPrepare;`);
    assert.ok(failed(results).includes(promise), failed(results).join('; '));
    assert.match(output(results, promise), /promising twice to equal numbers|comparing rounds alone/);
  });

  it('not returning the accepted value in the Promise: the rule case, the scenario and the model checker catch it', () => {
    const results = gradeVariant(`rules.onPrepare = lib.brokenPaxosRules.forgetAcceptedInPromise.onPrepare;`);
    const names = failed(results);
    for (const name of [report, adopt, search]) assert.ok(names.includes(name), `${name} not failed: ${names.join('; ')}`);
    assert.match(output(results, report), /not returning the accepted value/);
    assert.match(output(results, search), /shortest counterexample, \d+ steps/);
  });

  it("proposing one's own value despite an accepted one: the rule case, the scenario and the model checker catch it", () => {
    const results = gradeVariant(`rules.chooseValue = lib.brokenPaxosRules.ignoreAcceptedValue.chooseValue;`);
    const names = failed(results);
    for (const name of [choose, adopt, search, multi]) assert.ok(names.includes(name), `${name} not failed: ${names.join('; ')}`);
    assert.match(output(results, choose), /proposing one's own value despite an accepted one/);
  });

  for (const bug of ['replyBeforePersist', 'neverPersist']) {
    it(`not persisting before replying (${bug}): the handler case names it, and the model checker's crashes show the damage`, () => {
      const results = gradeVariant(`rules.handleRequest = (io, request) => lib.brokenPaxosRules.${bug}.handleRequest(io, request, ref);`);
      const names = failed(results);
      for (const name of [persist, search]) assert.ok(names.includes(name), `${name} not failed: ${names.join('; ')}`);
      for (const name of [promise, accept, report, choose]) assert.ok(!names.includes(name), `${name} failed, but the rules are the reference's`);
      assert.match(output(results, persist), /not persisting before replying/);
      assert.match(output(results, search), /crash/);
    });
  }

  it('a rule that throws loses only the tests that use it, with its message', () => {
    const results = gradeVariant(`rules.chooseValue = () => { throw new TypeError('oops'); };`);
    assert.deepEqual(failed(results).sort(), [adopt, sweep, 'a value is learned once the faults stop', choose, search, multi].sort());
    assert.match(output(results, choose), /TypeError: oops/);
  });
});
