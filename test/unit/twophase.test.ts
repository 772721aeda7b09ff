import { strict as assert } from 'assert';
import { atomicity, outcomeRecords, singleOutcome, OutcomeRecord } from '../../lib/checkers';
import { TraceEvent } from '../../lib/core';
import {
  CommitCluster,
  ParticipantLogRecord,
  ParticipantRecoveryRule,
  ThreePhaseState,
  abortOnNoVote,
  chaosRun,
  commitCluster,
  coordinatorCrashAfterPrepare,
  coordinatorDecision,
  lockIntervals,
  normalCommit,
  participantRecovery,
  runUntilSent,
  terminationDecision,
  threePhasePartition,
  threePhaseWithoutCoordinator,
} from '../../lib/protocols/twophase';

const yes: ParticipantLogRecord = { type: 'vote', txn: 't1', vote: 'yes', coordinator: 'c', participants: ['p1', 'p2'] };
const no: ParticipantLogRecord = { type: 'vote', txn: 't1', vote: 'no', coordinator: 'c', participants: ['p1', 'p2'] };

/** The broken rule a careless learner might write: "in doubt after a crash? just abort". */
const abortWhenInDoubt: ParticipantRecoveryRule = (log) => {
  const verdict = participantRecovery(log);
  return verdict === 'ask' ? 'abort' : verdict;
};

/** Runs until `node` has sent a message of `type` (after the handler that sent it). */
function runUntilNodeSent(cluster: CommitCluster, node: string, type: string): void {
  const events = cluster.sim.trace.events;
  let scanned = events.length;
  const found = cluster.sim.runUntil(() => {
    for (; scanned < events.length; scanned++) {
      const e = events[scanned];
      if (e.kind === 'send' && e.from === node && (e.msg as { type: string }).type === type) return true;
    }
    return false;
  }, { maxTimeMs: 5000 });
  assert.ok(found, `${node} never sent ${type}`);
}

/** p1 crashes right after voting YES and restarts 100 ms later, while the others commit. */
function participantCrashWhilePrepared(rules = {}) {
  const cluster = commitCluster({ seed: 3, rules });
  runUntilNodeSent(cluster, 'p1', 'VoteYes');
  cluster.sim.crash('p1');
  cluster.sim.at(cluster.sim.now() + 100, () => cluster.sim.restart('p1'));
  cluster.run(500);
  return cluster;
}

