import { strict as assert } from 'assert';
import { checkRaftSafety, electionSafety, leaderAppendOnly, leaderCompleteness, logMatching, stateMachineSafety } from '../../lib/checkers/raft';
import { TraceEvent } from '../../lib/core';
import {
  LogEntry,
  RaftHarness,
  RaftLog,
  advanceCommitIndex,
  emptyLog,
  figure8Scenario,
  forgetfulVoterScenario,
  handleAppendEntries,
  handleRequestVote,
  kvStateMachine,
  membershipTwoLeaders,
  raftCluster,
  raftLabTests,
  runRaftLabTest,
  staleAppendScenario,
  termAt,
} from '../../lib/protocols/raft';

const e = (term: number, data: unknown = term): LogEntry => ({ term, command: { type: 'command', data } });
const logOf = (...terms: number[]): RaftLog => ({ snapshotIndex: 0, snapshotTerm: 0, entries: terms.map((t, i) => e(t, `${i + 1}`)) });
const ae = (prevLogIndex: number, prevLogTerm: number, entries: LogEntry[], leaderCommit = 0, term = 3) => ({ term, leaderId: 'n1', prevLogIndex, prevLogTerm, entries, leaderCommit });

describe('Raft (Ongaro & Ousterhout 2014)', () => {
  describe('RequestVote receiver (Figure 2; §5.2, §5.4.1)', () => {
    const voter = { currentTerm: 2, votedFor: null, lastLogIndex: 3, lastLogTerm: 2 };
    it('grants to an up-to-date candidate of its term and asks to persist votedFor', () => {
      assert.deepEqual(handleRequestVote(voter, { term: 2, candidateId: 'n2', lastLogIndex: 3, lastLogTerm: 2 }), { voteGranted: true, votedFor: 'n2', persist: true });
    });
    it('one vote per term: refuses a second candidate, grants the same one again', () => {
      const voted = { ...voter, votedFor: 'n2' };
      assert.equal(handleRequestVote(voted, { term: 2, candidateId: 'n3', lastLogIndex: 9, lastLogTerm: 2 }).voteGranted, false);
      assert.deepEqual(handleRequestVote(voted, { term: 2, candidateId: 'n2', lastLogIndex: 3, lastLogTerm: 2 }), { voteGranted: true, votedFor: 'n2', persist: false });
    });
    it('§5.4.1: a higher last term wins; equal last terms, the longer log wins', () => {
      assert.equal(handleRequestVote(voter, { term: 2, candidateId: 'n2', lastLogIndex: 9, lastLogTerm: 1 }).voteGranted, false);
      assert.equal(handleRequestVote(voter, { term: 2, candidateId: 'n2', lastLogIndex: 1, lastLogTerm: 3 }).voteGranted, true);
      assert.equal(handleRequestVote(voter, { term: 2, candidateId: 'n2', lastLogIndex: 2, lastLogTerm: 2 }).voteGranted, false);
    });
    it('refuses a stale term', () => {
      assert.equal(handleRequestVote(voter, { term: 1, candidateId: 'n2', lastLogIndex: 3, lastLogTerm: 2 }).voteGranted, false);
    });
  });

  describe('AppendEntries receiver (Figure 2; §5.3)', () => {
    const state = (log: RaftLog, commitIndex = 0) => ({ currentTerm: 3, log, commitIndex });
    it('appends after a matching prefix and follows leaderCommit up to the last new entry', () => {
      const r = handleAppendEntries(state(logOf(1, 1)), ae(2, 1, [e(3)], 5));
      assert.equal(r.success, true);
      assert.deepEqual(r.log.entries.map((x) => x.term), [1, 1, 3]);
      assert.equal(r.commitIndex, 3);
      assert.equal(r.matchIndex, 3);
    });
    it('a missing prevLogIndex: conflictIndex is the first missing index, conflictTerm null', () => {
      const r = handleAppendEntries(state(logOf(1)), ae(4, 2, []));
      assert.deepEqual([r.success, r.conflictIndex, r.conflictTerm], [false, 2, null]);
    });
    it('a term mismatch at prevLogIndex: the first index of the conflicting term (fast back-up)', () => {
      const r = handleAppendEntries(state(logOf(1, 2, 2, 2)), ae(4, 3, []));
      assert.deepEqual([r.success, r.conflictIndex, r.conflictTerm], [false, 2, 2]);
    });
    it('deletes only on a real conflict, and a stale AppendEntries leaves the log alone', () => {
      const log = logOf(1, 1, 1);
      const stale = handleAppendEntries(state(log, 1), ae(0, 0, [log.entries[0]], 1));
      assert.equal(stale.log, log, 'matching entries: the same log object back');
      const conflict = handleAppendEntries(state(log), ae(1, 1, [e(3)]));
      assert.deepEqual(conflict.log.entries.map((x) => x.term), [1, 3]);
    });
    it('never lowers commitIndex; skips entries inside the snapshot; truncates at a conflict past it', () => {
      const snapped: RaftLog = { snapshotIndex: 5, snapshotTerm: 2, entries: [e(2), e(3)] };
      const same = handleAppendEntries(state(snapped, 6), ae(3, 1, [e(2), e(2), e(2)], 4));
      assert.equal(same.success, true);
      assert.equal(same.commitIndex, 6);
      assert.equal(same.log, snapped, 'entries 4-5 are in the snapshot, 6 matches: nothing changes');
      const conflict = handleAppendEntries(state(snapped, 6), ae(3, 1, [e(2), e(2), e(2), e(2)], 4));
      assert.deepEqual(conflict.log.entries.map((x) => x.term), [2, 2], 'index 7 held term 3, the leader has term 2 there');
      assert.equal(termAt(conflict.log, 5), 2);
    });
    it('rejects a stale term without touching the log', () => {
      const log = logOf(1);
      const r = handleAppendEntries({ currentTerm: 4, log, commitIndex: 0 }, ae(1, 1, [e(3)]));
      assert.equal(r.success, false);
      assert.equal(r.log, log);
    });
  });

  describe("the leader's commit rule (§5.3, §5.4.2)", () => {
    it('commits the highest index on a majority when it is of the current term', () => {
      assert.equal(advanceCommitIndex({ currentTerm: 2, commitIndex: 0, matchIndex: [3, 3, 1], log: logOf(1, 2, 2) }), 3);
      assert.equal(advanceCommitIndex({ currentTerm: 2, commitIndex: 0, matchIndex: [3, 2, 2, 1, 0], log: logOf(1, 2, 2) }), 2);
    });
    it('Figure 8: never an earlier term by counting replicas', () => {
      assert.equal(advanceCommitIndex({ currentTerm: 4, commitIndex: 1, matchIndex: [2, 2, 2, 1, 1], log: logOf(1, 2) }), 1);
      assert.equal(advanceCommitIndex({ currentTerm: 4, commitIndex: 1, matchIndex: [3, 3, 3, 1, 1], log: logOf(1, 2, 4) }), 3);
    });
  });

  describe('the key-value state machine (sessions, dissertation §6.3)', () => {
    it('a retried append is applied once, and the retry gets the first result', () => {
      const cmd = { op: 'append' as const, key: 'x', value: 'a', clientId: 'c1', seq: 1 };
      const a = kvStateMachine.apply(kvStateMachine.init(), cmd, 1);
      const b = kvStateMachine.apply(a.state, cmd, 2);
      assert.equal(b.state.data.x, 'a');
      const g = kvStateMachine.apply(b.state, { op: 'get', key: 'x', clientId: 'c1', seq: 2 }, 3);
      assert.equal(g.result, 'a');
    });
  });

  describe('the checkers (Figure 3)', () => {
    const ann = (timeMs: number, node: string, text: string, data: unknown): TraceEvent => ({ kind: 'annotate', timeMs, node, text, data });
    const entry = (term: number, data: unknown) => ({ term, command: { type: 'command', data } });
    it('Election Safety names both leaders and the term', () => {
      const r = electionSafety([ann(1, 'n1', 'leader', { term: 2 }), ann(2, 'n3', 'leader', { term: 2 })]);
      assert.deepEqual(r, { ok: false, property: 'Election Safety', message: 'Election Safety broken: n1 (at 1 ms) and n3 (at 2 ms) both became leader of term 2' });
    });
    it('Leader Append-Only: a leader deleting entries', () => {
      const r = leaderAppendOnly([ann(1, 'n1', 'log-append', { index: 1, entries: [entry(1, 'a')] }), ann(2, 'n1', 'log-truncate', { index: 1, term: 1, role: 'leader' })]);
      assert.equal(!r.ok && r.message, 'Leader Append-Only broken: n1, leader of term 1, deleted its entries from index 1 on (its last index was 1) at 2 ms');
    });
    it('Log Matching: same index and term, different prefixes', () => {
      const r = logMatching([
        ann(1, 'n1', 'log-append', { index: 1, entries: [entry(1, 'a'), entry(2, 'b')] }),
        ann(2, 'n2', 'log-append', { index: 1, entries: [entry(2, 'x'), entry(2, 'b')] }),
      ]);
      assert.equal(!r.ok && r.message, 'Log Matching broken: n1 (at 1 ms) and n2 (at 2 ms) both hold an entry of term 2 at index 2, but their logs differ up to it (first at index 1: term 1 vs 2)');
    });
    it('Leader Completeness: a committed entry missing from a later leader', () => {
      const r = leaderCompleteness([
        ann(1, 'n1', 'leader', { term: 1 }),
        ann(1, 'n1', 'log-append', { index: 1, entries: [entry(1, 'a')] }),
        ann(2, 'n1', 'commit', { term: 1, index: 1 }),
        ann(3, 'n2', 'leader', { term: 2 }),
      ]);
      assert.equal(!r.ok && r.message, 'Leader Completeness broken: n1 committed up to index 1 (an entry of term 1) in term 1 at 2 ms, but n2 became leader of term 2 at 3 ms without it (its log had only 0 entries)');
    });
    it('State Machine Safety: two entries applied at one index', () => {
      const r = stateMachineSafety([ann(1, 'n1', 'applied', { index: 4, term: 1, command: { type: 'command', data: 'a' } }), ann(2, 'n2', 'applied', { index: 4, term: 2, command: { type: 'command', data: 'b' } })]);
      assert.equal(!r.ok && r.message, 'State Machine Safety broken: n1 applied {"data":"a","type":"command"} (term 1) at index 4 at 1 ms, but n2 applied {"data":"b","type":"command"} (term 2) at index 4 at 2 ms');
    });
  });

  describe('a cluster', () => {
    it('elects one leader, replicates client commands, and is safe and linearizable', () => {
      const c = raftCluster({ seed: 1, servers: 5, kvClients: 2, kvClientOptions: { operations: 20 } });
      assert.ok(c.runUntilLeader(), 'a leader within 5 s (seed 1)');
      c.run(3000);
      assert.deepEqual(c.safety(), { ok: true });
      assert.equal(c.linearizability().ok, true);
      assert.equal(c.sim.history.filter((h) => h.type === 'ok').length, 40);
    });
    it('same seed, same trace', () => {
      const h = () => {
        const c = raftCluster({ seed: 7, servers: 3, kvClients: 1 });
        c.run(1000);
        return c.sim.trace.hash();
      };
      assert.equal(h(), h());
    });
    it('Figure 2: votedFor is persisted before the vote is sent', () => {
      const c = raftCluster({ seed: 3, servers: 3 });
      c.runUntilLeader();
      const events = c.sim.trace.events;
      const reply = events.findIndex((x) => x.kind === 'send' && (x.msg as { type: string }).type === 'RequestVoteReply' && (x.msg as { voteGranted: boolean }).voteGranted);
      assert.ok(reply > 0);
      const voter = (events[reply] as { from: string }).from;
      const persisted = events.slice(0, reply).some((x) => x.kind === 'persist' && x.node === voter && x.key === 'raft:term' && (x.value as { votedFor: string | null }).votedFor !== null);
      assert.ok(persisted, `${voter} replied before persisting its vote`);
    });
    it('a log stays bounded with snapshots; a restarted server reloads term, vote, snapshot and log', () => {
      const h = new RaftHarness({ seed: 5, servers: 3, snapshotThreshold: 10 });
      for (let i = 0; i < 40; i++) h.one(i, 3, true);
      assert.ok(h.maxLogSize() <= 20, `log size ${h.maxLogSize()}`);
      const before = h.cluster.node('n2')!.state;
      const saved = { term: before.currentTerm, votedFor: before.votedFor, snapshotIndex: before.log.snapshotIndex, last: h.cluster.node('n2')!.lastIndex };
      h.crash('n2');
      h.restart('n2');
      const after = h.cluster.node('n2')!;
      assert.deepEqual({ term: after.state.currentTerm, votedFor: after.state.votedFor, snapshotIndex: after.state.log.snapshotIndex, last: after.lastIndex }, saved);
      h.one(99, 3, true);
      h.checkMachinesAgree();
      h.checkSafety();
    });
  });

  describe('fast back-up of nextIndex (§5.3 end; the 6.824 guide)', () => {
    it('an old leader with 50 conflicting entries of one term is repaired with at most 3 rejections', () => {
      const h = new RaftHarness({ seed: 4, servers: 5 });
      h.one(1, 5, true);
      const old = h.checkOneLeader();
      const others = [1, 2, 3, 4].map((k) => (old + k) % 5);
      for (const o of others) h.disconnect(o);
      for (let i = 0; i < 50; i++) h.start(old, 1000 + i); // 50 entries of its term, never committed
      h.disconnect(old);
      for (const o of others) h.connect(o);
      for (let i = 0; i < 60; i++) h.one(2000 + i, 4, true);
      const a = h.checkOneLeader();
      h.disconnect(a); // the next leader is elected with a long log: its nextIndex for `old` starts high
      h.one(3000, 3, true);
      const from = h.sim.trace.events.length;
      h.connect(old);
      h.one(3001, 4, true);
      const rejections = h.sim.trace.events
        .slice(from)
        .filter((x) => x.kind === 'send' && x.from === h.id(old) && (x.msg as { type: string }).type === 'AppendEntriesReply' && (x.msg as { success: boolean }).success === false).length;
      assert.ok(rejections >= 1 && rejections <= 3, `${rejections} rejections (seed 4); one per entry would be about 50`);
      h.checkSafety();
    });
  });

  describe('the lab tests on RaftHarness (6.824-style), reference rules', () => {
    for (const test of raftLabTests) {
      it(`${test.name} (${test.cites})`, function () {
        this.timeout(20_000);
        for (const seed of [1, 2]) {
          const failure = runRaftLabTest(test, { seed });
          assert.equal(failure, null, `seed ${seed}: ${failure}`);
        }
      });
    }
  });

  describe('scripted scenarios, reference rules', () => {
    it('Figure 8: no earlier-term entry is committed by counting, nothing committed is lost', () => {
      const r = figure8Scenario(1);
      assert.deepEqual(r.notes, []);
      assert.deepEqual(r.safety, { ok: true });
      assert.equal(r.cluster.node('n5')?.isLeader(), true, 'n5 leads term 4, as in Figure 8 (d)');
    });
    it('a vote survives a crash; a stale AppendEntries does not truncate', () => {
      assert.deepEqual(forgetfulVoterScenario(1).safety, { ok: true });
      assert.deepEqual(staleAppendScenario(1).safety, { ok: true });
    });
    it('membership: without the fix two leaders commit at once and the logs diverge; with it, not', () => {
      const bad = membershipTwoLeaders(1, false);
      assert.deepEqual(bad.notes, []);
      assert.equal(bad.removalCommitted, true);
      assert.deepEqual(bad.committingLeaders, [{ node: 'n2', term: 2 }, { node: 'n1', term: 3 }]);
      assert.equal(bad.safety.ok, false);
      assert.equal(bad.report['State Machine Safety'].ok, false, 'index 3 applied as different entries on the two sides');
      const good = membershipTwoLeaders(1, true);
      assert.equal(good.removalCommitted, false);
      assert.deepEqual(good.committingLeaders, [{ node: 'n1', term: 3 }]);
      assert.deepEqual(good.safety, { ok: true });
      for (let seed = 2; seed <= 6; seed++) {
        assert.equal(membershipTwoLeaders(seed, false).safety.ok, false, `seed ${seed}, unsafe`);
        assert.deepEqual(membershipTwoLeaders(seed, true).safety, { ok: true }, `seed ${seed}, safe`);
      }
    });
    it('membership: adding a server one at a time; the new server catches up and votes', () => {
      const c = raftCluster({ seed: 2, servers: 3, spares: 1 });
      const leader = c.runUntilLeader() as string;
      c.run(c.sim.now() + 100);
      c.changeConfig(leader, 'add', 'n4');
      assert.ok(c.runUntil(() => c.servers.every((id) => c.node(id)?.state.config.servers.length === 4 && c.node(id)!.state.commitIndex >= c.node(leader)!.state.config.index)), 'the new configuration reaches every server and commits');
      c.sim.crash(leader);
      assert.ok(c.runUntil(() => c.leader() !== null && c.leader() !== leader), 'a new leader among the four');
      assert.deepEqual(c.safety(), { ok: true });
    });
  });
});
