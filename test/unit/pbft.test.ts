import { strict as assert } from 'assert';
import { ConfigError } from '../../lib/core';
import {
  BYZANTINE_BEHAVIOURS, NULL_DIGEST, PbftLog, brokenPbftRules, committedLocal, computeNewView, macFor, pbftBeyondF,
  pbftChaosRun, pbftCluster, pbftMessageCost, pbftMessagesImplied, prepared, quorumCorrectOverlap, verifyMac,
} from '../../lib/protocols/pbft';

const req = (client: string, timestamp: number) => ({ client, timestamp, op: `op${timestamp}`, sig: 'x' });

function log(prepares: string[], commits: string[], digest = 'd'): PbftLog {
  return {
    prePrepares: [{ view: 0, seq: 1, digest, replica: 'r1' }],
    prepares: prepares.map((replica) => ({ view: 0, seq: 1, digest, replica })),
    commits: commits.map((replica) => ({ view: 0, seq: 1, digest, replica })),
  };
}

describe('PBFT configuration (OSDI §2)', () => {
  it('refuses n < 3f+1 with a ConfigError naming the numbers', () => {
    assert.throws(() => pbftCluster({ seed: 1, f: 1, n: 3 }), (e: Error) => e instanceof ConfigError && /n must be >= 3f\+1 = 4 \(f = 1\), got 3/.test(e.message));
    assert.throws(() => pbftCluster({ seed: 1, f: 2, n: 6 }), /n must be >= 3f\+1 = 7/);
  });
  it('refuses more than f Byzantine replicas unless asked', () => {
    assert.throws(() => pbftCluster({ seed: 1, f: 1, byzantine: { r1: ['silent'], r2: ['silent'] } }), ConfigError);
  });
});

describe('PBFT authentication (OSDI §3)', () => {
  it('MACs are deterministic, pairwise, and cover the body', () => {
    const m = { type: 'Prepare', view: 0, seq: 1 };
    assert.equal(macFor('s', 'r1', 'r2', m), macFor('s', 'r2', 'r1', m));
    assert.notEqual(macFor('s', 'r1', 'r2', m), macFor('s', 'r1', 'r3', m));
    assert.notEqual(macFor('s', 'r1', 'r2', m), macFor('t', 'r1', 'r2', m));
    assert.ok(verifyMac('s', 'r1', 'r2', { ...m, mac: macFor('s', 'r1', 'r2', m) }));
    const forged = { ...m, seq: 2, mac: macFor('s', 'r1', 'r2', m) };
    assert.ok(!verifyMac('s', 'r1', 'r2', forged));
  });
  it('a replica with wrong MACs is dropped and counted, and the service still works', () => {
    const c = pbftCluster({ seed: 3, f: 1, operations: 4, byzantine: { r2: ['bad-mac'] } });
    assert.ok(c.runUntil(c.clientsIdle, 5000), `seed 3: ${c.summary()}`);
    assert.ok(c.authFailures() > 0);
    assert.ok(c.sim.trace.events.some((e) => e.kind === 'annotate' && e.text === 'bad MAC'));
  });
});

describe('PBFT predicates (OSDI §4.2)', () => {
  it('prepared needs the pre-prepare and 2f prepares from distinct backups', () => {
    assert.equal(prepared(log(['r2', 'r3'], []), 0, 1, 'd', 1), true);
    assert.equal(prepared(log(['r2'], []), 0, 1, 'd', 1), false);
    assert.equal(prepared(log(['r2', 'r2'], []), 0, 1, 'd', 1), false, 'duplicates count once');
    assert.equal(prepared(log(['r1', 'r2'], []), 0, 1, 'd', 1), false, "the primary's prepare does not count");
    assert.equal(prepared(log(['r2', 'r3'], []), 0, 1, 'e', 1), false, 'no pre-prepare for digest e');
    assert.equal(prepared({ ...log(['r2', 'r3'], []), prePrepares: [] }, 0, 1, 'd', 1), false);
  });
  it('committed-local needs prepared and 2f+1 commits', () => {
    assert.equal(committedLocal(log(['r2', 'r3'], ['r1', 'r2', 'r3']), 0, 1, 'd', 1), true);
    assert.equal(committedLocal(log(['r2', 'r3'], ['r1', 'r2']), 0, 1, 'd', 1), false);
    assert.equal(committedLocal(log(['r2'], ['r1', 'r2', 'r3']), 0, 1, 'd', 1), false);
  });
  it('the broken variants differ from the reference where the paper says', () => {
    assert.equal(brokenPbftRules.preparedWithF.prepared!(log(['r2'], []), 0, 1, 'd', 1), true);
    assert.equal(brokenPbftRules.committedWithFPlus1.committedLocal!(log(['r2', 'r3'], ['r1', 'r2']), 0, 1, 'd', 1), true);
  });
});

describe('PBFT NEW-VIEW computation (OSDI §4.4)', () => {
  const a = req('c1', 1);
  const b = req('c2', 1);
  const vcs = [
    { replica: 'r1', stableSeq: 2, prepared: [{ seq: 3, view: 0, digest: 'A', request: a }, { seq: 5, view: 1, digest: 'B', request: b }] },
    { replica: 'r2', stableSeq: 0, prepared: [{ seq: 1, view: 0, digest: 'X', request: a }, { seq: 3, view: 2, digest: 'B', request: b }] },
    { replica: 'r3', stableSeq: 2, prepared: [] },
  ];
  it('min-s is the highest stable checkpoint; the highest view wins; gaps get null requests', () => {
    assert.deepEqual(computeNewView(vcs), {
      minS: 2, maxS: 5,
      entries: [{ seq: 3, digest: 'B', request: b }, { seq: 4, digest: NULL_DIGEST, request: null }, { seq: 5, digest: 'B', request: b }],
    });
  });
  it('nothing prepared above min-s: empty', () => {
    assert.deepEqual(computeNewView([{ replica: 'r1', stableSeq: 4, prepared: [] }]), { minS: 4, maxS: 4, entries: [] });
  });
  it('the broken variants pick the lowest view or drop gaps', () => {
    assert.equal(brokenPbftRules.newViewLowestView.computeNewView!(vcs).entries[0].digest, 'A');
    assert.deepEqual(brokenPbftRules.newViewDropsGaps.computeNewView!(vcs).entries.map((e) => e.seq), [3, 5]);
  });
});

