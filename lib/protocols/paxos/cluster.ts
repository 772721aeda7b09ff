import { PaxosCheckResult, paxosAgreement, paxosChoices, paxosLearned } from '../../checkers/paxos';
import { ConfigError, NodeId, requireInteger, requireNumberInRange } from '../../core';
import { FaultStep, NetworkOptions, Simulator } from '../../sim';
import { Acceptor } from './acceptor';
import { Learner } from './learner';
import { PaxosValue, Proposal } from './messages';
import { Proposer } from './proposer';
import { PaxosRules, resolvePaxosRules } from './rules';

/** Options of a Basic Paxos cluster. Only `seed` is required; times are virtual milliseconds. */
export interface PaxosClusterOptions {
  seed: number | string;
  /** How many acceptors (a1..aN). Default 3. */
  acceptors?: number;
  /** One value per proposer (p1..pK). Default ['x', 'y']: two proposers that compete. */
  proposers?: PaxosValue[];
  /** When each proposer sends its first Prepare (index-aligned with `proposers`). Default all 0. */
  startAtMs?: number[];
  /** How many learners (l1..lM). Default 2. */
  learners?: number;
  network?: Partial<NetworkOptions>;
  /** A fault script, scheduled before the run. */
  faults?: FaultStep[];
  /** Proposer back-off after a Nack, uniform(0, backoffMs). Default 30; 0 shows the livelock. */
  backoffMs?: number;
  /** Proposer phase timeout. Default 50. */
  timeoutMs?: number;
  /** The pluggable rules (a learner's module); the references by default. */
  rules?: Partial<PaxosRules>;
  recordTrace?: boolean;
  hashTrace?: boolean;
}

const knownOptions = ['seed', 'acceptors', 'proposers', 'startAtMs', 'learners', 'network', 'faults', 'backoffMs', 'timeoutMs', 'rules', 'recordTrace', 'hashTrace'];

/** A simulator with Paxos nodes added, and what a notebook or a test needs to run and judge it. */
export interface PaxosCluster {
  sim: Simulator;
  acceptors: NodeId[];
  proposers: NodeId[];
  learners: NodeId[];
  run(untilMs: number): void;
  /** True when every learner has learned a value. */
  allLearned(): boolean;
  /** Runs until allLearned() or past `maxTimeMs` (default now + 5 s); returns allLearned(). */
  runUntilLearned(options?: { maxTimeMs?: number }): boolean;
  /** Safety: at most one value chosen (see paxosAgreement). */
  agreement(): PaxosCheckResult;
  /** Liveness: every learner learned the chosen value (see paxosLearned). */
  learned(): PaxosCheckResult;
  /** What each learner learned (null: nothing yet, or it is down). */
  learnedValues(): Record<NodeId, Proposal | null>;
  /** One line: the choices and when they were made. */
  summary(): string;
}

/**
 * Builds a Basic Paxos cluster (Lamport 2001 §2): acceptors a1..aN, proposers p1..pK each
 * with its own value, learners l1..lM, on a seeded simulator. Same seed, same trace.
 *
 * @example
 *   const c = paxosCluster({ seed: 1, acceptors: 3, proposers: ['x', 'y'] });
 *   c.runUntilLearned();
 *   c.agreement(); // { ok: true }
 *   c.summary();   // "slot 0: 'x' chosen by p1 with ballot 1.p1 at 9.3 ms; ..."
 */
export function paxosCluster(options: PaxosClusterOptions): PaxosCluster {
  if (!options || typeof options !== 'object') throw new ConfigError('options', 'an object with at least a seed', options);
  for (const key of Object.keys(options)) {
    if (!knownOptions.includes(key)) throw new ConfigError(key, `one of the cluster options (${knownOptions.join(', ')})`, key);
  }
  const acceptorCount = requireInteger('acceptors', options.acceptors ?? 3, 1);
  const values = options.proposers ?? ['x', 'y'];
  if (!Array.isArray(values) || values.length === 0 || values.some((v) => typeof v !== 'string')) {
    throw new ConfigError('proposers', 'a non-empty array of values (strings), one per proposer', values);
  }
  const learnerCount = requireInteger('learners', options.learners ?? 2, 0);
  const startAtMs = options.startAtMs ?? values.map(() => 0);
  startAtMs.forEach((t, i) => requireNumberInRange(`startAtMs[${i}]`, t, 0, Infinity));
  const backoffMs = requireNumberInRange('backoffMs', options.backoffMs ?? 30, 0, Infinity);
  const timeoutMs = requireNumberInRange('timeoutMs', options.timeoutMs ?? 50, 1, Infinity);
  const rules = resolvePaxosRules(options.rules);

  const acceptors = names('a', acceptorCount);
  const proposers = names('p', values.length);
  const learners = names('l', learnerCount);
  const sim = new Simulator({ seed: options.seed, network: options.network, recordTrace: options.recordTrace, hashTrace: options.hashTrace });
  for (const a of acceptors) sim.addNode(a, () => new Acceptor({ rules }));
  proposers.forEach((p, i) => {
    sim.addNode(p, () => new Proposer({ value: values[i], acceptors, learners, startAtMs: startAtMs[i] ?? 0, timeoutMs, backoffMs, rules }));
  });
  for (const l of learners) sim.addNode(l, () => new Learner());
  if (options.faults) sim.schedule(options.faults);

  const requireTrace = () => {
    if (!sim.trace.record) throw new ConfigError('recordTrace', 'true for agreement(), learned() and summary()', false);
    return sim.trace.events;
  };
  const learnedValues = () => {
    const out: Record<NodeId, Proposal | null> = {};
    for (const l of learners) out[l] = sim.node<Learner>(l)?.state.learned ?? null;
    return out;
  };
  const allLearned = () => learners.every((l) => sim.node<Learner>(l)?.state.learned != null);
  return {
    sim,
    acceptors,
    proposers,
    learners,
    run: (untilMs) => sim.run({ untilMs }),
    allLearned,
    runUntilLearned: (runOptions = {}) => {
      const maxTimeMs = runOptions.maxTimeMs ?? sim.now() + 5000;
      sim.runUntil(() => allLearned() || sim.now() > maxTimeMs, { maxEvents: 10_000_000 });
      return allLearned();
    },
    agreement: () => paxosAgreement(requireTrace(), { acceptors }),
    learned: () => paxosLearned(requireTrace(), learners, { acceptors }),
    learnedValues,
    summary: () => {
      const choices = paxosChoices(requireTrace(), { acceptors }).filter((r) => r.how !== 'learned');
      if (choices.length === 0) return 'slot 0: nothing chosen yet';
      return choices.map((r) => `slot ${r.slot}: ${JSON.stringify(r.value)} ${r.how} ${r.how === 'chosen' ? `by ${r.node} ` : ''}with ballot ${r.ballot?.round}.${r.ballot?.node} at ${Math.round(r.timeMs * 1000) / 1000} ms`).join('; ');
    },
  };
}

function names(prefix: string, count: number): NodeId[] {
  return Array.from({ length: count }, (_, i) => `${prefix}${i + 1}`);
}
