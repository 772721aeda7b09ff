import { strict as assert } from 'assert';
import { ConfigError, TraceEvent } from '../../lib/core';
import { paxosAgreement } from '../../lib/checkers/paxos';
import { ExploreResult, ModelSpec, checkPaxosModel, explore, paxosModel } from '../../lib/modelcheck';
import { AcceptorState, PaxosRules, brokenPaxosRules, compareBallots } from '../../lib/protocols/paxos';
import { spaceTimeFacts } from '../../lib/viz/space-time-data';

/** A counterexample's trace must be one the Paxos trace checker also rejects, and one a space-time diagram can draw. */
function assertRealCounterexample(r: ExploreResult, what: string): TraceEvent[] {
  assert.equal(r.ok, false, `${what}: expected a counterexample, got none in ${r.statesExplored} states`);
  const cex = r.counterexample!;
  assert.equal(cex.steps.length, cex.description.length);
  assert.equal(r.depth, cex.steps.length, `${what}: breadth first, so the counterexample is as long as the depth searched`);
  const check = paxosAgreement(cex.trace, { acceptors: 3 });
  assert.equal(check.ok, false, `${what}: the trace checker finds no violation in\n${cex.description.join('\n')}`);
  assert.match(!check.ok ? check.message : '', /^agreement broken in slot 0: two values chosen/);
  const facts = spaceTimeFacts(cex.trace);
  assert.equal(facts.messages.filter((m) => m.outcome === 'delivered').length, cex.trace.filter((e) => e.kind === 'deliver').length);
  return cex.trace;
}

