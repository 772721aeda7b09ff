import { strict as assert } from 'assert';
import { ConfigError } from '../../lib/core';
import {
  QuorumCluster,
  QuorumRules,
  brokenQuorumRules,
  quorumCluster,
  readsLatestWrite,
  repairTargets,
  resolveQuorum,
  resolveRead,
  quorumChaosRun,
  staleReadDemo,
  staleReadRate,
  staleReadTable,
} from '../../lib/protocols/quorum';
import { formatRecord } from '../../lib/protocols/quorum/node';

const v = (ts: number, node = 'n1') => ({ ts, node });
const rec = (value: string, ts: number, node = 'n1') => ({ value, version: v(ts, node) });

/**
 * The read-repair scenario (N = 3, W = 2, R = 2): 'x' = v1 everywhere; v2 reaches homes 0 and 1
 * quickly and home 2 only after 500 ms; then a read through home 2 hears home 2 (stale) first,
 * home 1 (fresh) second. Returns the cluster 100 ms after the read, before the slow write lands.
 */
function repairScenario(rules: Partial<QuorumRules>): QuorumCluster {
  const c = quorumCluster({ seed: 1, nodes: 3, N: 3, W: 2, R: 2, rules, readRepair: 'async', clients: 1, requestTimeoutMs: 2000, network: { latency: { kind: 'constant', ms: 2 } } });
  const [h0, h1, h2] = c.homes('x');
  c.put('x', 'v1', { via: h0 });
  c.runUntilDone();
  c.run(c.sim.now() + 20);
  c.sim.configureLink(h0, h2, { latency: { kind: 'constant', ms: 500 } });
  c.sim.configureLink(h2, h0, { latency: { kind: 'constant', ms: 500 } });
  c.sim.configureLink(h2, h1, { latency: { kind: 'constant', ms: 5 } });
  c.sim.configureLink(h2, h2, { latency: { kind: 'constant', ms: 1 } });
  c.put('x', 'v2', { via: h0 });
  c.get('x', { via: h2 });
  c.runUntilDone();
  c.run(c.sim.now() + 100);
  return c;
}

/** "Read repair converges the replicas": after the read, no home replica of a read key is stale. */
function repairConverged(c: QuorumCluster): { ok: true } | { ok: false; message: string } {
  const divergent = c.divergentKeys();
  if (divergent.length === 0) return { ok: true };
  const key = divergent[0];
  const shown = Object.entries(c.replicaRecords(key)).map(([n, r]) => `${n}: ${r === 'down' ? 'down' : formatRecord(r)}`).join(', ');
  return { ok: false, message: `read repair converges the replicas broken: after a read of ${JSON.stringify(key)} at ${c.sim.now()} ms the replicas still differ (${shown})` };
}

