/**
 * Graded tests of the quorum-read exercise (exercises/quorum.ts): the value a read returns
 * (resolveRead) and the replicas read repair writes back to (repairTargets). Unit cases check
 * each contract on frozen inputs and name the rule a wrong answer breaks; then the learner's two
 * rules run inside the Dynamo-style store (lib/protocols/quorum): scripted schedules where a
 * stale replica answers first or last, reads right after writes on a random network for several
 * N, W, R with W + R > N, seeded chaos runs (loss, duplication, reordering, partitions,
 * crashes), a run without anti-entropy where only read repair can bring the replicas together,
 * and (hidden) linearizability with blocking read repair.
 */
import { CHAOS_NETWORK, randomFaultScript } from '../../lib/sim';
import { NodeId, RandomStreams } from '../../lib/core';
import { frozenCopy, gradedSuite, implementation, failRule as fail, callFrozenRule } from '../../lib/grade';
import {
  formatRecord,
  formatVersion,
  quorumChaosRun,
  quorumCluster,
  readsLatestWrite,
  type QuorumCluster,
  type QuorumRules,
  type QuorumSize,
  type ReadReply,
  type VersionedValue,
} from '../../lib/protocols/quorum';

type Exercise = typeof import('../../solutions/quorum');

/** The learner's two rules (or the reference, with --target solutions), as the store takes them. */
function rules(): QuorumRules {
  const module = implementation<Exercise>('quorum');
  return { resolveRead: module.resolveRead, repairTargets: module.repairTargets };
}

const rec = (value: string, ts: number, node: string): VersionedValue => ({ value, version: { ts, node } });
const reply = (from: NodeId, record: VersionedValue | null): ReadReply => ({ from, record });

function show(value: unknown): string {
  return value === undefined ? 'undefined' : JSON.stringify(value);
}

function showReplies(replies: readonly ReadReply[]): string {
  return `[${replies.map((r) => `${r.from}: ${formatRecord(r.record)}`).join(', ')}]`;
}

/** A learner's rule on frozen input; writing to the input fails the test naming the rule. */
const callRule = <R>(rule: string, input: string, run: () => R): R => callFrozenRule(rule, `${rule}(${input})`, run, 'return a new value; leave the replies as they are');

const NEWEST_RULE = 'a read returns the newest version (Gifford 1979 §3; Dynamo §4.5)';
const REPAIR_RULE = 'read repair writes back to every replica behind the value read (Dynamo §5)';
const LATEST_RULE = 'reads the latest write (W + R > N)';
const CONVERGE_RULE = 'read repair converges the replicas';

/** "n1: "v1" @ 3.n1, n2: ..." for the home replicas of `key`. */
function replicasOf(c: QuorumCluster, key: string): string {
  return Object.entries(c.replicaRecords(key)).map(([n, r]) => `${n}: ${r === 'down' ? 'down' : formatRecord(r)}`).join(', ');
}

/**
 * The scripted reads (N = 3, W = R = 2, constant 2 ms links, async read repair). 'x' = v1 on
 * every replica; then v2 is written so that it reaches one home replica only after 500 ms, and
 * read as soon as the write completes:
 * - 'stale first': the read's coordinator is the stale replica itself: its own (stale) answer
 *   arrives first, a fresh one second, and the coordinator answers with those two.
 * - 'stale last': the coordinator hears two fresh replicas first and answers; the stale
 *   replica's reply arrives 20 ms later, and read repair must still fix it.
 * Returns the cluster 100 ms after the read, before the slow write lands.
 */
