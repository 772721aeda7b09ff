import { PaxosCheckResult } from '../../checkers/paxos';
import { PaxosCluster, PaxosClusterOptions, paxosCluster } from './cluster';

/**
 * The named experiments of the Paxos notebook, each reproducible by its seed, each with a
 * last `options` argument for the knobs.
 */

/** What a scenario returns: the run (its trace), the two verdicts and a one-line summary. */
export interface PaxosScenarioResult {
  name: string;
  seed: number | string;
  description: string;
  cluster: PaxosCluster;
  agreement: PaxosCheckResult;
  learned: PaxosCheckResult;
  /** Virtual time of the first choice (a proposer's 'chosen'), or null if none within the run. */
  firstChosenAtMs: number | null;
  /** How many Prepare rounds the proposers started in all. */
  rounds: number;
  summary: string;
}

/**
 * Dueling proposers (Lamport §2.4, "Progress"): two proposers start together and preempt each
 * other's phase 2 with higher Prepares. With `backoffMs` 0 they retry at once and may go on
 * forever (the livelock the paper describes); a randomized back-off lets one finish. Compare
 * `rounds` and `firstChosenAtMs` across back-offs.
 *
 * @example
 *   duelingProposers(1, 0).rounds;  // many
 *   duelingProposers(1, 40).rounds; // a few
 */
export function duelingProposers(seed: number | string = 1, backoffMs = 30, untilMs = 2000, options: Partial<PaxosClusterOptions> = {}): PaxosScenarioResult {
  const cluster = paxosCluster({ proposers: ['x', 'y'], timeoutMs: 20, network: { latency: { kind: 'uniform', minMs: 1, maxMs: 5 } }, ...options, seed, backoffMs });
  cluster.sim.runUntil(() => cluster.allLearned() || cluster.sim.now() > untilMs, { maxEvents: 5_000_000 });
  return finish('duelingProposers', seed, `Two proposers start together; back-off uniform(0, ${backoffMs}) ms after a Nack.`, cluster);
}

/**
 * The forgetful acceptor (Lamport §2.2, last paragraph: an acceptor must remember what it
 * promised and accepted across a restart). p1 gets 'x' chosen by a1 and a2 (its link to a3 is
 * cut). a1 crashes and restarts. p2 then runs with its replies from a2 cut: it hears only a1
 * and a3. With `persistence: 'before-reply'` a1 still reports (1.p1, 'x') and p2 proposes
 * 'x'; with `persistence: 'none'` a1 has forgotten, p2 proposes 'y', and a1 and a3 choose it:
 * two values chosen, and the agreement checker says where.
 *
 * @example
 *   forgetfulAcceptor(1, 'none').agreement; // { ok: false, invariant: 'agreement', message: 'agreement broken in slot 0: ...' }
 */
export function forgetfulAcceptor(seed: number | string = 1, persistence: 'before-reply' | 'none' = 'none', options: Partial<PaxosClusterOptions> = {}): PaxosScenarioResult {
  const cluster = paxosCluster({
    proposers: ['x', 'y'],
    startAtMs: [0, 100],
    learners: 1,
    ...options,
    seed,
    persistence,
    faults: [
      { atMs: 0, action: 'cut', from: 'p1', to: 'a3' },
      { atMs: 50, action: 'crash', node: 'a1' },
      { atMs: 60, action: 'restart', node: 'a1' },
      { atMs: 90, action: 'cut', from: 'a2', to: 'p2' },
    ],
  });
  cluster.run(400);
  return finish('forgetfulAcceptor', seed, `a1 crashes and restarts after 'x' is chosen; acceptor persistence '${persistence}'.`, cluster);
}

function finish(name: string, seed: number | string, description: string, cluster: PaxosCluster): PaxosScenarioResult {
  const events = cluster.sim.trace.events;
  const first = events.find((e) => e.kind === 'annotate' && e.text === 'chosen');
  return {
    name,
    seed,
    description,
    cluster,
    agreement: cluster.agreement(),
    learned: cluster.learned(),
    firstChosenAtMs: first ? first.timeMs : null,
    rounds: events.filter((e) => e.kind === 'annotate' && e.text === 'prepare').length,
    summary: cluster.summary(),
  };
}