describe('quorum NWR (Dynamo §4.5; Bailis et al. 2012 §2.1)', () => {
  describe('configuration', () => {
    it('refuses W or R above N or below 1, naming the parameter', () => {
      assert.throws(() => quorumCluster({ seed: 1, N: 3, W: 4 }), (e: Error) => e instanceof ConfigError && /^W must be an integer in \[1, 3\] \(N = 3\).*got 4$/.test(e.message));
      assert.throws(() => quorumCluster({ seed: 1, N: 3, R: 0 }), (e: Error) => e instanceof ConfigError && /^R must be an integer in \[1, 3\].*got 0$/.test(e.message));
      assert.throws(() => quorumCluster({ seed: 1, N: 3, R: 1.5 }), /R must be/);
      assert.throws(() => quorumCluster({ seed: 1, nodes: 2, N: 3 }), /^ConfigError|N must be an integer in \[1, 2\] \(the number of nodes\), got 3/);
      assert.throws(() => quorumCluster({ seed: 1, R: 'ANY' }), /R must be .*ANY is for writes only.*got "ANY"/);
      assert.throws(() => quorumCluster({ seed: 1, W: 'MOST' as never }), /W must be .*got "MOST"/);
    });
    it('levels: ONE = 1, QUORUM = floor(N/2) + 1, ALL = N, ANY = 1 with hints', () => {
      assert.deepEqual(resolveQuorum('W', 'ONE', 5), { count: 1, any: false });
      assert.deepEqual(resolveQuorum('W', 'QUORUM', 5), { count: 3, any: false });
      assert.deepEqual(resolveQuorum('W', 'QUORUM', 4), { count: 3, any: false });
      assert.deepEqual(resolveQuorum('R', 'ALL', 5), { count: 5, any: false });
      assert.deepEqual(resolveQuorum('W', 'ANY', 3), { count: 1, any: true });
    });
  });

  describe('the reference rules (the exercise contracts)', () => {
    it('resolveRead: the highest version, whatever the order; null when nobody has the key', () => {
      assert.deepEqual(resolveRead([{ from: 'n1', record: rec('a', 5) }, { from: 'n2', record: rec('b', 9) }, { from: 'n3', record: null }]), rec('b', 9));
      assert.deepEqual(resolveRead([{ from: 'n1', record: rec('a', 5, 'n2') }, { from: 'n2', record: rec('b', 5, 'n1') }]), rec('a', 5, 'n2'), 'ties break by node id');
      assert.equal(resolveRead([{ from: 'n1', record: null }]), null);
    });
    it('repairTargets: every replica with nothing or an older version, once, in reply order', () => {
      const b = rec('b', 9);
      assert.deepEqual(repairTargets([{ from: 'n3', record: null }, { from: 'n1', record: rec('a', 5) }, { from: 'n2', record: b }], b), ['n3', 'n1']);
      assert.deepEqual(repairTargets([{ from: 'n1', record: null }], null), []);
    });
  });

  describe('W + R > N reads the latest write; smaller quorums may not', () => {
    it('adversarial schedule, every R and W for N = 3 and N = 5: stale exactly when W + R <= N', () => {
      for (const N of [3, 5]) {
        for (const row of staleReadTable(N)) {
          assert.equal(row.stale, !row.intersect, `N=${N} R=${row.R} W=${row.W}: read ${row.readValue}, ${row.intersect ? 'quorums intersect' : 'quorums need not intersect'}`);
        }
      }
      const d = staleReadDemo({ N: 3, R: 1, W: 1 });
      assert.equal(d.readValue, 'v1');
      assert.equal(d.cluster.readsLatest().ok, false);
    });
    it('random networks: no stale read with W + R > N over 10 seeds; some with R = W = 1', () => {
      let partial = 0;
      for (let seed = 1; seed <= 10; seed++) {
        for (const [R, W] of [[2, 2], [1, 3], [3, 1]]) {
          const r = staleReadRate({ R, W, seed, operations: 60 });
          assert.equal(r.stale, 0, `seed ${seed}, R=${R} W=${W}: ${r.stale} stale reads of ${r.reads} (replay: staleReadRate({ R: ${R}, W: ${W}, seed: ${seed}, operations: 60 }))`);
        }
        partial += staleReadRate({ R: 1, W: 1, seed, operations: 60 }).stale;
      }
      assert.ok(partial > 0, 'R = W = 1 should read stale data at least once in 10 seeds');
    });
    it('blocking read repair (ABD write-back) with W + R > N: linearizable histories under concurrency, 5 seeds', () => {
      for (let seed = 1; seed <= 5; seed++) {
        const c = quorumCluster({ seed, N: 3, W: 2, R: 2, readRepair: 'blocking', clients: 3, network: { latency: { kind: 'exponential', meanMs: 3, minMs: 0.5 } } });
        for (let i = 0; i < 15; i++) {
          c.put('x', `a${i}`, { client: 'c1', atMs: i * 7, via: c.nodes[i % 5] });
          c.get('x', { client: 'c2', atMs: i * 7 + 2, via: c.nodes[(i + 2) % 5] });
          c.get('x', { client: 'c3', atMs: i * 7 + 4, via: c.nodes[(i + 4) % 5] });
        }
        assert.ok(c.runUntilDone(), `seed ${seed}: operations did not finish`);
        const lin = c.linearizable();
        assert.equal(lin.ok, true, `seed ${seed}: ${lin.ok === true ? '' : lin.message}`);
        assert.deepEqual(c.readsLatest(), { ok: true }, `seed ${seed}`);
      }
    });
  });

  describe('read repair, and each broken read rule caught by the property it breaks', () => {
    it('reference: the read returns v2 and repairs the stale replica before the slow write lands', () => {
      const c = repairScenario({});
      assert.deepEqual(c.readsLatest(), { ok: true });
      assert.deepEqual(repairConverged(c), { ok: true });
      assert.equal(c.operations()[2].value, 'v2');
    });
    const cases: [keyof typeof brokenQuorumRules, 'readsLatest' | 'repair', RegExp][] = [
      ['firstReply', 'readsLatest', /reads the latest write broken: get\("x"\).*returned "v1"/],
      ['noRepair', 'repair', /read repair converges the replicas broken/],
      ['repairOnlyMissing', 'repair', /read repair converges the replicas broken/],
    ];
    for (const [bug, check, property] of cases) {
      it(`${bug}`, () => {
        const c = repairScenario(brokenQuorumRules[bug]);
        const result = check === 'readsLatest' ? c.readsLatest() : repairConverged(c);
        assert.equal(result.ok, false, `${bug} was not caught`);
        assert.match((result as { message: string }).message, property);
      });
    }
    it('readsLatestWrite names the read, the value, the write and the times', () => {
      const result = readsLatestWrite([
        { opId: 1, client: 'c1', f: 'put', key: 'k', value: 'b', version: v(9, 'n2'), status: 'ok', via: 'n2', invokedMs: 0, completedMs: 4.5 },
        { opId: 2, client: 'c2', f: 'get', key: 'k', value: 'a', version: v(3), status: 'ok', via: 'n3', invokedMs: 6, completedMs: 9 },
      ]);
      assert.deepEqual(result, {
        ok: false,
        message: 'reads the latest write broken: get("k") by c2 through n3, invoked at 6.000 ms, returned "a" @ 3.n1, but put("k", "b") by c1 had completed at 4.500 ms with version 9.n2',
      });
    });
  });

  describe('sloppy quorums, hinted handoff, ANY, anti-entropy (Dynamo §4.6-4.7)', () => {
    it('two of three home replicas down: a strict W = 2 put fails, a sloppy one succeeds with hints that are handed back', () => {
      for (const sloppy of [false, true]) {
        const c = quorumCluster({ seed: 2, N: 3, W: 2, R: 2, sloppy, clients: 1 });
        const [h0, h1, h2] = c.homes('x');
        c.sim.crash(h1);
        c.sim.crash(h2);
        c.put('x', 'a', { via: h0 });
        c.runUntilDone();
        const put = c.operations()[0];
        if (!sloppy) {
          assert.equal(put.status, 'info', 'strict quorum: the put cannot reach W = 2 home replicas');
          continue;
        }
        assert.equal(put.status, 'ok', `sloppy quorum: ${put.reason ?? ''}`);
        assert.ok(c.pendingHints() >= 1);
        c.sim.restart(h1);
        c.sim.restart(h2);
        c.run(c.sim.now() + 300);
        assert.equal(c.pendingHints(), 0, 'hints handed off');
        const records = c.replicaRecords('x');
        assert.equal((records[h1] as { value: string }).value, 'a', `${h1} got its hinted write back`);
      }
    });
    it('a sloppy quorum can read stale data even with W + R > N (the read reaches home replicas that missed the write)', () => {
      const c = quorumCluster({ seed: 3, N: 3, W: 2, R: 2, sloppy: true, clients: 1, readRepair: 'none', hintRetryMs: 5000, network: { latency: { kind: 'constant', ms: 2 } } });
      const [h0, h1, h2] = c.homes('x');
      c.put('x', 'v1', { via: h0 });
      c.runUntilDone();
      c.sim.crash(h1);
      c.sim.crash(h2);
      c.put('x', 'v2', { via: h0 });
      c.runUntilDone();
      assert.equal(c.operations()[1].status, 'ok');
      c.sim.restart(h1);
      c.sim.restart(h2);
      c.sim.configureLink(h2, h0, { latency: { kind: 'constant', ms: 200 } });
      c.get('x', { via: h2 });
      c.runUntilDone();
      assert.equal(c.readsLatest().ok, false, 'the read should have returned v1');
      assert.match((c.readsLatest() as { message: string }).message, /reads the latest write broken/);
    });
    it('ANY: with every home replica down, the coordinator keeps hints and the put succeeds; the owners get it later', () => {
      const c = quorumCluster({ seed: 4, nodes: 4, N: 3, W: 'ANY', R: 'ONE', clients: 1 });
      const homes = c.homes('x');
      const other = c.nodes.find((n) => !homes.includes(n)) as string;
      for (const h of homes) c.sim.crash(h);
      c.put('x', 'a', { via: other });
      c.runUntilDone();
      assert.equal(c.operations()[0].status, 'ok');
      for (const h of homes) c.sim.restart(h);
      c.run(c.sim.now() + 300);
      assert.deepEqual(c.divergentKeys(), []);
      assert.ok(Object.values(c.replicaRecords('x')).every((r) => r !== 'down' && r?.value === 'a'));
    });
    it('anti-entropy repairs a replica that missed writes; without it the replica stays stale', () => {
      for (const antiEntropyIntervalMs of [0, 20]) {
        const c = quorumCluster({ seed: 5, N: 3, W: 2, R: 2, readRepair: 'none', antiEntropyIntervalMs, clients: 1 });
        const [h0, , h2] = c.homes('x');
        c.sim.crash(h2);
        for (let i = 0; i < 5; i++) c.put('x', `a${i}`, { via: h0 });
        c.runUntilDone();
        c.sim.restart(h2);
        c.run(c.sim.now() + 500);
        if (antiEntropyIntervalMs === 0) assert.deepEqual(c.divergentKeys(), ['x']);
        else assert.deepEqual(c.divergentKeys(), [], 'anti-entropy should have converged the replicas');
      }
    });
    it('same seed, same trace', () => {
      const run = () => {
        const c = quorumCluster({ seed: 9, sloppy: true, antiEntropyIntervalMs: 30, network: { dropRate: 0.1 } });
        for (let i = 0; i < 10; i++) c.put(`k${i % 3}`, `v${i}`, { atMs: i * 5, client: i % 2 ? 'c1' : 'c2' });
        c.run(400);
        return c.sim.trace.hash();
      };
      assert.equal(run(), run());
    });
  });

  describe('chaos sweep: loss, duplication, reordering, crashes, partitions, then heal (CHAOS_NETWORK, randomFaultScript)', () => {
    it('W = R = 2 of N = 3, strict: 300 seeds, reads always see the latest write; anti-entropy converges after healing', function () {
      this.timeout(30_000);
      const unsafe: string[] = [];
      const stuck: string[] = [];
      let okReads = 0;
      for (let seed = 1; seed <= 300; seed++) {
        const r = quorumChaosRun(seed, { W: 2, R: 2 });
        okReads += r.cluster.operations().filter((o) => o.f === 'get' && o.status === 'ok').length;
        if (!r.safety.ok) unsafe.push(`seed ${seed}: ${r.safety.message} (replay: ${r.replay})`);
        if (!r.liveness.ok) stuck.push(`seed ${seed}: ${r.liveness.message} (replay: ${r.replay})`);
      }
      assert.deepEqual(unsafe, [], 'safety');
      assert.deepEqual(stuck, [], 'liveness');
      assert.ok(okReads > 2000, `only ${okReads} reads succeeded over 300 seeds: the sweep would check little`);
    });
    for (const [what, options] of [['W = R = 1 (W + R <= N)', { W: 1, R: 1 }], ['a sloppy quorum with W = R = 2', { W: 2, R: 2, sloppy: true }]] as const) {
      it(`${what}: the sweep finds a stale read, and names the seed`, () => {
        let found: string | null = null;
        for (let seed = 1; seed <= 100 && found === null; seed++) {
          const r = quorumChaosRun(seed, options);
          if (!r.safety.ok) found = `seed ${seed}: ${r.safety.message}`;
        }
        assert.ok(found !== null, `no stale read in 100 seeds with ${what}`);
        assert.match(found as string, /^seed \d+: reads the latest write broken/);
      });
    }
  });
});
