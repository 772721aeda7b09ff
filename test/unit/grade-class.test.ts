/**
 * `npm run grade:class` (lib/grade/class.ts) on a tiny class graded on the hashring topic:
 * a correct submission (a copy of the solution inside a copy of the repository), the untouched
 * stub (uploaded as a bare file), one with a type error, one whose successorIndex never returns
 * on a ring of one token, and the correct one again as a .zip; plus an instructor's hidden
 * graded file kept outside the repository (--tests). The submissions are written by the test
 * from solutions/ and exercises/, so they follow the real exercise as it changes.
 * About 20 s: two submissions at a time, a 3 s test limit.
 */
import { strict as assert } from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parseClassArguments } from '../../lib/grade/class';
import { UsageError } from '../../lib/grade/cli';
import { GradescopeResults } from '../../lib/grade/report';
import { findExercises, listSubmissions } from '../../lib/grade/submissions';
import { ScriptRun, distDir, projectRoot, runScript } from './run-script';

const dist = distDir;
const root = projectRoot;
const classGrader = path.join(dist, 'scripts', 'grade-class.js');

type Run = ScriptRun;

function gradeClass(args: string[]): Promise<Run> {
  return runScript(classGrader, args);
}

function write(file: string, text: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
}

/** A successorIndex that loops forever on a ring of one token, and is right otherwise. */
const loopingRing = `import type { NodeId } from '../lib/core';
import { preferenceList as referenceList, successorIndex as referenceSuccessor } from '../lib/protocols/hashring';

export function successorIndex(positions: readonly number[], position: number): number {
  let steps = 0;
  while (positions.length === 1) steps++; // a ring of one token: never returns
  return referenceSuccessor(positions, position) + steps;
}

export function preferenceList(owners: readonly NodeId[], startIndex: number, n: number): NodeId[] {
  return referenceList(owners, startIndex, n);
}
`;

/** An instructor's extra graded file, written as if it sat in test/graded/. */
const extraGraded = `import { gradedSuite, implementation } from '../../lib/grade';
type Ring = typeof import('../../solutions/hashring');

export default gradedSuite('hashring-extra', [
  {
    name: 'a ring of two tokens',
    points: 1,
    hidden: true,
    description: 'successorIndex([10, 20], 15) is 1.',
    run() {
      const got = implementation<Ring>('hashring').successorIndex([10, 20], 15);
      if (got !== 1) throw new Error(\`successorIndex([10, 20], 15) returned \${got}, expected 1\`);
    },
  },
]);
`;

