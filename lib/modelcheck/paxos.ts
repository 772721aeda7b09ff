import { ConfigError, NodeId, TraceEvent, assertNever, requireInteger } from '../core';
import { Acceptor } from '../protocols/paxos/acceptor';
import { Learner } from '../protocols/paxos/learner';
import { Ballot, PaxosMessage, PaxosTimer, PaxosValue, compareBallots, formatBallot } from '../protocols/paxos/messages';
import { Proposer, ProposerState } from '../protocols/paxos/proposer';
import { AcceptorState, PaxosRules, resolvePaxosRules } from '../protocols/paxos/rules';
import { LearnerState } from '../protocols/paxos/learner';
import { ExploreOptions, ExploreResult, ModelNode, ModelSpec, explore } from './explore';

/**
 * Basic Paxos (Lamport 2001 §2) as a model for `explore`: the real Acceptor, Proposer and
 * Learner classes, re-instantiated around cloned states. Timers are modelled as a bounded
 * number of Retry firings per proposer: `retries: 0` means each proposer runs one round
 * ("proposes once"), `retries: 1` up to two rounds.
 */
export interface PaxosModelOptions {
  /** How many acceptors. Default 3. */
  acceptors?: number;
  /** One value per proposer. Default ['x', 'y']. */
  proposers?: PaxosValue[];
  /** How many Retry firings (new rounds, or Chosen re-sends) each proposer may have. Default 0. */
  retries?: number;
  /** How many learners. Default 0 (agreement is judged from acceptances and proposers). */
  learners?: number;
  rules?: Partial<PaxosRules>;
  /**
   * How many acceptor crashes a run may have (over all acceptors). A crash loses the
   * acceptor's volatile state; it restarts from what it stored with `ctx.persist` (its `init`
   * runs again). A crash may also strike in the middle of a handler, after any send or
   * persist: the effects before it happened, the rest did not. Default 0.
   */
  crashes?: number;
  /**
   * Symmetry reduction over the acceptors (see symmetry.ts): about 4-6 times fewer states.
   * Sound when `chooseValue` does not depend on the order of the promises it is given (the
   * reference takes the highest ballot); leave it off for a learner's rules. Default false.
   */
  symmetry?: boolean;
}

/**
 * The ghost state (what the invariant needs that no node keeps): the values chosen so far,
 * and the acceptances that could still choose another one. A value is chosen when a
 * majority accepted one ballot with it (Lamport §2.2), or when a proposer or learner
 * announces it. Acceptors keep only their latest acceptance, so "a majority accepted (b, v)
 * at some time" needs this history; but once v is chosen, further votes for v can only
 * choose v again, so they are dropped: after a value is chosen, a correct run keeps the ghost
 * at { chosen: [v], votes: {} } and the states that differed only in old votes become one.
 */
export interface PaxosGhost {
  /** Values chosen so far, sorted: more than one is the violation. */
  chosen: PaxosValue[];
  /** Acceptances of values not chosen yet: ballot ("1.p1") -> its value and the acceptors that accepted it. */
  votes: Record<string, { value: PaxosValue; by: NodeId[] }>;
}

/**
 * The Paxos model. Invariant (Lamport §2.1, safety): at most one value is chosen, where a
 * value is chosen when a majority of acceptors accepted one ballot with it, or a proposer or
 * learner announced it. Acceptors may crash (`crashes`) and restart from their durable
 * store. Two shortcuts keep the space small without losing a behaviour, both read off the
 * Proposer code and independent of the rules: replies a proposer will ignore forever are
 * dropped (`proposerIgnoresForever`), and proposer states are put in a standard form
 * (`normalizeProposer`). The acceptors run the rules as given, every step.
 *
 * @example
 *   explore(paxosModel({ proposers: ['x', 'y'], retries: 0 })).ok; // true: safe at this size
 */
