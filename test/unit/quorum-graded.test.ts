/**
 * The quorum graded tests must catch the classic bugs of a quorum read with read repair, each
 * with a message that names the property it breaks. We grade variants of the reference, each
 * with one bug (lib/protocols/quorum brokenQuorumRules), through the real grader, as a
 * learner's submission would be graded, and check which tests fail and why.
 */
import { strict as assert } from 'assert';
import { GradedResult as Result, compiled, gradeVariant as grade } from './grade-variant';

/** Grades the reference with `patch` (JavaScript reassigning exports of `rules`; `lib` is lib/protocols/quorum) applied. */
function gradeVariant(patch: string): Result[] {
  return grade(
    'quorum',
    `const lib = require(${compiled('lib/protocols/quorum/index.js')});\n` +
      `const rules = { ...require(${compiled('solutions/quorum.js')}) };\n${patch}\nmodule.exports = rules;\n`,
  );
}

function failed(results: Result[]): string[] {
  return results.filter((t) => t.score < t.max_score).map((t) => t.name.replace(/^quorum: /, ''));
}

function output(results: Result[], name: string): string {
  return results.find((t) => t.name === `quorum: ${name}`)?.output ?? '';
}

const newest = 'resolveRead returns the newest version';
const targets = 'repairTargets names every replica behind the value read';
const scripted = 'a read returns the latest write and repairs the stale replica';
const fresh = 'W + R > N: every read right after a write sees it';
const chaos = 'reads stay fresh and replicas converge under seeded faults';
const heal = 'without anti-entropy, read repair alone heals the replicas after faults';
const linearizable = 'blocking read repair with your rules is linearizable';

describe('quorum graded tests catch the classic bugs', function () {
  this.timeout(120_000);

  it('the reference earns every point', () => {
    const results = gradeVariant('');
    assert.deepEqual(failed(results), []);
  });

  it('firstReply (the first answer, not the newest): the rule case, the scripted read, the sweeps and linearizability catch it', () => {
    const results = gradeVariant(`rules.resolveRead = lib.brokenQuorumRules.firstReply.resolveRead;`);
    const names = failed(results);
    for (const name of [newest, scripted, fresh, chaos, linearizable]) assert.ok(names.includes(name), `${name} not failed: ${names.join('; ')}`);
    assert.ok(!names.includes(targets), 'repairTargets is the reference here');
    assert.match(output(results, newest), /a read returns the newest version[\s\S]*returning the first reply/);
    assert.match(output(results, scripted), /reads the latest write broken: get\("x"\)[\s\S]*returned "v1"/);
    assert.match(output(results, chaos), /reads the latest write broken[\s\S]*--seed \d+/);
  });

  for (const bug of ['noRepair', 'repairOnlyMissing'] as const) {
    it(`${bug}: the rule case names it, and the replicas stay apart where only read repair can join them`, () => {
      const results = gradeVariant(`rules.repairTargets = lib.brokenQuorumRules.${bug}.repairTargets;`);
      const names = failed(results);
      for (const name of [targets, scripted, heal]) assert.ok(names.includes(name), `${name} not failed: ${names.join('; ')}`);
      for (const name of [newest, fresh]) assert.ok(!names.includes(name), `${name} failed, but resolveRead is the reference's`);
      assert.match(output(results, targets), bug === 'noRepair' ? /n1 holds nothing: it missed the write, so repair it/ : /repairing only the replicas that had nothing/);
      assert.match(output(results, scripted), /read repair converges the replicas[\s\S]*still differ/);
      assert.match(output(results, heal), /read repair converges the replicas[\s\S]*still differ[\s\S]*--seed \d+/);
    });
  }

  it('a repair rule that forgets late replies (repairs only on the first call) fails the scripted late read', () => {
    // The first call has at least R = 2 replies; a late reply comes alone.
    const results = gradeVariant(`const ref = rules.repairTargets; rules.repairTargets = (replies, chosen) => replies.length < 2 ? [] : ref(replies, chosen);`);
    const names = failed(results);
    assert.ok(names.includes(scripted), names.join('; '));
    assert.match(output(results, scripted), /stale last[\s\S]*came after the coordinator had answered/);
  });

  it('a rule that throws loses only the tests that use it, with its message', () => {
    const results = gradeVariant(`rules.repairTargets = () => { throw new TypeError('oops'); };`);
    assert.ok(!failed(results).includes(newest));
    assert.match(output(results, targets), /TypeError: oops/);
  });
});
