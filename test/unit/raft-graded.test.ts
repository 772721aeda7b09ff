/**
 * The Raft graded tests must catch the classic bugs, each with a message that names the rule it
 * breaks. We grade variants of the reference solution, each with one bug from
 * lib/protocols/raft's brokenRaftRules, through the real grader (as a learner's submission
 * would be graded) and check which tests fail and why. Each variant is graded once, with the
 * whole suite (about 2-11 s each here).
 */
import { strict as assert } from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { GradedResult as Result, compiled, gradeVariant as grade } from './grade-variant';

const distRoot = path.resolve(__dirname, '..', '..');
const grader = path.join(distRoot, 'scripts', 'grade.js');

/**
 * Grades a variant of the reference: `patch` is JavaScript that reassigns exports of `rules`
 * (the reference module's), with `lib` (lib/protocols/raft) in scope.
 */
function gradeVariant(patch: string): Result[] {
  return grade('raft', `const lib = require(${compiled('lib/protocols/raft/index.js')});\nconst rules = { ...require(${compiled('solutions/raft.js')}) };\n${patch}\nmodule.exports = rules;\n`);
}

function failed(results: Result[]): string[] {
  return results.filter((t) => t.score < t.max_score).map((t) => t.name.replace(/^raft: /, ''));
}

function output(results: Result[], name: string): string {
  const result = results.find((t) => t.name === `raft: ${name}`);
  assert.ok(result, `no test named "${name}"`);
  return result.output;
}

function assertFails(results: Result[], names: string[]): void {
  const got = failed(results);
  for (const name of names) assert.ok(got.includes(name), `"${name}" did not fail; failed: ${got.join('; ')}`);
}

/** Every lab test, by the rule it names: a failure says which property broke, with the seed and the replay command. */
function assertNamesProperty(results: Result[], name: string, property: RegExp): void {
  const text = output(results, name);
  assert.match(text, new RegExp(`invariant ${property.source} broke( at simulated time [\\d.]+ ms)? with seed \\d+`), text);
  assert.match(text, /replay: npm run grade -- raft --test "[^"]+" --seed \d+/, text);
}

const oneVote = 'RequestVote grants at most one vote per term';
const upToDate = 'RequestVote grants only to an up-to-date log';
const persistVote = 'RequestVote asks to persist votedFor before replying';
const consistency = 'AppendEntries checks prevLogIndex and prevLogTerm';
const hint = 'AppendEntries returns the conflict hint';
const truncate = 'AppendEntries deletes only conflicting entries';
const commitRule = 'the commit rule: a majority, of the current term';
const unitTests = [
  'RequestVote refuses a stale term',
  oneVote,
  upToDate,
  persistVote,
  'AppendEntries rejects a stale term',
  consistency,
  hint,
  truncate,
  'AppendEntries advances commitIndex to the last new entry at most',
  'AppendEntries skips entries inside the snapshot',
  commitRule,
];

