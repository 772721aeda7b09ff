import { strict as assert } from 'assert';
import { ConfigError, NodeId, RandomStreams, TraceEvent } from '../../lib/core';
import { randomFaultScript } from '../../lib/sim';
import {
  KvClient,
  RaftMessage,
  RaftNode,
  broadcastTimeMs,
  electionTimingSamples,
  figure16,
  figure16Table,
  raftChaosNetwork,
  raftChaosRun,
  raftCluster,
} from '../../lib/protocols/raft';

type Send = Extract<TraceEvent, { kind: 'send' }>;
type Deliver = Extract<TraceEvent, { kind: 'deliver' }>;
const typeOf = (e: { msg: unknown }) => (e.msg as RaftMessage).type;
const sends = (events: readonly TraceEvent[]) => events.filter((e): e is Send => e.kind === 'send');
const delivers = (events: readonly TraceEvent[]) => events.filter((e): e is Deliver => e.kind === 'deliver');

/** A 5-server cluster with a constant 1 ms network, so that every delay in the trace is exact. */
function diskCluster(seed: number, diskWriteMs: number) {
  return raftCluster({ seed, servers: 5, diskWriteMs, network: { latency: { kind: 'constant', ms: 1 } } });
}

/** The first send of `type` from `from` to `to` at or after `atMs`. */
function replyAfter(events: readonly TraceEvent[], from: NodeId, to: NodeId, type: string, atMs: number): Send | undefined {
  return sends(events).find((e) => e.from === from && e.to === to && typeOf(e) === type && e.timeMs >= atMs);
}

