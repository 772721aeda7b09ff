import { strict as assert } from 'assert';
import { multiPaxosLiveness, multiPaxosSafety } from '../../lib/checkers/multipaxos';
import { AnnotateEvent, ConfigError, TraceEvent } from '../../lib/core';
import { AcceptorState, PaxosRules, Proposal, brokenPaxosRules, referencePaxosRules } from '../../lib/protocols/paxos';
import {
  MULTIPAXOS_KEYS,
  MultiPaxosNode,
  NOOP,
  acceptOneSlot,
  applyCommand,
  basicVsMultiPaxos,
  decodeCommand,
  emptyStateMachine,
  encodeCommand,
  laggingReplicaCatchesUp,
  leaderCrashWithHalfDoneSlots,
  multiPaxosChaosRun,
  multiPaxosCluster,
  prepareAllSlots,
} from '../../lib/protocols/multipaxos';

const b = (round: number, node: string) => ({ round, node });
const annotationsOf = (events: readonly TraceEvent[], text: string) => events.filter((e): e is AnnotateEvent => e.kind === 'annotate' && e.text === text);
const sendsOf = (events: readonly TraceEvent[], type: string) => events.filter((e) => e.kind === 'send' && (e.msg as { type: string }).type === type);

describe('Multi-Paxos (Lamport, Paxos Made Simple §3; van Renesse & Altinbuken, PMMC)', () => {
  describe('the acceptor: one promise for all slots, the Basic Paxos rules per slot', () => {
    const accepted = { 1: { ballot: b(1, 'n1'), value: 'c1#1 put x a' }, 3: { ballot: b(2, 'n2'), value: 'c1#2 put x b' } };

    it('a Prepare covers every slot >= fromSlot and reports what was accepted there (§3, phase 1 for all instances)', () => {
      const r = prepareAllSlots({ promised: b(2, 'n2'), accepted }, b(3, 'n3'), 2, referencePaxosRules);
      assert.deepEqual(r, { reply: 'promise', promised: b(3, 'n3'), report: [{ slot: 3, ballot: b(2, 'n2'), value: 'c1#2 put x b' }] });
      const all = prepareAllSlots({ promised: null, accepted }, b(1, 'n3'), 0, referencePaxosRules);
      assert.equal(all.reply === 'promise' && all.report.length, 2);
    });
    it('refuses a Prepare at or below its promise (P1a)', () => {
      assert.equal(prepareAllSlots({ promised: b(3, 'n3'), accepted }, b(3, 'n3'), 0, referencePaxosRules).reply, 'reject');
      assert.equal(prepareAllSlots({ promised: b(3, 'n3'), accepted }, b(2, 'n9'), 0, referencePaxosRules).reply, 'reject');
    });
    it('an Accept is judged on the slot view { promised, accepted in that slot }', () => {
      const state = { promised: b(2, 'n2'), accepted };
      assert.equal(acceptOneSlot(state, 5, { ballot: b(1, 'n1'), value: NOOP }, referencePaxosRules).reply, 'reject');
      const r = acceptOneSlot(state, 5, { ballot: b(2, 'n2'), value: NOOP }, referencePaxosRules);
      assert.deepEqual(r, { reply: 'accepted', promised: b(2, 'n2'), accepted: { ballot: b(2, 'n2'), value: NOOP } });
    });
    it("calls a learner's rules with exactly the Basic Paxos state of the slot", () => {
      const seen: AcceptorState[] = [];
      const rules: PaxosRules = {
        ...referencePaxosRules,
        onPrepare: (state, n) => (seen.push(state), referencePaxosRules.onPrepare(state, n)),
        onAccept: (state, p) => (seen.push(state), referencePaxosRules.onAccept(state, p)),
      };
      prepareAllSlots({ promised: b(1, 'n1'), accepted }, b(4, 'n4'), 3, rules);
      acceptOneSlot({ promised: b(4, 'n4'), accepted }, 1, { ballot: b(4, 'n4'), value: NOOP }, rules);
      assert.deepEqual(seen, [
        { promised: b(1, 'n1'), accepted: null },
        { promised: b(1, 'n1'), accepted: accepted[3] },
        { promised: b(4, 'n4'), accepted: accepted[1] },
      ]);
    });
  });

  describe('commands and the state machine', () => {
    it('encodes commands as readable Paxos values and back', () => {
      const c = { client: 'c2', seq: 7, op: 'append' as const, key: 'k', value: 'v.1' };
      assert.equal(encodeCommand(c), 'c2#7 append k v.1');
      assert.deepEqual(decodeCommand(encodeCommand(c)), c);
      assert.deepEqual(decodeCommand('c1#1 get x'), { client: 'c1', seq: 1, op: 'get', key: 'x' });
      assert.equal(decodeCommand(NOOP), null);
      assert.throws(() => decodeCommand('garbage'), /not a Multi-Paxos command/);
    });
    it('executes a (client, seq) at most once and answers a retry with the first result', () => {
      const m = emptyStateMachine();
      assert.deepEqual(applyCommand(m, { client: 'c1', seq: 1, op: 'append', key: 'x', value: 'a' }), { executed: true, result: null });
      assert.deepEqual(applyCommand(m, { client: 'c1', seq: 1, op: 'append', key: 'x', value: 'a' }), { executed: false, result: null });
      assert.deepEqual(applyCommand(m, { client: 'c1', seq: 2, op: 'get', key: 'x' }), { executed: true, result: 'a' });
      assert.deepEqual(applyCommand(m, { client: 'c1', seq: 2, op: 'get', key: 'x' }), { executed: false, result: 'a' });
      assert.equal(m.store.x, 'a');
    });
  });

  describe('a cluster on a reliable network', () => {
    it('five servers, two clients: every command decided once, logs equal, history linearizable', () => {
      const c = multiPaxosCluster({ seed: 1, servers: 5, clients: 2, commandsPerClient: 6 });
      assert.ok(c.runUntilSettled(), `seed 1: ${c.summary()}`);
      assert.deepEqual(c.safety(), { ok: true });
      assert.deepEqual(c.liveness(), { ok: true });
      assert.equal(c.linearizable().ok, true);
      const logs = Object.values(c.logs());
      assert.equal(logs[0].length, 12);
      for (const log of logs) assert.deepEqual(log, logs[0]);
    });
    it('phase 1 runs once per leadership; afterwards each command costs one Accept to each server (§3)', () => {
      const c = multiPaxosCluster({ seed: 2, servers: 5, clients: 1, commandsPerClient: 8, firstLeader: 'n1' });
      assert.ok(c.runUntilSettled(), `seed 2: ${c.summary()}`);
      const events = c.sim.trace.events;
      assert.equal(annotationsOf(events, 'prepare').length, 1, 'one phase 1');
      assert.equal(c.leader(), 'n1');
      assert.equal(sendsOf(events, 'Accept').length, 8 * 5);
      assert.equal(sendsOf(events, 'Prepare').length, 5);
    });
    it('a client may talk to any server: followers forward to the leader', () => {
      const c = multiPaxosCluster({ seed: 3, servers: 3, firstLeader: 'n1', workload: [{ commands: [{ op: 'put', key: 'x', value: '1' }, { op: 'get', key: 'x' }], firstServer: 'n3', startAtMs: 50 }] });
      assert.ok(c.runUntilSettled(), `seed 3: ${c.summary()}`);
      const forwarded = sendsOf(c.sim.trace.events, 'Request').filter((e) => e.kind === 'send' && e.from === 'n3' && e.to === 'n1');
      assert.ok(forwarded.length >= 1, 'n3 forwarded the request to n1');
      const gets = c.sim.history.filter((h) => h.f === 'get' && h.type === 'ok');
      assert.deepEqual(gets.map((h) => h.value), [{ key: 'x', value: '1' }]);
    });
    it('the acceptor persists before it replies, and a restart reloads its promise and accepted slots', () => {
      const c = multiPaxosCluster({ seed: 4, servers: 3, clients: 1, commandsPerClient: 4, firstLeader: 'n1' });
      assert.ok(c.runUntilSettled());
      const events = c.sim.trace.events;
      events.forEach((e, i) => {
        if (e.kind !== 'send' || (e.msg as { type: string }).type !== 'Accepted') return;
        const slot = (e.msg as { slot: number }).slot;
        const persisted = events.slice(0, i).some((p) => p.kind === 'persist' && p.node === e.from && p.key === MULTIPAXOS_KEYS.accepted(slot));
        assert.ok(persisted, `${e.from} sent Accepted for slot ${slot} at ${e.timeMs} ms before persisting it`);
      });
      const before = c.server('n2');
      assert.ok(before);
      const snapshot = JSON.stringify({ acceptor: before.acceptor, store: before.machine.store, log: c.logs().n2 });
      c.sim.crash('n2');
      c.sim.restart('n2');
      const after = c.server('n2');
      assert.ok(after);
      assert.equal(JSON.stringify({ acceptor: after.acceptor, store: after.machine.store, log: c.logs().n2 }), snapshot);
    });
    it('when the leader crashes, a follower times out (randomized) and wins with a higher ballot; commands go on', () => {
      const c = multiPaxosCluster({ seed: 5, servers: 5, firstLeader: 'n1', workload: [{ commands: Array.from({ length: 10 }, (_, i) => ({ op: 'append' as const, key: 'x', value: `${i}` })), thinkMs: 20 }], faults: [{ atMs: 80, action: 'crash', node: 'n1' }] });
      c.run(80);
      c.runUntilSettled({ maxTimeMs: 2000 });
      assert.ok(c.clientsDone(), `seed 5: ${c.summary()}`);
      const leaders = annotationsOf(c.sim.trace.events, 'leader').map((e) => (e.data as { ballot: { round: number } }).ballot.round);
      assert.ok(leaders.length >= 2 && leaders[leaders.length - 1] > leaders[0], `leaders' rounds ${leaders}`);
      assert.deepEqual(c.safety(), { ok: true });
      assert.equal(c.linearizable().ok, true);
    });
    it('same seed, same trace', () => {
      const h = () => multiPaxosChaosRun(42).cluster.sim.trace.hash();
      assert.equal(h(), h());
    });
    it("runs with a learner's rules: every rule is called", () => {
      const calls = { onPrepare: 0, onAccept: 0, chooseValue: 0 };
      const rules: Pick<PaxosRules, 'onPrepare' | 'onAccept' | 'chooseValue'> = {
        onPrepare: (s, n) => (calls.onPrepare++, referencePaxosRules.onPrepare(s, n)),
        onAccept: (s, p) => (calls.onAccept++, referencePaxosRules.onAccept(s, p)),
        chooseValue: (ps: readonly (Proposal | null)[], v) => (calls.chooseValue++, referencePaxosRules.chooseValue(ps, v)),
      };
      const r = leaderCrashWithHalfDoneSlots(1, { rules });
      assert.deepEqual(r.safety, { ok: true });
      assert.ok(calls.onPrepare > 0 && calls.onAccept > 0 && calls.chooseValue >= 3, JSON.stringify(calls));
    });
    it('rejects bad configuration with a ConfigError naming the option', () => {
      const bad: [object, RegExp][] = [
        [{ seed: 1, servers: 0 }, /^servers must be an integer >= 1, got 0$/],
        [{ seed: 1, leader: 'n1' }, /^leader must be one of the cluster options/],
        [{ seed: 1, firstLeader: 'n9' }, /^firstLeader must be one of the servers \(n1, n2, n3\), got "n9"$/],
        [{ seed: 1, heartbeatMs: 50, electionTimeoutMs: 40 }, /^electionTimeoutMs must be a number > heartbeatMs \(50\), got 40$/],
        [{ seed: 1, workload: [{ commands: [{ op: 'put', key: 'a b', value: '1' }] }] }, /^workload\[0\]\.commands\[0\]\.key must be a non-empty string without spaces/],
        [{ seed: 1, workload: [{ commands: [{ op: 'delete', key: 'a' }] }] }, /^workload\[0\]\.commands\[0\]\.op must be/],
      ];
      for (const [options, message] of bad) {
        assert.throws(() => multiPaxosCluster(options as never), (e: unknown) => e instanceof ConfigError && message.test(e.message), JSON.stringify(options));
      }
      assert.throws(() => basicVsMultiPaxos({ commands: 0 }), ConfigError);
    });
  });

  describe('scenarios', () => {
    for (const seed of [1, 2, 3]) {
      it(`seed ${seed}: a new leader re-proposes the chosen-but-unknown values and fills the gap with a no-op`, () => {
        const r = leaderCrashWithHalfDoneSlots(seed);
        const f = r.facts;
        assert.deepEqual(r.safety, { ok: true }, `seed ${seed}`);
        assert.deepEqual(r.liveness, { ok: true }, `seed ${seed}`);
        assert.equal(r.linearizability.ok, true, `seed ${seed}`);
        assert.notEqual(f.newLeader, null);
        assert.notEqual(f.newLeader, f.oldLeader);
        assert.deepEqual(
          f.recovered.map((x) => [x.slot, x.value, x.reported > 0]),
          [
            [f.chosenUnknown.slot, f.chosenUnknown.value, true],
            [f.minorityOnly.slot, NOOP, false],
            [f.chosenAfterGap.slot, f.chosenAfterGap.value, true],
          ],
          `seed ${seed}: ${JSON.stringify(f.recovered)}`,
        );
        assert.equal(f.log[f.chosenUnknown.slot], f.chosenUnknown.value);
        assert.equal(f.log[f.minorityOnly.slot], NOOP);
        assert.equal(f.log[f.chosenAfterGap.slot], f.chosenAfterGap.value);
        assert.ok(f.log.slice(f.chosenAfterGap.slot + 1).includes(f.minorityOnly.value), 'B, retried by its client, got a later slot');
      });
    }
    it('brokenPaxosRules.ignoreAcceptedValue: the new leader writes no-ops over chosen values, and the checker says where', () => {
      for (const seed of [1, 2, 3]) {
        const r = leaderCrashWithHalfDoneSlots(seed, { rules: brokenPaxosRules.ignoreAcceptedValue });
        assert.equal(r.safety.ok, false, `seed ${seed}: the broken rule went unnoticed`);
        assert.match(
          !r.safety.ok ? r.safety.message : '',
          /^agreement broken in slot [24]: two values chosen: "c[24]#1 put [xz] [AC]" \(accepted by a majority with ballot 1\.n1, .*\) and "noop" \(accepted by a majority with ballot \d+\.n\d, .*\)$/,
          `seed ${seed}`,
        );
      }
    });
    for (const seed of [1, 2]) {
      it(`seed ${seed}: a lagging replica catches up from the leader's Decisions, in order`, () => {
        const r = laggingReplicaCatchesUp(seed);
        const f = r.facts;
        assert.equal(f.missed, 12, `seed ${seed}`);
        assert.ok(f.catchUpRequests >= 1 && f.decisionsReplies >= 1, `seed ${seed}: ${JSON.stringify(f)}`);
        assert.ok(f.caughtUpAtMs !== null && f.caughtUpAtMs - f.restartedAtMs < 100, `seed ${seed}: ${JSON.stringify(f)}`);
        assert.ok(f.sameLog);
        const events = r.cluster.sim.trace.events;
        const newElections = annotationsOf(events, 'prepare').filter((e) => e.timeMs >= f.restartedAtMs);
        assert.deepEqual(newElections, [], 'caught up without a new election');
        const learned = annotationsOf(events, 'applied').filter((e) => e.node === f.lagging).map((e) => (e.data as { slot: number }).slot);
        assert.deepEqual(learned, Array.from({ length: 12 }, (_, i) => i));
        assert.deepEqual(r.safety, { ok: true });
      });
    }
  });

  describe('basic Paxos per command vs Multi-Paxos with a stable leader', () => {
    for (const servers of [3, 5]) {
      it(`${servers} servers: about 4n vs 2n consensus messages and 2 vs 1 round trips per command`, () => {
        const r = basicVsMultiPaxos({ commands: 6, servers, seed: 1 });
        assert.equal(r.basic.meanConsensusMessages, 4 * servers, r.summary);
        assert.equal(r.multi.meanConsensusMessages, 2 * servers, r.summary);
        assert.equal(r.basic.meanRoundTrips, 2, r.summary);
        assert.equal(r.multi.meanRoundTrips, 1, r.summary);
        assert.equal(r.rows.length, 12);
        assert.deepEqual(r.basic.cluster.safety(), { ok: true });
        assert.deepEqual(r.multi.cluster.safety(), { ok: true });
      });
    }
  });

  describe('the checker (lib/checkers/multipaxos.ts)', () => {
    const applied = (timeMs: number, node: string, slot: number, value: string, executed = true): AnnotateEvent => {
      const c = decodeCommand(value);
      return { kind: 'annotate', timeMs, node, text: 'applied', data: { slot, value, client: c?.client, seq: c?.seq, executed: c !== null && executed } };
    };
    it('flags a skipped slot, a different value in a slot, and a double execution', () => {
      const order = multiPaxosSafety([applied(1, 'n1', 0, 'c1#1 put x a'), applied(2, 'n1', 2, 'c1#2 put x b')]);
      assert.equal(!order.ok && order.message, 'n1 applied slot 2 at 2 ms, but the next slot in order was 1');
      const prefix = multiPaxosSafety([applied(1, 'n1', 0, 'c1#1 put x a'), applied(3, 'n2', 0, NOOP)]);
      assert.equal(!prefix.ok && prefix.message, 'prefix agreement broken in slot 0: n2 applied "noop" at 3 ms, but n1 applied "c1#1 put x a" at 1 ms');
      const twice = multiPaxosSafety([applied(1, 'n1', 0, 'c1#1 put x a'), applied(2, 'n1', 1, 'c1#1 put x a')]);
      assert.equal(!twice.ok && twice.message, 'n1 executed c1#1 twice: in slot 0 at 1 ms and in slot 1 at 2 ms');
      assert.deepEqual(multiPaxosSafety([applied(1, 'n1', 0, 'c1#1 put x a'), applied(2, 'n1', 1, 'c1#1 put x a', false)]), { ok: true });
    });
    it('liveness: names the commands never completed and the replica behind', () => {
      const invoke: TraceEvent = { kind: 'invoke', timeMs: 5, node: 'c1', opId: 1, process: 'c1', f: 'put', value: { key: 'x', value: 'a', seq: 1 } };
      const open = multiPaxosLiveness([invoke], ['n1']);
      assert.equal(!open.ok && open.message, '1 client command(s) never completed: c1\'s put {"key":"x","value":"a","seq":1} (invoked at 5 ms)');
      const behind = multiPaxosLiveness([applied(1, 'n1', 0, NOOP), applied(2, 'n1', 1, NOOP), applied(3, 'n2', 0, NOOP)], ['n1', 'n2']);
      assert.equal(!behind.ok && behind.message, 'n2 applied slots 0..0, but n1 applied up to slot 1');
    });
  });

  describe('chaos sweep: loss, duplication, reordering, crashes (f < n/2), partitions, then heal', () => {
    it('500 seeds, 3 servers: safe and linearizable throughout; every command answered and every replica caught up after healing', function () {
      this.timeout(60_000);
      const started = Date.now();
      const unsafe: string[] = [];
      const stuck: string[] = [];
      let duplicates = 0;
      let recoveries = 0;
      for (let seed = 1; seed <= 500; seed++) {
        const r = multiPaxosChaosRun(seed);
        if (!r.safety.ok) unsafe.push(`seed ${seed}: ${r.safety.message} (replay: ${r.replay})`);
        if (!r.linearizability.ok) unsafe.push(`seed ${seed}: ${r.linearizability.message} (replay: ${r.replay})`);
        if (!r.liveness.ok) stuck.push(`seed ${seed}: ${r.liveness.message} (replay: ${r.replay})`);
        const events = r.cluster.sim.trace.events;
        if (annotationsOf(events, 'applied').some((e) => (e.data as { client?: string; executed: boolean }).client !== undefined && !(e.data as { executed: boolean }).executed)) duplicates++;
        if (annotationsOf(events, 'recover').some((e) => (e.data as { reported: number }).reported > 0)) recoveries++;
      }
      assert.deepEqual(unsafe, [], 'safety');
      assert.deepEqual(stuck, [], 'liveness');
      assert.ok(duplicates >= 10, `retries put a command in two slots in only ${duplicates} seeds: the sweep does not exercise at-most-once`);
      assert.ok(recoveries >= 10, `a new leader recovered an accepted value in only ${recoveries} seeds`);
      assert.ok(Date.now() - started < 20_000, `the sweep took ${Date.now() - started} ms`);
    });
    it('five servers: 100 seeds, safe and live', function () {
      this.timeout(30_000);
      for (let seed = 1; seed <= 100; seed++) {
        const r = multiPaxosChaosRun(seed, { servers: 5 });
        assert.ok(r.safety.ok && r.liveness.ok && r.linearizability.ok, `seed ${seed}: ${!r.safety.ok ? r.safety.message : ''} ${!r.liveness.ok ? r.liveness.message : ''} (replay: ${r.replay})`);
      }
    });
    it('brokenPaxosRules.ignoreAcceptedValue: some seed of the sweep breaks agreement, and the failure names it', () => {
      let found: string | null = null;
      for (let seed = 1; seed <= 200 && found === null; seed++) {
        const r = multiPaxosChaosRun(seed, { rules: brokenPaxosRules.ignoreAcceptedValue });
        if (!r.safety.ok) found = `seed ${seed}: ${r.safety.message} (replay: ${r.replay})`;
      }
      assert.ok(found, 'no seed in 1..200 exposed ignoreAcceptedValue');
      assert.match(found, /^seed \d+: agreement broken in slot \d+: two values chosen: .* \(replay: multiPaxosChaosRun\(\d+, options\)\)$/);
    });
  });
});
