/**
 * The gossip graded tests must catch the classic bugs of merging in anti-entropy, each with a
 * message that names the property it breaks. We grade variants of the reference, each with one
 * bug (lib/protocols/gossip brokenMergeRules), through the real grader, as a learner's
 * submission would be graded, and check which tests fail and why.
 */
import { strict as assert } from 'assert';
import { GradedResult as Result, compiled, gradeVariant as grade } from './grade-variant';

/** Grades the reference with `patch` (JavaScript reassigning exports of `rules`; `lib` is lib/protocols/gossip) applied. */
function gradeVariant(patch: string): Result[] {
  return grade(
    'gossip',
    `const lib = require(${compiled('lib/protocols/gossip/index.js')});\n` +
      `const rules = { ...require(${compiled('solutions/gossip.js')}) };\n${patch}\nmodule.exports = rules;\n`,
  );
}

function failed(results: Result[]): string[] {
  return results.filter((t) => t.score < t.max_score).map((t) => t.name.replace(/^gossip: /, ''));
}

function output(results: Result[], name: string): string {
  return results.find((t) => t.name === `gossip: ${name}`)?.output ?? '';
}

const lwwCase = 'lww keeps the newest write by (timestamp, node)';
const siblingsCase = 'siblings keeps concurrent writes and drops overwritten ones';
const laws = 'the merge laws hold on random replica histories';
const lwwCluster = 'last-writer-wins anti-entropy converges on the newest write after a partition';
const vcCluster = 'vector-clock anti-entropy converges after a partition and loses no write';
const ap = 'the AP register with your rules serves through a partition and reconciles after';

describe('gossip graded tests catch the classic bugs', function () {
  this.timeout(120_000);

  it('the reference earns every point', () => {
    assert.deepEqual(failed(gradeVariant('')), []);
  });

  const lwwBugs: [string, RegExp, RegExp][] = [
    ['keepLocal', /keeping the local version loses the newer write/, /convergence[\s\S]*still differ/],
    ['timestampWithoutTieBreak', /comparing timestamps only and keeping your own on a tie/, /convergence[\s\S]*still differ[\s\S]*"tie-/],
    ['oldestWins', /keeping the older version loses the newest write/, /convergence|no lost update: the newest write/],
  ];
  for (const [bug, unitMessage, clusterMessage] of lwwBugs) {
    it(`${bug}: the lww case, the merge laws and the partitioned cluster catch it`, () => {
      const results = gradeVariant(`rules.lww = lib.brokenMergeRules.${bug}.lww;`);
      const names = failed(results);
      // (A timestamp tie needs two writes in the same millisecond: the AP register's clients never make one.)
      for (const name of [lwwCase, laws, lwwCluster, ...(bug === 'timestampWithoutTieBreak' ? [] : [ap])]) assert.ok(names.includes(name), `${name} not failed: ${names.join('; ')}`);
      for (const name of [siblingsCase, vcCluster]) assert.ok(!names.includes(name), `${name} failed, but siblings is the reference's`);
      assert.match(output(results, lwwCase), unitMessage);
      assert.match(output(results, lwwCluster), clusterMessage);
      assert.match(output(results, lwwCluster), /--seed \d+/);
    });
  }

  it('dropConcurrentSiblings: a lost update, named by the siblings case, the laws and the cluster', () => {
    const results = gradeVariant(`rules.siblings = lib.brokenMergeRules.dropConcurrentSiblings.siblings;`);
    const names = failed(results);
    for (const name of [siblingsCase, laws, vcCluster, ap]) assert.ok(names.includes(name), `${name} not failed: ${names.join('; ')}`);
    assert.ok(!names.includes(lwwCase) && !names.includes(lwwCluster), names.join('; '));
    assert.match(output(results, siblingsCase), /no lost update[\s\S]*keeping only your own side/);
    assert.match(output(results, laws), /no lost update/);
    assert.match(output(results, vcCluster), /no lost update[\s\S]*is gone at n\d/);
  });

  it('keepOverwrittenSiblings: stale values come back, named by the siblings case, the laws and the cluster', () => {
    const results = gradeVariant(`rules.siblings = lib.brokenMergeRules.keepOverwrittenSiblings.siblings;`);
    const names = failed(results);
    for (const name of [siblingsCase, laws, vcCluster]) assert.ok(names.includes(name), `${name} not failed: ${names.join('; ')}`);
    assert.match(output(results, siblingsCase), /overwritten versions are dropped[\s\S]*a plain union that never prunes/);
    assert.match(output(results, laws), /overwritten versions are dropped/);
    assert.match(output(results, vcCluster), /overwritten versions are dropped[\s\S]*which has seen it/);
  });

  it('a siblings rule that keeps two copies of one write fails the case for it', () => {
    const results = gradeVariant(`const ref = rules.siblings; rules.siblings = (a, b) => a.length === 1 && b.length === 1 && lib.sameVersion(a[0], b[0]) ? [a[0], b[0]] : ref(a, b);`);
    assert.ok(failed(results).includes(siblingsCase));
    assert.match(output(results, siblingsCase), /keeps two copies of one write/);
  });
});
