import { ConfigError } from '../../core';
import { Ballot, PaxosMessage, PaxosValue, Proposal, compareBallots } from './messages';

/**
 * The acceptor's two rules and the proposer's value choice, as pure functions with exact
 * contracts: the part of Paxos where the understanding lives (Lamport, "Paxos Made Simple",
 * §2.2), kept apart from message handling so that a learner can write them and graded tests
 * run the whole protocol, under faults and in the model checker, with the learner's rules
 * inside (pass them as `rules` to the nodes, to `paxosCluster`, `paxosChaosRun` or
 * `paxosModel`). The references below are the defaults.
 */

/** All of an acceptor's state, plain data; it is persisted whole before every reply. */
export interface AcceptorState {
  /** The highest proposal number it has promised (answered a Prepare for), or null. */
  promised: Ballot | null;
  /** The highest-numbered proposal it has accepted, or null. */
  accepted: Proposal | null;
}

/**
 * What the acceptor does with `Prepare(n)` (Lamport §2.2, phase 1b, and P1a).
 *
 * Contract:
 * - Promise iff `n` is strictly higher than `state.promised` (or nothing is promised yet):
 *   return `{ reply: 'promise', newState, accepted }` where `newState.promised` is `n`,
 *   `newState.accepted` is `state.accepted` unchanged, and `accepted` (what the Promise
 *   carries) is `state.accepted`: the highest-numbered proposal it has accepted, or null.
 * - Otherwise (n equal to or lower than its promise) return `{ reply: 'reject', newState }`
 *   with `newState` equal to `state`: the node sends a Nack carrying `newState.promised`.
 * - Do not mutate `state`. The node persists `newState` before it sends the reply.
 *
 * @example
 *   onPrepare({ promised: null, accepted: null }, { round: 1, node: 'p1' });
 *   // { reply: 'promise', newState: { promised: {round:1,node:'p1'}, accepted: null }, accepted: null }
 */
export type PrepareRule = (state: AcceptorState, n: Ballot) =>
  | { reply: 'promise'; newState: AcceptorState; accepted: Proposal | null }
  | { reply: 'reject'; newState: AcceptorState };

/**
 * What the acceptor does with `Accept(n, v)` (Lamport §2.2, phase 2b, and P1a: "an acceptor
 * can accept a proposal numbered n iff it has not responded to a prepare request having a
 * number greater than n").
 *
 * Contract:
 * - Accept iff `proposal.ballot` is equal to or higher than `state.promised` (or nothing is
 *   promised): return `{ reply: 'accepted', newState }` with `newState.accepted` = `proposal`
 *   and `newState.promised` = `proposal.ballot` (accepting n implies promising n).
 * - Otherwise return `{ reply: 'reject', newState }` with `newState` equal to `state` (a Nack).
 * - Do not mutate `state`. The node persists `newState` before it replies.
 *
 * @example
 *   onAccept({ promised: { round: 2, node: 'p2' }, accepted: null }, { ballot: { round: 1, node: 'p1' }, value: 'x' });
 *   // { reply: 'reject', newState: <unchanged> }
 */
export type AcceptRule = (state: AcceptorState, proposal: Proposal) => { reply: 'accepted' | 'reject'; newState: AcceptorState };

/**
 * The proposer's value for phase 2 (Lamport §2.2, P2c and phase 2a: "v is the value of the
 * highest-numbered proposal among the responses, or is any value if the responses reported
 * no proposals").
 *
 * Contract:
 * - `promises` holds what each Promise of a majority carried, one entry per acceptor (in
 *   acceptor-id order): the proposal that acceptor had accepted, or null.
 * - Return the `value` of the entry with the highest ballot; if every entry is null return
 *   `ownValue`.
 *
 * @example
 *   chooseValue([null, { ballot: { round: 1, node: 'p1' }, value: 'x' }], 'y'); // 'x'
 *   chooseValue([null, null], 'y');                                             // 'y'
 */
