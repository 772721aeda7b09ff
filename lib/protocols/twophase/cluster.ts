import { atomicity, AtomicityResult } from '../../checkers/atomicity';
import { ConfigError, NodeId, requireInteger, requireNumberInRange } from '../../core';
import { FaultStep, NetworkOptions, Simulator } from '../../sim';
import { TwoPhaseCoordinator } from './coordinator';
import { LockInterval, lockIntervals } from './locks';
import { TransactionSpec, TxnId, VotePolicy, alwaysYes } from './messages';
import { TransactionOutcome, describeOutcomes, readOutcomes } from './outcomes';
import { TwoPhaseParticipant } from './participant';
import { CommitRules, resolveRules } from './rules';
import { ThreePhaseCoordinator } from './threephase-coordinator';
import { ThreePhaseParticipant } from './threephase-participant';

/**
 * Options of a commit cluster: one coordinator and N participants running 2PC or 3PC on the
 * simulator. Only `seed` is required; times are virtual milliseconds.
 */
export interface CommitClusterOptions {
  seed: number | string;
  /** '2pc' (default) or '3pc'. */
  protocol?: '2pc' | '3pc';
  /** How many participants (named p1..pN), or their names. Default 3. */
  participants?: number | NodeId[];
  /** The coordinator's name. Default 'c'. */
  coordinator?: NodeId;
  /** The workload. Default: one transaction t1 at 10 ms over all participants. */
  transactions?: TransactionSpec[];
  network?: Partial<NetworkOptions>;
  /** A fault script, scheduled before the run (see FaultStep). */
  faults?: FaultStep[];
  /** How participants vote (default: always yes). See `votesNo`. */
  vote?: VotePolicy;
  /** The pluggable decision rules (a learner's module fits here); the reference rules by default. */
  rules?: Partial<CommitRules>;
  /** Coordinator: how long to wait for votes. Default 50. */
  voteTimeoutMs?: number;
  /** 2PC: how often to re-send Prepare, the decision, or a blocked participant's question. Default 20. */
  retryMs?: number;
  /** 2PC participant: no Prepare this long after a transaction's start -> abort unilaterally. Default 200. */
  prepareTimeoutMs?: number;
  /** 2PC participant: how long to wait for the decision before it is blocked. Default 100. */
  decisionTimeoutMs?: number;
  /** 2PC: blocked participants also ask each other (cooperative termination). Default true. */
  cooperative?: boolean;
  /** 3PC coordinator: how long to wait for PreCommit acknowledgements before committing anyway. Default 50. */
  ackTimeoutMs?: number;
  /** 3PC participant: how long to wait for PreCommit, DoCommit, or a termination round. Default 150. */
  terminationTimeoutMs?: number;
  /** 3PC recovery coordinator: how long to collect state reports and acknowledgements. Default 30. */
  collectMs?: number;
  /** 3PC: 'elect' (termination protocol, default) or 'timeout' (classic timeouts, each participant alone). */
  termination?: 'elect' | 'timeout';
  recordTrace?: boolean;
  hashTrace?: boolean;
}

const knownOptions = [
  'seed', 'protocol', 'participants', 'coordinator', 'transactions', 'network', 'faults', 'vote', 'rules', 'voteTimeoutMs',
  'retryMs', 'prepareTimeoutMs', 'decisionTimeoutMs', 'cooperative', 'ackTimeoutMs', 'terminationTimeoutMs', 'collectMs', 'termination', 'recordTrace', 'hashTrace',
];

/**
 * A simulator with a coordinator and participants added, and the helpers a notebook or a test
 * needs: run it, read the outcomes, check atomicity, chart the locks.
 */
