/**
 * Graded tests of the ring-lookup exercise (exercises/hashring.ts): the successor of a ring
 * position (successorIndex) and the preference list of N distinct physical nodes
 * (preferenceList). Unit cases check each contract on frozen inputs and name the property a
 * wrong answer breaks; a counting proxy checks the lookup is a binary search; then the
 * learner's two rules run inside the real ring (lib/protocols/hashring) with virtual nodes,
 * against a brute-force walk, through node joins and leaves, and (hidden) inside the quorum
 * store of lib/protocols/quorum under crashes and partitions.
 */
import { NodeId, RandomStreams } from '../../lib/core';
import { frozenCopy, gradedSuite, implementation, failRule as fail, callFrozenRule } from '../../lib/grade';
import { HashRing, RING_SIZE, hash32, keysMoved, nodeNames, ringState, sampleKeys, successorIndex as referenceSuccessor, type RingRules } from '../../lib/protocols/hashring';
import { quorumCluster } from '../../lib/protocols/quorum';
import { CHAOS_NETWORK, randomFaultScript } from '../../lib/sim';

type Exercise = typeof import('../../solutions/hashring');

/** The learner's two rules (or the reference, with --target solutions), as the ring takes them. */
function rules(): RingRules {
  const module = implementation<Exercise>('hashring');
  return { successorIndex: module.successorIndex, preferenceList: module.preferenceList };
}

function show(value: unknown): string {
  return value === undefined ? 'undefined' : JSON.stringify(value);
}

/** A learner's rule on frozen input; writing to the input fails the test naming the rule. */
const callRule = <R>(rule: string, input: string, run: () => R): R => callFrozenRule(rule, `${rule}(${input})`, run, 'leave the ring arrays as they are: sort or copy nothing, they are already sorted');

const SUCCESSOR = 'successor lookup: a position belongs to the first token clockwise (Karger §4)';
const WRAP = 'wrap-around at 2^32: past the last token comes the first';
const BINARY = 'the lookup is a binary search (O(log n) reads of the ring)';
const DISTINCT = 'replicas must be distinct physical nodes (Dynamo §4.3)';
const WALK = 'the preference list walks clockwise, wrapping around the ring';
const MONOTONE = 'monotonicity: a join moves only the keys the new node takes (Karger §4)';

/** The brute-force answers for a ring: the successor index and the next `n` distinct owners. */
function bruteSuccessor(positions: readonly number[], position: number): number {
  const i = positions.findIndex((t) => t >= position);
  return i === -1 ? 0 : i;
}

function brutePreference(owners: readonly NodeId[], start: number, n: number): NodeId[] {
  const out: NodeId[] = [];
  for (let step = 0; step < owners.length && out.length < n; step++) {
    const owner = owners[(start + step) % owners.length];
    if (!out.includes(owner)) out.push(owner);
  }
  return out;
}