describe('bounded model checking of Basic Paxos (3 acceptors, 2 proposers)', function () {
  this.timeout(20_000);
  describe('the reference is safe', () => {
    it('each proposer proposing once, one acceptor crash (the graded preset): the whole space', () => {
      const r = checkPaxosModel();
      assert.equal(r.ok, true, r.counterexample?.description.join('\n'));
      assert.equal(r.complete, true);
      // A crash changes nothing for the reference acceptor (it persists before every reply), so
      // the crash budget adds no state: the same space as without crashes.
      assert.equal(r.statesExplored, checkPaxosModel({ crashes: 0 }).statesExplored);
      assert.ok(r.statesExplored > 10_000, `${r.statesExplored} states`);
    });

    it('each proposer proposing once, with the multiset network (each copy delivered at most once)', () => {
      const r = checkPaxosModel({ crashes: 0 }, { network: 'multiset', loss: false });
      assert.equal(r.ok, true);
      assert.equal(r.complete, true);
    });

    it('each proposer proposing twice (retries: 1), with acceptor symmetry: the whole space', function () {
      this.timeout(120_000);
      const r = checkPaxosModel({ retries: 1, crashes: 0, symmetry: true });
      assert.equal(r.ok, true, r.counterexample?.description.join('\n'));
      assert.equal(r.complete, true);
      assert.ok(r.statesExplored > 500_000, `${r.statesExplored} states`);
    });

    it('symmetry reduction finds the same verdicts with fewer states', () => {
      const plain = checkPaxosModel();
      const reduced = checkPaxosModel({ symmetry: true });
      assert.equal(reduced.ok, true);
      assert.ok(reduced.statesExplored * 3 < plain.statesExplored, `${reduced.statesExplored} vs ${plain.statesExplored}`);
      const broken = checkPaxosModel({ symmetry: true, rules: brokenPaxosRules.ignoreAcceptedValue });
      assert.equal(broken.counterexample?.steps.length, checkPaxosModel({ rules: brokenPaxosRules.ignoreAcceptedValue }).counterexample?.steps.length);
      assertRealCounterexample(broken, 'ignoreAcceptedValue with symmetry');
    });

    it("the model's shortcuts (dead replies dropped, proposer states normalized) lose no behaviour", () => {
      // The same questions without them, on the multiset network (where the plain search is
      // small enough): the same verdicts and counterexample lengths.
      const plain = (rules: Partial<PaxosRules> = {}) => {
        const spec = paxosModel({ rules });
        delete spec.obsolete;
        delete spec.normalize;
        return explore(spec, { network: 'multiset', loss: false });
      };
      const withShortcuts = (rules: Partial<PaxosRules> = {}) => checkPaxosModel({ crashes: 0, rules }, { network: 'multiset', loss: false });
      const reference = plain();
      assert.equal(reference.ok, true);
      assert.ok(reference.statesExplored > withShortcuts().statesExplored);
      for (const rules of [brokenPaxosRules.ignoreAcceptedValue, brokenPaxosRules.acceptBelowPromise]) {
        assert.equal(plain(rules).counterexample?.steps.length, withShortcuts(rules).counterexample?.steps.length);
      }
    });

    it('partial-order reduction visits the very same states, with fewer transitions', () => {
      for (const [options, maxDepth] of [
        [{ crashes: 0 }, Infinity],
        [{ symmetry: true }, Infinity],
        [{ retries: 1, crashes: 0 }, 10],
        [{ retries: 1, rules: brokenPaxosRules.neverPersist }, 9],
      ] as const) {
        const reduced = checkPaxosModel(options, { maxDepth });
        const full = checkPaxosModel(options, { maxDepth, partialOrder: false });
        const what = `${JSON.stringify(options)}, maxDepth ${maxDepth}`;
        assert.equal(reduced.statesExplored, full.statesExplored, what);
        assert.equal(reduced.depth, full.depth, what);
        assert.ok(reduced.transitions < full.transitions, `${what}: ${reduced.transitions} vs ${full.transitions} transitions`);
      }
    });

    it('promising again to an equal whole ballot (a duplicate Prepare) is harmless: ballots are unique', () => {
      const promiseEqualBallot: Partial<PaxosRules> = {
        onPrepare: (state: AcceptorState, n) =>
          compareBallots(n, state.promised) >= 0 ? { reply: 'promise', newState: { promised: n, accepted: state.accepted }, accepted: state.accepted } : { reply: 'reject', newState: state },
      };
      const r = checkPaxosModel({ rules: promiseEqualBallot });
      assert.equal(r.ok, true, r.counterexample?.description.join('\n'));
    });
  });

  describe('broken rules give a shortest counterexample', () => {
    for (const [name, rules] of [
      ['the acceptor forgets to return its highest accepted proposal', brokenPaxosRules.forgetAcceptedInPromise],
      ['the proposer ignores the reported accepted value', brokenPaxosRules.ignoreAcceptedValue],
    ] as const) {
      it(`when ${name}`, () => {
        const r = checkPaxosModel({ rules });
        const trace = assertRealCounterexample(r, name);
        const cex = r.counterexample!;
        assert.equal(cex.steps.length, 12);
        assert.match(cex.violation, /^agreement broken in slot 0: "x" \(accepted by a\d, a\d with ballot 1\.p1\) and "y" \(accepted by a\d, a\d with ballot 1\.p2\)$/);
        assert.equal(trace.filter((e) => e.kind === 'deliver').length, 12);
        // Shortest: no run of 11 steps breaks agreement.
        assert.equal(checkPaxosModel({ rules }, { maxDepth: 11 }).ok, true);
      });
    }

    it('when the acceptor accepts below its promise (acceptBelowPromise)', () => {
      assertRealCounterexample(checkPaxosModel({ rules: brokenPaxosRules.acceptBelowPromise }), 'acceptBelowPromise');
    });

    it('when the acceptor compares rounds only and lowers its promise (promiseEqualNumbers)', () => {
      const r = checkPaxosModel({ rules: brokenPaxosRules.promiseEqualNumbers });
      assertRealCounterexample(r, 'promiseEqualNumbers');
    });

    it('with the multiset network too', () => {
      const r = checkPaxosModel({ crashes: 0, rules: brokenPaxosRules.ignoreAcceptedValue }, { network: 'multiset', loss: false });
      assert.equal(r.counterexample?.steps.length, 12);
      assertRealCounterexample(r, 'ignoreAcceptedValue, multiset');
    });
  });

  describe('crashes', () => {
    it('an acceptor that does not persist: a crash makes it forget, and agreement breaks', () => {
      assert.equal(checkPaxosModel({ rules: brokenPaxosRules.neverPersist, crashes: 0 }).ok, true, 'without a crash the bug is invisible');
      const r = checkPaxosModel({ rules: brokenPaxosRules.neverPersist });
      const trace = assertRealCounterexample(r, 'neverPersist');
      assert.equal(r.counterexample!.steps.filter((s) => s.kind === 'crash').length, 1);
      assert.deepEqual(
        trace.filter((e) => e.kind === 'crash' || e.kind === 'restart').map((e) => e.kind),
        ['crash', 'restart'],
      );
      const facts = spaceTimeFacts(trace);
      assert.equal(facts.outages.filter((o) => o.kind === 'crash' && o.ended).length, 1);
    });

    it('an acceptor that replies before it persists: a crash between the two breaks agreement', () => {
      assert.equal(checkPaxosModel({ rules: brokenPaxosRules.replyBeforePersist, crashes: 0 }).ok, true);
      const r = checkPaxosModel({ rules: brokenPaxosRules.replyBeforePersist });
      assertRealCounterexample(r, 'replyBeforePersist');
      const midHandler = r.counterexample!.steps.filter((s) => s.kind === 'deliver' && s.crashAfterEffects !== undefined);
      assert.equal(midHandler.length, 1, r.counterexample!.description.join('\n'));
      assert.match(r.counterexample!.description.join('\n'), /crashes after sending Promise to p\d, before persisting "acceptor"/);
    });

    it('the reference survives two crashes', () => {
      const r = checkPaxosModel({ crashes: 2 });
      assert.equal(r.ok, true);
      assert.equal(r.complete, true);
    });
  });

  it('is deterministic: the same figures and the same counterexample twice', () => {
    const a = checkPaxosModel({ rules: brokenPaxosRules.neverPersist });
    const b = checkPaxosModel({ rules: brokenPaxosRules.neverPersist });
    assert.deepEqual([a.statesExplored, a.transitions, a.counterexample?.trace], [b.statesExplored, b.transitions, b.counterexample?.trace]);
  });

  it('rejects a bad configuration with a ConfigError', () => {
    assert.throws(() => checkPaxosModel({}, { network: 'bag' as never }), ConfigError);
    assert.throws(() => checkPaxosModel({ crashes: -1 }), /crashes must be an integer >= 0, got -1/);
    assert.throws(() => paxosModel({ retries: 1.5 }), /retries must be an integer >= 0, got 1.5/);
  });
});

