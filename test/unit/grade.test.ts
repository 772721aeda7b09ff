/**
 * The autograder (lib/grade) on its fake topic, test/fixtures/grade: one test per way a
 * submission goes wrong. The grader runs as the learner runs it (a child `node grade.js`),
 * with a 2 s test limit and a 128 MB heap so that the whole file takes a few seconds.
 */
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { UsageError, parseArguments } from '../../lib/grade/cli';
import { BoundedText } from '../../lib/grade/capture';
import { GradedFailure, NotImplemented, gradedSuite, isGradedFailure, isNotImplemented } from '../../lib/grade';
import { GradescopeResults, replayCommand } from '../../lib/grade/report';
import { ScriptRun, distDir, projectRoot, runScript } from './run-script';

const dist = distDir;
const root = projectRoot;
const grader = path.join(dist, 'scripts', 'grade.js');
const fixture = path.join(dist, 'test', 'fixtures', 'grade');
const fixtureFlags = ['--dir', fixture, '--impl-root', fixture, '--timeout-ms', '2000', '--memory-mb', '128'];

type Run = ScriptRun;

function grade(args: string[]): Promise<Run> {
  return runScript(grader, args);
}

/** The table rows of a report: test name -> "earned/possible  result". */
function rows(stdout: string): Map<string, { points: string; result: string }> {
  const table = new Map<string, { points: string; result: string }>();
  const lines = stdout.split('\n');
  const header = lines.findIndex((line) => /^Test\s+Points\s+Result$/.test(line));
  assert.ok(header >= 0, `no table in:\n${stdout}`);
  for (const line of lines.slice(header + 1)) {
    if (line.trim() === '') break;
    const match = /^(.*?)\s+(\d+(?:\.\d+)?\/\d+(?:\.\d+)?)\s{2}(.*)$/.exec(line);
    assert.ok(match, `not a table row: ${line}`);
    table.set(match[1], { points: match[2], result: match[3] });
  }
  return table;
}

const allTests = [
  'adds',
  'decides one value',
  'parses a pair',
  'sizes a quorum',
  'elects a leader',
  'replicates a log',
  'shuts down cleanly',
  'steps down',
  'talks a lot',
  'still runs after crashes',
  'agrees on many seeds',
];