export default gradedSuite('hashring', [
  {
    name: 'successorIndex finds the first token clockwise',
    points: 2,
    description: 'successorIndex: the index of the first token at or after the position; a token exactly at the position owns it; among equal positions, the first.',
    run() {
      const { successorIndex } = rules();
      const ring = [100, 200, 300];
      const cases: [number[], number, number, string][] = [
        [ring, 150, 1, 'taking the predecessor: 150 lies between the tokens at 100 and 200, and belongs to the first one clockwise, at 200'],
        [ring, 200, 1, 'a token exactly at the position owns it'],
        [ring, 101, 1, 'just past the token at 100: the next one clockwise, at 200'],
        [ring, 0, 0, 'position 0 belongs to the first token, at 100'],
        [ring, 100, 0, 'a token exactly at the position owns it'],
        [ring, 299, 2, 'just before the token at 300: that token'],
        [ring, 300, 2, 'a token exactly at the position owns it'],
        [[100, 200, 200, 300], 200, 1, 'equal positions (a hash collision): the first of them'],
        [[100, 200, 200, 300], 150, 1, 'equal positions (a hash collision): the first of them'],
        [[5], 3, 0, 'a ring of one token owns every position'],
        [[1e9, 2e9, 3e9, 4e9], 2.5e9, 2, 'positions go up to 2^32 - 1: compare them as numbers'],
        [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], 7, 6, 'a token exactly at the position owns it'],
        [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], 0, 0, 'the first token'],
      ];
      for (const [positions, position, expected, why] of cases) {
        const input = `[${positions.join(', ')}], ${position}`;
        const got = callRule('successorIndex', input, () => successorIndex(frozenCopy(positions), position));
        if (got !== expected) fail(SUCCESSOR, `successorIndex(${input}) returned ${show(got)}, expected ${expected}`, why);
      }
    },
  },
  {
    name: 'successorIndex wraps around past 2^32',
    points: 2,
    description: 'successorIndex: a position after the last token belongs to the first token (index 0), up to 2^32 - 1.',
    run() {
      const { successorIndex } = rules();
      const cases: [number[], number, number, string][] = [
        [[100, 200, 300], 301, 0, 'forgetting the wrap-around: 301 is past the last token (300), so the walk goes on past 2^32 - 1 to 0 and meets the token at 100'],
        [[100, 200, 300], RING_SIZE - 1, 0, 'the last position on the ring, 2^32 - 1, is past every token: index 0'],
        [[5], 6, 0, 'a ring of one token: past it, the walk comes back to it'],
        [[10, 4294967290], 4294967291, 0, 'past the last token: index 0'],
        [[0, 4294967295], 4294967295, 1, 'a token exactly at 2^32 - 1 owns that position'],
        [[0, 4294967295], 4294967294, 1, 'just before the token at 2^32 - 1: that token, no wrap-around'],
      ];
      for (const [positions, position, expected, why] of cases) {
        const input = `[${positions.join(', ')}], ${position}`;
        const got = callRule('successorIndex', input, () => successorIndex(frozenCopy(positions), position));
        if (got !== expected) fail(expected === 0 ? WRAP : SUCCESSOR, `successorIndex(${input}) returned ${show(got)}, expected ${expected}`, why);
      }
    },
  },
  {
    name: 'successorIndex is a binary search on a ring of 100,000 tokens',
    points: 1,
    description: 'On a ring of 1,000 nodes x 100 virtual nodes, 2,000 lookups are correct and none reads more than 2 log2(n) + 8 = 42 positions (a scan reads ~50,000).',
    run(ctx) {
      const { successorIndex } = rules();
      const state = ringState(nodeNames(1000), 100);
      const positions = Object.freeze(state.positions.slice());
      const limit = 2 * Math.ceil(Math.log2(positions.length)) + 8;
      let reads = 0;
      const counted = new Proxy(positions, {
        get(target, property, receiver) {
          if (typeof property === 'string' && /^\d+$/.test(property)) reads++;
          return Reflect.get(target, property, receiver);
        },
      });
      const last = positions[positions.length - 1];
      const probes = [0, positions[0], last, last + 1, RING_SIZE - 1, ...sampleKeys(1995, 'lookup').map(hash32)];
      let most = 0;
      for (const position of probes) {
        reads = 0;
        const got = successorIndex(counted, position);
        const expected = referenceSuccessor(positions, position); // (a scan of 100,000 tokens per probe would take seconds)
        if (got !== expected) fail(expected === 0 && position > last ? WRAP : SUCCESSOR, `on the ring of ${positions.length} tokens, successorIndex(positions, ${position}) returned ${show(got)}, expected ${expected} (the token at ${positions[expected]})`, 'the first token at or after the position; index 0 past the last');
        most = Math.max(most, reads);
        if (reads > limit) fail(BINARY, `successorIndex(positions, ${position}) read ${reads} positions of a ring of ${positions.length} tokens; a binary search reads about log2(n) = ${Math.ceil(Math.log2(positions.length))}`, 'halve the range [lo, hi) at each step; do not scan, copy or sort the array: it is already sorted');
      }
      ctx.log(`at most ${most} reads per lookup`);
    },
  },
  {
    name: 'preferenceList walks clockwise to N distinct physical nodes',
    points: 2,
    timeoutMs: 10000,
    description: 'preferenceList: from the start token clockwise, wrapping around, each token at most once, the owners not yet collected, until n of them; fewer only when the ring has fewer distinct nodes.',
    run() {
      const { preferenceList } = rules();
      const cases: [NodeId[], number, number, NodeId[], string, string][] = [
        [['a', 'a', 'b', 'c'], 0, 2, ['a', 'b'], DISTINCT, 'taking the next n tokens: tokens 0 and 1 both belong to a (two virtual nodes of one machine); skip a token whose node is already in the list'],
        [['a', 'a', 'b', 'c'], 1, 2, ['a', 'b'], DISTINCT, 'from token 1 (a): a, then b'],
        [['a', 'a', 'b', 'c'], 0, 3, ['a', 'b', 'c'], DISTINCT, 'a second virtual node of a is skipped: the replicas go to a, b and c'],
        [['a', 'b', 'c'], 2, 2, ['c', 'a'], WALK, 'stopping at the end of the array: from the last token the walk wraps around to token 0'],
        [['a', 'b', 'a', 'c'], 3, 3, ['c', 'a', 'b'], WALK, 'from the last token (c), wrap to a, then b'],
        [['b', 'a', 'a', 'c'], 1, 3, ['a', 'c', 'b'], WALK, 'skip the second a, take c, then wrap around to b'],
        [['a', 'b', 'a', 'c', 'b'], 2, 3, ['a', 'c', 'b'], DISTINCT, 'skip the b already collected: a, c, b'],
        [['a', 'b', 'c', 'd'], 0, 1, ['a'], WALK, 'n = 1: the coordinator alone'],
        [['a', 'b', 'a'], 0, 3, ['a', 'b'], WALK, 'the ring holds only two distinct nodes: return both, after one full turn'],
        [['a', 'a', 'a'], 1, 2, ['a'], WALK, 'visit each token at most once: after a full turn, stop with what you have'],
      ];
      for (const [owners, start, n, expected, rule, why] of cases) {
        const input = `[${owners.map((o) => JSON.stringify(o)).join(', ')}], ${start}, ${n}`;
        const got = callRule('preferenceList', input, () => preferenceList(frozenCopy(owners), start, n));
        if (!Array.isArray(got) || JSON.stringify(got) !== JSON.stringify(expected)) {
          const duplicate = Array.isArray(got) && new Set(got).size !== got.length;
          fail(duplicate ? DISTINCT : rule, `preferenceList(${input}) returned ${show(got)}, expected ${show(expected)}`, why);
        }
      }
    },
  },
  {
    name: 'lookups with virtual nodes agree with a brute-force walk of the ring',
    points: 2,
    description: 'On 10 seeded rings (3-10 nodes, 1-64 virtual nodes each) with your rules inside HashRing: the owner and the preference list of N = 3 of each token position, its neighbours, 0, 2^32 - 1 and 500 key hashes match a brute-force walk.',
    run(ctx) {
      const learner = rules();
      for (const seed of ctx.seeds(10)) {
        const nodes = nodeNames(3 + (seed % 8));
        const virtualNodes = [1, 4, 16, 64][seed % 4];
        const ring = new HashRing(nodes, { virtualNodes, rules: learner });
        const { positions, owners } = ring.state;
        const last = positions[positions.length - 1];
        const tokens = positions.filter((_, i) => i % Math.max(1, Math.floor(positions.length / 40)) === 0);
        const probes = [0, RING_SIZE - 1, last, last + 1, ...tokens.flatMap((t) => [t - 1, t, t + 1]), ...sampleKeys(500, `s${seed}-key`).map(hash32)]
          .filter((p) => p >= 0 && p < RING_SIZE);
        const where = `ring of ${nodes.length} nodes x ${virtualNodes} virtual nodes`;
        for (const p of probes) {
          const index = bruteSuccessor(positions, p);
          const owner = ring.ownerAt(p);
          if (owner !== owners[index]) {
            if (p > last) fail(WRAP, `${where}: position ${p} is past the last token (${last}), so it belongs to the first token (${owners[0]}), got ${owner}`, 'past the last token, the walk wraps around to index 0', { seed });
            fail(SUCCESSOR, `${where}: position ${p} belongs to the first token clockwise (at ${positions[index]}, ${owners[index]}), got ${owner}`, 'the first token at or after the position', { seed });
          }
          const list = ring.preferenceListAt(p, 3);
          const expected = brutePreference(owners, index, 3);
          if (JSON.stringify(list) !== JSON.stringify(expected)) {
            if (new Set(list).size !== list.length) fail(DISTINCT, `${where}: the preference list at ${p} is [${list.join(', ')}]: one node holds two of the three replicas; expected [${expected.join(', ')}]`, 'skip tokens whose node is already in the list: one crash must not take two replicas', { seed });
            if (list.length < expected.length) fail(WALK, `${where}: every key needs N = 3 replicas (the walk wraps around the ring): the preference list at ${p} is [${list.join(', ')}], expected [${expected.join(', ')}]`, 'from the last token, go on at index 0', { seed });
            fail(WALK, `${where}: the preference list at ${p} is [${list.join(', ')}], expected the next 3 distinct nodes clockwise [${expected.join(', ')}]`, 'walk clockwise from the key\'s successor, in ring order', { seed });
          }
        }
      }
    },
  },
  {
    name: 'a join moves about 1/(n+1) of the keys, all to the new node',
    points: 2,
    description: 'With your lookup, 10,000 keys, 100 virtual nodes: when node n+1 joins n = 4, 10, 20 nodes, about 1/(n+1) of the keys move (against n/(n+1) under hashing mod n), and every key that moves, moves to the new node; when one of 10 leaves, about 1/10 move.',
    run(ctx) {
      const learner = rules();
      const keys = sampleKeys(10_000);
      for (const n of [4, 10, 20]) {
        const moved = keysMoved({ scheme: 'ring', nodes: n, change: 'join', keys, virtualNodes: 100, rules: learner });
        const ideal = 1 / (n + 1);
        ctx.log(`${n} -> ${n + 1} nodes: ${(100 * moved.fraction).toFixed(1)}% moved (ideal ${(100 * ideal).toFixed(1)}%)`);
        if (Math.abs(moved.fraction - ideal) > 0.35 * ideal + 0.01) {
          fail(MONOTONE, `when node ${n + 1} joined ${n} nodes, ${moved.moved} of ${moved.total} keys (${(100 * moved.fraction).toFixed(1)}%) changed owner; consistent hashing moves about 1/(n+1) = ${(100 * ideal).toFixed(1)}%`, 'a new node takes over only the arcs just before its tokens: the lookup must depend on the ring, not on the number of nodes');
        }
        const before = new HashRing(nodeNames(n), { virtualNodes: 100, rules: learner });
        const joined = `n${n + 1}`;
        const after = before.withNode(joined, 100);
        for (const key of keys.slice(0, 3000)) {
          const a = before.owner(key);
          const b = after.owner(key);
          if (a !== b && b !== joined) fail(MONOTONE, `when ${joined} joined ${n} nodes, key ${JSON.stringify(key)} moved from ${a} to ${b}`, 'a key may only move to the node that joined: every other token is where it was');
        }
      }
      const leave = keysMoved({ scheme: 'ring', nodes: 10, change: 'leave', keys, virtualNodes: 100, rules: learner });
      if (Math.abs(leave.fraction - 0.1) > 0.035 + 0.01) fail(MONOTONE, `when one of 10 nodes left, ${(100 * leave.fraction).toFixed(1)}% of the keys changed owner; about 10% should (the keys of the node that left)`, 'only the keys of the departed node move, to the next node clockwise');
    },
  },
  {
    name: 'the quorum store placed by your ring keeps N replicas and fresh reads under faults',
    points: 3,
    hidden: true,
    timeoutMs: 60000,
    description: 'The Dynamo-style store (N = 3, W = R = QUORUM, 5 nodes x 8 virtual nodes) with your ring: every key\'s home replicas are 3 distinct nodes; then 60 seeded chaos runs (loss, duplication, reordering, partitions, crashes): every read sees the latest completed write, and after healing every key\'s replicas agree.',
    run(ctx) {
      const learner = rules();
      const probe = quorumCluster({ seed: 1, nodes: 5, virtualNodes: 8, ringRules: learner });
      for (const key of sampleKeys(500)) {
        const homes = probe.homes(key);
        if (new Set(homes).size !== homes.length) fail(DISTINCT, `the store places ${JSON.stringify(key)} on [${homes.join(', ')}]: one node holds two of its three replicas, so one crash takes two copies`, 'preferenceList must skip tokens whose node is already in the list');
        if (homes.length !== 3) fail(WALK, `the store places ${JSON.stringify(key)} on [${homes.join(', ')}]: every key needs N = 3 replicas (the walk wraps around the ring)`, 'from the last token, go on at index 0');
      }
      const nodes = ['n1', 'n2', 'n3', 'n4', 'n5'];
      const healAtMs = 600;
      for (const seed of ctx.seeds(60)) {
        const random = new RandomStreams(seed);
        const faults = randomFaultScript(random.stream('chaos-faults'), {
          crashCandidates: nodes, crashes: [0, 3], downMs: [20, 200], partitions: true, partitionNodes: nodes, partitionMs: [20, 200], healAtMs, faultWindowFraction: 0.7,
        });
        const c = quorumCluster({
          seed, nodes, virtualNodes: 8, ringRules: learner, N: 3, W: 'QUORUM', R: 'QUORUM', clients: 3, antiEntropyIntervalMs: 50,
          clientTimeoutMs: 200, network: CHAOS_NETWORK, faults, recordTrace: false,
        });
        const workload = random.stream('chaos-workload');
        const keys = ['k1', 'k2', 'k3', 'k4', 'k5'];
        let value = 0;
        for (const client of c.clients) {
          for (let at = workload.uniform(0, 20); at < healAtMs; at += workload.uniform(5, 40)) {
            const key = workload.pick(keys);
            if (workload.chance(0.5)) c.put(key, `${client}-${++value}`, { client, via: workload.pick(nodes), atMs: at });
            else c.get(key, { client, via: workload.pick(nodes), atMs: at });
          }
        }
        c.run(healAtMs);
        c.sim.runUntil(() => c.sim.now() >= healAtMs + 2000 || (c.nodes.every((n) => c.sim.isUp(n)) && c.divergentKeys().length === 0), { maxEvents: 5_000_000 });
        const safety = c.readsLatest();
        if (!safety.ok) fail('reads the latest write (W + R > N)', safety.message, 'the store placed each key with your preferenceList: a read quorum must meet every write quorum among the same N replicas', { seed });
        const divergent = c.divergentKeys();
        if (divergent.length > 0) fail('liveness', `2000 ms after healing at ${healAtMs} ms the replicas of ${divergent.map((k) => JSON.stringify(k)).join(', ')} still differ`, 'anti-entropy exchanges keys between the home replicas your ring names', { seed, timeMs: c.sim.now() });
      }
    },
  },
]);
