import { strict as assert } from 'assert';
import {
  brokenZabRules,
  epochBeforeZxidScenario,
  firstElection,
  leaderCrashAfterPartialCommit,
  leaderCrashAfterProposal,
  syncModesScenario,
  zabChaosRun,
} from '../../lib/protocols/zab';

/**
 * Every slip in brokenZabRules is caught by a scenario, with a message naming the property
 * that broke; the same scenarios pass with the reference rules (test/unit/zab.test.ts).
 */
describe('ZAB: every broken rule is caught, naming the property', () => {
  it('zxidBeforeEpoch: ZooKeeper\'s "follower is ahead" guard turns it into an endless election; without the guard a delivered transaction is taken back', () => {
    const reference = epochBeforeZxidScenario(1);
    assert.ok(reference.safety.ok && reference.recovery.ok, JSON.stringify([reference.safety, reference.recovery]));
    assert.equal(reference.facts.thirdLeader, 'n2');
    const guarded = epochBeforeZxidScenario(1, { rules: brokenZabRules.zxidBeforeEpoch });
    assert.match(guarded.recovery.ok ? '' : guarded.recovery.message, /^Election termination broken: no leader established an epoch between [\d.]+ and [\d.]+ ms/);
    const unguarded = epochBeforeZxidScenario(1, { rules: brokenZabRules.zxidBeforeEpoch, guardFollowerAhead: false });
    assert.equal(unguarded.facts.thirdLeader, 'n5');
    assert.match(unguarded.safety.ok ? '' : unguarded.safety.message, /^Agreement broken: n\d took back 1 delivered transaction\(s\) .*\[T\]/);
    assert.equal(unguarded.report['Primary integrity'].ok, false, 'the epoch-4 primary broadcast without the delivered T');
  });

  it('noServerIdTieBreak: a fresh ensemble never agrees on a leader', () => {
    const r = firstElection(1, { rules: brokenZabRules.noServerIdTieBreak, withinMs: 1000 });
    assert.equal(r.facts.leader, null);
    assert.match(r.recovery.ok ? '' : r.recovery.message, /^Election termination broken: .*n1 votes n1, n2 votes n2/);
  });

  it('ignoreZxid: a server missing a committed transaction leads and truncates it', () => {
    const r = leaderCrashAfterPartialCommit(1, { rules: brokenZabRules.ignoreZxid, guardFollowerAhead: false });
    assert.equal(r.facts.newLeader, 'n4');
    assert.match(r.safety.ok ? '' : r.safety.message, /^Agreement broken: n1 took back 1 delivered transaction\(s\)/);
  });

  it('diffInsteadOfTrunc: the old leader keeps its own proposal and delivers it', () => {
    const r = syncModesScenario(1, { rules: brokenZabRules.diffInsteadOfTrunc });
    assert.match(r.safety.ok ? '' : r.safety.message, /^(Total order|Agreement) broken: .*n5/);
    assert.match(r.facts.finalLogs.n5, /\[P\]/);
  });

  it('diffSkipsUncommitted: a follower misses a proposal the new epoch commits', () => {
    const r = leaderCrashAfterProposal(1, { rules: brokenZabRules.diffSkipsUncommitted });
    assert.match(r.safety.ok ? '' : r.safety.message, /^(Total order|Agreement) broken: /);
    assert.match(r.recovery.ok ? '' : r.recovery.message, /^Delivered everywhere broken: n1 /);
  });

  it('diffOffByOne: a follower logs and delivers a transaction twice', () => {
    const r = syncModesScenario(1, { rules: brokenZabRules.diffOffByOne });
    assert.match(r.safety.ok ? '' : r.safety.message, /^Total order broken: /);
  });

  it('the chaos sweep catches a broken sync rule too, naming the seed', function () {
    this.timeout(20_000);
    let caught: string | null = null;
    for (let seed = 1; seed <= 40 && caught === null; seed++) {
      const r = zabChaosRun(seed, { rules: brokenZabRules.diffInsteadOfTrunc });
      if (!r.safety.ok) caught = `seed ${seed}: ${r.safety.message} (replay: ${r.replay})`;
    }
    assert.ok(caught !== null, 'diffInsteadOfTrunc survived 40 chaos seeds');
    assert.match(caught, /^seed \d+: (Total order|Agreement|Local primary order|Primary integrity) broken: .*replay: zabChaosRun\(\d+, options\)/);
  });
});
