/**
 * The graded suites' wall time against the reference solutions, as a learner running
 * `npm run grade -- TOPIC` would wait for it: each run is the real grader CLI in its own
 * process (the child processes it forks included). Part of `npm run bench`.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

export interface GradedBenchRow {
  topic: string;
  medianSeconds: number;
  runs: number;
  points: string;
}

/** The topics with a graded suite: test/graded/<topic>.graded.js in dist. */
export function gradedTopics(): string[] {
  const dir = path.join(__dirname, '..', 'test', 'graded');
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.graded.js'))
    .map((f) => f.replace(/\.graded\.js$/, ''))
    .sort();
}

/** Grades `topic` against the solutions `runs` times; the median wall time and the score. */
export function benchGradedSuite(topic: string, runs: number): GradedBenchRow {
  const grader = path.join(__dirname, 'grade.js');
  const seconds: number[] = [];
  let points = '?';
  for (let i = 0; i < runs; i++) {
    const json = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'bench-graded-')), 'results.json');
    const start = process.hrtime.bigint();
    const run = spawnSync(process.execPath, [grader, topic, '--target', 'solutions', '--json', json], { encoding: 'utf8' });
    seconds.push(Number(process.hrtime.bigint() - start) / 1e9);
    if (run.status !== 0) throw new Error(`grading ${topic} failed:\n${run.stdout}${run.stderr}`);
    const tests = (JSON.parse(fs.readFileSync(json, 'utf8')) as { tests: { score: number; max_score: number }[] }).tests;
    points = `${tests.reduce((s, t) => s + t.score, 0)}/${tests.reduce((s, t) => s + t.max_score, 0)} points`;
    fs.rmSync(path.dirname(json), { recursive: true, force: true });
  }
  seconds.sort((a, b) => a - b);
  return { topic, medianSeconds: seconds[Math.floor(seconds.length / 2)], runs, points };
}

export function formatGradedBench(rows: readonly GradedBenchRow[]): string {
  return rows.map((r) => `  ${r.topic.padEnd(12)} ${r.medianSeconds.toFixed(2).padStart(7)} s   median of ${r.runs}   ${r.points} (solutions)`).join('\n');
}
