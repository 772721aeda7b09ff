import { strict as assert } from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const replay = path.resolve(__dirname, '..', '..', 'scripts', 'replay.js');

describe('npm run replay (scripts/replay.ts)', function () {
  this.timeout(60_000);

  it('re-runs one graded test with one seed and saves the last run as a trace and a space-time diagram', () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'replay-'));
    try {
      const run = spawnSync(process.execPath, [replay, 'paxos', 'a second proposer adopts a value already chosen', '--seed', '1', '--target', 'solutions', '--out', out], { encoding: 'utf8' });
      assert.equal(run.status, 0, run.stdout + run.stderr);
      assert.match(run.stdout, /seed 1, solutions: passed/);
      const files = fs.readdirSync(out).sort();
      assert.deepEqual(files, ['paxos-a-second-proposer-adopts-a-value-already-chosen-seed1.png', 'paxos-a-second-proposer-adopts-a-value-already-chosen-seed1.trace.json']);
      const trace = JSON.parse(fs.readFileSync(path.join(out, files[1]), 'utf8')) as { seed: string; events: { kind: string }[] };
      assert.equal(trace.seed, '1');
      assert.ok(trace.events.some((e) => e.kind === 'crash'), 'the scenario crashes p1: the trace shows it');
      assert.ok(fs.readFileSync(path.join(out, files[0])).subarray(1, 4).toString() === 'PNG');
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  });

  it('names the tests of the topic when the test name is wrong, and exits 2', () => {
    const run = spawnSync(process.execPath, [replay, 'paxos', 'no such test', '--seed', '1'], { encoding: 'utf8' });
    assert.equal(run.status, 2);
    assert.match(run.stderr, /no test named "no such test" in paxos; the tests are:\n {2}onPrepare promises only to a strictly higher number/);
  });
});
