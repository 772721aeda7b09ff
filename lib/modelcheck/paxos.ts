import { NodeId } from '../core';
import { Acceptor } from '../protocols/paxos/acceptor';
import { Learner } from '../protocols/paxos/learner';
import { PaxosMessage, PaxosTimer, PaxosValue, formatBallot, Ballot } from '../protocols/paxos/messages';
import { Proposer, ProposerState } from '../protocols/paxos/proposer';
import { AcceptorState, PaxosRules, resolvePaxosRules } from '../protocols/paxos/rules';
import { LearnerState } from '../protocols/paxos/learner';
import { ExploreOptions, ExploreResult, ModelSpec, explore } from './explore';

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
}

/**
 * The ghost state: every acceptance ever made (ballot -> value and the acceptors that
 * accepted it), and every value a proposer or learner announced. Acceptors keep only their
 * latest acceptance, so "a majority accepted (b, v) at some time" needs this history.
 */
export interface PaxosGhost {
  votes: Record<string, { value: PaxosValue; by: NodeId[] }>;
  announced: PaxosValue[];
}

/**
 * The Paxos model. Invariant (Lamport §2.1, safety): at most one value is chosen, where a
 * value is chosen when a majority of acceptors accepted one ballot with it, or a proposer or
 * learner announced it.
 *
 * @example
 *   explore(paxosModel({ proposers: ['x', 'y'], retries: 0 })).ok; // true: safe at this size
 */
export function paxosModel(options: PaxosModelOptions = {}): ModelSpec<PaxosMessage, PaxosTimer, PaxosGhost> {
  const acceptors = Array.from({ length: options.acceptors ?? 3 }, (_, i) => `a${i + 1}`);
  const values = options.proposers ?? ['x', 'y'];
  const proposers = values.map((_, i) => `p${i + 1}`);
  const learners = Array.from({ length: options.learners ?? 0 }, (_, i) => `l${i + 1}`);
  const rules = resolvePaxosRules(options.rules);
  const majority = Math.floor(acceptors.length / 2) + 1;
  const retries = options.retries ?? 0;
  const timerBudget: Record<NodeId, number> = {};
  for (const p of proposers) timerBudget[p] = retries;
  return {
    nodes: [...acceptors, ...proposers, ...learners],
    instantiate: (id, state) => {
      if (id.startsWith('a')) return new Acceptor({ rules }, state as AcceptorState | undefined);
      if (id.startsWith('l')) return new Learner(state as LearnerState | undefined);
      const i = proposers.indexOf(id);
      return new Proposer({ value: values[i], acceptors, learners, rules }, state as ProposerState | undefined);
    },
    timers: (id, node) => (id.startsWith('p') && (node as Proposer).wantsRetry() ? [{ type: 'Retry', attempt: (node as Proposer).state.attempt }] : []),
    timerBudget,
    ghost: { votes: {}, announced: [] },
    observe: (ghost, node, text, data) => {
      const d = data as { ballot: Ballot; value: PaxosValue };
      if (text === 'accepted') {
        const key = formatBallot(d.ballot);
        const vote = ghost.votes[key] ?? { value: d.value, by: [] };
        if (vote.by.includes(node)) return ghost;
        return { ...ghost, votes: { ...ghost.votes, [key]: { value: vote.value, by: [...vote.by, node].sort() } } };
      }
      if ((text === 'chosen' || text === 'learned') && !ghost.announced.includes(d.value)) {
        return { ...ghost, announced: [...ghost.announced, d.value].sort() };
      }
      return ghost;
    },
    invariant: (state) => {
      const chosen = new Map<PaxosValue, string>();
      for (const key of Object.keys(state.ghost.votes).sort()) {
        const vote = state.ghost.votes[key];
        if (vote.by.length >= majority && !chosen.has(vote.value)) chosen.set(vote.value, `accepted by ${vote.by.join(', ')} with ballot ${key}`);
      }
      for (const value of state.ghost.announced) if (!chosen.has(value)) chosen.set(value, 'announced');
      if (chosen.size <= 1) return null;
      return `agreement broken in slot 0: ${[...chosen].map(([v, how]) => `${JSON.stringify(v)} (${how})`).join(' and ')}`;
    },
  };
}

/**
 * Model-checks Basic Paxos at a small size with the given rules.
 *
 * @example
 *   const r = checkPaxosModel({ rules: brokenPaxosRules.ignoreAcceptedValue });
 *   r.ok;                                  // false
 *   r.counterexample?.description;         // the shortest run that chooses two values
 */
export function checkPaxosModel(options: PaxosModelOptions = {}, exploreOptions: ExploreOptions = {}): ExploreResult {
  // Loss is off by default: for safety a lost message is the same as one never delivered
  // (it may stay in flight forever), so explicit 'drop' steps only add states, not behaviours.
  return explore(paxosModel(options), { loss: false, ...exploreOptions });
}
