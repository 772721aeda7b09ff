import { strict as assert } from 'assert';
import { zabChaosRun } from '../../lib/protocols/zab';

describe('ZAB chaos sweep', () => {
  it('300 seeds (5 servers, FIFO sessions over 10% loss and duplication, crashes, partitions): safe, linearizable (writes + sync reads), every transaction delivered everywhere after healing', function () {
    this.timeout(30_000);
    const unsafe: string[] = [];
    const stuck: string[] = [];
    let completed = 0;
    const modes = { DIFF: 0, TRUNC: 0, SNAP: 0 };
    for (let seed = 1; seed <= 300; seed++) {
      const r = zabChaosRun(seed);
      completed += r.completed;
      for (const k of ['DIFF', 'TRUNC', 'SNAP'] as const) modes[k] += r.syncModes[k];
      if (!r.safety.ok) unsafe.push(`seed ${seed}: ${r.safety.message} (replay: ${r.replay})`);
      if (r.linearizability.ok !== true) unsafe.push(`seed ${seed}: not linearizable: ${r.linearizability.message} (replay: ${r.replay})`);
      if (!r.liveness.ok) stuck.push(`seed ${seed}: ${r.liveness.message} (replay: ${r.replay})`);
    }
    assert.deepEqual(unsafe, [], 'safety');
    assert.deepEqual(stuck, [], 'liveness');
    assert.ok(completed / 300 > 5, `only ${completed / 300} operations per seed completed`);
    assert.ok(modes.TRUNC > 0 && modes.SNAP > 0, `no TRUNC or no SNAP in 300 seeds: ${JSON.stringify(modes)}`);
  });

  it('3 servers, 50 seeds', () => {
    for (let seed = 1; seed <= 50; seed++) {
      const r = zabChaosRun(seed, { servers: 3 });
      assert.ok(r.safety.ok && r.liveness.ok && r.linearizability.ok === true, `seed ${seed}: ${JSON.stringify([r.safety, r.liveness, r.linearizability.ok])} (replay: zabChaosRun(${seed}, { servers: 3 }))`);
    }
  });
});