function scriptedRead(learner: QuorumRules, schedule: 'stale first' | 'stale last'): { c: QuorumCluster; stale: NodeId } {
  const c = quorumCluster({ seed: 1, nodes: 3, N: 3, W: 2, R: 2, rules: learner, readRepair: 'async', clients: 1, requestTimeoutMs: 2000, network: { latency: { kind: 'constant', ms: 2 } } });
  const [h0, h1, h2] = c.homes('x');
  const slow = { latency: { kind: 'constant' as const, ms: 500 } };
  c.put('x', 'v1', { via: h0 });
  c.runUntilDone();
  c.run(c.sim.now() + 20);
  if (schedule === 'stale first') {
    c.sim.configureLink(h0, h2, slow);
    c.sim.configureLink(h2, h0, slow);
    c.sim.configureLink(h2, h1, { latency: { kind: 'constant', ms: 5 } });
    c.sim.configureLink(h2, h2, { latency: { kind: 'constant', ms: 1 } });
    c.put('x', 'v2', { via: h0 });
    c.get('x', { via: h2 });
  } else {
    c.sim.configureLink(h1, h2, slow);
    c.sim.configureLink(h2, h0, { latency: { kind: 'constant', ms: 20 } });
    c.put('x', 'v2', { via: h1 });
    c.get('x', { via: h0 });
  }
  c.runUntilDone();
  c.run(c.sim.now() + 100);
  return { c, stale: h2 };
}

/**
 * The store's chaos phase (as quorumChaosRun: CHAOS_NETWORK, crashes, partitions, three
 * clients, N = 3, W = R = QUORUM) with anti-entropy OFF, then, once healed and quiet, one read
 * of every key at R = ALL. Only read repair can bring the replicas of a key together here: with
 * a rule that does not repair, about 4 in 10 seeds end with a key whose replicas differ.
 */
function readRepairAfterFaults(seed: number, learner: QuorumRules) {
  const healAtMs = 600;
  const nodes = ['n1', 'n2', 'n3', 'n4', 'n5'];
  const random = new RandomStreams(seed);
  const faults = randomFaultScript(random.stream('chaos-faults'), {
    crashCandidates: nodes, crashes: [0, 3], downMs: [20, 200], partitions: true, partitionNodes: nodes,
    partitionMs: [20, 200], healAtMs, faultWindowFraction: 0.7,
  });
  const c = quorumCluster({
    seed, nodes, N: 3, W: 'QUORUM', R: 'QUORUM', readRepair: 'async', rules: learner, clients: 3, antiEntropyIntervalMs: 0,
    clientTimeoutMs: 200, network: CHAOS_NETWORK, faults, recordTrace: false,
  });
  const workload = random.stream('chaos-workload');
  const keys = ['k1', 'k2', 'k3'];
  let value = 0;
  for (const client of c.clients) {
    // Sparser than quorumChaosRun's, and over by 450 ms, so that the last writes of a key happen
    // under faults (clients run one operation at a time: a busy queue would spill past healing).
    for (let at = workload.uniform(0, 20); at < 450; at += workload.uniform(20, 80)) {
      const key = workload.pick(keys);
      const via = workload.pick(nodes);
      if (workload.chance(0.5)) c.put(key, `${client}-${++value}`, { client, via, atMs: at });
      else c.get(key, { client, via, atMs: at });
    }
  }
  c.run(healAtMs);
  c.runUntilDone({ maxTimeMs: healAtMs + 2000 });
  c.run(c.sim.now() + 50);
  const divergentBefore = c.divergentKeys();
  const firstRead = c.operations().length;
  keys.forEach((key, i) => c.get(key, { client: 'c1', via: nodes[i], level: 'ALL' }));
  c.runUntilDone();
  c.run(c.sim.now() + 50);
  const reads = c.operations().slice(firstRead);
  return { c, divergentBefore, reads };
}