describe('two-phase commit (Gray 1978 §5.8.3; BHG 1987 §7.4)', () => {
  describe('the reference rules (the exercise contracts)', () => {
    it('coordinatorDecision: commit only on all yes; any no aborts; missing votes wait, or abort at the timeout', () => {
      const votes = (...v: ('yes' | 'no' | undefined)[]) => new Map(v.map((x, i) => [`p${i + 1}`, x]));
      assert.equal(coordinatorDecision(votes('yes', 'yes', 'yes'), false), 'commit');
      assert.equal(coordinatorDecision(votes('yes', 'yes', 'yes'), true), 'commit');
      assert.equal(coordinatorDecision(votes('yes', 'no', undefined), false), 'abort');
      assert.equal(coordinatorDecision(votes('yes', undefined, 'yes'), false), 'wait');
      assert.equal(coordinatorDecision(votes('yes', undefined, 'yes'), true), 'abort');
      assert.equal(coordinatorDecision(votes(undefined, undefined), true), 'abort');
    });

    it('participantRecovery: an outcome stands; prepared without one asks; no YES vote aborts (BHG §7.4)', () => {
      assert.equal(participantRecovery([]), 'abort');
      assert.equal(participantRecovery([no]), 'abort');
      assert.equal(participantRecovery([yes]), 'ask');
      assert.equal(participantRecovery([yes, { type: 'precommit', txn: 't1' }]), 'ask');
      assert.equal(participantRecovery([yes, { type: 'outcome', txn: 't1', outcome: 'commit' }]), 'commit');
      assert.equal(participantRecovery([no, { type: 'outcome', txn: 't1', outcome: 'abort' }]), 'abort');
      assert.equal(participantRecovery([{ type: 'outcome', txn: 't1', outcome: 'abort' }]), 'abort');
    });

    it('terminationDecision: BHG §7.5 TR1-TR4', () => {
      const states = (...s: ThreePhaseState[]) => new Map(s.map((x, i) => [`p${i + 1}`, x]));
      assert.equal(terminationDecision(states('committed', 'aborted')), 'abort'); // TR1 first (cannot happen in a correct run)
      assert.equal(terminationDecision(states('uncertain', 'aborted')), 'abort'); // TR1
      assert.equal(terminationDecision(states('uncertain', 'committed')), 'commit'); // TR2
      assert.equal(terminationDecision(states('uncertain', 'uncertain')), 'abort'); // TR3
      assert.equal(terminationDecision(states('uncertain', 'precommitted')), 'commit'); // TR4
      assert.equal(terminationDecision(states('uncertain')), 'abort'); // alone: the classic timeout
      assert.equal(terminationDecision(states('precommitted')), 'commit');
    });

    it('a rule that returns nonsense fails with a message naming the rule, its input and what it must return', () => {
      const cluster = commitCluster({ seed: 1, rules: { coordinatorDecision: () => 'maybe' as never } });
      assert.throws(() => cluster.run(200), /coordinatorDecision returned "maybe" for txn t1 with votes p1=yes p2=- p3=-, timedOut false; it must return 'commit', 'abort', 'wait'/);
    });
  });

  describe('scenarios', () => {
    it('normalCommit: every transaction commits everywhere; locks are held for about two message delays', () => {
      const r = normalCommit(1);
      assert.deepEqual(r.outcomes.map((t) => t.outcome), ['commit', 'commit', 'commit']);
      assert.deepEqual(r.atomicity, { ok: true });
      assert.equal(r.locks.length, 9);
      for (const lock of r.locks) {
        assert.equal(lock.end, 'released');
        assert.ok(lock.heldMs > 0 && lock.heldMs < 20, `${lock.node}/${lock.txn} held ${lock.heldMs} ms`);
      }
    });

    it('abortOnNoVote: p2 votes no and aborts at once, then everyone aborts; p2 never holds a lock', () => {
      const r = abortOnNoVote(1);
      const t1 = r.outcomes[0];
      assert.equal(t1.outcome, 'abort');
      assert.deepEqual(t1.decisions.map((d) => [d.node, d.decision]), [['c', 'abort']]);
      assert.equal(t1.participants.p2.vote, 'no');
      assert.ok((t1.participants.p2.outcomeAtMs as number) < t1.decisions[0].atMs, 'p2 aborts before the coordinator decides');
      assert.deepEqual(r.locks.map((l) => l.node).sort(), ['p1', 'p3']);
      assert.deepEqual(r.atomicity, { ok: true });
    });

    it('coordinatorCrashAfterPrepare: participants are blocked, holding their locks, until the coordinator returns and aborts', () => {
      for (const downtimeMs of [300, 1000]) {
        const r = coordinatorCrashAfterPrepare(1, downtimeMs);
        const crashMs = (r.sim.trace.events.find((e) => e.kind === 'crash') as TraceEvent).timeMs;
        const t1 = r.outcomes[0];
        assert.equal(t1.outcome, 'abort');
        assert.deepEqual(t1.decisions.map((d) => d.node), ['c']);
        assert.ok(t1.decisions[0].atMs >= crashMs + downtimeMs, 'decided only after the restart');
        for (const p of Object.values(t1.participants)) {
          assert.equal(p.vote, 'yes');
          assert.ok(p.blockedAtMs !== null && p.blockedAtMs < crashMs + downtimeMs, `${p.node} was blocked`);
          assert.ok((p.outcomeAtMs as number) >= crashMs + downtimeMs, `${p.node} waited for the coordinator`);
        }
        for (const lock of r.locks) {
          assert.equal(lock.end, 'released');
          assert.ok(lock.heldMs >= downtimeMs - 10 && lock.heldMs <= downtimeMs + 20, `${lock.node} held its locks ${lock.heldMs} ms`);
        }
        assert.deepEqual(r.atomicity, { ok: true });
      }
    });

    it('cooperative termination: a peer that never got Prepare aborts unilaterally and unblocks the others (BHG §7.4)', () => {
      for (const cooperative of [true, false]) {
        const cluster = commitCluster({ seed: 2, cooperative });
        cluster.sim.configureLink('c', 'p3', { dropRate: 1 });
        runUntilSent(cluster, 'Prepare');
        cluster.sim.crash('c');
        const backAtMs = cluster.sim.now() + 1000;
        cluster.sim.at(backAtMs, () => {
          cluster.sim.restart('c');
          cluster.sim.configureLink('c', 'p3', { dropRate: 0 });
        });
        cluster.run(backAtMs + 300);
        const t1 = cluster.outcomes()[0];
        assert.equal(t1.outcome, 'abort');
        assert.equal(t1.participants.p3.vote, null);
        const latest = Math.max(...Object.values(t1.participants).map((p) => p.outcomeAtMs as number));
        if (cooperative) assert.ok(latest < 300, `with cooperative termination all abort early (latest ${latest} ms)`);
        else assert.ok(latest > backAtMs, `without it p1 and p2 wait for the coordinator (latest ${latest} ms)`);
        assert.deepEqual(cluster.atomicity(), { ok: true });
      }
    });

    it('a participant that gets no Prepare aborts unilaterally at its prepare timeout (it has not voted)', () => {
      const cluster = commitCluster({ seed: 1, prepareTimeoutMs: 200 });
      cluster.sim.configureLink('c', 'p3', { dropRate: 1 });
      cluster.run(400);
      const aborted = cluster.sim.trace.events.find((e) => e.kind === 'annotate' && e.node === 'p3' && e.text === 'abort');
      assert.deepEqual(aborted && [aborted.timeMs, (aborted as { data: unknown }).data], [210, { txn: 't1', by: 'no Prepare in time' }]);
      assert.equal(cluster.outcomes()[0].outcome, 'abort'); // the coordinator's vote timeout aborted it for the others
      assert.deepEqual(cluster.atomicity(), { ok: true });
    });

    it('a participant that crashes while prepared recovers in doubt, asks, and commits with the others', () => {
      const cluster = participantCrashWhilePrepared();
      const recovered = cluster.sim.trace.events.find((e) => e.kind === 'annotate' && e.text === 'recovered');
      assert.deepEqual((recovered as { data: unknown }).data, { txn: 't1', logged: 'no outcome', verdict: 'ask' });
      assert.equal(cluster.outcomes()[0].outcome, 'commit');
      assert.deepEqual(cluster.locks().map((l) => `${l.node}:${l.end}`).sort(), ['p1:crashed', 'p1:released', 'p2:released', 'p3:released']);
      assert.deepEqual(cluster.atomicity(), { ok: true });
    });

    it('the same crash with a recovery rule that aborts when in doubt breaks atomicity, and the checker names it', () => {
      const result = participantCrashWhilePrepared({ participantRecovery: abortWhenInDoubt }).atomicity();
      assert.equal(result.ok, false);
      assert.match(result.ok ? '' : result.message, /^atomicity broken for txn t1: p\d committed at [\d.]+ ms, p1 aborted at [\d.]+ ms$/);
    });

    it('a recovery rule that reverses a logged outcome is caught by the single-outcome check', () => {
      const flip: ParticipantRecoveryRule = (log) => (participantRecovery(log) === 'commit' ? 'abort' : participantRecovery(log));
      const cluster = commitCluster({ seed: 4, rules: { participantRecovery: flip }, faults: [{ atMs: 100, action: 'crash', node: 'p2' }, { atMs: 150, action: 'restart', node: 'p2' }] });
      cluster.run(300);
      const result = cluster.atomicity();
      assert.equal(result.ok, false);
      assert.match(result.ok ? '' : result.message, /^p2 both committed and aborted txn t1: committed at [\d.]+ ms, aborted at 150 ms$/);
    });
  });

  describe('seeded sweeps', () => {
    it('keeps atomicity over 200 seeds of loss, duplication, reordering, partitions and crashes, and finishes after healing', () => {
      let blocked = 0;
      let recoveredInDoubt = 0;
      for (let seed = 1; seed <= 200; seed++) {
        const r = chaosRun(seed);
        assert.ok(r.atomicity.ok, `seed ${seed}: ${r.atomicity.ok || r.atomicity.message}; replay: ${r.replay}`);
        assert.ok(r.liveness.ok, `seed ${seed}: ${r.liveness.ok || r.liveness.message}; replay: ${r.replay}`);
        for (const e of r.cluster.sim.trace.events) {
          if (e.kind !== 'annotate') continue;
          if (e.text === 'blocked') blocked++;
          if (e.text === 'recovered' && (e.data as { verdict?: string }).verdict === 'ask') recoveredInDoubt++;
        }
      }
      // The sweep reaches the interesting states, not only the happy path.
      assert.ok(blocked > 50, `blocked participants: ${blocked}`);
      assert.ok(recoveredInDoubt > 20, `in-doubt recoveries: ${recoveredInDoubt}`);
    });

    it('catches a broken recovery rule (abort when in doubt) within the same sweep: graded tests can fail', () => {
      const failing: string[] = [];
      for (let seed = 1; seed <= 200 && failing.length === 0; seed++) {
        const r = chaosRun(seed, { rules: { participantRecovery: abortWhenInDoubt } });
        if (!r.atomicity.ok) failing.push(`seed ${seed}: ${r.atomicity.message}`);
      }
      assert.equal(failing.length, 1, 'no seed broke atomicity with the broken rule');
      assert.match(failing[0], /atomicity broken for txn t\d: p\d committed at [\d.]+ ms, p\d aborted at [\d.]+ ms/);
    });

    it('catches a broken decision rule (commit on a majority of yes votes)', () => {
      const majority = (votes: ReadonlyMap<string, 'yes' | 'no' | undefined>, timedOut: boolean) => {
        const yesVotes = [...votes.values()].filter((v) => v === 'yes').length;
        return yesVotes * 2 > votes.size ? 'commit' : timedOut ? 'abort' : 'wait';
      };
      let caught = false;
      for (let seed = 1; seed <= 50 && !caught; seed++) caught = !chaosRun(seed, { rules: { coordinatorDecision: majority } }).atomicity.ok;
      assert.ok(caught);
    });

    it('the same seed gives the same trace; another seed another', () => {
      assert.equal(chaosRun(42).cluster.sim.trace.hash(), chaosRun(42).cluster.sim.trace.hash());
      assert.notEqual(chaosRun(42).cluster.sim.trace.hash(), chaosRun(43).cluster.sim.trace.hash());
      assert.equal(coordinatorCrashAfterPrepare(5, 500).sim.trace.hash(), coordinatorCrashAfterPrepare(5, 500).sim.trace.hash());
      assert.equal(threePhasePartition(5).sim.trace.hash(), threePhasePartition(5).sim.trace.hash());
    });
  });
});