describe('raft graded tests catch the classic bugs', function () {
  this.timeout(120_000);

  it('the untouched stubs earn nothing, each test saying "not implemented yet" with the stub\'s message', function () {
    const stub = fs.readFileSync(path.join(distRoot, 'exercises', 'raft.js'), 'utf8');
    if ((stub.match(/\bNotImplemented\(/g) ?? []).length !== 3) this.skip(); // exercises/raft.ts was edited
    const json = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'raft-stubs-')), 'results.json');
    const run = spawnSync(process.execPath, [grader, 'raft', '--impl-root', distRoot, '--target', 'exercises', '--require-zero', '--json', json], { encoding: 'utf8' });
    assert.equal(run.status, 0, run.stdout + run.stderr);
    const results = JSON.parse(fs.readFileSync(json, 'utf8')).tests as Result[];
    fs.rmSync(path.dirname(json), { recursive: true, force: true });
    assert.ok(results.length >= 40, `${results.length} tests`);
    for (const t of results) {
      assert.equal(t.score, 0, t.name);
      assert.match(t.output, /not implemented yet: (handleRequestVote|handleAppendEntries|advanceCommitIndex)\([a-z, ]+\) in exercises\/raft\.ts: /, t.name);
    }
    assert.match(output(results, commitRule), /not implemented yet: advanceCommitIndex\(input\) in exercises\/raft\.ts/);
  });

  it('granting two votes in a term: the rule case names it; elections find two leaders in a term (Election Safety)', () => {
    const results = gradeVariant(`rules.handleRequestVote = lib.brokenRaftRules.grantTwoVotesPerTerm.handleRequestVote;`);
    assertFails(results, [oneVote, 'many elections', 'a vote survives a crash (scripted)']);
    assert.ok(!failed(results).includes(upToDate), 'the up-to-date cases still pass');
    assert.match(output(results, oneVote), /invariant one vote per term \(Figure 2, RequestVote rule 2; §5\.2\) broke[\s\S]*granted the vote, expected it to refuse it[\s\S]*granting two votes in a term/);
    assertNamesProperty(results, 'many elections', /Election Safety/);
  });

  it('skipping the up-to-date check: the rule case names it; a stale candidate wins and overwrites committed entries', () => {
    const results = gradeVariant(`rules.handleRequestVote = lib.brokenRaftRules.skipUpToDateCheck.handleRequestVote;`);
    assertFails(results, [upToDate, 'rejoin of partitioned leader', 'partitioned leader and one follower crash, leader restarts']);
    assert.ok(!failed(results).includes(oneVote), 'one vote per term still holds');
    assert.match(output(results, upToDate), /invariant election restriction: vote only for a log at least as up-to-date \(§5\.4\.1\) broke[\s\S]*skipping the up-to-date check/);
    assertNamesProperty(results, 'rejoin of partitioned leader', /State Machine Safety/);
  });

  it('not persisting votedFor before replying: only the rule case and the crash right after a vote catch it', () => {
    const results = gradeVariant(`rules.handleRequestVote = lib.brokenRaftRules.forgetVoteOnCrash.handleRequestVote;`);
    assert.deepEqual(failed(results), [persistVote, 'a vote survives a crash (scripted)']);
    assert.match(output(results, persistVote), /invariant votedFor is persisted before the reply \(Figure 2, persistent state\) broke[\s\S]*not persisting votedFor before replying/);
    assertNamesProperty(results, 'a vote survives a crash (scripted)', /Election Safety/);
    assert.match(output(results, 'a vote survives a crash (scripted)'), /both became leader of term 1/);
  });

  it('not checking prevLogTerm: the rule case names it; logs that differ get glued together (Log Matching)', () => {
    const results = gradeVariant(`rules.handleAppendEntries = lib.brokenRaftRules.skipPrevLogTermCheck.handleAppendEntries;`);
    assertFails(results, [consistency, 'rejoin of partitioned leader', 'Figure 8 (scripted)']);
    assert.ok(!failed(results).includes(truncate), 'truncation is still right');
    assert.match(output(results, consistency), /invariant AppendEntries rule 2: the consistency check on prevLogIndex and prevLogTerm \(Log Matching, §5\.3\) broke[\s\S]*returned success: true, expected false[\s\S]*not checking prevLogTerm/);
    assertNamesProperty(results, 'Figure 8 (scripted)', /Log Matching/);
  });

  it('truncating on a stale AppendEntries: the rule case names it; the scripted delay loses a committed entry', () => {
    const results = gradeVariant(`rules.handleAppendEntries = lib.brokenRaftRules.truncateOnStaleAppend.handleAppendEntries;`);
    assertFails(results, [truncate, 'a stale AppendEntries does not truncate (scripted)', 'unreliable agreement']);
    assert.ok(!failed(results).includes(consistency), 'the consistency check still passes');
    assert.match(output(results, truncate), /invariant AppendEntries rules 3-4: delete only conflicting entries, append the new ones \(Figure 2\) broke[\s\S]*left the log as \[1:1\][\s\S]*truncating on a stale AppendEntries/);
    assertNamesProperty(results, 'a stale AppendEntries does not truncate (scripted)', /Leader Completeness/);
    assertNamesProperty(results, 'unreliable agreement', /State Machine Safety/);
  });

  it('a conflict hint that backs up one entry at a time: the hint case names it; the back-up test counts the refusals', () => {
    const results = gradeVariant(`rules.handleAppendEntries = (s, a) => { const d = lib.handleAppendEntries(s, a); return d.success || d.conflictIndex === 0 ? d : { ...d, conflictIndex: a.prevLogIndex, conflictTerm: null }; };`);
    assert.deepEqual(failed(results), [hint, 'leader backs up quickly over incorrect follower logs']);
    assert.match(output(results, hint), /invariant the conflict hint for the fast back-up \(§5\.3\) broke/);
    assertNamesProperty(results, 'leader backs up quickly over incorrect follower logs', /fast back-up \(§5\.3\)/);
    assert.match(output(results, 'leader backs up quickly over incorrect follower logs'), /followers refused \d{3} AppendEntries for log conflicts/);
  });

  it('committing earlier-term entries by counting replicas: the rule case names Figure 8; the scripted Figure 8 and the unreliable one catch it', () => {
    const results = gradeVariant(`rules.advanceCommitIndex = lib.brokenRaftRules.commitEarlierTermsByCount.advanceCommitIndex;`);
    assertFails(results, [commitRule, 'Figure 8 (scripted)', 'Figure 8 (unreliable)']);
    assert.match(output(results, commitRule), /invariant the leader's commit rule: count replicas only for entries of the current term \(§5\.4\.2, Figure 8\) broke[\s\S]*committing earlier-term entries by counting replicas/);
    assertNamesProperty(results, 'Figure 8 (scripted)', /Leader Completeness/);
    assert.match(output(results, 'Figure 8 (scripted)'), /n5 became leader of term 4 at [\d.]+ ms without it/);
  });

  it('a rule that throws loses only the tests that use it, with its message; one that changes its input is told so', () => {
    const results = gradeVariant(
      `rules.advanceCommitIndex = () => { throw new TypeError('oops'); };\n` +
        // appends in place when the log is 1:1 2:1 and one entry follows index 2 (a case of the consistency check)
        `rules.handleAppendEntries = (state, args) => {\n` +
        `  if (args.prevLogIndex === 2 && args.prevLogTerm === 1 && args.entries.length === 1 && state.log.entries.length === 2) {\n` +
        `    state.log.entries.push(args.entries[0]);\n` +
        `    return { success: true, log: state.log, commitIndex: state.commitIndex, matchIndex: 3, conflictIndex: 0, conflictTerm: null };\n` +
        `  }\n` +
        `  return lib.handleAppendEntries(state, args);\n` +
        `};`,
    );
    const passed = results.filter((t) => t.score === t.max_score).map((t) => t.name.replace(/^raft: /, ''));
    const expected = unitTests.filter((n) => n.startsWith('RequestVote') || (n.startsWith('AppendEntries') && n !== consistency && n !== hint));
    assert.deepEqual(passed.sort(), expected.sort());
    assert.match(output(results, commitRule), /TypeError: oops/);
    assert.match(output(results, 'initial election'), /TypeError: oops/);
    assert.match(output(results, consistency), /handleAppendEntries\(.*\) changed its input/);
  });
});
