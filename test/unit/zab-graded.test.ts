/**
 * The ZAB graded tests must catch every slip of lib/protocols/zab's brokenZabRules, each with a
 * message that names the rule (in the rule's own case) and the ZAB property that broke (in the
 * scenarios and sweeps). We grade variants of the reference solution, each with one slip,
 * through the real grader (as a learner's submission would be graded) and check exactly which
 * tests fail and why. Each variant is graded once, with the whole suite (about 1-6 s each here).
 */
import { strict as assert } from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { GradedResult as Result, compiled, gradeVariant as grade } from './grade-variant';

const distRoot = path.resolve(__dirname, '..', '..');
const grader = path.join(distRoot, 'scripts', 'grade.js');

/**
 * Grades a variant of the reference: `patch` is JavaScript that reassigns exports of `rules`
 * (the reference module's), with `lib` (lib/protocols/zab) in scope.
 */
function gradeVariant(patch: string): Result[] {
  return grade('zab', `const lib = require(${compiled('lib/protocols/zab/index.js')});\nconst rules = { ...require(${compiled('solutions/zab.js')}) };\n${patch}\nmodule.exports = rules;\n`);
}

/** Grades the reference with one of brokenZabRules swapped in. */
function gradeBroken(name: string): Result[] {
  return gradeVariant(`Object.assign(rules, lib.brokenZabRules.${name});`);
}

function failed(results: Result[]): string[] {
  return results.filter((t) => t.score < t.max_score).map((t) => t.name.replace(/^zab: /, ''));
}

function output(results: Result[], name: string): string {
  const result = results.find((t) => t.name === `zab: ${name}`);
  assert.ok(result, `no test named "${name}"`);
  return result.output;
}

/** A scenario or sweep failure names the property, the seed and the replay command. */
function assertNamesProperty(results: Result[], name: string, property: RegExp): void {
  const text = output(results, name);
  assert.match(text, new RegExp(`invariant ${property.source} broke( at simulated time [\\d.]+ ms)? with seed \\d+`), text);
  assert.match(text, /replay: npm run grade -- zab --test "[^"]+" --seed \d+/, text);
}

const epochRule = 'compareVotes: the higher epoch wins first';
const zxidRule = 'compareVotes: then the higher zxid';
const idRule = 'compareVotes: then the higher server id';
const diffRule = "chooseSync: DIFF from the follower's next transaction";
const wholeRule = 'chooseSync: send the uncommitted proposals too';
const truncRule = 'chooseSync: TRUNC what the leader lacks';
const snapRule = 'chooseSync: SNAP only past the committed log';
const ruleTests = [epochRule, zxidRule, idRule, diffRule, wholeRule, truncRule, snapRule];
const first = 'a fresh ensemble elects the highest id';
const proposal = 'a proposal survives its leader crashing before the commit';
const partial = 'a transaction delivered before partial COMMITs survives';
const syncModes = 'returning followers get SNAP, TRUNC and DIFF';
const epochs = 'a newer epoch beats a longer history of an older one';
const primaryOrder = "primary order: a primary's transactions in its order, none skipped";
const chaosSafety = 'safety under loss, duplication, crashes and partitions';
const chaosLiveness = 'every server catches up once the faults stop';
const guarded = "the scenarios with ZooKeeper's guard on: elections still end";
const small = '3 servers, SNAP-heavy chaos';