export default gradedSuite('quorum', [
  {
    name: 'resolveRead returns the newest version',
    points: 2,
    description: 'resolveRead: the record with the highest version among the replies (timestamp, then node id), whatever the order they came in; null only when no replica holds the key.',
    run() {
      const { resolveRead } = rules();
      const a5 = rec('a', 5, 'n1');
      const b9 = rec('b', 9, 'n2');
      const cases: [ReadReply[], VersionedValue | null, string][] = [
        [[reply('n1', null), reply('n2', null)], null, 'no replica holds the key: the read returns nothing (null)'],
        [[reply('n1', a5)], a5, 'one reply with a record: that record'],
        [[reply('n1', null), reply('n2', b9)], b9, 'a replica that holds nothing does not hide one that holds the key'],
        [[reply('n3', a5), reply('n1', b9)], b9, 'returning the first reply: the first answer came from a stale replica; the newest version is the current one'],
        [[reply('n2', b9), reply('n1', a5), reply('n3', rec('c', 7, 'n3'))], b9, 'the newest of all the replies, wherever it is in the list: not the first, not the last'],
        [[reply('n1', rec('x', 7, 'n1')), reply('n2', rec('y', 7, 'n3'))], rec('y', 7, 'n3'), 'equal timestamps: the higher node id wins (compareVersions), so every coordinator picks the same record'],
        [[reply('n1', rec('x', 7, 'n3')), reply('n2', rec('y', 7, 'n1'))], rec('x', 7, 'n3'), 'equal timestamps: the higher node id wins, whichever reply came first'],
        [[reply('n1', rec('a', 900, 'n1')), reply('n2', rec('b', 1000, 'n1'))], rec('b', 1000, 'n1'), 'timestamps compare as numbers: 1000 is newer than 900'],
        [[reply('n1', a5), reply('n2', a5), reply('n3', null)], a5, 'two replicas hold the same version: that version'],
      ];
      for (const [replies, expected, why] of cases) {
        const input = showReplies(replies);
        const got = callRule('resolveRead', input, () => resolveRead(frozenCopy(replies)));
        if (JSON.stringify(got ?? null) !== JSON.stringify(expected) || (got === undefined && expected !== null)) {
          fail(NEWEST_RULE, `resolveRead(${input}) returned ${got === undefined ? 'undefined' : formatRecord(got)}, expected ${formatRecord(expected)}`, why);
        }
      }
    },
  },
  {
    name: 'repairTargets names every replica behind the value read',
    points: 2,
    description: 'repairTargets: the replicas that answered with nothing or with an older version than the one returned, in reply order, each once; none when nothing was read; late replies alone too.',
    run() {
      const { repairTargets } = rules();
      const a5 = rec('a', 5, 'n1');
      const b9 = rec('b', 9, 'n2');
      const cases: [ReadReply[], VersionedValue | null, NodeId[], string][] = [
        [[reply('n1', null), reply('n2', null)], null, [], 'nothing was read: there is nothing to write back'],
        [[reply('n1', null), reply('n2', b9)], b9, ['n1'], 'n1 holds nothing: it missed the write, so repair it (never repairing leaves it stale until the next write of the key reaches it)'],
        [[reply('n1', a5), reply('n2', b9)], b9, ['n1'], 'repairing only the replicas that had nothing: n1 holds an older version, it is just as stale'],
        [[reply('n1', b9), reply('n2', b9), reply('n3', b9)], b9, [], 'every replica already holds the version read: nothing to repair'],
        [[reply('n2', a5), reply('n1', null), reply('n3', a5), reply('n4', b9)], b9, ['n2', 'n1', 'n3'], 'every replica behind, in reply order'],
        [[reply('n3', a5)], b9, ['n3'], 'a late reply comes alone, after the coordinator answered: if it is behind, repair it'],
        [[reply('n3', rec('c', 12, 'n3'))], b9, [], 'a replica that holds a NEWER version than the one read is not behind: leave it alone'],
        [[reply('n1', rec('x', 7, 'n1'))], rec('y', 7, 'n3'), ['n1'], 'same timestamp, lower node id: 7.n1 is older than 7.n3 (compareVersions)'],
        [[reply('n1', null), reply('n1', null)], b9, ['n1'], 'name each replica once, even if it shows up twice'],
      ];
      for (const [replies, chosen, expected, why] of cases) {
        const input = `${showReplies(replies)}, chosen = ${formatRecord(chosen)}`;
        const got = callRule('repairTargets', input, () => repairTargets(frozenCopy(replies), frozenCopy(chosen)));
        if (!Array.isArray(got) || JSON.stringify(got) !== JSON.stringify(expected)) {
          fail(REPAIR_RULE, `repairTargets(${input}) returned ${show(got)}, expected ${show(expected)}`, why);
        }
      }
    },
  },
  {
    name: 'a read returns the latest write and repairs the stale replica',
    points: 3,
    description: 'Scripted (N = 3, W = R = 2): v2 reaches one replica only after 500 ms. A read right after the write must return v2, and read repair must bring the slow replica to v2 long before the write does: once when the stale replica answers first, once when it answers after the coordinator has answered.',
    run() {
      const learner = rules();
      for (const schedule of ['stale first', 'stale last'] as const) {
        const { c, stale } = scriptedRead(learner, schedule);
        const read = c.operations()[2];
        const verdict = readsLatestWrite(c.operations());
        if (!verdict.ok) {
          fail(LATEST_RULE, `(${schedule}) ${verdict.message}`, schedule === 'stale first' ? `the stale replica ${stale} answered first: return the newest version among the replies, not the first` : 'return the newest version among the replies', { seed: 1, timeMs: read.completedMs ?? undefined });
        }
        const record = c.replicaRecords('x')[stale];
        if (record === 'down' || record?.value !== 'v2') {
          const late = schedule === 'stale last' ? `${stale}'s reply came after the coordinator had answered: the coordinator calls repairTargets again with that reply alone` : `${stale} answered with v1, older than v2`;
          fail(CONVERGE_RULE, `(${schedule}) ${c.sim.now()} ms: 100 ms after the read of "x" the replicas still differ (${replicasOf(c, 'x')}): read repair did not fix ${stale}`, `${late}; repairTargets must name it`, { seed: 1, timeMs: c.sim.now() });
        }
      }
    },
  },
  {
    name: 'W + R > N: every read right after a write sees it',
    points: 2,
    description: 'A client writes a key through one coordinator and, as soon as the write completes, reads it through another, 30 times, on a random network (exponential latency), for N, W, R = 3,2,2 / 3,1,3 / 3,3,1 / 5,3,3; 8 seeds each: no read may return an older version than the write before it.',
    run(ctx) {
      const learner = rules();
      const configs: [number, QuorumSize, QuorumSize][] = [[3, 2, 2], [3, 1, 3], [3, 3, 1], [5, 3, 3]];
      for (const seed of ctx.seeds(8)) {
        for (const [N, W, R] of configs) {
          const c = quorumCluster({
            seed, nodes: N + 1, N, W, R, rules: learner, readRepair: 'async', clients: 1, requestTimeoutMs: 1000, clientTimeoutMs: 5000,
            network: { latency: { kind: 'exponential', meanMs: 4, minMs: 0.5 } }, recordTrace: false,
          });
          const homes = c.homes('x');
          for (let i = 0; i < 30; i++) {
            c.put('x', `v${i + 1}`, { client: 'c1', via: homes[0], atMs: i * 20 });
            c.get('x', { client: 'c1', via: homes[N - 1], atMs: i * 20 });
          }
          c.runUntilDone({ maxTimeMs: 60_000 });
          const verdict = c.readsLatest();
          if (!verdict.ok) {
            fail(LATEST_RULE, `N = ${N}, W = ${W}, R = ${R}: ${verdict.message}`, `W + R > N: the R replies include one that holds the latest write; resolveRead must return the newest of them${R === 3 ? ' (here every replica answered)' : ''}`, { seed });
          }
        }
      }
    },
  },
  {
    name: 'reads stay fresh and replicas converge under seeded faults',
    points: 3,
    timeoutMs: 60000,
    description: '200 seeded chaos runs (loss, duplication, reordering, partitions, crashes; N = 3, W = R = QUORUM, 3 clients, anti-entropy every 50 ms): every read sees the latest completed write, and within 2 s of healing every key\'s replicas agree.',
    run(ctx) {
      const learner = rules();
      let reads = 0;
      for (const seed of ctx.seeds(200)) {
        const r = quorumChaosRun(seed, { rules: learner });
        reads += r.cluster.operations().filter((o) => o.f === 'get' && o.status === 'ok').length;
        if (!r.safety.ok) fail(LATEST_RULE, r.safety.message, 'the read quorum included a replica holding that write: resolveRead must return the newest version among the replies', { seed });
        if (!r.liveness.ok) fail('liveness', r.liveness.message, 'after healing, anti-entropy and read repair must bring every key\'s replicas to the newest version', { seed, timeMs: r.cluster.sim.now() });
      }
      ctx.log(`${reads} successful reads checked`);
    },
  },
  {
    name: 'without anti-entropy, read repair alone heals the replicas after faults',
    points: 2,
    timeoutMs: 60000,
    description: '100 seeded chaos runs with anti-entropy off; after healing, one read of each key at R = ALL must leave every key\'s three replicas holding the same, newest version.',
    run(ctx) {
      const learner = rules();
      let healed = 0;
      for (const seed of ctx.seeds(100)) {
        const { c, divergentBefore, reads } = readRepairAfterFaults(seed, learner);
        const failed = reads.find((o) => o.status !== 'ok');
        if (failed) fail('liveness', `after healing, get(${JSON.stringify(failed.key)}) at R = ALL through ${failed.via} ended ${failed.status}: ${failed.reason ?? ''}`, 'every replica is up and the network is healed: the read should succeed', { seed });
        const verdict = c.readsLatest();
        if (!verdict.ok) fail(LATEST_RULE, verdict.message, 'resolveRead must return the newest version among the replies', { seed });
        const divergent = c.divergentKeys();
        if (divergent.length > 0) {
          const key = divergent[0];
          const read = reads.find((o) => o.key === key);
          fail(CONVERGE_RULE, `${c.sim.now().toFixed(1)} ms: after a read of ${JSON.stringify(key)} at R = ALL (it returned ${read?.version ? `${JSON.stringify(read.value)} @ ${formatVersion(read.version)}` : 'nil'}), the replicas still differ (${replicasOf(c, key)})`, 'every replica that answered with nothing or with an older version must be repaired', { seed, timeMs: c.sim.now() });
        }
        if (divergentBefore.length > 0) healed++;
      }
      ctx.log(`read repair healed divergent replicas in ${healed} runs`);
    },
  },
  {
    name: 'blocking read repair with your rules is linearizable',
    points: 2,
    hidden: true,
    timeoutMs: 60000,
    description: 'With blocking read repair (the coordinator writes the value back to W replicas before answering: Attiya, Bar-Noy, Dolev 1995) and W = R = 2 of N = 3, one writer and two readers running concurrently through every node, one home replica slow to receive (so it lags, and answers its own reads first): the history must be linearizable, 10 seeds.',
    run(ctx) {
      const learner = rules();
      for (const seed of ctx.seeds(10)) {
        const c = quorumCluster({ seed, N: 3, W: 2, R: 2, rules: learner, readRepair: 'blocking', clients: 3, network: { latency: { kind: 'exponential', meanMs: 2, minMs: 0.5 } } });
        const lagging = c.homes('x')[2];
        for (const n of c.nodes) if (n !== lagging) c.sim.configureLink(n, lagging, { latency: { kind: 'exponential', meanMs: 15, minMs: 5 } });
        for (let i = 0; i < 20; i++) {
          c.put('x', `a${i}`, { client: 'c1', atMs: i * 5, via: c.nodes[i % 5] });
          c.get('x', { client: 'c2', atMs: i * 5 + 5 / 3, via: c.nodes[(i + 2) % 5] });
          c.get('x', { client: 'c3', atMs: i * 5 + 10 / 3, via: c.nodes[(i + 4) % 5] });
        }
        if (!c.runUntilDone()) fail('liveness', 'the operations did not finish within 10 s of virtual time', 'a rule that throws or returns garbage can stall a coordinator', { seed });
        const lin = c.linearizable();
        if (lin.ok === false) fail('linearizability', lin.message, 'a read that returns an older version than one another read already returned breaks it: resolveRead must return the newest', { seed });
        if (lin.ok === 'unknown') fail('linearizability', `the checker could not decide: ${lin.message}`, 'report this to the course staff', { seed });
      }
    },
  },
]);
