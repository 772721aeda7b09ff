import { strict as assert } from 'assert';
import { paxosAgreement, paxosLearned } from '../../lib/checkers/paxos';
import {
  AcceptorState,
  brokenPaxosRules,
  chooseValue,
  duelingProposers,
  forgetfulAcceptor,
  onAccept,
  onPrepare,
  paxosChaosRun,
  paxosCluster,
  PaxosRules,
} from '../../lib/protocols/paxos';

const b = (round: number, node: string) => ({ round, node });
const empty: AcceptorState = { promised: null, accepted: null };

/** The first seed in 1..limit whose chaos run breaks agreement, with its message. */
function firstUnsafeSeed(options: Parameters<typeof paxosChaosRun>[1], limit = 200): { seed: number; message: string } | null {
  for (let seed = 1; seed <= limit; seed++) {
    const r = paxosChaosRun(seed, options);
    if (!r.safety.ok) return { seed, message: r.safety.message };
  }
  return null;
}

describe('Basic Paxos (Lamport, Paxos Made Simple, 2001)', () => {
  describe('the reference rules (the exercise contracts, §2.2)', () => {
    it('onPrepare: promises only above its promise, and reports its accepted proposal (P1a, phase 1b)', () => {
      const r1 = onPrepare(empty, b(1, 'p1'));
      assert.deepEqual(r1, { reply: 'promise', newState: { promised: b(1, 'p1'), accepted: null }, accepted: null });
      const accepted = { ballot: b(1, 'p1'), value: 'x' };
      const r2 = onPrepare({ promised: b(1, 'p1'), accepted }, b(1, 'p2'));
      assert.equal(r2.reply, 'promise');
      assert.deepEqual(r2.reply === 'promise' && r2.accepted, accepted);
      assert.equal(onPrepare({ promised: b(1, 'p2'), accepted: null }, b(1, 'p2')).reply, 'reject');
      assert.equal(onPrepare({ promised: b(1, 'p2'), accepted: null }, b(1, 'p1')).reply, 'reject');
    });
    it('onAccept: accepts at or above its promise, never below', () => {
      assert.equal(onAccept({ promised: b(2, 'p1'), accepted: null }, { ballot: b(1, 'p2'), value: 'y' }).reply, 'reject');
      const r = onAccept({ promised: b(1, 'p2'), accepted: null }, { ballot: b(1, 'p2'), value: 'y' });
      assert.deepEqual(r, { reply: 'accepted', newState: { promised: b(1, 'p2'), accepted: { ballot: b(1, 'p2'), value: 'y' } } });
    });
    it('chooseValue: the value of the highest-numbered accepted proposal, else its own (P2c)', () => {
      assert.equal(chooseValue([null, null], 'own'), 'own');
      assert.equal(chooseValue([{ ballot: b(1, 'p2'), value: 'y' }, null, { ballot: b(2, 'p1'), value: 'x' }], 'own'), 'x');
    });
  });

  describe('a cluster on a reliable network', () => {
    it('two competing proposers: one value is chosen and every learner learns it', () => {
      const c = paxosCluster({ seed: 1, acceptors: 3, proposers: ['x', 'y'] });
      assert.ok(c.runUntilLearned());
      assert.deepEqual(c.agreement(), { ok: true });
      assert.deepEqual(c.learned(), { ok: true });
      const values = Object.values(c.learnedValues()).map((p) => p?.value);
      assert.equal(new Set(values).size, 1);
    });
    it('five acceptors, three proposers', () => {
      const c = paxosCluster({ seed: 2, acceptors: 5, proposers: ['x', 'y', 'z'] });
      assert.ok(c.runUntilLearned());
      assert.deepEqual(c.agreement(), { ok: true });
    });
    it('the acceptor persists before it replies (§2.2: it must remember across a restart)', () => {
      const c = paxosCluster({ seed: 3, proposers: ['x'] });
      c.runUntilLearned();
      const events = c.sim.trace.events;
      const persistAt = events.findIndex((e) => e.kind === 'persist' && e.node === 'a1');
      const promiseAt = events.findIndex((e) => e.kind === 'send' && e.from === 'a1');
      assert.ok(persistAt >= 0 && persistAt < promiseAt);
    });
    it('same seed, same trace', () => {
      const h = () => paxosChaosRun(42).cluster.sim.trace.hash();
      assert.equal(h(), h());
    });
    it('dueling proposers (§2.4): without back-off the median run needs at least twice the rounds of a 40 ms back-off', () => {
      const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
      const rounds = (backoffMs: number) => Array.from({ length: 30 }, (_, i) => {
        const run = duelingProposers(i + 1, backoffMs);
        assert.deepEqual(run.agreement, { ok: true }, `seed ${i + 1}, back-off ${backoffMs}: ${run.summary}`);
        assert.notEqual(run.firstChosenAtMs, null, `seed ${i + 1}, back-off ${backoffMs}: nothing chosen within 2 s`);
        return run.rounds;
      });
      const none = median(rounds(0));
      const some = median(rounds(40));
      assert.ok(none >= 2 * some, `median ${none} rounds without back-off, ${some} with 40 ms`);
    });
  });

  describe('the checker (lib/checkers/paxos.ts)', () => {
    it('names the slot, the values, the nodes and the times', () => {
      const events = [
        { kind: 'annotate' as const, timeMs: 5, node: 'p1', text: 'chosen', data: { slot: 0, value: 'x', ballot: b(1, 'p1') } },
        { kind: 'annotate' as const, timeMs: 9, node: 'l2', text: 'learned', data: { slot: 0, value: 'y', ballot: b(2, 'p2') } },
      ];
      const r = paxosAgreement(events);
      assert.equal(r.ok, false);
      assert.equal(!r.ok && r.message, 'agreement broken in slot 0: two values chosen: "x" (chosen by p1 with ballot 1.p1 at 5 ms) and "y" (learned by l2 with ballot 2.p2 at 9 ms)');
      const learned = paxosLearned(events.slice(0, 1), ['l1']);
      assert.equal(!learned.ok && learned.message, 'slot 0: "x" (chosen by p1 with ballot 1.p1 at 5 ms) was chosen, but l1 never learned it (learners l1)');
    });
  });

  describe('chaos sweep: loss, duplication, reordering, crashes (f < n/2), partitions, then heal', () => {
    it('500 seeds: agreement always; every learner learns after healing', function () {
      this.timeout(60_000);
      const started = Date.now();
      const unsafe: string[] = [];
      const stuck: string[] = [];
      for (let seed = 1; seed <= 500; seed++) {
        const r = paxosChaosRun(seed);
        if (!r.safety.ok) unsafe.push(`seed ${seed}: ${r.safety.message} (replay: ${r.replay})`);
        if (!r.liveness.ok) stuck.push(`seed ${seed}: ${r.liveness.message} (replay: ${r.replay})`);
      }
      assert.deepEqual(unsafe, [], 'safety');
      assert.deepEqual(stuck, [], 'liveness');
      assert.ok(Date.now() - started < 20_000);
    });
    it('five acceptors: 100 seeds, safe and live', () => {
      for (let seed = 1; seed <= 100; seed++) {
        const r = paxosChaosRun(seed, { acceptors: 5 });
        assert.ok(r.safety.ok && r.liveness.ok, `seed ${seed}: ${!r.safety.ok ? r.safety.message : ''} ${!r.liveness.ok ? r.liveness.message : ''}`);
      }
    });
  });

  describe('classic bugs are caught, with the checker naming the two values', () => {
    const cases: [string, Partial<PaxosRules>][] = [
      ['accepting below the promise', brokenPaxosRules.acceptBelowPromise],
      ['promising twice to equal numbers (comparing rounds only)', brokenPaxosRules.promiseEqualNumbers],
      ['not returning the accepted value in the Promise', brokenPaxosRules.forgetAcceptedInPromise],
      ['proposing its own value despite an accepted one', brokenPaxosRules.ignoreAcceptedValue],
    ];
    for (const [name, rules] of cases) {
      it(`${name}: some seed of the sweep breaks agreement`, () => {
        const found = firstUnsafeSeed({ rules });
        assert.ok(found, `no seed in 1..200 exposed: ${name}`);
        assert.match(found.message, /^agreement broken in slot 0: two values chosen: "[xyz]" \(.* at [\d.]+ ms\) and "[xyz]" \(.* at [\d.]+ ms\)$/);
      });
    }
    for (const [name, rules] of [
      ['never persisting', brokenPaxosRules.neverPersist],
      ['replying before persisting', brokenPaxosRules.replyBeforePersist],
    ] as const) {
      it(`${name}: a crash right after the reply makes the acceptor forget, two values are chosen (scripted)`, () => {
        const bad = forgetfulAcceptor(1, rules);
        assert.equal(bad.agreement.ok, false);
        assert.match(!bad.agreement.ok ? bad.agreement.message : '', /^agreement broken in slot 0: two values chosen: "x" \(accepted by a majority with ballot 1\.p1, completed by a\d at [\d.]+ ms\) and "y" \(accepted by a majority with ballot 1\.p2, completed by a\d at [\d.]+ ms\)$/);
      });
    }
    it('the reference handler persists before it replies: the same crash forgets nothing', () => {
      const good = forgetfulAcceptor(1);
      assert.deepEqual(good.agreement, { ok: true });
      assert.equal(good.cluster.learnedValues().l1?.value, 'x');
    });
  });
});
