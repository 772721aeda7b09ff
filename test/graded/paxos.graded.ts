/**
 * Graded tests of the Basic Paxos exercise (exercises/paxos.ts): the acceptor's promises
 * (onPrepare, onAccept), the proposer's value choice (chooseValue) and the acceptor's
 * write-before-reply (handleRequest). Unit cases check each contract and name the rule a
 * wrong answer breaks; then the learner's four functions run inside the real nodes, in
 * scripted scenarios, in seeded sweeps under loss, duplication, reordering, partitions and
 * crashes, and in the model checker that tries every delivery order at a small size.
 */
import { frozenCopy, gradedSuite, implementation, failRule as fail, callFrozenRule } from '../../lib/grade';
import {
  adoptChosenValue,
  forgetfulAcceptor,
  formatBallot,
  paxosChaosRun,
  referencePaxosRules,
  type AcceptorDecision,
  type AcceptorRequest,
  type AcceptorState,
  type Ballot,
  type PaxosRules,
  type Proposal,
} from '../../lib/protocols/paxos';
import { checkPaxosModel } from '../../lib/modelcheck';
import { multiPaxosChaosRun } from '../../lib/protocols/multipaxos';

type Exercise = typeof import('../../solutions/paxos');

/** The learner's four functions (or the reference, with --target solutions), as the nodes take them. */
function rules(): PaxosRules {
  const module = implementation<Exercise>('paxos');
  return {
    onPrepare: module.onPrepare,
    onAccept: module.onAccept,
    chooseValue: module.chooseValue,
    handleRequest: (io, request) => module.handleRequest(io, request),
  };
}

const b = (round: number, node: string): Ballot => ({ round, node });
const p = (round: number, node: string, value: string): Proposal => ({ ballot: b(round, node), value });
const st = (promised: Ballot | null, accepted: Proposal | null = null): AcceptorState => ({ promised, accepted });

function show(value: unknown): string {
  return value === undefined ? 'undefined' : JSON.stringify(value);
}