describe('Raft: a write to stable storage takes time (RaftNodeOptions.diskWriteMs)', () => {
  // Trace hashes of existing scenarios, recorded on the code before diskWriteMs existed
  // (commit d611ce2). With the option off (absent or 0), nothing may change.
  const before = { cluster: '2cd6dc8fa48d2f63', chaos: '44a5d186b883e7c5' };
  const clusterHash = (extra: { diskWriteMs?: number }) => {
    const c = raftCluster({ seed: 7, servers: 5, kvClients: 2, kvClientOptions: { operations: 10 }, ...extra });
    c.run(2000);
    return c.sim.trace.hash();
  };

  it('off (the default, or 0): the traces of existing seeds are byte for byte what they were', () => {
    assert.equal(clusterHash({}), before.cluster, 'raftCluster seed 7, 5 servers, 2 KV clients, 2 s: the trace changed with diskWriteMs unset');
    assert.equal(clusterHash({ diskWriteMs: 0 }), before.cluster, 'raftCluster seed 7: diskWriteMs 0 must behave as unset');
    assert.equal(raftChaosRun(3).cluster.sim.trace.hash(), before.chaos, 'raftChaosRun(3): the trace changed');
    assert.notEqual(clusterHash({ diskWriteMs: 5 }), before.cluster, 'seed 7 with diskWriteMs 5 should differ (else the option does nothing)');
  });

  it('Figure 2: a vote is answered exactly diskWriteMs after the RequestVote arrives; a refusal that writes nothing at once', () => {
    const c = diskCluster(1, 13);
    c.campaign('n1');
    assert.equal(c.runUntilLeader(), 'n1', 'seed 1: n1 should win the election it was told to start');
    const events = c.sim.trace.events;
    const requests = delivers(events).filter((e) => typeOf(e) === 'RequestVote');
    assert.equal(requests.length, 4);
    for (const r of requests) {
      const reply = replyAfter(events, r.to, r.from, 'RequestVoteReply', r.timeMs);
      assert.ok(reply, `${r.to} never answered the RequestVote (seed 1)`);
      assert.equal(reply.timeMs - r.timeMs, 13, `${r.to}: RequestVote at ${r.timeMs} ms, reply sent at ${reply.timeMs} ms (seed 1)`);
      assert.equal((reply.msg as { voteGranted: boolean }).voteGranted, true);
    }
    // Once settled (heartbeats write nothing), a rival's RequestVote in the same term is refused without a write: no wait.
    c.run(c.sim.now() + 100);
    const late = c.sim.now();
    c.sim.inject('n2', { type: 'RequestVote', term: c.node('n1')!.currentTerm, candidateId: 'n3', lastLogIndex: 99, lastLogTerm: 99 }, 'n3');
    c.run(late + 5);
    const refusal = replyAfter(c.sim.trace.events, 'n2', 'n3', 'RequestVoteReply', late);
    assert.ok(refusal && refusal.timeMs === late && (refusal.msg as { voteGranted: boolean }).voteGranted === false, `a refusal that persists nothing should leave at once: ${JSON.stringify(refusal)}`);
  });

  it('an AppendEntries with entries is answered after the write; a heartbeat behind it waits for that write too (replies stay in order)', () => {
    const c = diskCluster(2, 13);
    c.campaign('n1');
    c.runUntilLeader();
    c.run(c.sim.now() + 107); // settled (the no-op is everywhere), and off the 50 ms heartbeat grid
    const t = c.sim.now();
    const index = c.node('n1')!.lastIndex + 1;
    c.start('n1', 'x');
    c.run(t + 60);
    const events = c.sim.trace.events;
    const append = delivers(events).find((e) => e.to === 'n2' && typeOf(e) === 'AppendEntries' && e.timeMs >= t && (e.msg as { entries: unknown[] }).entries.length > 0);
    assert.ok(append, 'n2 never received the entry (seed 2)');
    const reply = sends(events).find((e) => e.from === 'n2' && typeOf(e) === 'AppendEntriesReply' && (e.msg as { matchIndex: number }).matchIndex >= index);
    assert.equal(reply?.timeMs, append.timeMs + 13, `entry at ${append.timeMs} ms, its acknowledgement at ${reply?.timeMs} ms (seed 2)`);
    // The disk does one write at a time: a second entry that arrives during the first write is
    // written after it, and a heartbeat that arrives meanwhile is answered after both.
    const t2 = c.sim.now();
    c.start('n1', 'y');
    c.sim.at(t2 + 2, () => c.start('n1', 'z'));
    c.sim.at(t2 + 4, () => c.sim.inject('n2', { type: 'AppendEntries', term: c.node('n1')!.currentTerm, leaderId: 'n1', prevLogIndex: 0, prevLogTerm: 0, entries: [], leaderCommit: 0 }, 'n1'));
    c.run(t2 + 60);
    const replies = sends(c.sim.trace.events).filter((e) => e.from === 'n2' && typeOf(e) === 'AppendEntriesReply' && e.timeMs >= t2);
    const acked = (match: number) => replies.find((e) => (e.msg as { matchIndex: number }).matchIndex === match);
    const [forY, forZ, forHeartbeat] = [acked(index + 1), acked(index + 2), acked(0)];
    const seen = `replies ${JSON.stringify(replies.map((e) => [e.timeMs, (e.msg as { matchIndex: number }).matchIndex]))} (seed 2)`;
    assert.equal(forY?.timeMs, t2 + 1 + 13, `y arrived at ${t2 + 1} ms: ${seen}`);
    assert.equal(forZ?.timeMs, t2 + 1 + 13 + 13, `z arrived at ${t2 + 3} ms, during y's write, so its write ends 13 ms after y's: ${seen}`);
    assert.equal(forHeartbeat?.timeMs, forZ?.timeMs, `the heartbeat arrived at ${t2 + 4} ms; its reply waits for the writes in progress: ${seen}`);
    assert.ok(replies.indexOf(forZ!) < replies.indexOf(forHeartbeat!), `and leaves after the reply it queued behind: ${seen}`);
  });

  it('a crash during the write loses the reply, and the vote is kept (restart remembers it)', () => {
    const c = diskCluster(3, 13);
    const t = 10; // before any election timeout (>= 150 ms): n2 hears only the RequestVote below
    c.run(t);
    c.sim.inject('n2', { type: 'RequestVote', term: 1, candidateId: 'n3', lastLogIndex: 0, lastLogTerm: 0 }, 'n3');
    c.sim.at(t + 5, () => c.sim.crash('n2'));
    c.run(t + 50);
    const events = c.sim.trace.events;
    assert.equal(replyAfter(events, 'n2', 'n3', 'RequestVoteReply', t), undefined, 'n2 crashed 5 ms into a 13 ms write: its reply must never leave');
    c.sim.restart('n2');
    c.run(c.sim.now() + 1);
    const voter = c.node('n2')!;
    assert.deepEqual([voter.state.currentTerm, voter.state.votedFor], [1, 'n3'], 'the vote was written before the crash, so it survives');
    // The same with the crash after the write: the reply leaves.
    const d = diskCluster(3, 13);
    d.run(t);
    d.sim.inject('n2', { type: 'RequestVote', term: 1, candidateId: 'n3', lastLogIndex: 0, lastLogTerm: 0 }, 'n3');
    d.sim.at(t + 14, () => d.sim.crash('n2'));
    d.run(t + 50);
    assert.equal(replyAfter(d.sim.trace.events, 'n2', 'n3', 'RequestVoteReply', t)?.timeMs, t + 13, 'a crash after the write: the reply left at 13 ms');
  });

  it('safe and live with a slow disk: 20 chaos seeds (crashes, partitions, loss) with diskWriteMs 13', function () {
    this.timeout(20_000);
    for (let seed = 1; seed <= 20; seed++) {
      const servers = ['n1', 'n2', 'n3', 'n4', 'n5'];
      const faults = randomFaultScript(new RandomStreams(seed).stream('chaos-faults'), {
        crashCandidates: servers, crashes: [0, 3], downMs: [20, 600], partitions: true, partitionNodes: servers, partitionMs: [100, 800],
        healAtMs: 1500, faultWindowFraction: 0.8, downLimit: { group: servers, limit: 2 },
      });
      const c = raftCluster({
        seed, servers: 5, diskWriteMs: 13, snapshotThreshold: 25, kvClients: 2, faults, network: raftChaosNetwork,
        kvClientOptions: { operations: 1000, keys: ['x', 'y'], thinkMs: 20, stopAtMs: 1500 },
      });
      c.run(1500);
      const idle = () => c.clients.every((id) => c.sim.node<KvClient>(id)?.state.current === null);
      const replay = `(replay: raftCluster({ seed: ${seed}, diskWriteMs: 13, ... }) as in this test)`;
      assert.ok(c.runUntil(idle, 5000), `seed ${seed}: a client operation never completed after healing ${replay}\n${c.summary()}`);
      assert.deepEqual(c.safety(), { ok: true }, `seed ${seed} ${replay}`);
      assert.equal(c.linearizability().ok, true, `seed ${seed}: not linearizable ${replay}`);
    }
  });

  it('rejects a bad diskWriteMs with a ConfigError', () => {
    assert.throws(() => new RaftNode({ servers: ['n1'], diskWriteMs: -1 }), (e: unknown) => e instanceof ConfigError && /diskWriteMs/.test(e.message));
  });
});