export function paxosModel(options: PaxosModelOptions = {}): ModelSpec<PaxosMessage, PaxosTimer, PaxosGhost> {
  const acceptors = Array.from({ length: requireInteger('acceptors', options.acceptors ?? 3, 1) }, (_, i) => `a${i + 1}`);
  const values = options.proposers ?? ['x', 'y'];
  const proposers = values.map((_, i) => `p${i + 1}`);
  const learners = Array.from({ length: requireInteger('learners', options.learners ?? 0, 0) }, (_, i) => `l${i + 1}`);
  const rules = resolvePaxosRules(options.rules);
  const majority = Math.floor(acceptors.length / 2) + 1;
  const retries = requireInteger('retries', options.retries ?? 0, 0);
  const timerBudget: Record<NodeId, number> = {};
  for (const p of proposers) timerBudget[p] = retries;
  return {
    nodes: [...acceptors, ...proposers, ...learners],
    crashable: acceptors,
    symmetric: options.symmetry ? acceptors : [],
    crashes: requireInteger('crashes', options.crashes ?? 0, 0),
    instantiate: (id, state) => {
      if (id.startsWith('a')) return new Acceptor({ rules }, state as AcceptorState | undefined);
      if (id.startsWith('l')) return new Learner(state as LearnerState | undefined);
      const i = proposers.indexOf(id);
      return new Proposer({ value: values[i], acceptors, learners, rules }, state as ProposerState | undefined);
    },
    timers: (id, node) => (id.startsWith('p') && (node as Proposer).wantsRetry() ? [{ type: 'Retry', attempt: (node as Proposer).state.attempt }] : []),
    timerBudget,
    normalize: (id, state) => (id.startsWith('p') ? normalizeProposer(state as ProposerState, learners.length) : state),
    obsolete: (id, node, from, msg) => (id.startsWith('p') ? proposerIgnoresForever((node as Proposer).state, from, msg) : false),
    ghost: { chosen: [], votes: {} },
    notesCommute: true, // the ghost is a function of the set of notes (votes and announcements)
    observe: (ghost, node, text, data) => {
      const d = data as { ballot: Ballot; value: PaxosValue };
      if (ghost.chosen.includes(d.value)) return ghost;
      if (text === 'accepted') {
        const key = formatBallot(d.ballot);
        const vote = ghost.votes[key] ?? { value: d.value, by: [] };
        if (vote.by.includes(node)) return ghost;
        const by = [...vote.by, node].sort();
        if (by.length < majority) return { ...ghost, votes: { ...ghost.votes, [key]: { value: vote.value, by } } };
        return choose(ghost, vote.value);
      }
      if (text === 'chosen' || text === 'learned') return choose(ghost, d.value);
      return ghost;
    },
    invariant: ({ ghost }) => (ghost.chosen.length <= 1 ? null : `agreement broken in slot 0: ${ghost.chosen.map((v) => JSON.stringify(v)).join(' and ')} chosen`),
    explain: (trace, violation) => explainAgreement(trace, majority) ?? violation,
  };
}

/** The ghost after `value` is chosen: it joins `chosen`, and its votes are dropped. */
function choose(ghost: PaxosGhost, value: PaxosValue): PaxosGhost {
  const votes: PaxosGhost['votes'] = {};
  for (const key in ghost.votes) if (ghost.votes[key].value !== value) votes[key] = ghost.votes[key];
  return { chosen: [...ghost.chosen, value].sort(), votes };
}

/**
 * The violation in full, from a counterexample's trace: every acceptance, and how each value
 * came to be chosen ("x" (accepted by a1, a2 with ballot 1.p1) and "y" (...)), or null.
 */
function explainAgreement(trace: readonly TraceEvent[], majority: number): string | null {
  const votes = new Map<string, { value: PaxosValue; by: Set<NodeId> }>();
  const announced: PaxosValue[] = [];
  for (const e of trace) {
    if (e.kind !== 'annotate') continue;
    const d = e.data as { ballot: Ballot; value: PaxosValue };
    if (e.text === 'accepted') {
      const key = formatBallot(d.ballot);
      const vote = votes.get(key) ?? { value: d.value, by: new Set<NodeId>() };
      vote.by.add(e.node);
      votes.set(key, vote);
    } else if (e.text === 'chosen' || e.text === 'learned') {
      announced.push(d.value);
    }
  }
  const chosen = new Map<PaxosValue, string>();
  for (const key of [...votes.keys()].sort()) {
    const vote = votes.get(key) as { value: PaxosValue; by: Set<NodeId> };
    if (vote.by.size >= majority && !chosen.has(vote.value)) chosen.set(vote.value, `accepted by ${[...vote.by].sort().join(', ')} with ballot ${key}`);
  }
  for (const value of announced) if (!chosen.has(value)) chosen.set(value, 'announced');
  if (chosen.size <= 1) return null;
  return `agreement broken in slot 0: ${[...chosen].map(([v, how]) => `${JSON.stringify(v)} (${how})`).join(' and ')}`;
}

