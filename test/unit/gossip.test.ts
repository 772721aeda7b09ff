import { strict as assert } from 'assert';
import { ConfigError } from '../../lib/core';
import {
  MergeRules,
  Version,
  brokenMergeRules,
  checkMergeRules,
  directMailOverflow,
  disseminationCurve,
  gossipCluster,
  gossipRounds,
  gossipUnderFaults,
  lww,
  residueCurve,
  rumorResidue,
  siblings,
} from '../../lib/protocols/gossip';

const v = (value: string, timestampMs: number, node: string, clock: Record<string, number>): Version => ({ value, timestampMs, node, clock });

describe('Gossip (Demers et al. 1987, epidemic algorithms)', () => {
  describe('merging in anti-entropy (the exercise contracts)', () => {
    it('lww keeps the greater (timestamp, node); the node id breaks ties (§1.1)', () => {
      const a = v('a', 5, 'r1', { r1: 1 });
      const b = v('b', 5, 'r2', { r2: 1 });
      assert.equal(lww(a, b), b);
      assert.equal(lww(b, a), b);
      assert.equal(lww(undefined, a), a);
      assert.equal(lww(v('c', 6, 'r1', {}), b)?.value, 'c');
    });
    it('siblings keeps concurrent versions and drops the ones another has seen (Dynamo §4.4)', () => {
      const a = v('a', 1, 'r1', { r1: 1 });
      const b = v('b', 2, 'r2', { r2: 1 });
      const c = v('c', 3, 'r1', { r1: 2, r2: 1 });
      assert.deepEqual(siblings([a], [b]).map((x) => x.value).sort(), ['a', 'b']);
      assert.deepEqual(siblings([a, b], [c]).map((x) => x.value), ['c']);
      assert.deepEqual(siblings([c], [c]).map((x) => x.value), ['c']);
    });
    it('the reference rules pass every property on 300 random cases', () => {
      for (const seed of [1, 2, 3]) {
        const r = checkMergeRules({}, { seed });
        assert.ok(r.ok, `seed ${seed}: ${r.ok ? '' : r.message}`);
      }
    });
    const expected: [keyof typeof brokenMergeRules, string][] = [
      ['keepLocal', 'convergence'],
      ['timestampWithoutTieBreak', 'convergence'],
      ['oldestWins', 'no lost update'],
      ['dropConcurrentSiblings', 'no lost update'],
      ['keepOverwrittenSiblings', 'overwritten versions are dropped'],
    ];
    for (const [name, property] of expected) {
      it(`the broken rule ${name} is caught, and the message names "${property}"`, () => {
        const r = checkMergeRules(brokenMergeRules[name] as Partial<MergeRules>, { seed: 1 });
        assert.equal(r.ok, false, `checkMergeRules accepted the broken rule ${name} (seed 1)`);
        if (r.ok) return;
        assert.equal(r.property, property, r.message);
        assert.ok(r.message.startsWith(`${property}:`) && r.message.includes('seed 1'), r.message);
      });
    }
    it('in a running cluster, keepLocal never converges where the reference does (two writes to one key)', () => {
      const run = (rules: Partial<MergeRules>) => {
        const c = gossipCluster({ seed: 4, n: 6, antiEntropy: { mode: 'push-pull' }, rules });
        c.write('n1', 'x', 'from n1', 5);
        c.write('n4', 'x', 'from n4', 5);
        c.sim.run({ untilMs: 400 });
        return c.agree();
      };
      assert.equal(run({}), true, 'seed 4: the reference lww did not converge in 40 rounds');
      assert.equal(run(brokenMergeRules.keepLocal), false, 'seed 4: convergence: keepLocal converged, which it cannot when two nodes hold different versions');
    });
  });

  describe('the round model is the simulator, exactly, at small n', () => {
    const cases: [string, Parameters<typeof gossipCluster>[0] extends infer O ? Partial<O> : never, Parameters<typeof gossipRounds>[0]['mechanism'], 'counter' | 'coin'][] = [
      ['push', { antiEntropy: { mode: 'push' } }, 'push', 'counter'],
      ['pull', { antiEntropy: { mode: 'pull' } }, 'pull', 'counter'],
      ['push-pull', { antiEntropy: { mode: 'push-pull' } }, 'push-pull', 'counter'],
      ['rumor, counter', { rumor: { k: 2 } }, 'rumor', 'counter'],
      ['rumor, coin', { rumor: { k: 2, lossOfInterest: 'coin' } }, 'rumor', 'coin'],
    ];
    for (const [label, options, mechanism, loss] of cases) {
      it(`${label}: same informed counts per round, rounds, messages and residue (n = 120, seeds 1-3)`, () => {
        for (const seed of [1, 2, 3]) {
          const sim = gossipCluster({ seed, n: 120, ...options }).spread();
          const model = gossipRounds({ n: 120, seed, mechanism, k: 2, lossOfInterest: loss });
          assert.deepEqual(model, sim, `seed ${seed}: the round model and the simulator differ; replay with gossipCluster({ seed: ${seed}, n: 120, ... }).spread()`);
        }
      });
    }
  });

  describe('the curves', () => {
    it('push anti-entropy informs everyone in about log2(n) + ln(n) rounds (Pittel 1987, Demers §1.3)', () => {
      for (const row of disseminationCurve({ ns: [1000, 10_000], seeds: 5, mechanisms: ['push'] })) {
        assert.ok(Math.abs(row.roundsMean - row.log2nPlusLnN) < 2.5, `n ${row.n}: mean ${row.roundsMean} rounds over seeds 1-5, log2 n + ln n = ${row.log2nPlusLnN.toFixed(2)}`);
      }
    });
    it('push-pull is faster than push, and pull than push, at n = 10,000', () => {
      const rows = disseminationCurve({ ns: [10_000], seeds: 3 });
      const mean = (m: string) => rows.find((r) => r.mechanism === m)?.roundsMean as number;
      assert.ok(mean('push-pull') < mean('pull') && mean('pull') < mean('push'), `seeds 1-3: ${JSON.stringify(rows.map((r) => [r.mechanism, r.roundsMean]))}`);
    });
    it('rumorResidue solves s = e^-(k+1)(1-s)', () => {
      for (const k of [1, 2, 3, 5]) {
        const s = rumorResidue(k);
        assert.ok(s > 0 && s < 1 && Math.abs(s - Math.exp(-(k + 1) * (1 - s))) < 1e-12, `k ${k}: s ${s}`);
      }
      assert.equal(rumorResidue(1).toFixed(4), '0.2032');
      assert.throws(() => rumorResidue(0), ConfigError);
    });
    it('the coin variant leaves the residue the equation predicts; the residue falls with k (Demers §1.4)', () => {
      const rows = residueCurve({ n: 10_000, ks: [1, 2, 3], seeds: 4, lossOfInterest: 'coin' });
      for (const row of rows) {
        assert.ok(Math.abs(row.residueMean - row.theory) < 0.2 * row.theory + 0.002, `k ${row.k}: residue ${row.residueMean} over seeds 1-4, equation ${row.theory}`);
      }
      assert.ok(rows[0].residueMean > rows[1].residueMean && rows[1].residueMean > rows[2].residueMean);
    });
  });

  describe('faults', () => {
    it('direct mail: a small retry queue overflows and loses updates; anti-entropy behind it repairs them (§1.2)', () => {
      const rows = directMailOverflow({ seed: 1, n: 30, capacities: [20, 1000] });
      const at = (capacity: number, backed: boolean) => rows.find((r) => r.queueCapacity === capacity && r.backedByAntiEntropy === backed)!;
      assert.ok(at(20, false).mailLost > 0 && at(20, false).deliveredShare < 0.9, `seed 1: ${JSON.stringify(at(20, false))}`);
      assert.equal(at(1000, false).mailLost, 0, `seed 1: ${JSON.stringify(at(1000, false))}`);
      assert.equal(at(1000, false).deliveredShare, 1, `seed 1: a large queue with retries should deliver everything: ${JSON.stringify(at(1000, false))}`);
      assert.equal(at(20, true).deliveredShare, 1, `seed 1: anti-entropy did not repair the lost mail: ${JSON.stringify(at(20, true))}`);
    });
    it('a partition: rumor mongering alone dies out on its side; anti-entropy reaches everyone after healing (§1.5)', () => {
      for (const seed of [1, 2]) {
        const r = gossipUnderFaults({ seed, n: 100, crashes: 5 });
        const last = (m: string) => r.rows.filter((x) => x.mechanism === m).at(-1)!;
        assert.ok(last('rumor k=2').informedShare < 0.7, `seed ${seed}: rumor mongering crossed the partition? ${JSON.stringify(last('rumor k=2'))}`);
        assert.equal(last('anti-entropy push-pull').informedShare, 1, `seed ${seed}: ${JSON.stringify(last('anti-entropy push-pull'))}`);
        assert.equal(last('rumor k=2 + anti-entropy').informedShare, 1, `seed ${seed}`);
        const during = r.rows.find((x) => x.mechanism === 'anti-entropy push-pull' && x.timeMs === 350)!;
        assert.ok(during.informedShare < 0.75, `seed ${seed}: anti-entropy crossed the partition while it held: ${JSON.stringify(during)}`);
      }
    });
    it('same seed, same trace; bad options throw a ConfigError naming the field', () => {
      const hash = () => {
        const c = gossipCluster({ seed: 9, n: 20, rumor: { k: 2 }, antiEntropy: { mode: 'pull' }, network: { latency: { kind: 'uniform', minMs: 1, maxMs: 8 }, dropRate: 0.1 } });
        c.write('n3', 'x', '1', 0);
        c.sim.run({ untilMs: 200 });
        return c.sim.trace.hash();
      };
      assert.equal(hash(), hash());
      assert.throws(() => gossipCluster({ seed: 1, n: 1, rumor: { k: 1 } }), /n must be an integer >= 2, got 1/);
      assert.throws(() => gossipCluster({ seed: 1, n: 5 }), /mechanisms must be at least one of directMail, antiEntropy, rumor/);
      assert.throws(() => gossipCluster({ seed: 1, n: 5, rumor: { k: 0 } }).sim.run({ untilMs: 1 }), /rumor.k must be an integer >= 1, got 0/);
    });
  });
});