describe('explore: what each network model covers', () => {
  type Msg = { type: 'Ping' } | { type: 'Pong' };
  /** 'server' answers each Ping; 'client' sends one Ping and counts Pongs. Invariant: at most one Pong arrives. */
  function pingModel(): ModelSpec<Msg, never, null> {
    return {
      nodes: ['client', 'server'],
      instantiate: (id, state) => {
        const node = {
          state: (state as { pongs: number } | undefined) ?? { pongs: 0 },
          init: (ctx: { send(to: string, m: Msg): void }) => {
            if (id === 'client') ctx.send('server', { type: 'Ping' });
          },
          onMessage: (from: string, msg: Msg, ctx: { send(to: string, m: Msg): void }) => {
            if (msg.type === 'Ping') ctx.send(from, { type: 'Pong' });
            else node.state = { pongs: node.state.pongs + 1 };
          },
          onTimer: () => undefined,
        };
        return node;
      },
      timers: () => [],
      timerBudget: {},
      ghost: null,
      observe: (ghost) => ghost,
      invariant: (state) => (JSON.parse(state.nodes.client).pongs > 1 ? 'two Pongs arrived for one Ping' : null),
    };
  }

  it("'set' delivers a message again (duplication): two Pongs for one Ping", () => {
    const r = explore(pingModel(), { network: 'set' });
    assert.equal(r.ok, false);
    assert.deepEqual(r.counterexample!.steps.map((s) => s.kind), ['deliver', 'deliver', 'deliver']);
  });

  it("'multiset' delivers each copy once, unless duplication is on", () => {
    const once = explore(pingModel(), { network: 'multiset', loss: true });
    assert.equal(once.ok, true);
    assert.equal(once.complete, true);
    assert.equal(explore(pingModel(), { network: 'multiset', duplication: true }).ok, false);
  });

  it('stops at maxStates and says the search is not complete', () => {
    const r = checkPaxosModel({ retries: 1 }, { maxStates: 1000 });
    assert.equal(r.complete, false);
    assert.equal(r.statesExplored, 1000);
  });
});