describe('PBFT normal case, checkpoints and view changes', () => {
  it('executes in order, replies, checkpoints every K and collects garbage', () => {
    const c = pbftCluster({ seed: 5, f: 1, operations: 9, checkpointInterval: 4 });
    assert.ok(c.runUntil(c.clientsIdle, 3000), `seed 5: ${c.summary()}`);
    c.run(c.sim.now() + 50);
    for (const id of c.replicas) {
      const s = c.node(id)!.state;
      assert.equal(s.lastExecuted, 9, id);
      assert.equal(s.stableSeq, 8, id);
      assert.ok(s.log.prePrepares.every((p) => p.seq > 8), `${id} kept log entries below the stable checkpoint`);
    }
    assert.deepEqual(c.safety(), { ok: true });
    assert.deepEqual(c.liveness(), { ok: true });
  });
  for (const behaviour of BYZANTINE_BEHAVIOURS) {
    it(`survives a primary that is '${behaviour}'`, () => {
      const c = pbftCluster({ seed: 2, f: 1, clients: 2, operations: 6, checkpointInterval: 4, byzantine: { r1: [behaviour] } });
      assert.ok(c.runUntil(c.clientsIdle, 10_000), `seed 2, ${behaviour}: clients did not finish\n${c.summary()}`);
      assert.deepEqual(c.safety(), { ok: true }, `seed 2, ${behaviour}`);
    });
  }
  it('a silent primary is replaced by a view change (view 1)', () => {
    const c = pbftCluster({ seed: 1, f: 1, operations: 3, byzantine: { r1: ['silent'] } });
    assert.ok(c.runUntil(c.clientsIdle, 5000), c.summary());
    assert.equal(c.node('r2')!.state.view, 1);
  });
  it('f = 2 (n = 7) with two Byzantine replicas in combination', () => {
    const c = pbftCluster({ seed: 9, f: 2, clients: 2, operations: 5, byzantine: { r1: ['silent'], r2: ['lying-view-change', 'equivocate'] } });
    assert.ok(c.runUntil(c.clientsIdle, 10_000), `seed 9: ${c.summary()}`);
    assert.deepEqual(c.safety(), { ok: true });
  });
});

describe('PBFT chaos sweep with Byzantine replicas (f = 1, 200 seeds)', function () {
  this.timeout(60_000);
  it('no agreement violation, and every operation completes after healing', () => {
    const failures: string[] = [];
    let completed = 0;
    let withFaulty = 0;
    for (let seed = 1; seed <= 200; seed++) {
      const r = pbftChaosRun(seed);
      completed += r.cluster.sim.history.filter((e) => e.type === 'ok').length;
      if (Object.keys(r.byzantine).length > 0) withFaulty++;
      if (!r.safety.ok) failures.push(`seed ${seed} (${JSON.stringify(r.byzantine)}): ${r.safety.message}; replay ${r.replay}`);
      else if (!r.liveness.ok) failures.push(`seed ${seed} (${JSON.stringify(r.byzantine)}): ${r.liveness.message}; replay ${r.replay}`);
    }
    assert.deepEqual(failures, []);
    assert.ok(withFaulty > 50, `only ${withFaulty} seeds had a Byzantine replica`);
    assert.ok(completed > 200 * 5, `only ${completed} operations completed over 200 seeds`);
  });
});

describe('beyond f: why 2f+1 quorums (OSDI §4.5.1)', () => {
  it('two correct quorums of 2f+1 share a correct replica; of f+1 they need not', () => {
    for (let f = 1; f <= 10; f++) {
      assert.ok(quorumCorrectOverlap(3 * f + 1, f, 2 * f + 1) >= 1);
      assert.ok(quorumCorrectOverlap(3 * f + 1, f, f + 1) < 1);
    }
  });
  it('f+1 faulty replicas (equivocating primary and an accomplice) break agreement', () => {
    const r = pbftBeyondF(1);
    assert.equal(r.safety.ok, false, `seed 1: expected a violation\n${r.summary}`);
    assert.match((r.safety as { message: string }).message, /Agreement broken at seq 1/);
  });
  it('with one faulty primary and the reference rules, the same attack fails', () => {
    const c = pbftCluster({ seed: 1, f: 1, clients: 2, operations: 2, byzantine: { r1: ['equivocate'] } });
    assert.ok(c.runUntil(c.clientsIdle, 5000), c.summary());
    assert.deepEqual(c.safety(), { ok: true });
  });
});

describe('PBFT message cost', () => {
  it('measured messages per request match the count the protocol implies', () => {
    const rows = pbftMessageCost([4, 7, 13]);
    for (const r of rows) assert.ok(Math.abs(r.measured - r.implied) < 1e-6, `n=${r.n}: measured ${r.measured}, implied ${r.implied}`);
    assert.equal(pbftMessagesImplied(4, 8), 30.5);
  });
});
