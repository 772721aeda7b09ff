/**
 * Graded tests of the merging-in-anti-entropy exercise (exercises/gossip.ts): last-writer-wins
 * (lww) and vector clocks with siblings (siblings). Unit cases check each contract on frozen
 * inputs and name the property a wrong answer breaks; the merge laws are checked over random
 * replica histories (checkMergeRules); then the learner's rules run inside the gossip nodes of
 * lib/protocols/gossip (push-pull anti-entropy, a partition into halves with writes on both
 * sides, crashes, message loss) and, hidden, inside the AP register of lib/protocols/cap.
 */
import { NodeId, RandomStreams, type TraceEvent } from '../../lib/core';
import { frozenCopy, gradedSuite, implementation, failRule as fail, callFrozenRule } from '../../lib/grade';
import { availability, lostUpdates, pairOperations, registerCluster } from '../../lib/protocols/cap';
import {
  checkMergeRules,
  compareClocks,
  compareStamps,
  coversWrite,
  formatVersion,
  gossipCluster,
  sameVersion,
  type Database,
  type MergeRules,
  type Reconciliation,
  type Version,
} from '../../lib/protocols/gossip';
import { randomFaultScript, type FaultStep } from '../../lib/sim';

type Exercise = typeof import('../../solutions/gossip');

/** The learner's two rules (or the reference, with --target solutions), as the nodes take them. */
function rules(): MergeRules {
  const module = implementation<Exercise>('gossip');
  return { lww: module.lww, siblings: module.siblings };
}


const v = (value: string, timestampMs: number, node: string, clock: Record<string, number>): Version => ({ value, timestampMs, node, clock });

function showList(list: unknown): string {
  return Array.isArray(list) ? `[${list.map((x) => formatVersion(x as Version)).join(', ')}]` : JSON.stringify(list);
}

function showOne(version: unknown): string {
  return version === undefined ? 'undefined' : version === null ? 'null' : formatVersion(version as Version);
}

/** A learner's rule on frozen input; writing to the input fails the test naming the rule. */
const callRule = <R>(rule: string, input: string, run: () => R): R => callFrozenRule(rule, `${rule}(${input})`, run, 'build a new list; leave the versions you were given as they are');

const CONVERGENCE = 'convergence (Demers §1.1: every replica resolves a conflict the same way)';
const NEWEST = 'no lost update: the newest write by (timestamp, node) wins';
const NO_LOST = 'no lost update: a version no other has seen survives (Dynamo §4.4)';
const OVERWRITTEN = 'overwritten versions are dropped';

const HINTS = {
  lwwNewest: 'lww must keep the greater by compareStamps (the later timestamp; on a tie the higher node id), whichever argument it is',
  lwwConvergence: 'every replica must pick the same winner: lww(a, b) and lww(b, a) must be the same version, so break timestamp ties by node id, never by "mine"',
  siblingsLost: 'siblings must keep every version of the union that no other version has seen (compareClocks(v.clock, w.clock) is never "before"), from both sides',
  siblingsOverwritten: 'a version whose clock is "before" another one\'s in the union was overwritten by it: drop it',
  siblingsConvergence: 'the merge must not depend on the order of exchanges: siblings(a, b) = siblings(b, a), siblings(a, a) = a, and grouping does not matter',
};

/** The hint for a checkMergeRules failure: which rule its message is about, and which property. */
function lawHint(property: string, message: string): string {
  if (message.includes('lww(')) return property === 'convergence' ? HINTS.lwwConvergence : HINTS.lwwNewest;
  if (property === 'no lost update') return HINTS.siblingsLost;
  return property === 'convergence' ? HINTS.siblingsConvergence : HINTS.siblingsOverwritten;
}

/** What one partitioned gossip run did: the cluster, the writes that were applied (with their dots), and when it healed. */
interface PartitionRun {
  c: ReturnType<typeof gossipCluster>;
  writes: { node: NodeId; key: string; value: string; atMs: number; version: Version }[];
  groups: NodeId[][];
  healAtMs: number;
  endMs: number;
}

