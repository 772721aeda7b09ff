import { strict as assert } from 'assert';
import { TraceEvent } from '../../lib/core';
import { checkZabSafety, zabDeliveredEverywhere, zabSafetyReport } from '../../lib/checkers/zab';
import {
  ZabRules,
  checkZabRuleResult,
  chooseSync,
  compareServerIds,
  compareVotes,
  firstElection,
  leaderCrashAfterPartialCommit,
  leaderCrashAfterProposal,
  primaryOrderHolds,
  primaryOrderScenario,
  resolveZabRules,
  staleLocalRead,
  syncModesScenario,
  zabCluster,
  zabLogViews,
  zabVsRaft,
} from '../../lib/protocols/zab';

const z = (epoch: number, counter: number) => ({ epoch, counter });

describe('ZAB rules', () => {
  it('vote comparison (Medeiros §3.1): epoch, then zxid, then server id', () => {
    assert.ok(compareVotes({ leader: 'n1', zxid: z(1, 9), epoch: 2 }, { leader: 'n2', zxid: z(2, 1), epoch: 1 }) > 0, 'a higher epoch wins over a higher zxid');
    assert.ok(compareVotes({ leader: 'n1', zxid: z(2, 3), epoch: 2 }, { leader: 'n5', zxid: z(2, 2), epoch: 2 }) > 0, 'then the zxid');
    assert.ok(compareVotes({ leader: 'n10', zxid: z(2, 3), epoch: 2 }, { leader: 'n9', zxid: z(2, 3), epoch: 2 }) > 0, 'then the id, n10 above n9');
    assert.equal(compareVotes({ leader: 'n3', zxid: z(1, 1), epoch: 1 }, { leader: 'n3', zxid: z(1, 1), epoch: 1 }), 0);
    assert.ok(compareServerIds('n2', 'n10') < 0);
  });

  it('sync choice (Medeiros §3.2): DIFF from the follower\'s last zxid, TRUNC when it holds what the leader lacks, SNAP past the committed log', () => {
    const history = [z(1, 1), z(1, 2), z(1, 3), z(3, 1), z(3, 2)];
    const base = { history, committed: 5, committedLogSize: 500 };
    assert.deepEqual(chooseSync({ ...base, followerLastZxid: z(1, 2) }), { mode: 'DIFF', sendFrom: 2, sendTo: 5 });
    assert.deepEqual(chooseSync({ ...base, followerLastZxid: z(3, 2) }), { mode: 'DIFF', sendFrom: 5, sendTo: 5 }, 'up to date: an empty DIFF');
    assert.deepEqual(chooseSync({ ...base, followerLastZxid: z(0, 0) }), { mode: 'DIFF', sendFrom: 0, sendTo: 5 });
    assert.deepEqual(chooseSync({ ...base, followerLastZxid: z(1, 5) }), { mode: 'TRUNC', truncZxid: z(1, 3), sendFrom: 3, sendTo: 5 }, 'old-epoch proposals the leader never had');
    assert.deepEqual(chooseSync({ ...base, followerLastZxid: z(3, 4) }), { mode: 'TRUNC', truncZxid: z(3, 2), sendFrom: 5, sendTo: 5 }, 'ahead of the leader');
    assert.deepEqual(chooseSync({ ...base, committedLogSize: 2, followerLastZxid: z(1, 1) }), { mode: 'SNAP' }, 'the leader keeps only 2 committed transactions');
    assert.deepEqual(chooseSync({ ...base, committedLogSize: 2, followerLastZxid: z(1, 3) }), { mode: 'DIFF', sendFrom: 3, sendTo: 5 });
    assert.deepEqual(chooseSync({ history: [z(1, 1), z(1, 2)], committed: 1, committedLogSize: 500, followerLastZxid: z(1, 1) }), { mode: 'DIFF', sendFrom: 1, sendTo: 2 }, 'uncommitted proposals of the leader are sent too');
  });

  it('resolveZabRules and checkZabRuleResult name what is wrong', () => {
    assert.throws(() => resolveZabRules({ compareVote: compareVotes } as unknown as Partial<ZabRules>), /rules.compareVote must be one of compareVotes, chooseSync/);
    assert.throws(() => resolveZabRules({ chooseSync: 3 } as unknown as Partial<ZabRules>), /rules.chooseSync must be a function/);
    assert.throws(() => checkZabRuleResult('chooseSync', { mode: 'DIFF', sendFrom: 3, sendTo: 1 }, () => 'x'), /chooseSync returned .* 0 <= sendFrom <= sendTo/);
    assert.throws(() => checkZabRuleResult('compareVotes', 'yes', () => 'x'), /compareVotes returned "yes"/);
    const c = zabCluster({ seed: 1, servers: 3, rules: { chooseSync: (() => ({ mode: 'PATCH' })) as unknown as ZabRules['chooseSync'] } });
    assert.throws(() => c.runUntilLeader(2000), /chooseSync returned \{"mode":"PATCH"\}/);
  });

  it('bad options are ConfigErrors', () => {
    assert.throws(() => zabCluster({ seed: 1, servers: 0 }), /servers must be an integer >= 1, got 0/);
    assert.throws(() => zabCluster({ seed: 1, tickMs: 50, followerTimeoutMs: 40 }), /followerTimeoutMs must be more than tickMs/);
  });
});

