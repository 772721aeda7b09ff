import { PaxosCheckResult } from '../../checkers/paxos';
import { PaxosCluster, PaxosClusterOptions, paxosCluster } from './cluster';
import { PaxosRules } from './rules';

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
  /** How many Prepare rounds the proposers started until the first choice (in all, if none). */
  rounds: number;
  summary: string;
}

/**
 * Dueling proposers (Lamport §2.4, "Progress"): three proposers start together and preempt
 * each other: one's Prepare raises the acceptors' promise just before another's Accept lands,
 * that one is rejected and starts a higher round, which preempts the next, and so on. With
 * `backoffMs` 0 they retry at once after a Nack and the duel can last many rounds; a
 * randomized back-off (uniform(0, backoffMs)) lets one round through. The network delays each
 * message 4-6 ms, and the phase timeout (60 ms) is well above a round trip, so rounds are lost
 * to preemption, not to timeouts. Compare `rounds` and `firstChosenAtMs` across back-offs.
 *
 * @example
 *   duelingProposers(26, 0).rounds;  // 25 rounds before a value is chosen
 *   duelingProposers(26, 40).rounds; // 5
 */
export function duelingProposers(seed: number | string = 1, backoffMs = 30, untilMs = 2000, options: Partial<PaxosClusterOptions> = {}): PaxosScenarioResult {
  const cluster = paxosCluster({ proposers: ['x', 'y', 'z'], timeoutMs: 60, network: { latency: { kind: 'uniform', minMs: 4, maxMs: 6 } }, ...options, seed, backoffMs });
  cluster.sim.runUntil(() => cluster.allLearned() || cluster.sim.now() > untilMs, { maxEvents: 5_000_000 });
  return finish('duelingProposers', seed, `${cluster.proposers.length} proposers start together; back-off uniform(0, ${backoffMs}) ms after a Nack.`, cluster);
}

/**
 * The forgetful acceptor (Lamport §2.2, last paragraph: an acceptor must remember what it
 * promised and accepted across a restart). p1 gets 'x' chosen by a1 and a2 (its link to a3 is
 * cut); a1 crashes right after its Accepted leaves (a crash in mid-handler,
 * `crash-after-send`) and restarts at 60 ms. p2 then runs with its replies from a2 cut: it
 * hears only a1 and a3. With the reference handler a1 wrote its acceptance before replying,
 * still reports (1.p1, 'x'), and p2 proposes 'x'. With `brokenPaxosRules.neverPersist` or
 * `.replyBeforePersist` the write never happened, a1 has forgotten, p2 proposes 'y', and a1
 * and a3 choose it: two values chosen, and the agreement checker says where.
 *
 * @example
 *   forgetfulAcceptor(1, brokenPaxosRules.replyBeforePersist).agreement; // { ok: false, invariant: 'agreement', ... }
 *   forgetfulAcceptor(1).agreement;                                     // { ok: true }
 */
export function forgetfulAcceptor(seed: number | string = 1, rules: Partial<PaxosRules> = {}, options: Partial<PaxosClusterOptions> = {}): PaxosScenarioResult {
  const cluster = paxosCluster({
    proposers: ['x', 'y'],
    startAtMs: [0, 100],
    learners: 1,
    ...options,
    seed,
    rules,
    faults: [
      { atMs: 0, action: 'cut', from: 'p1', to: 'a3' },
      { atMs: 0, action: 'crash-after-send', node: 'a1', msgType: 'Accepted' },
      { atMs: 60, action: 'restart', node: 'a1' },
      { atMs: 90, action: 'cut', from: 'a2', to: 'p2' },
    ],
  });
  cluster.run(400);
  const handler = rules.handleRequest === undefined ? 'the reference handler' : 'the given handler';
  return finish('forgetfulAcceptor', seed, `a1 crashes right after sending Accepted for 'x', and restarts; ${handler}.`, cluster);
}

/**
 * A second proposer must adopt a value already chosen (Lamport §2.2, P2c). On a network with a
 * constant 5 ms delay, p1 gets 'x' accepted by a1 and a2 (its link to a3 is cut), so 'x' is
 * chosen, but p1 crashes at 12 ms, before any Accepted reaches it: nobody knows. p2 starts at
 * 100 ms and hears only a1 and a3 (a2's replies to it are cut). a1's Promise carries
 * (1.p1, 'x'), so p2 must propose 'x', not its own 'y'. With
 * `brokenPaxosRules.ignoreAcceptedValue` it proposes 'y', a1 and a3 accept it, and two values
 * are chosen.
 *
 * @example
 *   adoptChosenValue(1).cluster.learnedValues(); // { l1: { ballot: 1.p2, value: 'x' } }
 */
export function adoptChosenValue(seed: number | string = 1, rules: Partial<PaxosRules> = {}, options: Partial<PaxosClusterOptions> = {}): PaxosScenarioResult {
  const cluster = paxosCluster({
    proposers: ['x', 'y'],
    startAtMs: [0, 100],
    learners: 1,
    network: { latency: { kind: 'constant', ms: 5 } },
    ...options,
    seed,
    rules,
    faults: [
      { atMs: 0, action: 'cut', from: 'p1', to: 'a3' },
      { atMs: 12, action: 'crash', node: 'p1' },
      { atMs: 90, action: 'cut', from: 'a2', to: 'p2' },
    ],
  });
  cluster.run(400);
  return finish('adoptChosenValue', seed, "'x' is chosen by a1 and a2 but its proposer p1 crashes; p2 hears of it from a1 alone.", cluster);
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
    rounds: events.filter((e) => e.kind === 'annotate' && e.text === 'prepare' && (first === undefined || e.timeMs <= first.timeMs)).length,
    summary: cluster.summary(),
  };
}
