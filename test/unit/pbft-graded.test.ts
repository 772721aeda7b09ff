/**
 * The PBFT graded tests must catch every slip of lib/protocols/pbft's brokenPbftRules, naming
 * the rule (in its unit case) and, where the seeded Byzantine sweep catches it, the property.
 * Variants of the reference are graded through the real grader (about 10 s each: the sweep).
 * committedWithFPlus1, newViewLowestView and preparedIgnoresDigest are caught by their unit
 * cases only: no targeted scenario makes a safety checker fail for them yet.
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
    assert.equal(results.length, 7);
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

  it('committedWithFPlus1, newViewLowestView, preparedIgnoresDigest: their unit cases name them', () => {
    const committedSlip = gradeBroken('committedWithFPlus1');
    assert.deepEqual(failed(committedSlip), [committed]);
    assert.match(output(committedSlip, committed), /invariant committed-local: prepared and 2f\+1 matching commits \(OSDI §4\.2\) broke[\s\S]*f\+1 = 2 commits are not enough/);
    const lowest = gradeBroken('newViewLowestView');
    assert.deepEqual(failed(lowest), [highest]);
    assert.match(output(lowest, highest), /entries \[1: A\], expected .*entries \[1: B\]/);
    const digest = gradeBroken('preparedIgnoresDigest');
    assert.deepEqual(failed(digest), [preparedMatch]);
    assert.match(output(digest, preparedMatch), /digest B, not A/);
  });
});