export type ChooseValueRule = (promises: readonly (Proposal | null)[], ownValue: PaxosValue) => PaxosValue;

/** What the acceptor's rules return: the reply to send and the state to hold from now on. */
export type AcceptorDecision = ReturnType<PrepareRule> | ReturnType<AcceptRule>;

/** The two requests an acceptor answers: phase 1a and phase 2a. */
export type AcceptorRequest = Extract<PaxosMessage, { type: 'Prepare' | 'Accept' }>;

/**
 * What the acceptor node lends a request handler: its state, its disk and its network.
 * - `state`: the acceptor's state now (a copy: changing it changes nothing).
 * - `persist(state)`: writes `state` to durable storage; only what is written survives a crash.
 * - `reply(decision)`: adopts `decision.newState` as the state in memory and sends the reply
 *   it stands for (Promise, Accepted or Nack) to the proposer. Call it exactly once.
 */
export interface AcceptorIO {
  readonly state: AcceptorState;
  persist(state: AcceptorState): void;
  reply(decision: AcceptorDecision): void;
}

/**
 * How the acceptor handles one Prepare or Accept (Lamport §2.2, last paragraph: "an acceptor
 * must remember this information even if it fails and then restarts"): decide with the rule,
 * make the new state durable, and only then reply. A reply is a promise to the proposer; if it
 * left before the write and the acceptor crashed in between, the restarted acceptor would
 * not know what it promised or accepted, and could accept a lower-numbered proposal or answer
 * a Prepare without the value it accepted: two values chosen.
 *
 * Contract:
 * - For a Prepare call `rules.onPrepare(io.state, request.ballot)`; for an Accept call
 *   `rules.onAccept(io.state, { ballot: request.ballot, value: request.value })`.
 * - Then `io.persist(decision.newState)`, then `io.reply(decision)`: in that order, each once.
 *
 * @example
 *   handleRequest(io, { type: 'Prepare', slot: 0, ballot: { round: 1, node: 'p1' } }, referencePaxosRules);
 *   // io.persist({ promised: 1.p1, accepted: null }), then io.reply({ reply: 'promise', ... })
 */
export type RequestHandler = (io: AcceptorIO, request: AcceptorRequest, rules: Pick<PaxosRules, 'onPrepare' | 'onAccept'>) => void;

/** The pluggable rules together: what a learner's module exports and a graded test passes in. */
export interface PaxosRules {
  onPrepare: PrepareRule;
  onAccept: AcceptRule;
  chooseValue: ChooseValueRule;
  handleRequest: RequestHandler;
}

/** Reference phase-1b rule: promise only to a number strictly above every earlier promise. */
export const onPrepare: PrepareRule = (state, n) => {
  if (compareBallots(n, state.promised) > 0) {
    return { reply: 'promise', newState: { promised: n, accepted: state.accepted }, accepted: state.accepted };
  }
  return { reply: 'reject', newState: state };
};

/** Reference phase-2b rule: accept unless a higher number has been promised. */
export const onAccept: AcceptRule = (state, proposal) => {
  if (compareBallots(proposal.ballot, state.promised) >= 0) {
    return { reply: 'accepted', newState: { promised: proposal.ballot, accepted: proposal } };
  }
  return { reply: 'reject', newState: state };
};

/** Reference phase-2a rule: the value of the highest-numbered accepted proposal reported, else one's own. */
export const chooseValue: ChooseValueRule = (promises, ownValue) => {
  let best: Proposal | null = null;
  for (const p of promises) if (p !== null && (best === null || compareBallots(p.ballot, best.ballot) > 0)) best = p;
  return best === null ? ownValue : best.value;
};

/** Reference acceptor handler: decide, persist, then reply. */
export const handleRequest: RequestHandler = (io, request, rules) => {
  const decision = decide(io.state, request, rules);
  io.persist(decision.newState);
  io.reply(decision);
};