describe('grade: the autograder on a fake topic', function () {
  this.timeout(20_000);

  describe('against the fake exercises (every kind of failure)', () => {
    let run: Run;
    let table: Map<string, { points: string; result: string }>;
    let results: GradescopeResults;
    const jsonFile = path.join(os.tmpdir(), `consensus-lab-grade-${process.pid}.json`);

    before(async () => {
      run = await grade([...fixtureFlags, '--json', jsonFile]);
      table = rows(run.stdout);
      results = JSON.parse(fs.readFileSync(jsonFile, 'utf8')) as GradescopeResults;
      fs.rmSync(jsonFile, { force: true });
    });

    it('finishes with status 0 and a row for every test, in order', () => {
      assert.equal(run.status, 0, run.stderr);
      assert.deepEqual([...table.keys()], allTests.map((name) => `fake: ${name}${name === 'agrees on many seeds' ? ' (hidden)' : ''}`));
    });

    it('passes the right tests and ends with "N passed, M failed"', () => {
      const passed = [...table].filter(([, row]) => row.result === 'passed').map(([name]) => name);
      assert.deepEqual(passed, ['fake: adds', 'fake: talks a lot', 'fake: still runs after crashes', 'fake: agrees on many seeds (hidden)']);
      const lines = run.stdout.trimEnd().split('\n');
      assert.equal(lines[lines.length - 1], '4 passed, 7 failed');
    });

    it('adds up the points', () => {
      assert.match(run.stdout, /^Total: 7\/17 points$/m);
      assert.equal(table.get('fake: decides one value')?.points, '0/3');
      assert.equal(table.get('fake: still runs after crashes')?.points, '2/2');
      assert.equal(results.score, 7);
      assert.equal(results.max_score, 17);
      assert.equal(results.tests.reduce((sum, test) => sum + test.score, 0), 7);
      assert.equal(results.tests.reduce((sum, test) => sum + test.max_score, 0), 17);
    });

    it('reports a GradedFailure with its invariant, time, seed, hint and replay command', () => {
      assert.match(table.get('fake: decides one value')?.result ?? '', /^agreement broke: nodes decided different values: 20, 21, 20 \(seed 2, t=122 ms\)$/);
      assert.match(run.stdout, /invariant agreement broke at simulated time 122 ms with seed 2:\n {4}nodes decided different values/);
      assert.match(run.stdout, /hint: a node must decide only a value a majority accepted/);
      assert.ok(run.stdout.includes('replay: npm run grade -- fake --test "decides one value" --seed 2 --dir '), run.stdout);
    });

    it('reports a plain Error with its message and the frames in the learner\'s file', () => {
      assert.equal(table.get('fake: parses a pair')?.result, "TypeError: Cannot read properties of null (reading '1')");
      assert.match(run.stdout, /at parsePair \(test\/fixtures\/grade\/exercises\/fake\.ts:\d+:\d+\)/);
    });

    it('reports NotImplemented as "not implemented yet", with where it was thrown', () => {
      assert.match(table.get('fake: sizes a quorum')?.result ?? '', /^not implemented yet: quorumSize\(5\) in test\/fixtures\/grade\/exercises\/fake\.ts/);
      assert.match(run.stdout, /at quorumSize \(test\/fixtures\/grade\/exercises\/fake\.ts:\d+:\d+\)/);
    });

    it('stops an endless loop at the limit and names the seed it was on', () => {
      assert.equal(table.get('fake: elects a leader')?.result, 'timed out after 2 s (seed 3)');
      assert.ok(run.stdout.includes('replay: npm run grade -- fake --test "elects a leader" --seed 3'));
    });

    it('reports a heap exhaustion as running out of memory', () => {
      assert.equal(table.get('fake: replicates a log')?.result, 'ran out of memory (limit 128 MB)');
    });

    it('reports process.exit and process.kill, with where they were called', () => {
      assert.equal(table.get('fake: shuts down cleanly')?.result, 'the code called process.exit(0), which ended the test process');
      assert.match(run.stdout, /at shutdown \(test\/fixtures\/grade\/exercises\/fake\.ts:\d+:\d+\)/);
      assert.equal(table.get('fake: steps down')?.result, 'the code killed its own process with process.kill(process.pid)');
    });

    it('runs the tests after each crash in a fresh process', () => {
      // elects a leader (timeout), replicates a log (OOM), shuts down, steps down: four restarts.
      assert.equal(table.get('fake: talks a lot')?.result, 'passed');
      assert.equal(table.get('fake: still runs after crashes')?.result, 'passed');
    });

    it('caps what a test prints', () => {
      const chatty = results.tests.find((test) => test.name === 'fake: talks a lot');
      assert.ok(chatty, 'no talks a lot in results.json');
      assert.ok(chatty.output.length < 20_000, `output is ${chatty.output.length} characters`);
      assert.match(chatty.output, /characters of output left out/);
      assert.match(chatty.output, /heartbeat 49999/);
    });

    it('writes results.json in Gradescope\'s shape, hidden tests marked hidden', () => {
      assert.deepEqual(Object.keys(results).sort(), ['execution_time', 'max_score', 'output', 'score', 'tests']);
      assert.equal(typeof results.execution_time, 'number');
      assert.equal(results.tests.length, allTests.length);
      for (const test of results.tests) {
        assert.deepEqual(Object.keys(test).sort(), ['max_score', 'name', 'output', 'score', 'status', 'visibility']);
        assert.equal(typeof test.output, 'string');
        assert.ok(test.score === 0 || test.score === test.max_score);
      }
      const visibility = Object.fromEntries(results.tests.map((test) => [test.name, test.visibility]));
      assert.equal(visibility['fake: agrees on many seeds'], 'hidden');
      assert.equal(visibility['fake: adds'], 'visible');
      const failure = results.tests.find((test) => test.name === 'fake: decides one value');
      assert.match(failure?.output ?? '', /^All nodes decide the same value/);
      assert.match(failure?.output ?? '', /replay: npm run grade -- fake --test "decides one value" --seed 2/);
    });
  });

  describe('options', () => {
    it('--target solutions --hide-hidden --require-full: all pass, the hidden test is not printed', async () => {
      const run = await grade([...fixtureFlags, '--target', 'solutions', '--hide-hidden', '--require-full']);
      assert.equal(run.status, 0, run.stdout + run.stderr);
      const table = rows(run.stdout);
      assert.equal(table.size, allTests.length - 1);
      assert.ok(!run.stdout.includes('agrees on many seeds'));
      assert.match(run.stdout, /^Total: 15\/15 points$/m);
      assert.match(run.stdout, /\n10 passed, 0 failed\n$/);
    });

    it('--test and --seed run one test with one seed; a failure replays with --target solutions', async () => {
      const jsonFile = path.join(os.tmpdir(), `consensus-lab-grade-seed-${process.pid}.json`);
      const run = await grade([...fixtureFlags, 'fake', '--test', 'adds', '--seed', '7', '--json', jsonFile]);
      assert.equal(run.status, 0, run.stderr);
      assert.deepEqual([...rows(run.stdout).keys()], ['fake: adds']);
      const json = JSON.parse(fs.readFileSync(jsonFile, 'utf8')) as GradescopeResults;
      fs.rmSync(jsonFile, { force: true });
      assert.match(json.tests[0].output, /seeds swept: 7$/);
      assert.equal(
        replayCommand('fake', 'decides one value', 2, { target: 'solutions', hidden: 'include', replayFlags: [] }),
        'npm run grade -- fake --test "decides one value" --seed 2 --target solutions',
      );
    });

    it('--require-zero fails when a test earned points and passes when none did', async () => {
      const earning = await grade([...fixtureFlags, '--test', 'adds', '--require-zero']);
      assert.equal(earning.status, 1);
      assert.match(earning.stderr, /--require-zero: 1 test earned points: fake: adds/);
      const stub = await grade([...fixtureFlags, '--test', 'sizes a quorum', '--require-zero']);
      assert.equal(stub.status, 0, stub.stderr);
    });

    it('--require-full fails when a test lost points', async () => {
      const run = await grade([...fixtureFlags, '--test', 'sizes a quorum', '--require-full']);
      assert.equal(run.status, 1);
      assert.match(run.stdout, /\n0 passed, 1 failed\n$/);
    });

    it('reports a graded file that cannot load as one failed row', async () => {
      const run = await grade(['--dir', path.join(fixture, 'broken')]);
      assert.equal(run.status, 0, run.stderr);
      assert.match(run.stdout, /broken: \(loading the graded file\)\s+0\/0\s+could not load: gradedSuite\('broken'\) test #2: the name "twice" is used twice/);
      assert.match(run.stdout, /\n0 passed, 1 failed\n$/);
    });

    it('exits 2 on bad arguments, with a message that says what is wrong', async () => {
      const topic = await grade([...fixtureFlags, 'paxos']);
      assert.equal(topic.status, 2);
      assert.match(topic.stderr, /unknown topic "paxos"; known topics: fake/);
      const flag = await grade([...fixtureFlags, '--frobnicate']);
      assert.equal(flag.status, 2);
      assert.match(flag.stderr, /unknown option --frobnicate/);
      const test = await grade([...fixtureFlags, '--test', 'no such test']);
      assert.equal(test.status, 2);
      assert.match(test.stderr, /no test named "no such test" in fake; the tests are:\n {2}fake: adds/);
    });
  });

  describe('pieces', () => {
    it('parseArguments rejects what it cannot use', () => {
      assert.throws(() => parseArguments(['--seed', '-1']), UsageError);
      assert.throws(() => parseArguments(['--target', 'answers']), /--target must be 'exercises' or 'solutions'/);
      assert.throws(() => parseArguments(['--hide-hidden', '--skip-hidden']), /use only one of --hide-hidden, --skip-hidden/);
      assert.throws(() => parseArguments(['--require-full', '--require-zero']), UsageError);
      assert.throws(() => parseArguments(['--json']), /--json needs a value/);
      const options = parseArguments(['raft', '--seed=17', '--test', 'elects one leader', '--target=solutions'], {});
      assert.deepEqual([options.topics, options.seed, options.testName, options.target], [['raft'], 17, 'elects one leader', 'solutions']);
    });

    it('BoundedText keeps the start and the end', () => {
      const text = new BoundedText(100);
      for (let line = 0; line < 1000; line++) text.append(`line ${line}\n`);
      const kept = text.text();
      assert.ok(kept.length < 160, kept);
      assert.match(kept, /^line 0\n/);
      assert.match(kept, /line 999\n$/);
      assert.match(kept, /characters of output left out/);
    });

    it('gradedSuite checks its tests; the errors are recognised by brand', () => {
      assert.throws(() => gradedSuite('x', [{ name: 'a', points: -1, run() {} }]), /points must be a number >= 0/);
      assert.throws(() => gradedSuite('not a topic', [{ name: 'a', points: 1, run() {} }]), /topic must be a word/);
      assert.ok(isGradedFailure(new GradedFailure({ invariant: 'agreement', message: 'm', seed: 3 })));
      assert.ok(isNotImplemented(new NotImplemented('write it')));
      assert.ok(!isNotImplemented(new Error('write it')));
    });
  });
});
