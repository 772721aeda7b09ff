import { strict as assert } from 'assert';
import { checkPbftSafety } from '../../lib/checkers/pbft';
import { PbftScenarioResult, brokenPbftRules, pbftCommitQuorumScenario, pbftOldCertificateScenario } from '../../lib/protocols/pbft';

const SEEDS = [1, 2, 3, 4, 5, 6];

function describeRun(r: PbftScenarioResult, seed: number): string {
  return `seed ${seed} (replay: the same call with this seed)\n${r.cluster.summary()}`;
}

/** Each honest replica's executions, seq -> digest (read from the trace, independently of the checker). */
function executions(r: PbftScenarioResult): Map<string, Map<number, string>> {
  const out = new Map<string, Map<number, string>>();
  for (const e of r.cluster.sim.trace.events) {
    if (e.kind !== 'annotate' || e.text !== 'execute' || !r.cluster.honest.includes(e.node)) continue;
    const d = e.data as { seq: number; digest: string };
    if (!out.has(e.node)) out.set(e.node, new Map());
    out.get(e.node)!.set(d.seq, d.digest);
  }
  return out;
}

describe('PBFT scenarios: a wrong rule breaks Agreement, the reference does not (OSDI §4.2, §4.4)', function () {
  this.timeout(20_000);

  it('pbftCommitQuorumScenario: safe and live with the reference rules', () => {
    for (const seed of SEEDS) {
      const r = pbftCommitQuorumScenario(seed);
      assert.deepEqual(r.safety, { ok: true }, describeRun(r, seed));
      assert.deepEqual(checkPbftSafety(r.cluster.sim.trace.events, r.cluster.honest), r.safety);
      // r3 was cut off holding A with only f+1 commits: it must not have executed it.
      assert.equal(r.cluster.node('r3')!.state.lastExecuted, 0, describeRun(r, seed));
      assert.ok(r.cluster.node('r2')!.state.lastExecuted >= 1 && r.cluster.node('r4')!.state.lastExecuted >= 1, describeRun(r, seed));
    }
  });

  it('pbftCommitQuorumScenario: committedWithFPlus1 executes two requests at seq 1', () => {
    for (const seed of SEEDS) {
      const r = pbftCommitQuorumScenario(seed, brokenPbftRules.committedWithFPlus1);
      assert.equal(r.safety.ok, false, describeRun(r, seed));
      if (r.safety.ok) continue;
      assert.equal(r.safety.property, 'Agreement');
      assert.match(r.safety.message, /^Agreement broken at seq 1: /);
      const ex = executions(r);
      assert.notEqual(ex.get('r3')?.get(1), undefined, describeRun(r, seed));
      assert.ok(['r2', 'r4'].some((id) => ex.get(id)?.get(1) !== undefined && ex.get(id)?.get(1) !== ex.get('r3')?.get(1)), describeRun(r, seed));
    }
  });

  it('pbftOldCertificateScenario: safe with the reference rules, and r3 catches up on the request of the later view', () => {
    for (const seed of SEEDS) {
      const r = pbftOldCertificateScenario(seed);
      assert.deepEqual(r.safety, { ok: true }, describeRun(r, seed));
      const ex = executions(r);
      assert.equal(ex.get('r3')?.get(1), ex.get('r2')?.get(1), describeRun(r, seed));
    }
  });

  it('pbftOldCertificateScenario: newViewLowestView revives the view-0 request at seq 1', () => {
    for (const seed of [1, 2, 4, 5, 6]) {
      const r = pbftOldCertificateScenario(seed, brokenPbftRules.newViewLowestView);
      assert.equal(r.safety.ok, false, describeRun(r, seed));
      if (r.safety.ok) continue;
      assert.equal(r.safety.property, 'Agreement');
      const ex = executions(r);
      assert.notEqual(ex.get('r3')?.get(1), ex.get('r2')?.get(1), describeRun(r, seed));
    }
  });

  it('the other broken rules are not what these scenarios catch: preparedIgnoresDigest stays safe', () => {
    for (const seed of SEEDS.slice(0, 3)) {
      assert.equal(pbftCommitQuorumScenario(seed, brokenPbftRules.preparedIgnoresDigest).safety.ok, true, `seed ${seed}`);
      assert.equal(pbftOldCertificateScenario(seed, brokenPbftRules.preparedIgnoresDigest).safety.ok, true, `seed ${seed}`);
    }
  });

  it('is deterministic: same seed, same trace', () => {
    const a = pbftOldCertificateScenario(2, brokenPbftRules.newViewLowestView);
    const b = pbftOldCertificateScenario(2, brokenPbftRules.newViewLowestView);
    assert.deepEqual(a.safety, b.safety);
    assert.equal(a.cluster.sim.trace.events.length, b.cluster.sim.trace.events.length);
  });
});
