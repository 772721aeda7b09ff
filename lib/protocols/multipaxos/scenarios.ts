import { LinearizabilityResult } from '../../checkers/linearizability';
import { MultiPaxosCheckResult } from '../../checkers/multipaxos';
import { AnnotateEvent, BudgetExceededError, NodeId, TraceEvent } from '../../core';
import { PaxosValue } from '../paxos/messages';
import { MultiPaxosCluster, MultiPaxosClusterOptions, multiPaxosCluster } from './cluster';
import { CommandSpec, encodeCommand } from './messages';

/**
 * The named experiments of the Multi-Paxos notebook, each reproducible by its seed, each with
 * a last `options` argument for the knobs (`rules` among them, so a learner's rules can be
 * run through the same story).
 */

/** What a scenario returns: the run (its trace), the verdicts and the facts it is about. */
export interface MultiPaxosScenarioResult<F> {
  name: string;
  seed: number | string;
  description: string;
  cluster: MultiPaxosCluster;
  safety: MultiPaxosCheckResult;
  liveness: MultiPaxosCheckResult;
  linearizability: LinearizabilityResult;
  facts: F;
  summary: string;
}

/** The facts of `leaderCrashWithHalfDoneSlots`. */
export interface HalfDoneSlotsFacts {
  /** The leader that crashed, and the one elected after it. */
  oldLeader: NodeId;
  newLeader: NodeId | null;
  /** The three commands the old leader proposed just before it crashed, and their slots. */
  chosenUnknown: { slot: number; value: PaxosValue };
  minorityOnly: { slot: number; value: PaxosValue };
  chosenAfterGap: { slot: number; value: PaxosValue };
  /** What the new leader re-proposed in each slot it recovered, and how many of its quorum reported a value. */
  recovered: { slot: number; value: PaxosValue; reported: number }[];
  /** The final log of a surviving replica. */
  log: PaxosValue[];
  /** Slots whose command a replica skipped because it was executed already (retries). */
  duplicatesSkipped: number;
}

/**
 * A leader crashes with half-done slots (Lamport §3: "some of instances 135-137 [...] may
 * have been chosen"; PMMC §3 the scout's pvalues). n1 leads five servers. With the replies to
 * n1 cut, so that it never learns what was chosen, it proposes three commands:
 *
 * - A in slot s: accepted by n1, n2, n3, a majority, so A is chosen, but nobody knows it;
 * - B in slot s+1: with n1's links to n2..n5 cut, accepted by n1 alone;
 * - C in slot s+2: accepted by n1, n2, n3 again: chosen, unknown.
 *
 * n1 crashes; the network heals. The next leader's phase 1 hears from three of n2..n5, so it
 * sees A (n2 or n3 reports it) and C, and nothing for s+1: it re-proposes A and C (the
 * highest-ballot accepted values, through `rules.chooseValue`) and fills s+1 with a no-op.
 * The clients of B retry, and B gets a later slot. With `brokenPaxosRules.ignoreAcceptedValue`
 * the new leader proposes no-ops over A and C, and the checker reports two values chosen.
 *
 * @example
 *   const r = leaderCrashWithHalfDoneSlots(1);
 *   r.facts.recovered; // [{ slot: 2, value: 'c2#1 put x A', reported: 2 }, { slot: 3, value: 'noop', reported: 0 }, { slot: 4, value: 'c4#1 put z C', reported: 2 }]
 */