describe('ZAB ensemble', () => {
  it('3 servers, 2 clients: elects the highest id, stays safe and linearizable, delivers everything everywhere; same seed, same trace', () => {
    const run = () => {
      const c = zabCluster({ seed: 7, servers: 3, clients: 2, clientOptions: { operations: 20 } });
      assert.equal(c.runUntilLeader(1000), 'n3');
      assert.ok(c.runUntil(() => c.clientsIdle() && c.caughtUp(), 5000), `seed 7: not done:\n${c.summary()}`);
      return c;
    };
    const c = run();
    assert.deepEqual(c.safety(), { ok: true });
    assert.equal(c.linearizability().ok, true);
    assert.deepEqual(c.deliveredEverywhere(), { ok: true });
    assert.equal(c.sim.history.filter((h) => h.type === 'ok').length, 40);
    const views = zabLogViews(c);
    assert.equal(views.length, 3);
    assert.ok(views.every((v) => v.entries.length === views[0].entries.length && v.commitIndex === v.entries.length));
    assert.equal(run().sim.trace.hash(), c.sim.trace.hash());
  });
});

/** A trace of annotations, for checker tests. */
function trace(items: [string, string, Record<string, unknown>][]): TraceEvent[] {
  return items.map(([node, text, data], i) => ({ kind: 'annotate', timeMs: i, node, text, data }));
}
const p = (node: string, e: number, c: number, v: string): [string, string, Record<string, unknown>] => [node, 'propose', { zxid: z(e, c), value: v }];
const d = (node: string, index: number, e: number, c: number, v: string): [string, string, Record<string, unknown>] => [node, 'deliver', { index, zxid: z(e, c), value: v }];

describe('ZAB checkers (Zab §III properties)', () => {
  it('a correct trace passes', () => {
    const t = trace([p('a', 1, 1, 'x'), d('a', 0, 1, 1, 'x'), d('b', 0, 1, 1, 'x'), p('b', 2, 1, 'y'), d('b', 1, 2, 1, 'y'), d('a', 1, 2, 1, 'y')]);
    assert.deepEqual(checkZabSafety(t), { ok: true });
    assert.deepEqual(zabDeliveredEverywhere(t, ['a', 'b']), { ok: true });
  });
  it('each property is caught with its name', () => {
    const cases: [string, TraceEvent[]][] = [
      ['Integrity', trace([p('a', 1, 1, 'x'), d('b', 0, 1, 1, 'forged')])],
      ['Agreement', trace([p('a', 1, 1, 'x'), p('b', 2, 1, 'y'), d('a', 0, 1, 1, 'x'), d('c', 0, 2, 1, 'y')])],
      ['Agreement', trace([p('a', 1, 1, 'x'), d('a', 0, 1, 1, 'x'), ['a', 'rollback', { from: 1, to: 0 }]])],
      ['Total order', trace([p('a', 1, 1, 'x'), p('a', 1, 2, 'y'), d('a', 0, 1, 1, 'x'), d('a', 1, 1, 2, 'y'), d('b', 0, 1, 2, 'y')])],
      ['Local primary order', trace([p('a', 1, 1, 'x'), p('a', 1, 2, 'y'), d('a', 0, 1, 2, 'y')])],
      ['Global primary order', trace([p('a', 1, 1, 'x'), p('b', 2, 1, 'y'), d('a', 0, 2, 1, 'y'), d('a', 1, 1, 1, 'x')])],
      ['Primary integrity', trace([p('a', 1, 1, 'x'), d('a', 0, 1, 1, 'x'), p('b', 2, 1, 'y')])],
    ];
    for (const [property, t] of cases) {
      const report = zabSafetyReport(t);
      const r = report[property as keyof typeof report];
      assert.ok(!r.ok, `${property} not caught`);
      assert.match((r as { message: string }).message, new RegExp(`^${property} broken: `));
    }
    const lagging = trace([p('a', 1, 1, 'x'), d('a', 0, 1, 1, 'x')]);
    assert.match((zabDeliveredEverywhere(lagging, ['a', 'b']) as { message: string }).message, /^Delivered everywhere broken: b delivered 0 transaction\(s\), but a delivered 1; b lacks \(1,1\) x/);
  });
});

