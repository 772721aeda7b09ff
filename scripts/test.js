#!/usr/bin/env node
// npm test: everything, in the order a failure is cheapest to read.
//   1. unit tests (mocha, dist/test/unit)
//   2. graded tests against the reference solutions: every test must earn full marks
//   3. graded tests against the untouched exercise stubs: every test must earn nothing
//      (skipped, with a note, once you have edited exercises/)
//   4. every notebook, executed headless with the tslab kernel
// Ends with one line "N passed, M failed" that adds up all four.
// Usage: npm test [-- --skip-notebooks]
'use strict';
const { spawnSync } = require('child_process');
const path = require('path');

const root = path.resolve(__dirname, '..');
const skipNotebooks = process.argv.includes('--skip-notebooks');
const totals = { passed: 0, failed: 0 };
const failedStages = [];

function stage(title, command, args, options = {}) {
  process.stdout.write(`\n=== ${title}\n`);
  const started = Date.now();
  const result = spawnSync(command, args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...options.env } });
  const ok = result.status === 0;
  if (options.quietUnlessFailed && ok) {
    // the stubs are expected to fail every graded test: show only the totals
    const lines = (result.stdout || '').trim().split('\n');
    process.stdout.write(lines.filter((l) => /^Total:/.test(l)).join('\n') + `\n(every graded test failed on the stubs, as it should; \`npm run grade\` shows each message)\n`);
  } else {
    process.stdout.write(result.stdout || '');
  }
  // The stubs stage expects every graded test to fail: its own count is not added, the stage is.
  const counts = options.countTests === false ? null : lastCounts(result.stdout || '');
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  if (counts) {
    totals.passed += counts.passed;
    totals.failed += counts.failed;
  } else {
    // a stage that printed no count counts as one test
    if (ok) totals.passed += 1;
    else totals.failed += 1;
  }
  if (!ok) failedStages.push(title);
  process.stdout.write(`--- ${title}: ${ok ? 'ok' : 'FAILED'} in ${seconds} s\n`);
  return ok;
}

function lastCounts(text) {
  const lines = text.trim().split('\n').reverse();
  for (const line of lines) {
    const m = /(\d+) passed, (\d+) failed/.exec(line);
    if (m) return { passed: Number(m[1]), failed: Number(m[2]) };
    const mocha = /^\s*(\d+) passing/.exec(line);
    if (mocha) {
      const failing = /(\d+) failing/.exec(text);
      return { passed: Number(mocha[1]), failed: failing ? Number(failing[1]) : 0 };
    }
  }
  return null;
}

function exercisesUntouched() {
  const diff = spawnSync('git', ['status', '--porcelain', '--', 'exercises'], { cwd: root, encoding: 'utf8' });
  if (diff.status !== 0) return null; // not a git checkout
  return diff.stdout.trim() === '';
}

const mocha = path.join(root, 'node_modules', 'mocha', 'bin', 'mocha.js');
const grade = path.join(root, 'dist', 'scripts', 'grade.js');

stage('unit tests', process.execPath, [mocha, '--config', '.mocharc.json', '--reporter', 'dot']);
stage('graded tests, reference solutions (must earn full marks)', process.execPath, [grade, '--target', 'solutions', '--require-full', '--include-hidden']);
const untouched = exercisesUntouched();
if (untouched) {
  stage('graded tests, exercise stubs (must earn nothing)', process.execPath, [grade, '--target', 'exercises', '--require-zero', '--include-hidden'], { countTests: false, quietUnlessFailed: true });
} else {
  process.stdout.write(`\n=== graded tests, exercise stubs: skipped (${untouched === false ? 'exercises/ has edits: grade your work with `npm run grade`' : 'not a git checkout'})\n`);
}
if (skipNotebooks) {
  process.stdout.write('\n=== notebooks: skipped (--skip-notebooks)\n');
} else {
  stage('notebooks, executed headless with the tslab kernel', process.execPath, [path.join(root, 'scripts', 'run-notebooks.js')]);
}

process.stdout.write(`\n${failedStages.length === 0 ? 'all stages passed' : `failed stages: ${failedStages.join('; ')}`}\n`);
process.stdout.write(`${totals.passed} passed, ${totals.failed} failed\n`);
process.exit(failedStages.length === 0 ? 0 : 1);