describe('Figure 16 (§9.3): time to elect a leader after the leader crashes', () => {
  it('both models keep the paper\'s broadcast time of roughly 15 ms (request to every follower and all replies)', () => {
    for (const model of ['disk', 'network'] as const) {
      const b = broadcastTimeMs({ model, seed: 4, entries: 20 });
      assert.ok(b > 14 && b < 18, `model ${model}: broadcast time ${b.toFixed(2)} ms (seed 4), expected ~15 ms`);
    }
    const networkPart = broadcastTimeMs({ model: 'disk', diskWriteMs: 0, seed: 4, entries: 20 });
    assert.ok(networkPart < 3, `the disk model without its disk: broadcast ${networkPart.toFixed(2)} ms; the network should be a small part of the ~15 ms`);
  });

  for (const model of ['disk', 'network'] as const) {
    it(`model '${model}': no randomness is much worse than 5 ms of it, and 150 ms of it has the best tail (p90 and max)`, function () {
      this.timeout(20_000);
      const seed = 11;
      const f = figure16({ model, seed, trials: 300, trialsWithoutRandomness: 10, maxMs: 20_000, ranges: [[150, 150], [150, 155], [150, 300]] });
      const [none, five, wide] = f.summary;
      const replay = `(replay: figure16({ model: '${model}', seed: ${seed}, trials: 300, trialsWithoutRandomness: 10, maxMs: 20000, ranges: [[150, 150], [150, 155], [150, 300]] }))\n${figure16Table(f)}`;
      assert.ok(none.medianMs > 10 * five.medianMs, `150-150 median ${none.medianMs} ms should be far above 150-155's ${five.medianMs} ms ${replay}`);
      assert.ok(none.medianMs > 10_000, `150-150: median ${none.medianMs} ms, the paper: "consistently took longer than 10 seconds" ${replay}`);
      assert.ok(five.p90Ms > wide.p90Ms && five.maxMs > wide.maxMs, `150-155 (p90 ${five.p90Ms}, max ${five.maxMs}) should have a worse tail than 150-300 (p90 ${wide.p90Ms}, max ${wide.maxMs}) ${replay}`);
      assert.ok(Math.min(...f.samples['150-300 ms']) >= 150 / 2, `no election before the minimum timeout minus a heartbeat interval ${replay}`);
      assert.equal(f.rows.length, 10 + 300 + 300);
    });
  }

  it('the split-vote window is the one-way delay: at the same ~15 ms broadcast time, 150-155 ms elects faster with a disk than with a slow network', function () {
    this.timeout(20_000);
    const seed = 12;
    const disk = electionTimingSamples({ timeoutMs: [150, 155], trials: 200, seed, model: 'disk' });
    const network = electionTimingSamples({ timeoutMs: [150, 155], trials: 200, seed, model: 'network' });
    const median = (xs: number[]) => xs.slice().sort((a, b) => a - b)[Math.ceil(xs.length / 2) - 1];
    assert.ok(median(network) > 3 * median(disk), `seed ${seed}: median ${median(disk)} ms with a disk, ${median(network)} ms with 6-9 ms of network`);
  });

  it('same seed, same samples; another seed, other samples', () => {
    const a = figure16({ seed: 5, trials: 20, ranges: [[150, 175]] });
    const b = figure16({ seed: 5, trials: 20, ranges: [[150, 175]] });
    const c = figure16({ seed: 6, trials: 20, ranges: [[150, 175]] });
    assert.deepEqual(a.samples, b.samples);
    assert.notDeepEqual(a.samples, c.samples);
    assert.deepEqual(Object.keys(a.samples), ['150-175 ms']);
  });

  it('bad options throw ConfigErrors that name the field', () => {
    assert.throws(() => figure16({ model: 'ssd' as never, trials: 1 }), (e: unknown) => e instanceof ConfigError && /model/.test(e.message));
    assert.throws(() => figure16({ ranges: [[200, 150]], trials: 1 }), (e: unknown) => e instanceof ConfigError && /timeoutMs\[1\]/.test(e.message));
    assert.throws(() => figure16({ trials: 0 }), (e: unknown) => e instanceof ConfigError && /trials/.test(e.message));
  });
});
