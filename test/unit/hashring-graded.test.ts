/**
 * The hash-ring graded tests must catch the classic bugs of the ring lookup, each with a message
 * that names the property it breaks. We grade variants of the reference, each with one bug
 * (lib/protocols/hashring brokenRingRules, and a linear scan), through the real grader, as a
 * learner's submission would be graded, and check which tests fail and why.
 */
import { strict as assert } from 'assert';
import { GradedResult as Result, compiled, gradeVariant as grade } from './grade-variant';

/** Grades the reference with `patch` (JavaScript reassigning exports of `rules`; `lib` is lib/protocols/hashring) applied. */
function gradeVariant(patch: string): Result[] {
  return grade(
    'hashring',
    `const lib = require(${compiled('lib/protocols/hashring/index.js')});\n` +
      `const rules = { ...require(${compiled('solutions/hashring.js')}) };\n${patch}\nmodule.exports = rules;\n`,
  );
}

function failed(results: Result[]): string[] {
  return results.filter((t) => t.score < t.max_score).map((t) => t.name.replace(/^hashring: /, ''));
}

function output(results: Result[], name: string): string {
  return results.find((t) => t.name === `hashring: ${name}`)?.output ?? '';
}

const successor = 'successorIndex finds the first token clockwise';
const wrap = 'successorIndex wraps around past 2^32';
const binary = 'successorIndex is a binary search on a ring of 100,000 tokens';
const walk = 'preferenceList walks clockwise to N distinct physical nodes';
const brute = 'lookups with virtual nodes agree with a brute-force walk of the ring';
const join = 'a join moves about 1/(n+1) of the keys, all to the new node';
const store = 'the quorum store placed by your ring keeps N replicas and fresh reads under faults';

describe('hashring graded tests catch the classic bugs', function () {
  this.timeout(120_000);

  it('the reference earns every point', () => {
    assert.deepEqual(failed(gradeVariant('')), []);
  });

  it('predecessor: the successor case and the brute-force walk name it', () => {
    const results = gradeVariant(`rules.successorIndex = lib.brokenRingRules.predecessor.successorIndex;`);
    const names = failed(results);
    for (const name of [successor, binary, brute]) assert.ok(names.includes(name), `${name} not failed: ${names.join('; ')}`);
    for (const name of [walk, store]) assert.ok(!names.includes(name), `${name} failed: ${names.join('; ')}`);
    assert.match(output(results, successor), /successor lookup[\s\S]*taking the predecessor/);
    assert.match(output(results, brute), /belongs to the first token clockwise[\s\S]*--seed \d+/);
  });

  it('noWrapAround: the wrap-around case and the brute-force walk name it', () => {
    const results = gradeVariant(`rules.successorIndex = lib.brokenRingRules.noWrapAround.successorIndex;`);
    const names = failed(results);
    for (const name of [wrap, binary, brute]) assert.ok(names.includes(name), `${name} not failed: ${names.join('; ')}`);
    assert.ok(!names.includes(successor), names.join('; '));
    assert.match(output(results, wrap), /wrap-around at 2\^32[\s\S]*forgetting the wrap-around/);
    assert.match(output(results, brute), /wrap-around at 2\^32[\s\S]*is past the last token/);
  });

  it('a linear scan: correct, but the binary-search test counts its reads', () => {
    const results = gradeVariant(`rules.successorIndex = (positions, position) => { for (let i = 0; i < positions.length; i++) if (positions[i] >= position) return i; return 0; };`);
    assert.deepEqual(failed(results), [binary]);
    assert.match(output(results, binary), /the lookup is a binary search[\s\S]*read \d+ positions of a ring of 100000 tokens/);
  });

  it('duplicateReplicas: the walk case, the brute-force walk and the store placement name it', () => {
    const results = gradeVariant(`rules.preferenceList = lib.brokenRingRules.duplicateReplicas.preferenceList;`);
    const names = failed(results);
    for (const name of [walk, brute, store]) assert.ok(names.includes(name), `${name} not failed: ${names.join('; ')}`);
    for (const name of [successor, wrap, binary, join]) assert.ok(!names.includes(name), `${name} failed: ${names.join('; ')}`);
    assert.match(output(results, walk), /replicas must be distinct physical nodes[\s\S]*taking the next n tokens/);
    assert.match(output(results, brute), /one node holds two of the three replicas/);
    assert.match(output(results, store), /one crash takes two copies/);
  });

  it('preferenceListNoWrap: the walk case, the brute-force walk and the store placement name it', () => {
    const results = gradeVariant(`rules.preferenceList = lib.brokenRingRules.preferenceListNoWrap.preferenceList;`);
    const names = failed(results);
    for (const name of [walk, brute, store]) assert.ok(names.includes(name), `${name} not failed: ${names.join('; ')}`);
    assert.match(output(results, walk), /wrapping around the ring[\s\S]*stopping at the end of the array/);
    assert.match(output(results, brute), /every key needs N = 3 replicas \(the walk wraps around the ring\)/);
  });

  it('a lookup that ignores the ring (hash mod the number of tokens) breaks monotonicity on a join', () => {
    const results = gradeVariant(`rules.successorIndex = (positions, position) => position % positions.length;`);
    const names = failed(results);
    assert.ok(names.includes(join), names.join('; '));
    assert.match(output(results, join), /monotonicity[\s\S]*changed owner; consistent hashing moves about 1\/\(n\+1\)/);
  });
});