describe('three-phase commit (Skeen 1981; BHG 1987 §7.5)', () => {
  it('commits normally, and aborts on a NO vote', () => {
    const commit = normalCommit(1, { protocol: '3pc' });
    assert.deepEqual(commit.outcomes.map((t) => t.outcome), ['commit', 'commit', 'commit']);
    const abort = abortOnNoVote(1, { protocol: '3pc' });
    assert.equal(abort.outcomes[0].outcome, 'abort');
    assert.ok(commit.atomicity.ok && abort.atomicity.ok);
  });

  it('threePhaseWithoutCoordinator: after PreCommit, the participants elect p1 and commit without the coordinator', () => {
    const r = threePhaseWithoutCoordinator(1);
    const t1 = r.outcomes[0];
    const restartMs = (r.sim.trace.events.find((e) => e.kind === 'restart') as TraceEvent).timeMs;
    assert.equal(t1.outcome, 'commit');
    assert.equal(t1.decisions[0].node, 'p1');
    for (const p of Object.values(t1.participants)) assert.ok((p.outcomeAtMs as number) < restartMs, `${p.node} finished before the coordinator came back`);
    assert.deepEqual(t1.decisions.map((d) => `${d.node}:${d.decision}`), ['p1:commit', 'c:commit'], 'the restarted coordinator learns the outcome');
    assert.deepEqual(r.atomicity, { ok: true });
  });

  it('threePhaseWithoutCoordinator: before PreCommit, everyone is uncertain and the participants abort', () => {
    const r = threePhaseWithoutCoordinator(1, 'after-can-commit');
    assert.equal(r.outcomes[0].outcome, 'abort');
    assert.equal(r.outcomes[0].decisions[0].node, 'p1');
    assert.deepEqual(r.atomicity, { ok: true });
  });

  it('threePhasePartition: one side commits, the other aborts, and the atomicity checker catches it', () => {
    for (const termination of ['elect', 'timeout'] as const) {
      const r = threePhasePartition(1, { termination });
      assert.equal(r.outcomes[0].outcome, 'mixed');
      assert.equal(r.atomicity.ok, false);
      assert.match(r.atomicity.ok ? '' : r.atomicity.message, /^atomicity broken for txn t1: p1 committed at [\d.]+ ms, p2 aborted at [\d.]+ ms$/);
    }
  });

  it('keeps atomicity under crashes and restarts on a reliable network (its own model), over 100 seeds', () => {
    for (let seed = 1; seed <= 100; seed++) {
      const r = chaosRun(seed, { protocol: '3pc', partitions: false, network: { dropRate: 0, duplicateRate: 0, reorderRate: 0 } });
      assert.ok(r.atomicity.ok, `seed ${seed}: ${r.atomicity.ok || r.atomicity.message}`);
      assert.ok(r.liveness.ok, `seed ${seed}: ${r.liveness.ok || r.liveness.message}`);
    }
  });
});