describe('zab graded tests catch every broken rule, naming the property', function () {
  this.timeout(120_000);

  it('the untouched stubs earn nothing, each test saying "not implemented yet" with the stub\'s message', function () {
    const stub = fs.readFileSync(path.join(distRoot, 'exercises', 'zab.js'), 'utf8');
    if ((stub.match(/\bNotImplemented\(/g) ?? []).length !== 2) this.skip(); // exercises/zab.ts was edited
    const json = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'zab-stubs-')), 'results.json');
    const run = spawnSync(process.execPath, [grader, 'zab', '--impl-root', distRoot, '--target', 'exercises', '--require-zero', '--json', json], { encoding: 'utf8' });
    assert.equal(run.status, 0, run.stdout + run.stderr);
    const results = JSON.parse(fs.readFileSync(json, 'utf8')).tests as Result[];
    fs.rmSync(path.dirname(json), { recursive: true, force: true });
    assert.equal(results.length, 17);
    for (const t of results) {
      assert.equal(t.score, 0, t.name);
      assert.match(t.output, /not implemented yet: (compareVotes\(a, b\)|chooseSync\(input\)) in exercises\/zab\.ts: /, t.name);
    }
    assert.match(output(results, snapRule), /not implemented yet: chooseSync\(input\) in exercises\/zab\.ts/);
  });

  it('zxidBeforeEpoch: the rule case names it; without the guard a delivered T is taken back (Agreement), with it the election never ends', () => {
    const results = gradeBroken('zxidBeforeEpoch');
    assert.deepEqual(failed(results), [epochRule, epochs, guarded]);
    assert.match(output(results, epochRule), /invariant vote order 1: the higher epoch wins, whatever the zxids \(Medeiros §3\.1\) broke[\s\S]*returned -?\d+, expected a positive[\s\S]*comparing zxids before epochs/);
    assertNamesProperty(results, epochs, /Agreement/);
    assert.match(output(results, epochs), /took back 1 delivered transaction\(s\) .*\[T\]/);
    assertNamesProperty(results, guarded, /Election termination/);
  });

  it('noServerIdTieBreak: the rule case names it; every election in the scenarios and the sweeps never ends (Election termination)', () => {
    const results = gradeBroken('noServerIdTieBreak');
    assert.deepEqual(failed(results), [idRule, first, proposal, partial, syncModes, epochs, primaryOrder, chaosLiveness, guarded, small]);
    assert.match(output(results, idRule), /invariant vote order 3: on equal epochs and zxids, the higher server id wins \(Medeiros §3\.1\) broke[\s\S]*forgetting the server-id tie-break/);
    for (const name of [first, proposal, primaryOrder, chaosLiveness]) assertNamesProperty(results, name, /Election termination/);
    assert.match(output(results, first), /n1 votes n1, n2 votes n2/);
    assert.ok(!failed(results).includes(chaosSafety), 'an election that never ends delivers nothing wrong');
  });

  it('ignoreZxid: the rule case names it; the partial-commit scenario takes back a delivered W (Agreement); the sweep sees endless elections', () => {
    const results = gradeBroken('ignoreZxid');
    assert.deepEqual(failed(results), [zxidRule, partial, chaosLiveness, small]);
    assert.match(output(results, zxidRule), /invariant vote order 2: on equal epochs, the higher zxid wins \(Medeiros §3\.1\) broke[\s\S]*ignoring the zxid/);
    assertNamesProperty(results, partial, /Agreement/);
    assert.match(output(results, partial), /n1 took back 1 delivered transaction\(s\) .*\[W\]/);
    assertNamesProperty(results, chaosLiveness, /Election termination/);
    assert.match(output(results, chaosLiveness), /"follower is ahead" guard is on here/);
  });

  it('diffInsteadOfTrunc: the TRUNC case names it; the old leader delivers its own proposal (Total order) in the scenarios and the sweep', () => {
    const results = gradeBroken('diffInsteadOfTrunc');
    assert.deepEqual(failed(results), [truncRule, syncModes, primaryOrder, chaosSafety, chaosLiveness, small]);
    assert.match(output(results, truncRule), /invariant TRUNC what the leader lacks: .* \(Medeiros §3\.2\) broke[\s\S]*returned DIFF \[1, 3\), expected TRUNC to \(1,1\) then \[1, 3\)[\s\S]*a DIFF where a TRUNC is needed/);
    for (const name of [syncModes, primaryOrder, chaosSafety]) assertNamesProperty(results, name, /Total order/);
    assertNamesProperty(results, chaosLiveness, /Delivered everywhere/);
  });

  it('diffSkipsUncommitted: the sendTo case names it; a follower misses the proposal the new epoch commits (Total order)', () => {
    const results = gradeBroken('diffSkipsUncommitted');
    assert.deepEqual(failed(results), [wholeRule, proposal, partial, chaosSafety, chaosLiveness, guarded, small]);
    assert.match(output(results, wholeRule), /invariant synchronization sends to the end of the leader's history, uncommitted proposals included \(Zab §IV-B\) broke[\s\S]*sendTo 1, expected 2[\s\S]*sending only the committed part/);
    for (const name of [proposal, partial, chaosSafety]) assertNamesProperty(results, name, /Total order/);
    assertNamesProperty(results, chaosLiveness, /Delivered everywhere/);
  });

  it('diffOffByOne: the DIFF case names it; followers log and deliver a transaction twice (Total order)', () => {
    const results = gradeBroken('diffOffByOne');
    assert.deepEqual(failed(results), [diffRule, proposal, partial, syncModes, epochs, chaosSafety, chaosLiveness, guarded, small]);
    assert.match(output(results, diffRule), /invariant DIFF starts right after the follower's last transaction \(Medeiros §3\.2\) broke[\s\S]*returned DIFF \[1, 5\), expected DIFF \[2, 5\)/);
    for (const name of [proposal, syncModes, chaosSafety]) assertNamesProperty(results, name, /Total order/);
  });

  it('a rule that throws loses only the tests that use it; a result of the wrong shape and a changed input are named', () => {
    const throwing = gradeVariant(`rules.chooseSync = () => { throw new TypeError('oops'); };`);
    const passed = throwing.filter((t) => t.score === t.max_score).map((t) => t.name.replace(/^zab: /, ''));
    assert.deepEqual(passed, [epochRule, zxidRule, idRule]);
    assert.match(output(throwing, diffRule), /TypeError: oops/);
    assert.match(output(throwing, chaosSafety), /TypeError: oops/);

    // compareVotes throws (every run fails fast), and chooseSync counts the SNAP threshold from history.length.
    const snapSlip = gradeVariant(`rules.compareVotes = () => { throw new RangeError('nope'); };\nrules.chooseSync = (input) => lib.chooseSync({ ...input, committed: input.history.length });`);
    assert.deepEqual(snapSlip.filter((t) => t.score === t.max_score).map((t) => t.name.replace(/^zab: /, '')), [diffRule, wholeRule, truncRule]);
    assert.match(output(snapSlip, snapRule), /invariant SNAP only when the follower needs transactions older than the committed log \(Medeiros §3\.2\) broke[\s\S]*returned SNAP, expected not a SNAP \(DIFF \[1, 5\)\)[\s\S]*uncommitted proposals are not in the committed log/);
    assert.match(output(snapSlip, first), /RangeError: nope/);

    const shapes = gradeVariant(
      `rules.compareVotes = (a, b) => lib.compareVotes(a, b) > 0;\n` + // a boolean, not a number
        `rules.chooseSync = (input) => { input.history.sort(() => 0); return lib.chooseSync(input); };`, // writes to its input
    );
    assert.deepEqual(failed(shapes).filter((n) => ruleTests.includes(n)), ruleTests);
    assert.match(output(shapes, epochRule), /compareVotes\(.*\) returned true; it must return a number/);
    assert.match(output(shapes, diffRule), /chooseSync\(.*\) changed its input/);
    assert.match(output(shapes, first), /invariant the contract of compareVotes broke with seed 1:[\s\S]*compareVotes returned (true|false) for a /);
  });
});