export function leaderCrashWithHalfDoneSlots(seed: number | string = 1, options: Partial<MultiPaxosClusterOptions> = {}): MultiPaxosScenarioResult<HalfDoneSlotsFacts> {
  const servers = ['n1', 'n2', 'n3', 'n4', 'n5'];
  const warmup: CommandSpec[] = [
    { op: 'put', key: 'x', value: 'w1' },
    { op: 'put', key: 'y', value: 'w2' },
  ];
  const cluster = multiPaxosCluster({
    servers: 5,
    firstLeader: 'n1',
    workload: [{ commands: warmup, firstServer: 'n1', startAtMs: 20 }, { commands: [], firstServer: 'n1' }, { commands: [], firstServer: 'n1' }, { commands: [], firstServer: 'n1' }],
    ...options,
    seed,
  });
  const { sim } = cluster;
  const watch = traceWatcher(cluster);
  sim.runUntil(() => cluster.clientsDone() && cluster.caughtUp() && sim.now() > 20, { maxTimeMs: 1000 });
  const oldLeader = cluster.leader() ?? 'n1';
  const others = servers.filter((n) => n !== oldLeader);
  const [p, q] = others; // the two acceptors that, with the leader, make a majority for A and C
  const first = cluster.server(oldLeader)?.nextSlot ?? 0;

  for (const n of others) sim.cut(n, oldLeader); // the leader never hears Accepted: it learns nothing
  for (const n of others.slice(2)) sim.cut(oldLeader, n);
  const submit = (client: NodeId, command: CommandSpec) => {
    sim.inject(client, { type: 'Submit', command });
    return encodeCommand({ client, seq: 1, ...command });
  };
  const accepted = (value: PaxosValue, by: NodeId) => (e: AnnotateEvent) => e.text === 'accepted' && e.node === by && (e.data as { value?: unknown }).value === value;

  const a = submit('c2', { op: 'put', key: 'x', value: 'A' });
  watch.runUntilAll([accepted(a, p), accepted(a, q), accepted(a, oldLeader)]);
  sim.cut(oldLeader, p);
  sim.cut(oldLeader, q);
  const b = submit('c3', { op: 'put', key: 'y', value: 'B' });
  watch.runUntilAll([accepted(b, oldLeader)]);
  sim.heal(); // restore n1 -> n2, n3; then cut again what must stay cut
  for (const n of others) sim.cut(n, oldLeader);
  for (const n of others.slice(2)) sim.cut(oldLeader, n);
  const c = submit('c4', { op: 'put', key: 'z', value: 'C' });
  watch.runUntilAll([accepted(c, p), accepted(c, q), accepted(c, oldLeader)]);
  sim.crash(oldLeader);
  sim.heal();

  sim.runUntil(() => cluster.clientsDone() && others.every((n) => cluster.server(n)?.firstUndecided === cluster.server(others[0])?.firstUndecided), { maxTimeMs: sim.now() + 3000 });
  const newLeader = cluster.leader();
  sim.restart(oldLeader);
  cluster.runUntilSettled({ maxTimeMs: sim.now() + 3000 });

  const recovered = annotations(sim.trace.events, 'recover')
    .filter((e) => e.node === newLeader)
    .map((e) => e.data as { slot: number; value: PaxosValue; reported: number })
    .filter((d) => d.slot >= first && d.slot <= first + 2)
    .map((d) => ({ slot: d.slot, value: d.value, reported: d.reported }));
  const facts: HalfDoneSlotsFacts = {
    oldLeader,
    newLeader,
    chosenUnknown: { slot: first, value: a },
    minorityOnly: { slot: first + 1, value: b },
    chosenAfterGap: { slot: first + 2, value: c },
    recovered,
    log: cluster.logs()[others[0]],
    duplicatesSkipped: annotations(sim.trace.events, 'applied').filter((e) => e.node === others[0] && (e.data as { client?: string; executed: boolean }).client !== undefined && !(e.data as { executed: boolean }).executed).length,
  };
  return finish('leaderCrashWithHalfDoneSlots', seed, `${oldLeader} crashes after A (slot ${first}) and C (slot ${first + 2}) were chosen unknown to it and B (slot ${first + 1}) reached it alone.`, cluster, facts);
}

/** The facts of `laggingReplicaCatchesUp`. */
export interface LaggingReplicaFacts {
  lagging: NodeId;
  /** Slots decided while it was down. */
  missed: number;
  /** Its CatchUp requests and the Decisions replies it got. */
  catchUpRequests: number;
  decisionsReplies: number;
  /** When it restarted and when it had applied every slot (virtual ms). */
  restartedAtMs: number;
  caughtUpAtMs: number | null;
  /** Its log equals the leader's. */
  sameLog: boolean;
}

