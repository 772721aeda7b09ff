/**
 * The PBFT graded tests must catch every slip of lib/protocols/pbft's brokenPbftRules, naming
 * the rule (in its unit case) and, where the seeded Byzantine sweep catches it, the property.
 * Variants of the reference are graded through the real grader (about 10 s each: the sweep).
 * committedWithFPlus1 and newViewLowestView are also caught by a scripted run
 * (lib/protocols/pbft/scenarios.ts) whose Agreement breaks; preparedIgnoresDigest by its unit
 * case only (with at most f faulty replicas it cannot break Agreement, see scenarios.ts).
 */
import { strict as assert } from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { GradedResult as Result, compiled, gradeVariant as grade } from './grade-variant';

const distRoot = path.resolve(__dirname, '..', '..');

function gradeBroken(name: string): Result[] {
  return grade('pbft', `const lib = require(${compiled('lib/protocols/pbft/index.js')});\nconst rules = { ...require(${compiled('solutions/pbft.js')}) };\nObject.assign(rules, lib.brokenPbftRules.${name});\nmodule.exports = rules;\n`);
}

function failed(results: Result[]): string[] {
  return results.filter((t) => t.score < t.max_score).map((t) => t.name.replace(/^pbft: /, ''));
}

function output(results: Result[], name: string): string {
  const result = results.find((t) => t.name === `pbft: ${name}`);
  assert.ok(result, `no test named "${name}"`);
  return result.output;
}

const prepared2f = 'prepared: 2f prepares and the pre-prepare';
const preparedMatch = 'prepared: only matching prepares count';
const committed = 'committed-local: 2f+1 commits';
const highest = 'NEW-VIEW: the highest view wins';
const gaps = 'NEW-VIEW: min-s, max-s and null requests';
const sweep = 'safety and liveness with a Byzantine replica';
const more = 'more seeds, and f = 2';
const committedRun = 'committed-local: 2f+1 commits, in a run';
const highestRun = 'NEW-VIEW: the highest view wins, in a run';

describe('pbft graded tests catch every broken rule, naming it', function () {
  this.timeout(120_000);

  it('the untouched stubs earn nothing, each test saying "not implemented yet"', function () {
    const stub = fs.readFileSync(path.join(distRoot, 'exercises', 'pbft.js'), 'utf8');
    if ((stub.match(/\bNotImplemented\(/g) ?? []).length !== 3) this.skip(); // exercises/pbft.ts was edited
    const json = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'pbft-stubs-')), 'results.json');
    const run = spawnSync(process.execPath, [path.join(distRoot, 'scripts', 'grade.js'), 'pbft', '--impl-root', distRoot, '--target', 'exercises', '--require-zero', '--json', json], { encoding: 'utf8' });
    assert.equal(run.status, 0, run.stdout + run.stderr);
    const results = JSON.parse(fs.readFileSync(json, 'utf8')).tests as Result[];
    fs.rmSync(path.dirname(json), { recursive: true, force: true });
    assert.equal(results.length, 9);
    for (const t of results) {
      assert.equal(t.score, 0, t.name);
      assert.match(t.output, /not implemented yet: (prepared|committedLocal|computeNewView)\([^)]*\) in exercises\/pbft\.ts: /, t.name);
    }
  });

  it('preparedWithF: the 2f case names it; the sweep stalls (Liveness)', () => {
    const results = gradeBroken('preparedWithF');
    assert.deepEqual(failed(results), [prepared2f, preparedMatch, sweep, more]);
    assert.match(output(results, prepared2f), /invariant prepared: the pre-prepare and 2f matching prepares \(OSDI §4\.2\) broke[\s\S]*returned true, expected false[\s\S]*f = 1 prepare is not enough/);
    assert.match(output(results, sweep), /invariant Liveness broke at simulated time [\d.]+ ms with seed \d+/);
  });

  it('newViewDropsGaps: the gap case names it; the sweep stalls (Liveness)', () => {
    const results = gradeBroken('newViewDropsGaps');
    assert.deepEqual(failed(results), [gaps, sweep, more]);
    assert.match(output(results, gaps), /invariant NEW-VIEW: min-s, max-s, and a null request in every gap \(OSDI §4\.4\) broke[\s\S]*stalls execution/);
  });

  it('committedWithFPlus1: the unit case names it; the scripted runs break Agreement, naming the rule', () => {
    const results = gradeBroken('committedWithFPlus1');
    // The old-certificate run starts with the commit-quorum run's first act, so it breaks too.
    assert.deepEqual(failed(results), [committed, committedRun, highestRun]);
    assert.match(output(results, highestRun), /if "committed-local: 2f\+1 commits, in a run" fails too, fix that first/);
    assert.match(output(results, committed), /invariant committed-local: prepared and 2f\+1 matching commits \(OSDI §4\.2\) broke[\s\S]*f\+1 = 2 commits are not enough/);
    assert.match(output(results, committedRun), /invariant Agreement \(committed-local: prepared and 2f\+1 matching commits \(OSDI §4\.2\)\) broke at simulated time [\d.]+ ms with seed \d+[\s\S]*Agreement broken at seq 1: [\s\S]*pbftCommitQuorumScenario\(\d+, rules\)/);
  });

  it('newViewLowestView: the unit case names it; the scripted run breaks Agreement, naming the rule', () => {
    const results = gradeBroken('newViewLowestView');
    assert.deepEqual(failed(results), [highest, highestRun]);
    assert.match(output(results, highest), /entries \[1: A\], expected .*entries \[1: B\]/);
    assert.match(output(results, highestRun), /invariant Agreement \(NEW-VIEW: the prepared request of the highest view \(OSDI §4\.4\)\) broke at simulated time [\d.]+ ms with seed \d+[\s\S]*Agreement broken at seq 1: [\s\S]*pbftOldCertificateScenario\(\d+, rules\)/);
  });

  it('preparedIgnoresDigest: its unit case names it (no run can break Agreement with it)', () => {
    const digest = gradeBroken('preparedIgnoresDigest');
    assert.deepEqual(failed(digest), [preparedMatch]);
    assert.match(output(digest, preparedMatch), /digest B, not A/);
  });
});
