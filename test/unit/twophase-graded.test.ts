/**
 * The graded tests must catch the classic mistakes, each with a message that names the rule.
 * We grade small variants of the reference solution, each with one bug, through the real
 * grader (as a learner's submission would be graded) and check which tests fail and why.
 */
import { strict as assert } from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const distRoot = path.resolve(__dirname, '..', '..');
const grader = path.join(distRoot, 'scripts', 'grade.js');
const reference = path.join(distRoot, 'solutions', 'twophase.js');

/** Grades a variant of the reference: `patch` is JavaScript that reassigns exports. */
function gradeVariant(patch: string): { output: string; results: { name: string; score: number; max_score: number; output: string }[] } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'twophase-variant-'));
  fs.mkdirSync(path.join(dir, 'exercises'));
  fs.writeFileSync(
    path.join(dir, 'exercises', 'twophase.js'),
    `const reference = require(${JSON.stringify(reference)});\nconst rules = { ...reference };\n${patch}\nmodule.exports = rules;\n`,
  );
  const json = path.join(dir, 'results.json');
  const run = spawnSync(process.execPath, [grader, 'twophase', '--impl-root', dir, '--json', json], { encoding: 'utf8' });
  const results = JSON.parse(fs.readFileSync(json, 'utf8')).tests;
  fs.rmSync(dir, { recursive: true, force: true });
  return { output: run.stdout + run.stderr, results };
}

function failed(results: { name: string; score: number; max_score: number }[]): string[] {
  return results.filter((t) => t.score < t.max_score).map((t) => t.name.replace(/^twophase: /, ''));
}

describe('twophase graded tests catch the classic bugs', function () {
  this.timeout(120000);

  it('a participant that aborts when in doubt: caught by the unit case and the atomicity sweep', () => {
    const { results } = gradeVariant(`rules.participantRecovery = (log) => { const o = log.find((r) => r.type === 'outcome'); return o ? o.outcome : 'abort'; };`);
    const names = failed(results);
    assert.ok(names.includes('participant recovery: a logged outcome stands, in doubt it asks'), names.join('; '));
    assert.ok(names.includes('2PC atomicity under loss, duplication, partitions and crashes'), names.join('; '));
    const sweep = results.find((t) => t.name.includes('2PC atomicity'))!;
    assert.match(sweep.output, /atomicity broken for txn t\d+: p\d committed at [\d.]+ ms, p\d aborted at [\d.]+ ms/);
    assert.match(sweep.output, /--seed \d+/);
  });

  it('a coordinator that commits on a majority of yes votes: caught', () => {
    const { results } = gradeVariant(`rules.coordinatorDecision = (votes, timedOut) => { const v = [...votes.values()]; const yes = v.filter((x) => x === 'yes').length; if (yes * 2 > v.length) return 'commit'; return timedOut ? 'abort' : 'wait'; };`);
    const names = failed(results);
    assert.ok(names.includes('coordinator commits only on a unanimous yes'), names.join('; '));
    assert.ok(names.includes('2PC atomicity under loss, duplication, partitions and crashes'), names.join('; '));
  });

  it('a coordinator that ignores its vote timeout: caught by the rule case', () => {
    // (The protocol still ends: the coordinator re-sends Prepare and a participant that gave up
    // votes no, so only the rule's own case can catch this one.)
    const { results } = gradeVariant(`const ref = rules.coordinatorDecision; rules.coordinatorDecision = (votes, timedOut) => ref(votes, false);`);
    assert.deepEqual(failed(results), ['coordinator waits for missing votes, then aborts at the timeout']);
  });

  it('a coordinator that never decides: caught by liveness', () => {
    const { results } = gradeVariant(`rules.coordinatorDecision = () => 'wait';`);
    const names = failed(results);
    assert.ok(names.includes('2PC ends every transaction after the faults stop'), names.join('; '));
    const liveness = results.find((t) => t.name.includes('ends every transaction'))!;
    assert.match(liveness.output, /liveness/);
  });

  it('a 3PC rule that aborts when someone is precommitted: caught', () => {
    const { results } = gradeVariant(`rules.terminationDecision = (states) => [...states.values()].includes('committed') ? 'commit' : 'abort';`);
    const names = failed(results);
    assert.deepEqual(names.sort(), ['3PC finishes without its coordinator', '3PC termination rule TR1-TR4']);
  });

  it('a rule that throws loses only the tests that use it', () => {
    const { results } = gradeVariant(`rules.terminationDecision = () => { throw new TypeError('oops'); };`);
    assert.deepEqual(failed(results).sort(), ['3PC finishes without its coordinator', '3PC termination rule TR1-TR4']);
  });
});