/** The rule's decision on one request. */
function decide(state: AcceptorState, request: AcceptorRequest, rules: Pick<PaxosRules, 'onPrepare' | 'onAccept'>): AcceptorDecision {
  return request.type === 'Prepare' ? rules.onPrepare(state, request.ballot) : rules.onAccept(state, { ballot: request.ballot, value: request.value });
}

/** The reference rules: the defaults of every node, cluster, sweep and model. */
export const referencePaxosRules: PaxosRules = { onPrepare, onAccept, chooseValue, handleRequest };

/** The reference rules with the given ones swapped in; throws a ConfigError naming a rule that is not a function. */
export function resolvePaxosRules(rules: Partial<PaxosRules> = {}): PaxosRules {
  const out: PaxosRules = { ...referencePaxosRules };
  for (const name of Object.keys(referencePaxosRules) as (keyof PaxosRules)[]) {
    const rule = rules[name];
    if (rule === undefined) continue;
    if (typeof rule !== 'function') throw new ConfigError(`rules.${name}`, 'a function', rule);
    (out as unknown as Record<string, unknown>)[name] = rule;
  }
  return out;
}

/**
 * Classic wrong versions of the rules, each a one-line slip a learner makes. Tests and the
 * notebook show that the checkers catch every one (by seed, by script, or by the model
 * checker's shortest counterexample).
 */
export const brokenPaxosRules = {
  /** Accepts every Accept, even one numbered below its promise (breaks P1a). */
  acceptBelowPromise: { onAccept: (_state: AcceptorState, proposal: Proposal) => ({ reply: 'accepted' as const, newState: { promised: proposal.ballot, accepted: proposal } }) },
  /**
   * Compares rounds only, so (1, p1) counts as equal to a promised (1, p2), and promises again
   * to such an "equal" number, lowering its promise to it.
   */
  promiseEqualNumbers: {
    onPrepare: ((state, n) =>
      state.promised === null || n.round >= state.promised.round
        ? { reply: 'promise', newState: { promised: n, accepted: state.accepted }, accepted: state.accepted }
        : { reply: 'reject', newState: state }) as PrepareRule,
  },
  /** Promises correctly but leaves its accepted proposal out of the Promise. */
  forgetAcceptedInPromise: {
    onPrepare: ((state, n) => {
      const r = onPrepare(state, n);
      return r.reply === 'promise' ? { ...r, accepted: null } : r;
    }) as PrepareRule,
  },
  /** The proposer proposes its own value even when a Promise reported an accepted one (breaks P2c). */
  ignoreAcceptedValue: { chooseValue: ((_promises, ownValue) => ownValue) as ChooseValueRule },
  /** Replies first and writes afterwards: a crash between the two forgets a promise already given. */
  replyBeforePersist: {
    handleRequest: ((io, request, rules) => {
      const decision = decide(io.state, request, rules);
      io.reply(decision);
      io.persist(decision.newState);
    }) as RequestHandler,
  },
  /** Never writes its state: every crash and restart forgets all promises and acceptances. */
  neverPersist: { handleRequest: ((io, request, rules) => io.reply(decide(io.state, request, rules))) as RequestHandler },
} satisfies Record<string, Partial<PaxosRules>>;

/** Checks a rule's result shape, so a wrong answer fails with a message naming the rule and its input. */
export function checkReply<R extends string>(rule: keyof PaxosRules, result: unknown, allowed: readonly R[], input: () => string): R {
  const reply = (result as { reply?: unknown } | null)?.reply;
  const newState = (result as { newState?: unknown } | null)?.newState;
  if (typeof reply === 'string' && (allowed as readonly string[]).includes(reply) && newState && typeof newState === 'object') return reply as R;
  const shown = result === undefined ? 'undefined' : JSON.stringify(result);
  throw new Error(`${rule} returned ${shown} for ${input()}; it must return { reply: ${allowed.map((a) => `'${a}'`).join(' | ')}, newState: AcceptorState }`);
}