function showState(state: AcceptorState): string {
  const accepted = state.accepted ? `(${formatBallot(state.accepted.ballot)}, ${JSON.stringify(state.accepted.value)})` : '-';
  return `{ promised: ${formatBallot(state.promised)}, accepted: ${accepted} }`;
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** A learner's rule on frozen input; writing to the input fails the test naming the rule. */
const callRule = <R>(rule: string, input: string, run: () => R): R => callFrozenRule(rule, `${rule}(${input})`, run, 'return a new state object; leave `state` as it was');

const PROMISE_RULE = 'P1 (promise): after Prepare(n), answer no Prepare numbered n or lower';
const ACCEPT_RULE = 'P1a (accept): accept no proposal numbered below the promise';
const REPORT_RULE = 'Promise carries the highest-numbered accepted proposal';
const CHOOSE_RULE = 'P2c (choose): propose the value of the highest-numbered accepted proposal reported';
const PERSIST_RULE = 'persist before replying (Paxos Made Simple §2.2, last paragraph)';

export default gradedSuite('paxos', [
  {
    name: 'onPrepare promises only to a strictly higher number',
    points: 2,
    description: 'onPrepare: promise to a number above every earlier promise; reject an equal or lower one, including the same number again and a lower node id in the same round.',
    run() {
      const { onPrepare } = rules();
      const cases: [AcceptorState, Ballot, 'promise' | 'reject', string][] = [
        [st(null), b(1, 'p1'), 'promise', 'nothing promised yet: promise'],
        [st(b(1, 'p1')), b(2, 'p1'), 'promise', 'a higher round: promise'],
        [st(b(1, 'p1')), b(1, 'p2'), 'promise', '(1, p2) is higher than (1, p1): same round, higher node id'],
        [st(b(2, 'p1')), b(1, 'p2'), 'reject', 'a lower round: reject'],
        [st(b(1, 'p2')), b(1, 'p1'), 'reject', '(1, p1) is lower than the promised (1, p2): comparing rounds alone is not enough'],
        [st(b(3, 'p2')), b(3, 'p2'), 'reject', 'promising twice to equal numbers: the promise to n already rules out another answer to n'],
        [st(b(2, 'p1'), p(1, 'p2', 'y')), b(2, 'p1'), 'reject', 'promising twice to equal numbers: the same n again is rejected'],
      ];
      for (const [state, n, expected, why] of cases) {
        const input = `${showState(state)}, n = ${formatBallot(n)}`;
        const result = callRule('onPrepare', input, () => onPrepare(frozenCopy(state), frozenCopy(n)));
        if (result?.reply !== expected) fail(PROMISE_RULE, `onPrepare(${input}) replied ${show(result?.reply)}, expected '${expected}'`, why);
        const wanted = expected === 'promise' ? st(n, state.accepted) : state;
        if (!sameJson(result.newState, wanted)) {
          fail(PROMISE_RULE, `onPrepare(${input}) returned newState ${show(result.newState)}, expected ${show(wanted)}`, expected === 'promise' ? 'a promise raises `promised` to n and keeps `accepted`' : 'a rejection leaves the state unchanged');
        }
      }
    },
  },
  {
    name: 'onAccept accepts nothing below the promise',
    points: 2,
    description: 'onAccept: accept a proposal numbered at or above the promise (raising the promise to it); reject one below, even in the same round.',
    run() {
      const { onAccept } = rules();
      const cases: [AcceptorState, Proposal, 'accepted' | 'reject', string][] = [
        [st(null), p(1, 'p1', 'x'), 'accepted', 'nothing promised: accept'],
        [st(b(1, 'p1')), p(1, 'p1', 'x'), 'accepted', 'the number it promised: accept'],
        [st(b(1, 'p1'), p(1, 'p1', 'x')), p(2, 'p2', 'y'), 'accepted', 'a higher number than promised: accept, and promise it too'],
        [st(b(2, 'p2')), p(1, 'p1', 'x'), 'reject', 'accepting below the promise: it promised (2, p2) to accept nothing lower'],
        [st(b(1, 'p2')), p(1, 'p1', 'x'), 'reject', 'accepting below the promise: (1, p1) is below (1, p2)'],
      ];
      for (const [state, proposal, expected, why] of cases) {
        const input = `${showState(state)}, proposal = (${formatBallot(proposal.ballot)}, ${JSON.stringify(proposal.value)})`;
        const result = callRule('onAccept', input, () => onAccept(frozenCopy(state), frozenCopy(proposal)));
        if (result?.reply !== expected) fail(ACCEPT_RULE, `onAccept(${input}) replied ${show(result?.reply)}, expected '${expected}'`, why);
        const wanted = expected === 'accepted' ? st(proposal.ballot, proposal) : state;
        if (!sameJson(result.newState, wanted)) {
          fail(ACCEPT_RULE, `onAccept(${input}) returned newState ${show(result.newState)}, expected ${show(wanted)}`, expected === 'accepted' ? 'accepting (n, v) sets accepted to it and promised to n' : 'a rejection leaves the state unchanged');
        }
      }
    },
  },
  {
    name: 'a Promise carries the highest accepted proposal',
    points: 2,
    description: 'onPrepare: the promise reports what the acceptor accepted (or null), so that a later proposer can find a value that may be chosen.',
    run() {
      const { onPrepare } = rules();
      const cases: [AcceptorState, Ballot][] = [
        [st(b(1, 'p1'), p(1, 'p1', 'x')), b(2, 'p2')],
        [st(b(4, 'p2'), p(3, 'p1', 'y')), b(5, 'p1')],
        [st(b(1, 'p1')), b(2, 'p1')],
      ];
      for (const [state, n] of cases) {
        const input = `${showState(state)}, n = ${formatBallot(n)}`;
        const result = callRule('onPrepare', input, () => onPrepare(frozenCopy(state), frozenCopy(n)));
        if (result?.reply !== 'promise') fail(PROMISE_RULE, `onPrepare(${input}) replied ${show(result?.reply)}, expected 'promise'`, 'n is higher than the promise');
        const carried = (result as { accepted?: unknown }).accepted;
        if (!sameJson(carried ?? null, state.accepted) || carried === undefined) {
          fail(REPORT_RULE, `onPrepare(${input}) promised with accepted = ${show(carried)}, expected ${show(state.accepted)}`, 'not returning the accepted value: a proposer that does not hear of it may propose another value over one already chosen');
        }
      }
    },
  },
  {
    name: 'chooseValue adopts the highest-numbered accepted value',
    points: 2,
    description: 'chooseValue: the value of the highest-ballot proposal among the promises; the proposer\'s own value only when none was reported.',
    run() {
      const { chooseValue } = rules();
      const cases: [(Proposal | null)[], string, string, string][] = [
        [[null, null], 'y', 'y', 'nothing accepted anywhere: any value may be proposed, so its own'],
        [[null, p(1, 'p1', 'x')], 'y', 'x', "proposing one's own value despite an accepted one: 'x' may already be chosen"],
        [[p(1, 'p1', 'x'), p(2, 'p2', 'z'), null], 'y', 'z', 'the highest ballot wins: (2, p2) is higher than (1, p1)'],
        [[p(3, 'p2', 'z'), p(3, 'p1', 'x')], 'y', 'z', 'same round: (3, p2) is higher than (3, p1); order of the list does not matter'],
        [[p(2, 'p1', 'x'), p(1, 'p3', 'z')], 'y', 'x', 'round 2 beats round 1 whatever the node ids'],
      ];
      for (const [promises, own, expected, why] of cases) {
        const input = `[${promises.map((q) => (q ? `(${formatBallot(q.ballot)}, ${JSON.stringify(q.value)})` : 'null')).join(', ')}], ${JSON.stringify(own)}`;
        const got = callRule('chooseValue', input, () => chooseValue(frozenCopy(promises), own));
        if (got !== expected) fail(CHOOSE_RULE, `chooseValue(${input}) returned ${show(got)}, expected ${JSON.stringify(expected)}`, why);
      }
    },
  },
  {
    name: 'handleRequest persists before it replies',
    points: 2,
    description: 'handleRequest: decide with the rule, io.persist(newState), then io.reply(decision), for Prepare and Accept; then a scripted crash right after a reply must not make the acceptor forget.',
    run() {
      const learner = rules();
      const requests: [AcceptorState, AcceptorRequest][] = [
        [st(null), { type: 'Prepare', slot: 0, ballot: b(1, 'p1') }],
        [st(b(1, 'p1')), { type: 'Accept', slot: 0, ballot: b(1, 'p1'), value: 'x' }],
        [st(b(1, 'p1'), p(1, 'p1', 'x')), { type: 'Prepare', slot: 0, ballot: b(2, 'p2') }],
      ];
      for (const [state, request] of requests) {
        const calls: string[] = [];
        let persisted: AcceptorState | null = null;
        let replied: AcceptorDecision | null = null;
        const io = {
          state: frozenCopy(state),
          persist: (s: AcceptorState) => {
            calls.push('persist');
            persisted = s;
          },
          reply: (d: AcceptorDecision) => {
            calls.push('reply');
            replied = d;
          },
        };
        learner.handleRequest(io, frozenCopy(request), referencePaxosRules);
        const input = `${request.type}(${formatBallot(request.ballot)}${request.type === 'Accept' ? `, ${JSON.stringify(request.value)}` : ''}) with state ${showState(state)}`;
        const expected = (request.type === 'Prepare' ? referencePaxosRules.onPrepare(state, request.ballot) : referencePaxosRules.onAccept(state, { ballot: request.ballot, value: request.value })).newState;
        if (calls.filter((c) => c === 'reply').length !== 1) fail(PERSIST_RULE, `for ${input} handleRequest called io.reply ${calls.filter((c) => c === 'reply').length} times (calls: ${calls.join(', ') || 'none'})`, 'answer every request exactly once');
        if (!sameJson((replied as AcceptorDecision | null)?.newState, expected)) fail(PERSIST_RULE, `for ${input} handleRequest replied with newState ${show((replied as AcceptorDecision | null)?.newState)}, expected ${show(expected)}`, 'reply with what your onPrepare / onAccept decided');
        const firstPersist = calls.indexOf('persist');
        if (firstPersist === -1 || firstPersist > calls.indexOf('reply')) {
          fail(PERSIST_RULE, `for ${input} handleRequest called ${calls.join(', then ')}: not persisting before replying`, 'write the new state with io.persist first: once the reply has left, a crash before the write forgets a promise the proposer is counting on');
        }
        if (!sameJson(persisted, expected)) fail(PERSIST_RULE, `for ${input} handleRequest persisted ${show(persisted)}, expected the new state ${show(expected)}`, 'persist decision.newState');
      }
      const scenario = forgetfulAcceptor(1, { handleRequest: learner.handleRequest });
      if (!scenario.agreement.ok) {
        fail(PERSIST_RULE, `a1 crashed right after sending Accepted and restarted: ${scenario.agreement.message}`, 'the restarted acceptor did not remember its acceptance: persist before replying', { seed: 1 });
      }
    },
  },
  {
    name: 'a second proposer adopts a value already chosen',
    points: 2,
    description: "Scripted: 'x' is chosen by a1 and a2 but p1 crashes before anyone knows; p2 hears of 'x' from a1 alone and must propose 'x' (P2c).",
    run() {
      const scenario = adoptChosenValue(1, rules());
      if (!scenario.agreement.ok) fail(CHOOSE_RULE, scenario.agreement.message, "p2's majority {a1, a3} reported (1.p1, 'x'): it had to propose 'x'", { seed: 1 });
      const learned = scenario.cluster.learnedValues().l1;
      if (learned?.value !== 'x') fail(CHOOSE_RULE, `the learner learned ${show(learned?.value ?? null)}, expected "x"`, "p2 must finish p1's work: propose 'x' in round 1.p2", { seed: 1 });
    },
  },
  {
    name: 'agreement under loss, duplication, reordering, partitions and crashes',
    points: 4,
    timeoutMs: 60000,
    description: '300 seeded chaos runs, 3 acceptors and 3 proposers with your four functions: at most one value is ever chosen.',
    run(ctx) {
      const learner = rules();
      for (const seed of ctx.seeds(300)) {
        const result = paxosChaosRun(seed, { rules: learner });
        if (!result.safety.ok) {
          const lastTime = result.safety.records.reduce((t, r) => Math.max(t, r.timeMs), 0);
          fail(result.safety.invariant, result.safety.message, 'look at which acceptor accepted what, and what each Promise reported: the rules onPrepare, onAccept and chooseValue decide it', { seed, timeMs: lastTime });
        }
      }
    },
  },
  {
    name: 'a value is learned once the faults stop',
    points: 2,
    timeoutMs: 60000,
    description: 'Liveness: in the same 300 runs, within 2 s of healing every learner learns the chosen value.',
    run(ctx) {
      const learner = rules();
      for (const seed of ctx.seeds(300)) {
        const result = paxosChaosRun(seed, { rules: learner });
        if (!result.liveness.ok) {
          fail('liveness', result.liveness.message, 'a proposer must be able to win a round after the network heals: a rule that rejects too much (e.g. a Prepare higher than the promise) stalls everyone', { seed, timeMs: result.cluster.sim.now() });
        }
      }
    },
  },
  {
    name: 'every delivery order at 3 acceptors and 2 proposers is safe',
    points: 3,
    timeoutMs: 120000,
    description: 'The model checker explores every order of delivery with your rules inside (3 acceptors, 2 proposers, each proposing once) and must find no state where two values are chosen.',
    run(ctx) {
      const result = checkPaxosModel({ rules: rules() });
      ctx.log(`${result.statesExplored} states explored, complete: ${result.complete}`);
      if (!result.ok) {
        const cex = result.counterexample!;
        fail('agreement (model checker)', `${cex.violation}\nshortest counterexample, ${cex.steps.length} steps:\n${cex.description.join('\n')}`, 'read the steps: which acceptor answered what, and what the second proposer then proposed');
      }
      if (!result.complete) fail('model checker', `the search stopped after ${result.statesExplored} states without covering the whole space`, 'a rule that changes state on every message can make the space grow without end');
    },
  },
  {
    name: 'Multi-Paxos with your rules keeps one command per slot',
    points: 2,
    hidden: true,
    timeoutMs: 60000,
    description: 'Your onPrepare, onAccept and chooseValue inside Multi-Paxos (one instance per log slot, a leader that recovers half-done slots): 100 seeded chaos runs; every slot gets one command, every replica applies the same log, each client command runs once.',
    run(ctx) {
      const { onPrepare, onAccept, chooseValue } = rules();
      for (const seed of ctx.seeds(100)) {
        const result = multiPaxosChaosRun(seed, { rules: { onPrepare, onAccept, chooseValue } });
        if (!result.safety.ok) {
          fail(`Multi-Paxos ${result.safety.invariant}`, result.safety.message, 'a new leader recovers each slot with your chooseValue over the promises of its majority; the acceptors use your onPrepare and onAccept per slot', { seed });
        }
      }
    },
  },
]);
