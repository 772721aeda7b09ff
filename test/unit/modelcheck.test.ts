import { strict as assert } from 'assert';
import { paxosAgreement } from '../../lib/checkers/paxos';
import { checkPaxosModel } from '../../lib/modelcheck';
import { brokenPaxosRules } from '../../lib/protocols/paxos';

describe('bounded model checking of Basic Paxos (3 acceptors, 2 proposers)', () => {
  it('the reference is safe: the whole space with each proposer proposing once', function () {
    this.timeout(120_000);
    const r = checkPaxosModel({ retries: 0 });
    assert.equal(r.ok, true);
    assert.equal(r.complete, true);
    assert.ok(r.statesExplored > 100_000, `${r.statesExplored} states`);
  });

  for (const [name, rules] of [
    ['the acceptor forgets to return its highest accepted proposal', brokenPaxosRules.forgetAcceptedInPromise],
    ['the proposer ignores the reported accepted value', brokenPaxosRules.ignoreAcceptedValue],
  ] as const) {
    it(`finds a shortest counterexample when ${name}`, function () {
      this.timeout(60_000);
      const r = checkPaxosModel({ retries: 0, rules });
      assert.equal(r.ok, false);
      const cex = r.counterexample!;
      assert.equal(cex.steps.length, 12);
      assert.match(cex.violation, /^agreement broken in slot 0: "x" \(accepted by a\d, a\d with ballot 1\.p1\) and "y" \(accepted by a\d, a\d with ballot 1\.p2\)$/);
      // The counterexample as a trace: send/deliver events a space-time diagram draws, and the trace checker agrees.
      assert.equal(cex.trace.filter((e) => e.kind === 'deliver').length, 12);
      const check = paxosAgreement(cex.trace, { acceptors: 3 });
      assert.equal(check.ok, false);
      assert.match(!check.ok ? check.message : '', /^agreement broken in slot 0: two values chosen/);
    });
  }
});
