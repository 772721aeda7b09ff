import { strict as assert } from 'assert';
import { electionTimingSamples, raftChaosRun } from '../../lib/protocols/raft';

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

describe('Raft chaos sweep and election timing', () => {
  it('chaos: 200 seeds (5 servers, loss, duplication, reordering, crashes, partitions, snapshots): Figure 3 holds, histories linearizable, clients finish after healing', function () {
    this.timeout(30_000);
    const unsafe: string[] = [];
    const stuck: string[] = [];
    let completed = 0;
    for (let seed = 1; seed <= 200; seed++) {
      const r = raftChaosRun(seed);
      completed += r.completed;
      if (!r.safety.ok) unsafe.push(`seed ${seed}: ${r.safety.message} (replay: ${r.replay})`);
      if (r.linearizability && r.linearizability.ok !== true) unsafe.push(`seed ${seed}: not linearizable: ${r.linearizability.message} (replay: ${r.replay})`);
      if (!r.liveness.ok) stuck.push(`seed ${seed}: ${r.liveness.message} (replay: ${r.replay})`);
    }
    assert.deepEqual(unsafe, [], 'safety');
    assert.deepEqual(stuck, [], 'liveness');
    assert.ok(completed / 200 > 20, `only ${completed / 200} operations per seed completed`);
  });

  it('chaos: 3 servers, 50 seeds', () => {
    for (let seed = 1; seed <= 50; seed++) {
      const r = raftChaosRun(seed, { servers: 3 });
      assert.ok(r.safety.ok && r.liveness.ok && r.linearizability?.ok === true, `seed ${seed}: ${JSON.stringify([r.safety, r.liveness, r.linearizability?.ok])} (replay: raftChaosRun(${seed}, { servers: 3 }))`);
    }
  });

  it('Figure 16 (§9.3): randomness in the election timeout shortens elections after a leader crash', function () {
    this.timeout(20_000);
    const trials = 30;
    const none = median(electionTimingSamples({ timeoutMs: [150, 151], trials, maxMs: 20_000 }));
    const five = median(electionTimingSamples({ timeoutMs: [150, 155], trials }));
    const wide = electionTimingSamples({ timeoutMs: [150, 300], trials });
    assert.ok(none > 1000, `150-151 ms: median ${none} ms, expected split votes to take over a second`);
    assert.ok(five < none, `150-155 ms median ${five} ms should beat 150-151's ${none} ms`);
    assert.ok(median(wide) < 400 && Math.max(...wide) < 1000, `150-300 ms: median ${median(wide)} ms, max ${Math.max(...wide)} ms`);
    assert.ok(Math.min(...wide) >= 150 / 2, 'no election before the minimum timeout minus a heartbeat interval');
  });
});