/**
 * Six gossip nodes, push-pull anti-entropy every 10 ms round with the learner's rules, 1-3 ms
 * links losing 5% of messages; from 15 ms to 300 ms the nodes are cut into two halves, and one
 * or two nodes crash and restart (the database is durable). Writes to three keys land on random
 * nodes on both sides; at 290 ms one node on each side writes k1 in the same millisecond (a
 * timestamp tie). At 300 ms everything heals and the network stops losing; the run goes on to
 * 800 ms (50 rounds).
 */
function partitionedGossip(seed: number, reconciliation: Reconciliation, learner: MergeRules): PartitionRun {
  const nodes = ['n1', 'n2', 'n3', 'n4', 'n5', 'n6'];
  const healAtMs = 300;
  const endMs = 800;
  const random = new RandomStreams(seed);
  const rng = random.stream('graded-faults');
  const shuffled = rng.shuffle(nodes);
  const groups = [shuffled.slice(0, 3), shuffled.slice(3)];
  const faults: FaultStep[] = [
    { atMs: 15, action: 'partition', groups },
    ...randomFaultScript(rng, { crashCandidates: nodes, crashes: [1, 2], downMs: [20, 80], partitions: false, partitionNodes: nodes, partitionMs: [0, 0], healAtMs, faultWindowFraction: 0.8 }),
  ];
  const c = gossipCluster({
    seed, n: nodes.length, roundMs: 10, antiEntropy: { mode: 'push-pull' }, reconciliation, rules: learner,
    network: { latency: { kind: 'uniform', minMs: 1, maxMs: 3 }, dropRate: 0.05 }, faults, recordTrace: false,
  });
  const writes: PartitionRun['writes'] = [];
  const write = (atMs: number, pickNode: () => NodeId | undefined, key: string, value: string) => {
    let node: NodeId | undefined;
    c.sim.at(atMs, () => {
      node = pickNode();
      if (node !== undefined && c.sim.isUp(node)) c.sim.inject(node, { type: 'ClientWrite', key, value });
    }, `write ${key}`);
    c.sim.at(atMs + 0.01, () => {
      const version = node === undefined ? undefined : c.database(node)?.[key]?.find((x) => x.value === value);
      if (node !== undefined && version) writes.push({ node, key, value, atMs, version });
    }, `record ${key}`);
  };
  const workload = random.stream('graded-writes');
  let count = 0;
  for (let at = 20 + workload.uniform(0, 10); at < 280; at += workload.uniform(5, 20)) {
    const node = workload.pick(nodes);
    write(at, () => node, workload.pick(['k1', 'k2', 'k3']), `${node}-${++count}`);
  }
  for (const [side, group] of groups.entries()) write(290, () => group.find((n) => c.sim.isUp(n)), 'k1', `tie-${side + 1}`);
  c.sim.run({ untilMs: endMs });
  return { c, writes, groups, healAtMs, endMs };
}

/** The first key on which two live nodes differ, as "n1 holds [...], n4 holds [...]". */
function firstDifference(c: PartitionRun['c']): string {
  const live = c.nodes.filter((n) => c.sim.isUp(n));
  const dbs = live.map((n) => c.database(n) as Database);
  const keys = [...new Set(dbs.flatMap((db) => Object.keys(db)))].sort();
  for (const key of keys) {
    for (let i = 1; i < live.length; i++) {
      const a = dbs[0][key] ?? [];
      const b = dbs[i][key] ?? [];
      if (a.length !== b.length || !a.every((x) => b.some((y) => sameVersion(x, y)))) return `on "${key}" ${live[0]} holds ${showList(a)}, ${live[i]} holds ${showList(b)}`;
    }
  }
  return 'the databases differ';
}

/** Every version of `key` that a replica sent over the network (in Replicate, ReadReply, Hint, SyncAll, MerkleEntries). */
function versionsSent(trace: readonly TraceEvent[], key: string): Version[] {
  const out: Version[] = [];
  for (const e of trace) {
    if (e.kind !== 'send') continue;
    const msg = e.msg as { key?: string; versions?: Version[]; entries?: Database };
    if (msg.key === key && Array.isArray(msg.versions)) out.push(...msg.versions);
    if (msg.entries && Array.isArray(msg.entries[key])) out.push(...msg.entries[key]);
  }
  return out;
}