describe('atomicity checker', () => {
  const rec = (txn: string, node: string, outcome: 'commit' | 'abort', timeMs: number): OutcomeRecord => ({ txn, node, outcome, timeMs });

  it('accepts agreement and names the transaction, the nodes and the times of a disagreement', () => {
    assert.deepEqual(atomicity([]), { ok: true });
    assert.deepEqual(atomicity([rec('t1', 'p1', 'commit', 5), rec('t1', 'p2', 'commit', 6), rec('t2', 'p1', 'abort', 7)]), { ok: true });
    const result = atomicity([rec('t1', 'p3', 'abort', 380), rec('t1', 'p1', 'commit', 412), rec('t1', 'p2', 'commit', 413)]);
    assert.equal(result.ok ? '' : result.message, 'atomicity broken for txn t1: p1 committed at 412 ms, p3 aborted at 380 ms');
  });

  it('reports a node that reached both outcomes, first', () => {
    const records = [rec('t1', 'p1', 'commit', 10), rec('t1', 'p2', 'abort', 11), rec('t1', 'p1', 'abort', 12.5)];
    assert.equal(singleOutcome(records).ok, false);
    const result = atomicity(records);
    assert.equal(result.ok ? '' : result.message, 'p1 both committed and aborted txn t1: committed at 10 ms, aborted at 12.5 ms');
  });

  it("reads 'commit' and 'abort' annotations with a txn from a trace, and nothing else", () => {
    const events: TraceEvent[] = [
      { kind: 'annotate', timeMs: 1, node: 'p1', text: 'commit', data: { txn: 't1', by: 'c' } },
      { kind: 'annotate', timeMs: 2, node: 'c', text: 'decision', data: { txn: 't1', decision: 'abort' } },
      { kind: 'annotate', timeMs: 3, node: 'p2', text: 'abort' },
      { kind: 'annotate', timeMs: 4, node: 'p2', text: 'abort', data: { txn: 't1' } },
    ];
    assert.deepEqual(outcomeRecords(events), [rec('t1', 'p1', 'commit', 1), rec('t1', 'p2', 'abort', 4)]);
    assert.equal(atomicity(events).ok, false);
  });

  it('lockIntervals closes an interval at release, at a crash, or at the end of the trace', () => {
    const events: TraceEvent[] = [
      { kind: 'annotate', timeMs: 1, node: 'p1', text: 'lock acquired', data: { txn: 't1' } },
      { kind: 'annotate', timeMs: 2, node: 'p2', text: 'lock acquired', data: { txn: 't1' } },
      { kind: 'annotate', timeMs: 3, node: 'p3', text: 'lock acquired', data: { txn: 't1' } },
      { kind: 'annotate', timeMs: 5, node: 'p1', text: 'lock released', data: { txn: 't1', outcome: 'commit' } },
      { kind: 'crash', timeMs: 6, node: 'p2' },
    ];
    assert.deepEqual(lockIntervals(events, 10).map((i) => [i.node, i.fromMs, i.toMs, i.heldMs, i.end, i.outcome]), [
      ['p1', 1, 5, 4, 'released', 'commit'],
      ['p2', 2, 6, 4, 'crashed', undefined],
      ['p3', 3, 10, 7, 'held', undefined],
    ]);
  });
});
