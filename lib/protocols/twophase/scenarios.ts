import { AtomicityResult } from '../../checkers/atomicity';
import { messageLabel } from '../../core';
import { Simulator } from '../../sim';
import { CommitCluster, CommitClusterOptions, commitCluster, spacedTransactions, votesNo } from './cluster';
import { LockInterval } from './locks';
import { TransactionOutcome } from './outcomes';

/**
 * The named experiments of the atomic-commitment notebook, each reproducible by its seed, each
 * with a last `options` argument for the knobs (timeouts, `cooperative`, `termination`, network):
 * what 2PC does when all goes well, when a participant votes no, when the coordinator crashes
 * (it blocks: Gray 1978 §5.8.3.3, BHG §7.4), and how 3PC finishes without the coordinator
 * but breaks under a partition (Skeen 1981; BHG §7.5).
 */

/** What a scenario returns: the run (its trace), the outcomes, the checker's verdict, the locks. */
export interface ScenarioResult {
  name: string;
  seed: number | string;
  description: string;
  cluster: CommitCluster;
  sim: Simulator;
  outcomes: TransactionOutcome[];
  atomicity: AtomicityResult;
  locks: LockInterval[];
  /** The outcomes in one line per transaction. */
  summary: string;
}

/**
 * 2PC with nothing going wrong: three transactions over three participants, all commit. Each
 * participant holds its locks from its YES vote to the Commit: two message delays.
 *
 * @example
 *   normalCommit(1).summary; // "t1 commit (decided commit by c at ...): p1 committed at ..."
 */
export function normalCommit(seed: number | string = 1, options: Partial<CommitClusterOptions> = {}): ScenarioResult {
  const cluster = commitCluster({ transactions: spacedTransactions(3, 30), ...options, seed });
  cluster.run(500);
  return finish('normalCommit', seed, 'Three 2PC transactions on a reliable network: every participant votes yes, all commit.', cluster);
}

/** 2PC where p2 votes NO on t1: p2 aborts at once, the coordinator decides abort, everyone aborts. */
export function abortOnNoVote(seed: number | string = 1, options: Partial<CommitClusterOptions> = {}): ScenarioResult {
  const cluster = commitCluster({ vote: votesNo({ p2: ['t1'] }), ...options, seed });
  cluster.run(300);
  return finish('abortOnNoVote', seed, 'p2 votes no on t1 (BHG §7.4: one NO vote aborts the transaction).', cluster);
}

/**
 * 2PC blocking: the coordinator crashes right after sending Prepare and stays down for
 * `downtimeMs`. The participants vote yes, time out, and are blocked: they may not decide
 * alone (the coordinator might have decided commit) and the cooperative termination protocol
 * cannot help (every peer is in doubt too), so they hold their locks until the coordinator
 * returns, finds `begin` without a decision in its log, and aborts.
 */
export function coordinatorCrashAfterPrepare(seed: number | string = 1, downtimeMs = 1000, options: Partial<CommitClusterOptions> = {}): ScenarioResult {
  const cluster = commitCluster({ ...options, seed, protocol: '2pc' });
  const { sim, coordinator } = cluster;
  runUntilSent(cluster, 'Prepare');
  sim.crash(coordinator);
  const backAtMs = sim.now() + downtimeMs;
  sim.at(backAtMs, () => sim.restart(coordinator), `restart ${coordinator}`);
  cluster.run(backAtMs + 500);
  return finish('coordinatorCrashAfterPrepare', seed,
    `The 2PC coordinator crashes right after sending Prepare and restarts ${downtimeMs} ms later; the participants are blocked meanwhile.`, cluster);
}

/**
 * 3PC without its coordinator: the coordinator crashes right after sending PreCommit (or,
 * with crashPoint 'after-can-commit', right after CanCommit) and comes back only 1 s later.
 * The participants time out, elect p1 as recovery coordinator, and finish on their own:
 * commit when anyone is precommitted, abort when everyone is uncertain.
 */
export function threePhaseWithoutCoordinator(
  seed: number | string = 1,
  crashPoint: 'after-pre-commit' | 'after-can-commit' = 'after-pre-commit',
  options: Partial<CommitClusterOptions> = {},
): ScenarioResult {
  const cluster = commitCluster({ ...options, seed, protocol: '3pc' });
  const { sim, coordinator } = cluster;
  runUntilSent(cluster, crashPoint === 'after-pre-commit' ? 'PreCommit' : 'CanCommit');
  sim.crash(coordinator);
  const backAtMs = sim.now() + 1000;
  sim.at(backAtMs, () => sim.restart(coordinator), `restart ${coordinator}`);
  cluster.run(backAtMs + 500);
  return finish('threePhaseWithoutCoordinator', seed,
    `The 3PC coordinator crashes right after sending ${crashPoint === 'after-pre-commit' ? 'PreCommit' : 'CanCommit'}; the participants terminate without it.`, cluster);
}

/**
 * 3PC under a partition: right after the coordinator sends PreCommit the network splits into
 * {c, p1} and {p2, p3}. p1 gets PreCommit, the coordinator commits when the other acks time
 * out, p1 commits; p2 and p3, uncertain, run the termination protocol among themselves and
 * abort. Both sides finish, differently: atomicity is broken, and the checker says where.
 * (With `termination: 'timeout'` the same happens sooner: the classic timeouts alone.)
 */
export function threePhasePartition(seed: number | string = 1, options: Partial<CommitClusterOptions> = {}): ScenarioResult {
  const cluster = commitCluster({ ...options, seed, protocol: '3pc' });
  const { sim, coordinator, participants } = cluster;
  runUntilSent(cluster, 'PreCommit');
  sim.partition([[coordinator, participants[0]], participants.slice(1)]);
  const healAtMs = sim.now() + 1000;
  sim.at(healAtMs, () => sim.heal(), 'heal');
  cluster.run(healAtMs + 500);
  return finish('threePhasePartition', seed,
    `A partition {${coordinator}, ${participants[0]}} | {${participants.slice(1).join(', ')}} right after PreCommit is sent: one side commits, the other aborts.`, cluster);
}

/** Runs until the coordinator has sent a message of this type (all of one handler's sends are then in the trace). */
export function runUntilSent(cluster: CommitCluster, type: string): void {
  const { sim, coordinator } = cluster;
  const sent = sim.runUntilEvent((e) => e.kind === 'send' && e.from === coordinator && messageLabel(e.msg) === type, { maxTimeMs: sim.now() + 10_000 });
  if (sent === null) throw new Error(`the coordinator never sent ${type} (${sim.describe()})`);
}

function finish(name: string, seed: number | string, description: string, cluster: CommitCluster): ScenarioResult {
  return {
    name,
    seed,
    description,
    cluster,
    sim: cluster.sim,
    outcomes: cluster.outcomes(),
    atomicity: cluster.atomicity(),
    locks: cluster.locks(),
    summary: cluster.summary(),
  };
}
