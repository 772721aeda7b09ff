import { strict as assert } from 'assert';
import { checkRegisterHistory } from '../../lib/checkers/linearizability';
import { ConfigError } from '../../lib/core';
import { baseComparison, capComparison, childIndices, diffIndices, keyRange, merkleTree, registerCluster, Replica } from '../../lib/protocols/cap';
import { Database } from '../../lib/protocols/gossip';

const version = (value: string, timestampMs: number) => [{ value, timestampMs, node: 'r1', clock: { r1: 1 } }];

describe('CAP trade-offs (Gilbert & Lynch 2002) and BASE', () => {
  describe('the same partition, run CP and AP', () => {
    for (const seed of [1, 2, 3]) {
      it(`seed ${seed}: CP refuses on the minority side and stays linearizable; AP serves everyone and is not; LWW loses updates, vector clocks keep them`, () => {
        const r = capComparison({ seed });
        const row = (variant: string) => r.rows.find((x) => x.variant === variant)!;
        const cp = row('CP');
        const lww = row('AP last-writer-wins');
        const vc = row('AP vector clocks');
        const where = `seed ${seed}, replay with capComparison({ seed: ${seed} })`;
        assert.equal(cp.linearizable, true, `${where}: CP not linearizable: ${cp.linearizabilityMessage}`);
        assert.ok(cp.availability < 0.99, `${where}: CP served ${cp.served} of ${cp.requests} requests; the minority side should have refused`);
        assert.equal(cp.staleReads, 0, where);
        assert.equal(cp.lostUpdates, 0, where);
        for (const ap of [lww, vc]) {
          assert.equal(ap.availability, 1, `${where}: ${ap.variant} refused ${ap.requests - ap.served} requests`);
          assert.equal(ap.linearizable, false, `${where}: ${ap.variant} was linearizable under a partition`);
          assert.ok(ap.staleReads > 0, `${where}: ${ap.variant} had no stale read`);
        }
        assert.ok(lww.lostUpdates > 0, `${where}: last-writer-wins lost no update`);
        assert.equal(vc.lostUpdates, 0, `${where}: vector clocks lost ${vc.lostUpdates} acknowledged writes`);
        assert.ok(r.partition && r.partition.startMs === 200 && r.partition.endMs === 600);
        assert.ok(r.timeline.some((t) => t.variant === 'CP' && t.refused > 0 && t.bucketStartMs >= 200 && t.bucketStartMs < 600), where);
      });
    }
    it('with no partition both are consistent and available (seeds 1-2)', () => {
      for (const seed of [1, 2]) {
        for (const row of capComparison({ seed, partition: null }).rows) {
          assert.equal(row.linearizable, true, `seed ${seed}, ${row.variant}: ${row.linearizabilityMessage}`);
          assert.equal(row.availability, 1, `seed ${seed}, ${row.variant}`);
          assert.equal(row.staleReads, 0, `seed ${seed}, ${row.variant}`);
        }
      }
    });
    it('a CP write on the minority side is refused as unknown (info), never acknowledged', () => {
      const c = registerCluster({ seed: 5, mode: 'cp', client: { stopAtMs: 300 } });
      c.sim.schedule([{ atMs: 0, action: 'partition', groups: c.partitionGroups() }]);
      c.sim.run({ untilMs: 800 });
      const minority = c.clients.filter((x) => c.homes[x] === 'r3');
      const done = c.sim.history.filter((h) => minority.includes(h.process) && h.type !== 'invoke');
      assert.ok(done.length > 0 && done.every((h) => h.type !== 'ok'), `seed 5: ${JSON.stringify(done.slice(0, 3))}`);
      assert.equal(checkRegisterHistory(c.sim.history).ok, true);
    });
  });

  describe('Merkle trees over key ranges', () => {
    it('equal data, equal root; one changed key changes one leaf and the path above it', () => {
      const db: Database = {};
      for (let i = 0; i < 40; i++) db[`k${i}`] = version(`v${i}`, i);
      const a = merkleTree(db, 4);
      assert.equal(merkleTree({ ...db }, 4).levels[0][0], a.levels[0][0]);
      const b = merkleTree({ ...db, k7: version('new', 99) }, 4);
      const leaves = Array.from({ length: 16 }, (_, i) => i);
      assert.deepEqual(diffIndices(a, 4, leaves, b.levels[4]), [keyRange('k7', 4)]);
      for (let level = 0; level <= 4; level++) {
        const all = Array.from({ length: 1 << level }, (_, i) => i);
        assert.equal(diffIndices(a, level, all, b.levels[level]).length, 1, `level ${level}`);
      }
      assert.deepEqual(childIndices([1, 3]), [2, 3, 6, 7]);
      assert.throws(() => merkleTree(db, -1), ConfigError);
    });
  });

  describe('BASE: the three repairs', () => {
    it('anti-entropy converges, by Merkle tree for a fraction of the whole-data-set traffic; nothing does not converge (seeds 1-2)', () => {
      for (const seed of [1, 2]) {
        const r = baseComparison({ seed, repairs: ['none', 'merkle anti-entropy', 'full anti-entropy', 'write retry', 'hinted handoff'] });
        const row = (name: string) => r.rows.find((x) => x.repair === name)!;
        const where = `seed ${seed}, replay with baseComparison({ seed: ${seed} })`;
        assert.equal(row('none').convergedAtMs, null, `${where}: replicas agreed with no repair at all`);
        assert.ok(row('none').meanStaleShareAfterStop > 0.1, where);
        for (const name of ['merkle anti-entropy', 'full anti-entropy', 'hinted handoff']) {
          assert.notEqual(row(name).timeToConvergeMs, null, `${where}: ${name} did not converge by ${1500} ms`);
          assert.ok((row(name).timeToConvergeMs as number) < 400, `${where}: ${name} took ${row(name).timeToConvergeMs} ms`);
        }
        assert.ok(row('merkle anti-entropy').traffic.versions * 10 < row('full anti-entropy').traffic.versions, `${where}: Merkle shipped ${row('merkle anti-entropy').traffic.versions} versions, whole data sets ${row('full anti-entropy').traffic.versions}`);
        assert.equal(row('write retry').convergedAtMs, null, `${where}: retries alone converged though the coordinator crashed with writes undelivered`);
      }
    });
    it('read repair heals the keys that are read: fewer stale pairs than no repair', () => {
      const r = baseComparison({ seed: 2, repairs: ['none', 'read repair'] });
      const [none, read] = r.rows;
      assert.ok(read.meanStaleShareAfterStop < none.meanStaleShareAfterStop / 2, `seed 2: ${JSON.stringify(r.rows.map((x) => [x.repair, x.meanStaleShareAfterStop]))}`);
      assert.ok(read.traffic.messages > 0);
    });
  });

  it('bad configuration throws a ConfigError naming the field', () => {
    assert.throws(() => new Replica({ replicas: ['r1', 'r2', 'r3'], mode: 'ap', writeQuorum: 4 }), /quorums must be at most the number of replicas \(3\)/);
    assert.throws(() => new Replica({ replicas: ['r1'], mode: 'x' as 'ap' }), /mode must be 'cp' or 'ap'/);
    assert.throws(() => capComparison({ seed: 1, partition: { startMs: 500, endMs: 100 } }), /partition.endMs must be a number >= 500, got 100/);
  });
});
