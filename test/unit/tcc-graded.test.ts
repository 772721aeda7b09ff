/**
 * The TCC graded tests must catch each classic slip of a participant (lib/protocols/tcc's
 * brokenTccRules), naming the rule in its unit case and the invariant in the runs. Variants of
 * the reference are graded through the real grader, as a learner's submission would be.
 */
import { strict as assert } from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { GradedResult as Result, compiled, gradeVariant as grade } from './grade-variant';

function gradeBroken(name: string): Result[] {
  return grade('tcc', `const lib = require(${compiled('lib/protocols/tcc/index.js')});\nconst rules = { ...require(${compiled('solutions/tcc.js')}) };\nObject.assign(rules, lib.brokenTccRules.${name});\nmodule.exports = rules;\n`);
}

function failed(results: Result[]): string[] {
  return results.filter((t) => t.score < t.max_score).map((t) => t.name.replace(/^tcc: /, ''));
}

function output(results: Result[], name: string): string {
  const result = results.find((t) => t.name === `tcc: ${name}`);
  assert.ok(result, `no test named "${name}"`);
  return result.output;
}

const retriedTry = 'a retried Try reserves once';
const confirmOnce = 'Confirm applies once';
const cancelOnce = 'Cancel releases once';
const emptyRollback = 'empty rollback: a Cancel before its Try';
const suspension = 'suspension: a Try after its Cancel is refused';
const finalState = 'a final state never changes';
const scripted = 'scripted failures: lost Confirm, lost Try, late Try, late Cancel, manager crash';
const chaos = 'chaos: money conserved, all or nothing, nothing left reserved';

describe('tcc graded tests catch every broken participant, naming it', function () {
  this.timeout(120_000);

  it('the untouched stubs earn nothing, each test saying "not implemented yet"', function () {
    const distRoot = path.resolve(__dirname, '..', '..');
    const stub = fs.readFileSync(path.join(distRoot, 'exercises', 'tcc.js'), 'utf8');
    if ((stub.match(/\bNotImplemented\(/g) ?? []).length !== 3) this.skip(); // exercises/tcc.ts was edited
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tcc-stubs-'));
    const json = path.join(dir, 'results.json');
    const run = spawnSync(process.execPath, [path.join(distRoot, 'scripts', 'grade.js'), 'tcc', '--impl-root', distRoot, '--target', 'exercises', '--require-zero', '--json', json], { encoding: 'utf8' });
    assert.equal(run.status, 0, run.stdout + run.stderr);
    const results = JSON.parse(fs.readFileSync(json, 'utf8')).tests as Result[];
    fs.rmSync(dir, { recursive: true, force: true });
    assert.equal(results.length, 9);
    for (const t of results) assert.match(t.output, /not implemented yet: (tryBranch|confirmBranch|cancelBranch)\(record, account, request\) in exercises\/tcc\.ts/, t.name);
  });

  it('the reference earns full marks', () => {
    const results = grade('tcc', `module.exports = require(${compiled('solutions/tcc.js')});\n`);
    assert.deepEqual(failed(results), []);
    assert.equal(results.reduce((s, t) => s + t.score, 0), 20);
  });

  it('no idempotence: the retry cases and the chaos sweep (idempotence, with a seed to replay)', () => {
    const results = gradeBroken('noIdempotence');
    const names = failed(results);
    for (const name of [retriedTry, confirmOnce, cancelOnce, scripted, chaos]) assert.ok(names.includes(name), `${name} passed; failed: ${names.join('; ')}`);
    assert.match(output(results, chaos), /idempotence|empty rollback/);
    assert.match(output(results, chaos), /--seed \d+/);
  });

  it('no empty rollback: its unit case, the scripted runs and the sweep', () => {
    const results = gradeBroken('noEmptyRollback');
    assert.deepEqual(failed(results).sort(), [chaos, emptyRollback, scripted].sort());
    assert.match(output(results, chaos), /empty rollback/);
  });

  it('suspension allowed: its unit case, the scripted late Try and the sweep', () => {
    const results = gradeBroken('suspensionAllowed');
    assert.deepEqual(failed(results).sort(), [chaos, scripted, suspension].sort());
    assert.match(output(results, scripted), /no suspension/);
  });

  it('cancel after confirm refunds: its unit case and the scripted late Cancel (the sweep cannot: the manager never sends one)', () => {
    const results = gradeBroken('cancelAfterConfirmRefunds');
    assert.deepEqual(failed(results).sort(), [finalState, scripted].sort());
    assert.match(output(results, scripted), /final state/);
  });

  it('a rule that throws loses the tests that use it, and the grader goes on', () => {
    const results = grade('tcc', `const rules = { ...require(${compiled('solutions/tcc.js')}) };\nrules.confirmBranch = () => { throw new TypeError('oops'); };\nmodule.exports = rules;\n`);
    assert.deepEqual(failed(results).sort(), [chaos, confirmOnce, finalState, scripted].sort());
  });
});