describe('ZAB scenarios', () => {
  it('the leader crashes after proposing to its followers, before committing: the proposal survives and is delivered everywhere, in order', () => {
    const r = leaderCrashAfterProposal(1);
    assert.deepEqual(r.notes, []);
    assert.equal(r.facts.oldLeader, 'n5');
    assert.deepEqual(r.facts.heldBy, ['n2', 'n3', 'n4', 'n5']);
    assert.equal(r.facts.newLeader, 'n4');
    assert.equal(r.facts.syncs.n1, 'DIFF [1, 2)', 'n1 gets W from the new leader');
    assert.deepEqual(r.facts.deliveredBy, ['n1', 'n2', 'n3', 'n4', 'n5']);
    assert.equal(r.facts.finalLog, '[A][W][Z]');
    assert.deepEqual(r.safety, { ok: true });
    assert.deepEqual(r.recovery, { ok: true });
  });

  it('the leader crashes after delivering and sending only some COMMITs: a server holding it leads next, and it is delivered everywhere', () => {
    const r = leaderCrashAfterPartialCommit(1);
    assert.deepEqual(r.notes, []);
    assert.deepEqual(r.facts.deliveredBeforeCrash, ['n1', 'n5']);
    assert.equal(r.facts.lacking, 'n4');
    assert.ok(r.facts.newLeader !== null && r.facts.loggedBy.includes(r.facts.newLeader), `new leader ${r.facts.newLeader} must hold W`);
    assert.deepEqual(r.facts.deliveredBy, ['n1', 'n2', 'n3', 'n4', 'n5']);
    assert.equal(r.facts.finalLog, '[A][W][Z]');
    assert.ok(r.safety.ok && r.recovery.ok, JSON.stringify([r.safety, r.recovery]));
  });

  it('SNAP for a server far behind, TRUNC for the old leader\'s own proposal, DIFF for one slightly behind', () => {
    const r = syncModesScenario(1);
    assert.deepEqual(r.notes, []);
    assert.equal(r.facts.farBehind.sync, 'SNAP');
    assert.equal(r.facts.extraUncommitted.sync, 'TRUNC to (1,1) then [1, 3)');
    assert.equal(r.facts.slightlyBehind.sync, 'DIFF [3, 5)');
    const logs = Object.values(r.facts.finalLogs);
    assert.ok(logs.every((l) => l === '[a1][b1][b2][c1][c2][c3][c4][c5][c6][c7]'), JSON.stringify(r.facts.finalLogs));
    assert.ok(r.safety.ok && r.recovery.ok);
    assert.equal(r.stages.length, 5);
  });

  it('a local read may be stale; a sync read is not; the history is linearizable only without local reads', () => {
    const r = staleLocalRead(1);
    assert.equal(r.facts.localRead, '');
    assert.equal(r.facts.syncRead, 'new');
    assert.equal(r.facts.linearizable, true);
    assert.equal(r.facts.linearizableWithLocalReads, false);
  });

  it('primary order: per-slot Paxos applies Z, Y (Y without X); ZAB never delivers Y without X', () => {
    const r = primaryOrderScenario(1);
    assert.deepEqual(r.paxos.outcome, ['Z', 'Y']);
    assert.equal(r.paxos.primaryOrder.ok, false);
    assert.match(r.paxos.primaryOrder.message, /Y .* without X/);
    assert.deepEqual(r.zab.outcome, ['Z']);
    assert.equal(r.zab.primaryOrder.ok, true);
    assert.deepEqual(r.zab.safety, { ok: true });
    assert.equal(primaryOrderHolds(['X', 'Y', 'Z'], [{ primary: 'L1', broadcasts: ['X', 'Y'] }]).ok, true);
  });

  it('a fresh ensemble elects the highest id', () => {
    const r = firstElection(1);
    assert.equal(r.facts.leader, 'n5');
    assert.ok(r.facts.establishedAtMs !== null && r.facts.establishedAtMs < 100, `established at ${r.facts.establishedAtMs}`);
  });

  it('ZAB next to Raft: the same crashes on both; each recovers after every crash; a ZAB write costs more messages (3(n-1) vs 2(n-1))', function () {
    this.timeout(20_000);
    const r = zabVsRaft({ seed: 1, crashes: 3 });
    assert.equal(r.recovery.length, 6);
    for (const row of r.recovery) assert.ok(row.recoveryMs !== null && row.recoveryMs > 100 && row.recoveryMs < 1000, JSON.stringify(row));
    const [zab, raft] = r.messages;
    assert.ok(zab.steadyMessagesPerWrite > raft.steadyMessagesPerWrite, JSON.stringify(r.messages));
    assert.ok(zab.steadyMessagesPerWrite >= 12 && raft.steadyMessagesPerWrite >= 8, JSON.stringify(r.messages));
    assert.ok(r.rows.some((x) => x.protocol === 'Raft' && x.metric === 'recovery ms' && x.crash === 1));
  });
});
