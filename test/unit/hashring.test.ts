import { strict as assert } from 'assert';
import {
  HashRing,
  RING_SIZE,
  RingRules,
  brokenRingRules,
  fnv1a32,
  hash32,
  hotSpots,
  keysMoved,
  loadSpreadRows,
  nodeNames,
  preferenceList,
  ringPicture,
  sampleKeys,
  successorIndex,
} from '../../lib/protocols/hashring';
import { quorumCluster } from '../../lib/protocols/quorum';

/**
 * The ring properties a lookup must keep, checked against brute force over many positions.
 * Each returns null or a message that names the property it found broken.
 */
function ringProperties(rules: Partial<RingRules>): string | null {
  const ring = new HashRing(nodeNames(8), { virtualNodes: 16, rules });
  const { positions, owners } = ring.state;
  const last = positions[positions.length - 1];
  const probes = [0, positions[0], positions[0] + 1, last, last + 1, RING_SIZE - 1, ...sampleKeys(2000).map(hash32)];
  for (const p of probes) {
    const expected = positions.findIndex((t) => t >= p);
    const want = owners[expected === -1 ? 0 : expected];
    const got = ring.ownerAt(p);
    if (got === want) continue;
    if (expected === -1) return `wrap-around at 2^32 broken: position ${p} is past the last token (${last}), so it belongs to the first token (${owners[0]}), got ${got}`;
    return `successor lookup broken: position ${p} belongs to the first token clockwise (at ${positions[expected]}, ${want}), got ${got}`;
  }
  for (const p of probes) {
    const list = ring.preferenceListAt(p, 3);
    if (new Set(list).size !== list.length) return `replicas must be distinct physical nodes: preference list at ${p} is [${list.join(', ')}]`;
    if (list.length !== 3) return `every key needs N = 3 replicas (the walk wraps around the ring): preference list at ${p} is [${list.join(', ')}]`;
  }
  return null;
}

