import { strict as assert } from 'assert';
import { RaftRules, brokenRaftRules, raftLabTests, runRaftLabTest } from '../../lib/protocols/raft';

/**
 * Each classic slip in brokenRaftRules is caught by at least one test of the lab suite
 * (lib/protocols/raft/lab-tests.ts), with a message that names the seed. The loop tries the
 * tests in suite order for seed 1, then seed 2, ..., and stops at the first failure; the table
 * says which test we expect to be first, so that a change that makes a bug harder to catch
 * shows up here.
 */
const expectedCatcher: Record<keyof typeof brokenRaftRules, RegExp> = {
  grantTwoVotesPerTerm: /^(many elections|Figure 8 \(unreliable\)|crash and restart all servers|a vote survives a crash)/,
  skipUpToDateCheck: /^(agreement despite follower disconnection|rejoin of partitioned leader)/,
  truncateOnStaleAppend: /^(no agreement if too many followers disconnect|concurrent Start|unreliable agreement|install snapshots)/,
  skipPrevLogTermCheck: /^(rejoin of partitioned leader|leader backs up quickly)/,
  commitEarlierTermsByCount: /^Figure 8 \(scripted\)/,
  forgetVoteOnCrash: /^a vote survives a crash \(scripted\)/,
};

function firstFailure(rules: Partial<RaftRules>, seeds: number): { test: string; seed: number; message: string } | null {
  for (let seed = 1; seed <= seeds; seed++) {
    for (const test of raftLabTests) {
      const message = runRaftLabTest(test, { seed, rules });
      if (message !== null) return { test: test.name, seed, message };
    }
  }
  return null;
}

describe('Raft: every broken rule is caught by the lab tests', () => {
  for (const [name, rules] of Object.entries(brokenRaftRules) as [keyof typeof brokenRaftRules, Partial<RaftRules>][]) {
    it(`brokenRaftRules.${name}`, function () {
      this.timeout(30_000);
      const found = firstFailure(rules, 3);
      assert.ok(found, `no lab test failed with brokenRaftRules.${name} on seeds 1-3`);
      assert.match(found.test, expectedCatcher[name], `first caught by "${found.test}" (seed ${found.seed}): ${found.message}`);
      assert.match(found.message, new RegExp(`seed ${found.seed}`), 'the failure names its seed');
    });
  }

  it('the scripted tests name the property: Figure 8 -> Leader Completeness, forgotten vote -> Election Safety, stale AppendEntries -> Leader Completeness', () => {
    const figure8 = raftLabTests.find((t) => t.name === 'Figure 8 (scripted)')!;
    const voter = raftLabTests.find((t) => t.name === 'a vote survives a crash (scripted)')!;
    const stale = raftLabTests.find((t) => t.name === 'a stale AppendEntries does not truncate (scripted)')!;
    assert.match(runRaftLabTest(figure8, { seed: 1, rules: brokenRaftRules.commitEarlierTermsByCount }) ?? '', /^Leader Completeness broken: n1 committed up to index 2 \(an entry of term 1\) in term 3 .* n5 became leader of term 4/);
    assert.match(runRaftLabTest(voter, { seed: 1, rules: brokenRaftRules.forgetVoteOnCrash }) ?? '', /^Election Safety broken: n1 \(at [\d.]+ ms\) and n2 \(at [\d.]+ ms\) both became leader of term 1/);
    assert.match(runRaftLabTest(stale, { seed: 1, rules: brokenRaftRules.truncateOnStaleAppend }) ?? '', /^Leader Completeness broken: n1 committed up to index 1 .* n3 became leader of term 2/);
  });
});
