/**
 * The proof-of-work graded tests must catch every slip of lib/protocols/pow's brokenPowRules,
 * naming the rule that broke. Variants of the reference are graded through the real grader, as
 * a learner's submission would be (about 1-2 s each).
 */
import { strict as assert } from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { GradedResult as Result, compiled, gradeVariant as grade } from './grade-variant';

const distRoot = path.resolve(__dirname, '..', '..');

function gradeBroken(name: string): Result[] {
  return grade('pow', `const lib = require(${compiled('lib/protocols/pow/index.js')});\nconst rules = { ...require(${compiled('solutions/pow.js')}) };\nObject.assign(rules, lib.brokenPowRules.${name});\nmodule.exports = rules;\n`);
}

function failed(results: Result[]): string[] {
  return results.filter((t) => t.score < t.max_score).map((t) => t.name.replace(/^pow: /, ''));
}

function output(results: Result[], name: string): string {
  const result = results.find((t) => t.name === `pow: ${name}`);
  assert.ok(result, `no test named "${name}"`);
  return result.output;
}

describe('pow graded tests catch every broken rule, naming it', function () {
  this.timeout(60_000);

  it('the untouched stubs earn nothing, each test saying "not implemented yet"', function () {
    const stub = fs.readFileSync(path.join(distRoot, 'exercises', 'pow.js'), 'utf8');
    if ((stub.match(/\bNotImplemented\(/g) ?? []).length !== 2) this.skip(); // exercises/pow.ts was edited
    const json = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'pow-stubs-')), 'results.json');
    const run = spawnSync(process.execPath, [path.join(distRoot, 'scripts', 'grade.js'), 'pow', '--impl-root', distRoot, '--target', 'exercises', '--require-zero', '--json', json], { encoding: 'utf8' });
    assert.equal(run.status, 0, run.stdout + run.stderr);
    const results = JSON.parse(fs.readFileSync(json, 'utf8')).tests as Result[];
    fs.rmSync(path.dirname(json), { recursive: true, force: true });
    assert.equal(results.length, 8);
    for (const t of results) {
      assert.equal(t.score, 0, t.name);
      assert.match(t.output, /not implemented yet: (mine\(header, difficulty, startNonce, maxAttempts\)|chooseChain\(chains\)) in exercises\/pow\.ts: /, t.name);
    }
  });

  it('zeroBytes: the zero-bits case names it (too few zero bits)', () => {
    const results = gradeBroken('zeroBytes');
    assert.deepEqual(failed(results), ['mine: leading zero bits', 'mine: the first nonce from startNonce', 'mine: at most maxAttempts, then null']);
    assert.match(output(results, 'mine: leading zero bits'), /invariant a proof has `difficulty` leading zero BITS \(Nakamoto §4\) broke[\s\S]*has only \d+ leading zero bits \(\d+ required\)/);
  });

  it('longestChain: the work cases and the long light fork name it', () => {
    const results = gradeBroken('longestChain');
    assert.ok(failed(results).includes('chooseChain: the most cumulative work'), failed(results).join(', '));
    assert.ok(failed(results).includes('scenarios: a long light fork, and an equal-work tie'));
    assert.ok(!failed(results).some((n) => n.startsWith('mine:')));
    assert.match(output(results, 'chooseChain: the most cumulative work'), /invariant fork choice: the most cumulative work, not the most blocks \(Nakamoto §4\) broke[\s\S]*returned 0, expected 1[\s\S]*counting blocks/);
    assert.match(output(results, 'scenarios: a long light fork, and an equal-work tie'), /easyLongFork: the observer follows branch 1/);
  });

  it('switchOnTie: the tie cases and the tie scenario name it', () => {
    const results = gradeBroken('switchOnTie');
    assert.ok(failed(results).includes('chooseChain: a tie keeps the chain seen first'), failed(results).join(', '));
    assert.ok(failed(results).includes('scenarios: a long light fork, and an equal-work tie'));
    assert.ok(!failed(results).includes('chooseChain: the most cumulative work'));
    assert.match(output(results, 'chooseChain: a tie keeps the chain seen first'), /invariant fork choice: on a tie, keep the chain seen first \(Nakamoto §5\) broke[\s\S]*returned 1, expected 0/);
    assert.match(output(results, 'scenarios: a long light fork, and an equal-work tie'), /equalWorkTie: the observer follows branch 1/);
  });
});