describe('consistent hashing (Karger et al. 1997; Dynamo §4.2-4.3)', () => {
  describe('the hash', () => {
    it('is FNV-1a 32 (published test vectors) then MurmurHash3 fmix32: fixed values on every machine', () => {
      assert.equal(fnv1a32('a'), 0xe40c292c);
      assert.equal(fnv1a32('foobar'), 0xbf9cf968);
      assert.equal(hash32(''), 0xab3e7c0b);
      assert.equal(hash32('key0'), 0xad76f2f1);
      assert.equal(hash32('n1#0'), 0xf49d9c67);
    });
    it('spreads similar keys evenly over the ring (16 buckets, chi-square below the 0.1% critical value)', () => {
      const buckets = new Array(16).fill(0);
      const keys = sampleKeys(16_000);
      for (const k of keys) buckets[hash32(k) >>> 28]++;
      const expected = keys.length / 16;
      const chi2 = buckets.reduce((s, b) => s + (b - expected) ** 2 / expected, 0);
      assert.ok(chi2 < 37.7, `chi-square ${chi2.toFixed(1)} over buckets ${buckets.join(',')}`);
    });
  });

  describe('the reference rules (the exercise contracts)', () => {
    it('successorIndex: the first token >= the position, 0 past the last', () => {
      assert.equal(successorIndex([100, 200, 300], 150), 1);
      assert.equal(successorIndex([100, 200, 300], 200), 1);
      assert.equal(successorIndex([100, 200, 300], 0), 0);
      assert.equal(successorIndex([100, 200, 300], 301), 0);
      assert.equal(successorIndex([100, 200, 300], RING_SIZE - 1), 0);
    });
    it('preferenceList: next N distinct physical nodes, wrapping around', () => {
      assert.deepEqual(preferenceList(['a', 'a', 'b', 'c'], 1, 2), ['a', 'b']);
      assert.deepEqual(preferenceList(['a', 'b', 'c'], 2, 2), ['c', 'a']);
      assert.deepEqual(preferenceList(['a', 'b', 'a'], 0, 3), ['a', 'b']);
    });
    it('the reference rules keep every ring property', () => {
      assert.equal(ringProperties({}), null);
    });
  });

  describe('each classic bug is caught, by the property it breaks', () => {
    const cases: [keyof typeof brokenRingRules, RegExp][] = [
      ['predecessor', /successor lookup broken/],
      ['noWrapAround', /wrap-around at 2\^32 broken/],
      ['duplicateReplicas', /replicas must be distinct physical nodes/],
      ['preferenceListNoWrap', /N = 3 replicas \(the walk wraps around the ring\)/],
    ];
    for (const [bug, property] of cases) {
      it(`${bug}`, () => {
        const message = ringProperties(brokenRingRules[bug]);
        assert.notEqual(message, null, `${bug} was not caught`);
        assert.match(message as string, property);
      });
    }
    it('duplicateReplicas in the quorum store: a key keeps fewer than N distinct copies', () => {
      const c = quorumCluster({ seed: 1, nodes: 4, virtualNodes: 8, ringRules: brokenRingRules.duplicateReplicas });
      const shared = sampleKeys(200).find((k) => new Set(c.homes(k)).size < 3);
      assert.ok(shared !== undefined, 'some key should have two of its three replicas on one node');
    });
  });

  describe('data for the charts', () => {
    it('a join moves nearly all keys under mod n, about 1/(n+1) on the ring', () => {
      const keys = sampleKeys(10_000);
      for (const n of [4, 10, 20]) {
        const modN = keysMoved({ scheme: 'modN', nodes: n, change: 'join', keys }).fraction;
        const ring = keysMoved({ scheme: 'ring', nodes: n, change: 'join', keys, virtualNodes: 100 }).fraction;
        assert.ok(Math.abs(modN - n / (n + 1)) < 0.02, `mod n, ${n} nodes: ${modN}`);
        assert.ok(Math.abs(ring - 1 / (n + 1)) < 0.35 / (n + 1) + 0.01, `ring, ${n} nodes: ${ring} against ${1 / (n + 1)}`);
      }
      const leave = keysMoved({ scheme: 'ring', nodes: 10, change: 'leave', keys, virtualNodes: 100 }).fraction;
      assert.ok(Math.abs(leave - 0.1) < 0.03, `ring leave: ${leave}`);
    });
    it('on the ring only the keys of the joining node move, and they move to it', () => {
      const before = new HashRing(nodeNames(5), { virtualNodes: 20 });
      const after = before.withNode('n6', 20);
      for (const k of sampleKeys(3000)) {
        const a = before.owner(k);
        const b = after.owner(k);
        if (a !== b) assert.equal(b, 'n6', `${k} moved from ${a} to ${b}`);
      }
    });
    it('load spread falls like 1/sqrt(V) (within 30%)', () => {
      for (const row of loadSpreadRows({ nodes: 100, virtualNodes: [1, 4, 16, 64, 256] })) {
        assert.ok(Math.abs(row.relativeStd / row.predicted - 1) < 0.3, `V = ${row.virtualNodes}: spread ${row.relativeStd.toFixed(3)} against 1/sqrt(V) = ${row.predicted.toFixed(3)}`);
      }
    });
    it('ownership sums to the whole ring', () => {
      const total = Object.values(new HashRing(nodeNames(7), { virtualNodes: 5 }).ownership()).reduce((a, b) => a + b, 0);
      assert.ok(Math.abs(total - 1) < 1e-9);
    });
    it('hot spots: a Zipf workload overloads the owner of the hottest key even with 100 virtual nodes', () => {
      const r = hotSpots({ nodes: 10, virtualNodes: 100, keys: 10_000, zipfExponent: 1 });
      assert.ok(r.rows.every((row) => row.uniformRelative < 1.3), 'uniform keys are balanced');
      assert.ok(r.rows[0].zipfRelative > 1.4, `hottest node at ${r.rows[0].zipfRelative}`);
      assert.ok(r.hottestKeyShare > 0.1);
    });
    it('the ring picture places tokens and keys at their angles', () => {
      const ring = new HashRing(['a', 'b', 'c'], { virtualNodes: 3 });
      const pic = ringPicture(ring, ['x', 'y'], 2);
      assert.equal(pic.tokens.length, 9);
      for (const t of pic.tokens) assert.ok(t.degrees >= 0 && t.degrees < 360);
      for (const k of pic.keys) {
        assert.equal(k.owner, ring.owner(k.key));
        assert.equal(k.replicas.length, 2);
        const next = pic.tokens.find((t) => t.position >= k.position) ?? pic.tokens[0];
        assert.equal(k.owner, next.node);
      }
    });
  });
});