export interface CommitCluster {
  sim: Simulator;
  protocol: '2pc' | '3pc';
  coordinator: NodeId;
  participants: NodeId[];
  /** The workload, each transaction with its participant list filled in. */
  transactions: (TransactionSpec & { participants: NodeId[] })[];
  /** Runs to virtual time `untilMs`. */
  run(untilMs: number): void;
  /** True when every participant of every transaction has an outcome. */
  settled(): boolean;
  /** Runs until settled() or past `maxTimeMs` (default now + 10 s); returns settled(). */
  runUntilSettled(options?: { maxTimeMs?: number }): boolean;
  outcomes(): TransactionOutcome[];
  atomicity(): AtomicityResult;
  locks(): LockInterval[];
  /** One line per transaction (see describeOutcomes). */
  summary(): string;
}

/**
 * Builds a commit cluster: 2PC (Gray 1978; BHG §7.4) or 3PC (Skeen 1981; BHG §7.5) on a seeded
 * simulator. The same seed gives the same trace.
 *
 * @example
 *   const cluster = commitCluster({ seed: 7, participants: 3, transactions: [{ txn: 't1', atMs: 10 }] });
 *   cluster.runUntilSettled();
 *   cluster.summary();     // "t1 commit (decided commit by c at ...): p1 committed at ..."
 *   cluster.atomicity();   // { ok: true }
 */
export function commitCluster(options: CommitClusterOptions): CommitCluster {
  if (!options || typeof options !== 'object') throw new ConfigError('options', 'an object with at least a seed', options);
  for (const key of Object.keys(options)) {
    if (!knownOptions.includes(key)) throw new ConfigError(key, `one of the cluster options (${knownOptions.join(', ')})`, key);
  }
  const protocol = options.protocol ?? '2pc';
  if (protocol !== '2pc' && protocol !== '3pc') throw new ConfigError('protocol', "'2pc' or '3pc'", protocol);
  const coordinator = options.coordinator ?? 'c';
  const participants = participantNames(options.participants ?? 3);
  if (participants.includes(coordinator)) throw new ConfigError('coordinator', 'a name no participant has', coordinator);
  const transactions = (options.transactions ?? [{ txn: 't1', atMs: 10 }]).map((spec, i) => {
    if (!spec || typeof spec.txn !== 'string' || spec.txn === '') throw new ConfigError(`transactions[${i}].txn`, 'a non-empty string', spec?.txn);
    requireNumberInRange(`transactions[${i}].atMs`, spec.atMs, 0, Infinity);
    const list = spec.participants ?? participants;
    for (const p of list) if (!participants.includes(p)) throw new ConfigError(`transactions[${i}].participants`, `names among ${participants.join(', ')}`, p);
    return { txn: spec.txn, atMs: spec.atMs, participants: list.slice() };
  });
  if (new Set(transactions.map((t) => t.txn)).size !== transactions.length) throw new ConfigError('transactions', 'distinct txn names', transactions.map((t) => t.txn));
  const rules = resolveRules(options.rules);
  const vote = options.vote ?? alwaysYes;
  if (typeof vote !== 'function') throw new ConfigError('vote', 'a function (txn, participant) => yes or no', vote);
  const time = (name: keyof CommitClusterOptions, fallback: number) => requireNumberInRange(name, options[name] ?? fallback, 0, Infinity);
  const voteTimeoutMs = time('voteTimeoutMs', 50);
  const retryMs = time('retryMs', 20);
  if (retryMs <= 0) throw new ConfigError('retryMs', 'a number > 0', retryMs);

  const sim = new Simulator({ seed: options.seed, network: options.network, recordTrace: options.recordTrace, hashTrace: options.hashTrace });
  if (protocol === '2pc') {
    const decisionTimeoutMs = time('decisionTimeoutMs', 100);
    const prepareTimeoutMs = time('prepareTimeoutMs', 200);
    sim.addNode(coordinator, () => new TwoPhaseCoordinator({ participants, transactions, voteTimeoutMs, retryMs, rules }));
    for (const p of participants) {
      sim.addNode(p, () => new TwoPhaseParticipant({ vote, transactions, prepareTimeoutMs, decisionTimeoutMs, retryMs, cooperative: options.cooperative ?? true, rules }));
    }
  } else {
    const ackTimeoutMs = time('ackTimeoutMs', 50);
    const terminationTimeoutMs = time('terminationTimeoutMs', 150);
    const collectMs = time('collectMs', 30);
    const termination = options.termination ?? 'elect';
    if (termination !== 'elect' && termination !== 'timeout') throw new ConfigError('termination', "'elect' or 'timeout'", termination);
    sim.addNode(coordinator, () => new ThreePhaseCoordinator({ participants, transactions, voteTimeoutMs, ackTimeoutMs, retryMs, rules }));
    for (const p of participants) {
      sim.addNode(p, () => new ThreePhaseParticipant({ vote, terminationTimeoutMs, collectMs, termination, rules }));
    }
  }
  if (options.faults) sim.schedule(options.faults);

  // settled(): a running scan of the trace for outcome annotations.
  const needed = new Set<string>();
  for (const t of transactions) for (const p of t.participants) needed.add(key(t.txn, p));
  let scanned = 0;
  const settled = () => {
    if (!sim.trace.record) throw new ConfigError('recordTrace', 'true for settled(), outcomes() and atomicity()', false);
    const events = sim.trace.events;
    for (; scanned < events.length && needed.size > 0; scanned++) {
      const e = events[scanned];
      if (e.kind === 'annotate' && (e.text === 'commit' || e.text === 'abort')) {
        const txn = (e.data as { txn?: unknown } | undefined)?.txn;
        if (typeof txn === 'string') needed.delete(key(txn, e.node));
      }
    }
    return needed.size === 0;
  };

  return {
    sim,
    protocol,
    coordinator,
    participants,
    transactions,
    run: (untilMs) => sim.run({ untilMs }),
    settled,
    runUntilSettled: (runOptions = {}) => {
      const maxTimeMs = runOptions.maxTimeMs ?? sim.now() + 10_000;
      sim.runUntil(() => settled() || sim.now() > maxTimeMs, { maxEvents: 10_000_000 });
      return settled();
    },
    outcomes: () => readOutcomes(sim.trace.events, transactions),
    atomicity: () => atomicity(sim.trace.events),
    locks: () => lockIntervals(sim.trace.events, sim.now()),
    summary: () => describeOutcomes(readOutcomes(sim.trace.events, transactions)),
  };
}