/**
 * The defaults of `checkPaxosModel`: the small configuration of the graded search test.
 * 3 acceptors, 2 proposers each proposing once, one acceptor crash (anywhere, also in the
 * middle of a handler), every order of delivery, loss and duplication ('set' network), no
 * symmetry reduction (a learner's rules need not treat acceptors alike). The reference is
 * proven safe in well under a second; every rule in `brokenPaxosRules` that breaks safety,
 * and both durability bugs, give a counterexample (see lib/modelcheck/README.md).
 */
export const paxosCheckDefaults: Readonly<Required<Pick<PaxosModelOptions, 'acceptors' | 'retries' | 'crashes' | 'symmetry'>>> = {
  acceptors: 3,
  retries: 0,
  crashes: 1,
  symmetry: false,
};

/**
 * Model-checks Basic Paxos at a small size (the `paxosCheckDefaults` unless overridden)
 * with the given rules.
 *
 * @example
 *   const r = checkPaxosModel({ rules: brokenPaxosRules.ignoreAcceptedValue });
 *   r.ok;                                  // false
 *   r.counterexample?.description;         // the shortest run that chooses two values
 *   checkPaxosModel({ retries: 1, symmetry: true }, { clock: () => performance.now() }); // 'twice'
 */
export function checkPaxosModel(options: PaxosModelOptions = {}, exploreOptions: ExploreOptions = {}): ExploreResult {
  return explore(paxosModel({ ...paxosCheckDefaults, ...options }), { network: 'set', ...exploreOptions });
}

/**
 * True when a proposer in state `s` ignores `msg` now and forever (see ModelSpec.obsolete):
 * read off Proposer.onMessage, using that a proposer's ballot only grows, a phase is never
 * re-entered with the same ballot, and 'done' is final. Replies for an older ballot, or for
 * a phase it has left, are dead; so is a Nack that preempts nothing (its promise is not above
 * the ballot), a second Accepted from the same acceptor, and all but acks once it is done.
 * Acceptors get no such shortcut: their rules may be a learner's, and the model must run them.
 */
export function proposerIgnoresForever(s: ProposerState, from: NodeId, msg: PaxosMessage): boolean {
  if (s.phase === 'done' && msg.type !== 'ChosenAck') return true;
  const behind = (ballot: Ballot) => s.ballot !== null && compareBallots(ballot, s.ballot) < 0;
  const current = (ballot: Ballot) => s.ballot !== null && compareBallots(ballot, s.ballot) === 0;
  switch (msg.type) {
    case 'Promise':
      return behind(msg.ballot) || (current(msg.ballot) && s.phase !== 'prepare');
    case 'Accepted':
      return behind(msg.ballot) || (current(msg.ballot) && (s.phase !== 'accept' || s.accepts.includes(from)));
    case 'Nack':
      return compareBallots(msg.promised, msg.ballot) <= 0 || behind(msg.ballot) || (current(msg.ballot) && (s.phase === 'waiting' || s.phase === 'done'));
    case 'ChosenAck':
      return s.acked.includes(from);
    case 'Prepare':
    case 'Accept':
    case 'Chosen':
      return true; // proposers never act on these
    default:
      return assertNever(msg, 'message');
  }
}

/**
 * A proposer state in a standard form that behaves the same in the model (see
 * ModelSpec.normalize), read off Proposer:
 * - `attempt` only tells a stale Retry timer from the current one, and the model only ever
 *   fires the current one: 0.
 * - `highestSeenRound` only counts through max(round, highestSeenRound) when the next round
 *   is picked: 0 once it is not above `round`.
 * - 'waiting' (preempted, until the Retry): the half-collected promises and accepts of the
 *   abandoned ballot are never read again (startRound resets them): emptied.
 * - 'done' with every learner's acknowledgement: it never acts again (every message is
 *   obsolete, and it wants no Retry), so only its phase, value and acks are kept.
 */
export function normalizeProposer(s: ProposerState, learners: number): ProposerState {
  if (s.phase === 'done' && s.acked.length >= learners) {
    return { value: s.value, phase: 'done', round: 0, highestSeenRound: 0, ballot: null, promises: {}, proposed: null, accepts: [], chosen: null, acked: s.acked, attempt: 0 };
  }
  const out = { ...s, attempt: 0, highestSeenRound: s.highestSeenRound > s.round ? s.highestSeenRound : 0 };
  if (s.phase === 'waiting') {
    out.promises = {};
    out.accepts = [];
    out.proposed = null;
  }
  return out;
}