describe('grade:class: grading a folder of submissions', function () {
  this.timeout(60_000);
  let work = '';
  let submissions = '';
  let out = '';
  let tests = '';
  let zipMade = false;
  let run: Run;
  const results = new Map<string, GradescopeResults>();

  before(async () => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'consensus-lab-class-test-'));
    submissions = path.join(work, 'submissions');
    out = path.join(work, 'results');
    tests = path.join(work, 'instructor-tests');
    const solution = fs.readFileSync(path.join(root, 'solutions', 'hashring.ts'), 'utf8');
    write(path.join(submissions, 'alice', 'consensus-lab', 'exercises', 'hashring.ts'), solution);
    write(path.join(submissions, 'alice', 'consensus-lab', 'node_modules', 'x', 'exercises', 'hashring.ts'), 'not this one');
    write(path.join(submissions, 'bob', 'hashring.ts'), fs.readFileSync(path.join(root, 'exercises', 'hashring.ts'), 'utf8'));
    write(path.join(submissions, 'carol', 'exercises', 'hashring.ts'), `${solution}\nexport const broken: number = 'not a number';\n`);
    write(path.join(submissions, 'dave', 'exercises', 'hashring.ts'), loopingRing);
    write(path.join(work, 'erin', 'exercises', 'hashring.ts'), solution);
    const zip = spawnSync('python3', ['-m', 'zipfile', '-c', path.join(submissions, 'erin.zip'), 'exercises'], { cwd: path.join(work, 'erin') });
    zipMade = zip.status === 0;
    write(path.join(tests, 'hashring-extra.graded.ts'), extraGraded);
    run = await gradeClass([submissions, '--out', out, 'hashring', '--tests', tests, '--timeout-ms', '3000', '--memory-mb', '256', '--jobs', '2']);
    for (const name of fs.existsSync(out) ? fs.readdirSync(out) : []) {
      if (name.endsWith('.json')) results.set(name.slice(0, -5), JSON.parse(fs.readFileSync(path.join(out, name), 'utf8')) as GradescopeResults);
    }
  });

  after(() => {
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  const test = (student: string, name: string): GradescopeResults['tests'][number] => {
    const found = results.get(student)?.tests.find((t) => t.name === name);
    assert.ok(found, `${student}.json has no test "${name}": ${JSON.stringify(results.get(student)?.tests.map((t) => t.name))}`);
    return found;
  };

  it('finishes with status 0 and writes one results file per submission', () => {
    assert.equal(run.status, 0, run.stdout + run.stderr);
    const expected = ['alice', 'bob', 'carol', 'dave', ...(zipMade ? ['erin'] : [])];
    assert.deepEqual([...results.keys()].sort(), expected);
    assert.match(run.stdout, new RegExp(`Wrote ${expected.length} results files and summary.csv`));
  });

  it('gives the solution full marks, hidden and extra tests included, marked hidden', () => {
    const alice = results.get('alice') as GradescopeResults;
    assert.equal(alice.score, alice.max_score, alice.output);
    assert.ok(alice.max_score > 1);
    assert.match(alice.output, /exercises from consensus-lab\/exercises\/: hashring\.ts/);
    assert.equal(test('alice', 'hashring-extra: a ring of two tokens').visibility, 'hidden');
    assert.ok(alice.tests.some((t) => t.name.startsWith('hashring: ') && t.visibility === 'hidden'), 'no hidden hashring test recorded');
    assert.ok(alice.tests.some((t) => t.visibility === 'visible'));
  });

  it('gives the untouched stub zero, reporting "not implemented yet" in the learner\'s file', () => {
    const bob = results.get('bob') as GradescopeResults;
    assert.equal(bob.score, 0);
    assert.equal(bob.max_score, results.get('alice')?.max_score);
    assert.match(bob.output, /no exercises\/ folder; exercise files from \.\/: hashring\.ts/);
    assert.match(test('bob', 'hashring: successorIndex finds the first token clockwise').output, /not implemented yet: .*\n {2}at successorIndex \(exercises\/hashring\.ts:\d+:\d+\)/);
  });

  it('records type errors in the output and still runs the code tsc emitted', () => {
    const carol = results.get('carol') as GradescopeResults;
    assert.match(carol.output, /compile: 1 error .*\nexercises\/hashring\.ts\(\d+,\d+\): error TS2322: Type 'string' is not assignable to type 'number'/);
    assert.equal(carol.score, carol.max_score);
  });

  it('stops a rule that never returns at the limit, costing only the tests that call it', () => {
    const dave = results.get('dave') as GradescopeResults;
    const timedOut = dave.tests.filter((t) => /timed out after 3 s/.test(t.output)).map((t) => t.name);
    assert.deepEqual(timedOut, ['hashring: successorIndex finds the first token clockwise', 'hashring: successorIndex wraps around past 2^32']);
    const lost = dave.tests.filter((t) => t.status === 'failed').reduce((sum, t) => sum + t.max_score, 0);
    assert.equal(dave.score, dave.max_score - lost);
    assert.equal(test('dave', 'hashring-extra: a ring of two tokens').status, 'passed');
  });

  it('unpacks a .zip submission', function () {
    if (!zipMade) this.skip();
    assert.equal(results.get('erin')?.score, results.get('alice')?.max_score);
  });

  it('writes summary.csv: a row per learner, points per topic, compile errors', () => {
    const lines = fs.readFileSync(path.join(out, 'summary.csv'), 'utf8').trimEnd().split('\n');
    assert.equal(lines[0], 'student,total,max,hashring,hashring-extra,compile_errors,note');
    const max = results.get('alice')?.max_score as number;
    assert.equal(lines[1], `(max),${max},${max},${max - 1},1,,`);
    const rows = new Map(lines.slice(2).map((line) => [line.split(',')[0], line]));
    assert.equal(rows.get('alice'), `alice,${max},${max},${max - 1},1,0,`);
    assert.equal(rows.get('bob'), `bob,0,${max},0,0,0,`);
    assert.equal(rows.get('carol'), `carol,${max},${max},${max - 1},1,1,`);
    assert.equal(rows.get('dave'), `dave,${results.get('dave')?.score},${max},${(results.get('dave')?.score as number) - 1},1,0,`);
  });

  it('refuses bad arguments with status 2 and a message', async () => {
    const clash = fs.mkdtempSync(path.join(work, 'clash-'));
    write(path.join(clash, 'hashring.graded.ts'), extraGraded);
    const clashRun = await gradeClass([submissions, '--out', out, '--tests', clash]);
    assert.equal(clashRun.status, 2);
    assert.match(clashRun.stderr, /hashring\.graded\.ts has the name of a course topic/);
    const topic = await gradeClass([submissions, '--out', out, 'nosuchtopic']);
    assert.equal(topic.status, 2);
    assert.match(topic.stderr, /unknown topic nosuchtopic; known topics: .*hashring/);
    assert.throws(() => parseClassArguments([submissions]), /--out RESULTS is required/);
    assert.throws(() => parseClassArguments(['--out', out]), UsageError);
    assert.throws(() => parseClassArguments([submissions, '--out', out, '--jobs', '0']), /--jobs must be an integer >= 1/);
  });

  it('finds exercises/ inside a copy of the repository, skipping node_modules', () => {
    const found = findExercises(path.join(submissions, 'alice'), ['hashring.ts']);
    assert.equal(found.dir, path.join(submissions, 'alice', 'consensus-lab', 'exercises'));
    const listed = listSubmissions(submissions, [out]);
    assert.deepEqual(listed.submissions.map((s) => `${s.student}:${s.kind}`), ['alice:folder', 'bob:folder', 'carol:folder', 'dave:folder', ...(zipMade ? ['erin:zip'] : [])]);
  });
});