export default gradedSuite('gossip', [
  {
    name: 'lww keeps the newest write by (timestamp, node)',
    points: 2,
    description: 'lww: the version with the later timestamp, the higher node id on a tie, whichever side it is on; the other one when a side has none.',
    run() {
      const { lww } = rules();
      const a = v('a', 5, 'r1', { r1: 1 });
      const b = v('b', 7, 'r2', { r2: 1 });
      const tie = v('t', 5, 'r2', { r2: 1 });
      const cases: [Version | undefined, Version | undefined, Version | undefined, string, string][] = [
        [undefined, undefined, undefined, NEWEST, 'neither replica holds the key: undefined'],
        [undefined, a, a, NEWEST, 'the local replica has nothing: take the remote version'],
        [a, undefined, a, NEWEST, 'the remote replica has nothing: keep the local version'],
        [b, a, b, NEWEST, 'the later timestamp wins wherever it is: keeping the older version loses the newest write'],
        [a, b, b, NEWEST, 'the later timestamp wins whichever side it is on: keeping the local version loses the newer write (and two replicas never agree)'],
        [a, tie, tie, CONVERGENCE, 'comparing timestamps only and keeping your own on a tie: both are at 5 ms, so the higher node id (r2) must win on every replica, or two replicas keep different versions forever'],
        [tie, a, tie, CONVERGENCE, 'equal timestamps: the higher node id (r2) wins, whichever side it is on'],
        [v('x', 12, 'r1', { r1: 2 }), v('y', 9, 'r3', { r3: 1 }), v('x', 12, 'r1', { r1: 2 }), NEWEST, 'the timestamp comes first; the node id only breaks ties'],
        [v('x', 100, 'r1', { r1: 1 }), v('y', 20, 'r2', { r2: 1 }), v('x', 100, 'r1', { r1: 1 }), NEWEST, 'timestamps compare as numbers: 100 ms is later than 20 ms'],
        [a, v('a', 5, 'r1', { r1: 1 }), a, NEWEST, 'the same write on both sides: return it'],
      ];
      for (const [local, remote, expected, rule, why] of cases) {
        const input = `${showOne(local)}, ${showOne(remote)}`;
        const got = callRule('lww', input, () => lww(frozenCopy(local), frozenCopy(remote)));
        const same = expected === undefined ? got === undefined : got !== undefined && got !== null && typeof got === 'object' && compareStamps(got, expected) === 0 && got.value === expected.value;
        if (!same) fail(rule, `lww(${input}) returned ${showOne(got)}, expected ${showOne(expected)}`, why);
      }
    },
  },
  {
    name: 'siblings keeps concurrent writes and drops overwritten ones',
    points: 2,
    description: 'siblings: every version of the union that no other version has seen (by vector clock), one copy of each write; concurrent writes survive side by side.',
    run() {
      const { siblings } = rules();
      const a = v('a', 1, 'r1', { r1: 1 });
      const b = v('b', 2, 'r2', { r2: 1 });
      const c = v('c', 3, 'r1', { r1: 2, r2: 1 });
      const d = v('d', 4, 'r3', { r3: 1 });
      const e = v('e', 5, 'r2', { r1: 1, r2: 2 });
      const cases: [Version[], Version[], Version[], string][] = [
        [[], [], [], 'neither replica holds the key: []'],
        [[a], [], [a], 'the remote replica has nothing: keep the local siblings'],
        [[], [a], [a], 'the local replica has nothing: take the remote siblings'],
        [[a], [b], [a, b], 'keeping only your own side when the other is concurrent: a {r1:1} and b {r2:1} have not seen each other, so both survive as siblings'],
        [[a, b], [c], [c], 'a plain union that never prunes: c {r1:2, r2:1} has seen both a and b, which were overwritten'],
        [[c], [a], [c], 'the remote a was overwritten by the local c (c has seen it): drop it'],
        [[a], [v('a', 1, 'r1', { r1: 1 })], [a], 'the same write on both sides (equal clocks): keep one copy'],
        [[a, d], [c], [c, d], 'c overwrote a but not d: d {r3:1} stays beside c'],
        [[a, b], [e, d], [e, d], 'e {r1:1, r2:2} has seen a and b; d is concurrent with e'],
        [[b, d], [a], [a, b, d], 'three concurrent writes: all three survive'],
      ];
      for (const [local, remote, expected, why] of cases) {
        const input = `${showList(local)}, ${showList(remote)}`;
        const got = callRule('siblings', input, () => siblings(frozenCopy(local), frozenCopy(remote)));
        if (!Array.isArray(got) || got.some((x) => !x || typeof x !== 'object' || !x.clock)) fail(NO_LOST, `siblings(${input}) returned ${JSON.stringify(got)}`, 'return an array of versions');
        const missing = expected.find((x) => !got.some((y) => sameVersion(x, y)));
        const extra = got.find((y) => !expected.some((x) => sameVersion(x, y)));
        const duplicated = got.length !== expected.length && !missing && !extra;
        if (missing || extra || duplicated) {
          const rule = missing ? NO_LOST : OVERWRITTEN;
          const detail = missing ? `${formatVersion(missing)} is gone, though no other version has seen it` : extra ? `it keeps ${formatVersion(extra)}, which another version has seen` : 'it keeps two copies of one write';
          fail(rule, `siblings(${input}) returned ${showList(got)}, expected ${showList(expected)}: ${detail}`, why);
        }
      }
    },
  },
  {
    name: 'the merge laws hold on random replica histories',
    points: 3,
    description: 'checkMergeRules with your rules over 20 seeds x 150 cases from random histories of three replicas: lww symmetric and newest-wins; siblings keeps every unseen version, drops the seen ones, and is idempotent, commutative and associative.',
    run(ctx) {
      const learner = rules();
      for (const seed of ctx.seeds(20)) {
        const result = checkMergeRules(learner, { seed, cases: 150 });
        if (!result.ok) fail(result.property, result.message, lawHint(result.property, result.message), { seed });
      }
    },
  },
  {
    name: 'last-writer-wins anti-entropy converges on the newest write after a partition',
    points: 2,
    timeoutMs: 60000,
    description: '20 seeded runs: six gossip nodes with your lww, push-pull anti-entropy, cut into halves for 300 ms with writes on both sides (one pair in the same millisecond), crashes and message loss; 500 ms after healing every node holds the same version of each key: the newest written.',
    run(ctx) {
      const learner = rules();
      for (const seed of ctx.seeds(20)) {
        const run = partitionedGossip(seed, 'lww', learner);
        const { c } = run;
        if (!c.agree()) fail(CONVERGENCE, `${run.endMs - run.healAtMs} ms after the partition healed, the replicas still differ: ${firstDifference(c)}`, HINTS.lwwConvergence, { seed, timeMs: run.endMs });
        for (const key of ['k1', 'k2', 'k3']) {
          const written = run.writes.filter((w) => w.key === key).map((w) => w.version);
          if (written.length === 0) continue;
          const newest = written.reduce((best, x) => (compareStamps(x, best) > 0 ? x : best));
          const held = (c.database(c.nodes[0]) as Database)[key] ?? [];
          if (held.length !== 1 || !sameVersion(held[0], newest)) {
            fail(NEWEST, `every replica holds ${showList(held)} for "${key}", but the newest write is ${formatVersion(newest)}: it is lost`, HINTS.lwwNewest, { seed, timeMs: run.endMs });
          }
        }
      }
    },
  },
  {
    name: 'vector-clock anti-entropy converges after a partition and loses no write',
    points: 3,
    timeoutMs: 60000,
    description: '20 seeded runs as above with your siblings rule: after healing, every write survives on every node (or a version that has seen it does), no node keeps a version another has seen, and all nodes hold the same siblings.',
    run(ctx) {
      const learner = rules();
      let concurrent = 0;
      for (const seed of ctx.seeds(20)) {
        const run = partitionedGossip(seed, 'vector-clocks', learner);
        const { c } = run;
        for (const node of c.nodes) {
          const db = c.database(node) as Database;
          for (const w of run.writes) {
            if (!coversWrite(db[w.key], w.node, w.version.clock[w.node])) {
              fail(NO_LOST, `the write ${formatVersion(w.version)} (at ${w.node}, ${w.atMs.toFixed(1)} ms) is gone at ${node}: it holds ${showList(db[w.key] ?? [])} for "${w.key}", and none of these has seen it`, HINTS.siblingsLost, { seed, timeMs: run.endMs });
            }
          }
          for (const key of Object.keys(db)) {
            for (const x of db[key]) {
              const newer = db[key].find((y) => compareClocks(x.clock, y.clock) === 'before');
              if (newer) fail(OVERWRITTEN, `${node} holds ${formatVersion(x)} for "${key}" beside ${formatVersion(newer)}, which has seen it: a stale value comes back`, HINTS.siblingsOverwritten, { seed, timeMs: run.endMs });
            }
            if (db[key].length > 1) concurrent++;
          }
        }
        if (!c.agree()) fail(CONVERGENCE, `${run.endMs - run.healAtMs} ms after the partition healed, the replicas still differ: ${firstDifference(c)}`, HINTS.siblingsConvergence, { seed, timeMs: run.endMs });
      }
      ctx.log(`${concurrent} (node, key) pairs ended with siblings`);
    },
  },
  {
    name: 'the AP register with your rules serves through a partition and reconciles after',
    points: 2,
    hidden: true,
    timeoutMs: 60000,
    description: 'The CAP experiment\'s AP register (3 replicas, 6 clients, r3 and its clients cut off from 200 to 600 ms, anti-entropy every 20 ms) with your rules, last-writer-wins and vector clocks, 5 seeds: every request is served; 300 ms after the clients stop the replicas agree, with last-writer-wins on the newest version written, and with vector clocks no acknowledged write is lost.',
    run(ctx) {
      const learner = rules();
      for (const seed of ctx.seeds(5)) {
        for (const reconciliation of ['lww', 'vector-clocks'] as const) {
          const c = registerCluster({
            seed, mode: 'ap', replica: { reconciliation, rules: learner, antiEntropy: { periodMs: 20, kind: 'full' }, timeoutMs: 10 },
            client: { stopAtMs: 800, readRatio: 0.5 },
          });
          c.sim.schedule([{ atMs: 200, action: 'partition', groups: c.partitionGroups() }, { atMs: 600, action: 'heal' }]);
          c.sim.run({ untilMs: 1100 });
          const ops = pairOperations(c.sim.history);
          const served = availability(ops);
          if (served.served !== served.requests) fail('availability (AP)', `${reconciliation}: ${served.requests - served.served} of ${served.requests} requests were not served`, 'an AP replica answers with what it has; a rule that throws stops it', { seed });
          if (!c.agree()) {
            const dbs = c.replicas.map((r) => `${r}: ${showList(c.database(r).x ?? [])}`).join('; ');
            fail(CONVERGENCE, `${reconciliation}: 300 ms after the clients stopped (500 ms after healing), the replicas still differ on "x": ${dbs}`, reconciliation === 'lww' ? HINTS.lwwConvergence : HINTS.siblingsConvergence, { seed, timeMs: 1100 });
          }
          if (reconciliation === 'lww') {
            const newest = versionsSent(c.sim.trace.events, 'x').reduce<Version | null>((best, x) => (best === null || compareStamps(x, best) > 0 ? x : best), null);
            const held = c.database(c.replicas[0]).x ?? [];
            if (newest && (held.length !== 1 || !sameVersion(held[0], newest))) {
              fail(NEWEST, `last-writer-wins: the replicas agree on ${showList(held)} for "x", but ${formatVersion(newest)} was written later (it went over the network): it is lost`, HINTS.lwwNewest, { seed, timeMs: 1100 });
            }
          }
          if (reconciliation === 'vector-clocks') {
            const lost = lostUpdates(c.sim.trace.events, ops, c.replicas.map((r) => c.database(r)));
            if (lost.length > 0) fail(NO_LOST, `vector clocks: ${lost.length} acknowledged write(s) lost, first ${JSON.stringify(lost[0].value)} by ${lost[0].process} at ${lost[0].invokeMs.toFixed(1)} ms: no version the replicas hold descends from it`, HINTS.siblingsLost, { seed });
          }
        }
      }
    },
  },
]);