/**
 * A lagging replica catches up (PMMC §3; Raft §5.3 does the same with nextIndex): n5 is down
 * while the others decide `commands` commands. When it restarts, the leader's next Heartbeat
 * says "decided up to slot k"; n5 sees it is behind, sends CatchUp from its first undecided
 * slot, and applies the Decisions it gets back, in order.
 *
 * @example
 *   const r = laggingReplicaCatchesUp(1);
 *   r.facts.missed;   // 12
 *   r.facts.sameLog;  // true
 */
export function laggingReplicaCatchesUp(seed: number | string = 1, commands = 12, options: Partial<MultiPaxosClusterOptions> = {}): MultiPaxosScenarioResult<LaggingReplicaFacts> {
  const lagging = 'n5';
  const work: CommandSpec[] = Array.from({ length: commands }, (_, i) => ({ op: 'append', key: 'log', value: `e${i + 1}` }));
  const cluster = multiPaxosCluster({
    servers: 5,
    firstLeader: 'n1',
    workload: [{ commands: work, firstServer: 'n1', startAtMs: 30 }],
    faults: [{ atMs: 25, action: 'crash', node: lagging }],
    ...options,
    seed,
  });
  const { sim } = cluster;
  sim.runUntil(() => cluster.clientsDone() && sim.now() > 30, { maxTimeMs: 5000 });
  const missed = cluster.server('n1')?.firstUndecided ?? 0;
  const restartedAtMs = sim.now();
  sim.restart(lagging);
  let caughtUpAtMs: number | null = null;
  try {
    sim.runUntil(() => cluster.caughtUp(), { maxTimeMs: restartedAtMs + 2000 });
    caughtUpAtMs = sim.now();
  } catch (error) {
    if (!(error instanceof BudgetExceededError)) throw error;
  }
  sim.run({ untilMs: sim.now() + 50 });
  const sends = sim.trace.events.filter((e) => e.kind === 'send' && e.timeMs >= restartedAtMs);
  const logs = cluster.logs();
  const facts: LaggingReplicaFacts = {
    lagging,
    missed,
    catchUpRequests: sends.filter((e) => e.kind === 'send' && e.from === lagging && (e.msg as { type: string }).type === 'CatchUp').length,
    decisionsReplies: sends.filter((e) => e.kind === 'send' && e.to === lagging && (e.msg as { type: string }).type === 'Decisions').length,
    restartedAtMs,
    caughtUpAtMs,
    sameLog: JSON.stringify(logs[lagging]) === JSON.stringify(logs.n1),
  };
  return finish('laggingReplicaCatchesUp', seed, `${lagging} is down while ${missed} slots are decided, then restarts and catches up.`, cluster, facts);
}

function finish<F>(name: string, seed: number | string, description: string, cluster: MultiPaxosCluster, facts: F): MultiPaxosScenarioResult<F> {
  return {
    name,
    seed,
    description,
    cluster,
    safety: cluster.safety(),
    liveness: cluster.liveness(),
    linearizability: cluster.linearizable(),
    facts,
    summary: cluster.summary(),
  };
}

function annotations(events: readonly TraceEvent[], text: string): AnnotateEvent[] {
  return events.filter((e): e is AnnotateEvent => e.kind === 'annotate' && e.text === text);
}

/** Runs a cluster until annotations matching each predicate have appeared (scanning each new event once). */
function traceWatcher(cluster: MultiPaxosCluster) {
  return {
    runUntilAll(predicates: ((e: AnnotateEvent) => boolean)[], budgetMs = 500): void {
      const events = cluster.sim.trace.events;
      const seen = predicates.map(() => false);
      let next = 0;
      const scan = () => {
        for (; next < events.length; next++) {
          const e = events[next];
          if (e.kind === 'annotate') predicates.forEach((p, i) => (seen[i] = seen[i] || p(e)));
        }
        return seen.every(Boolean);
      };
      cluster.sim.runUntil(scan, { maxTimeMs: cluster.sim.now() + budgetMs });
    },
  };
}