/**
 * A vote policy where the listed participants vote NO on the listed transactions and
 * everyone else votes YES.
 *
 * @example
 *   commitCluster({ seed: 1, vote: votesNo({ p2: ['t1'] }) }); // p2 votes no on t1
 */
export function votesNo(noVotes: Record<NodeId, TxnId[]>): VotePolicy {
  return (txn, participant) => (noVotes[participant]?.includes(txn) ? 'no' : 'yes');
}

/** `count` transactions t1..tN, the first at `startMs`, then every `gapMs`. */
export function spacedTransactions(count: number, gapMs: number, startMs = 10): TransactionSpec[] {
  requireInteger('count', count, 1);
  return Array.from({ length: count }, (_, i) => ({ txn: `t${i + 1}`, atMs: startMs + i * gapMs }));
}

function participantNames(value: number | NodeId[]): NodeId[] {
  if (typeof value === 'number') {
    requireInteger('participants', value, 1);
    return Array.from({ length: value }, (_, i) => `p${i + 1}`);
  }
  if (!Array.isArray(value) || value.length === 0 || value.some((p) => typeof p !== 'string' || p === '')) {
    throw new ConfigError('participants', 'a count >= 1 or a non-empty array of names', value);
  }
  if (new Set(value).size !== value.length) throw new ConfigError('participants', 'distinct names', value);
  return value.slice();
}

function key(txn: TxnId, node: NodeId): string {
  return `${txn}\u0000${node}`;
}
