/**
 * Grading a variant of a reference solution through the real grader, as a learner's
 * submission would be graded: the graded-suite tests (test/unit/*-graded.test.ts) use it to
 * check that each classic bug is caught, and by which tests.
 */
import { strict as assert } from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const distRoot = path.resolve(__dirname, '..', '..');

/** One test's entry in the grader's results.json. */
export interface GradedResult {
  name: string;
  score: number;
  max_score: number;
  output: string;
}

/**
 * Grades exercises/<topic>.js = `source` (JavaScript, usually the reference module with some
 * exports replaced) with the whole graded suite of `topic`; returns the results.json tests.
 */
export function gradeVariant(topic: string, source: string): GradedResult[] {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `${topic}-variant-`));
  try {
    fs.mkdirSync(path.join(dir, 'exercises'));
    fs.writeFileSync(path.join(dir, 'exercises', `${topic}.js`), source);
    const json = path.join(dir, 'results.json');
    const run = spawnSync(process.execPath, [path.join(distRoot, 'scripts', 'grade.js'), topic, '--impl-root', dir, '--json', json], { encoding: 'utf8' });
    assert.ok(fs.existsSync(json), `the grader wrote no results (status ${run.status}):\n${run.stdout}${run.stderr}`);
    return JSON.parse(fs.readFileSync(json, 'utf8')).tests as GradedResult[];
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The compiled module of `relative` (e.g. 'solutions/paxos.js'), as a path a variant can require. */
export function compiled(relative: string): string {
  return JSON.stringify(path.join(distRoot, relative));
}
