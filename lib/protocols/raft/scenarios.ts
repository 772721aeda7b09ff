import { RaftCheckResult, RaftProperty } from '../../checkers/raft';
import { NodeId } from '../../core';
import { RaftCluster, RaftClusterOptions, raftCluster } from './cluster';
import { RaftLogView, raftLogViews } from './grid';

/**
 * Scripted Raft scenarios for the notebook and the tests: each one drives a cluster through
 * the exact interleaving a paper figure or a known bug needs, by choosing who campaigns
 * (TimeoutNow; election timeouts are set far out so nobody else does), cutting links and
 * crashing servers. Each returns the run and Figure 3's verdicts, so the same script shows a
 * violation with a broken rule and none with the reference rules. Same seed, same trace.
 */

/** What a scenario returns. */
export interface RaftScenarioResult {
  name: string;
  seed: number | string;
  description: string;
  cluster: RaftCluster;
  /** Figure 3's five properties, first violation (see checkRaftSafety). */
  safety: RaftCheckResult;
  report: Record<RaftProperty, RaftCheckResult>;
  /** Steps the script could not make happen (an election that did not succeed, ...), in order. */
  notes: string[];
  /** Every server's log after each step of the script, for the notebook's log grids. */
  stages: RaftStage[];
  summary: string;
}

/** The logs after one step of a scripted scenario. */
export interface RaftStage {
  label: string;
  atMs: number;
  logs: RaftLogView[];
}

/** Records every server's log now, under `label`. */
function stage(c: RaftCluster, stages: RaftStage[], label: string): void {
  stages.push({ label, atMs: c.sim.now(), logs: raftLogViews(c) });
}

/** Timeouts far beyond the scripts' length: only TimeoutNow starts elections. */
const SCRIPTED: Partial<RaftClusterOptions> = {
  electionTimeoutMsMin: 100_000,
  electionTimeoutMsMax: 200_000,
  heartbeatIntervalMs: 20,
  network: { latency: { kind: 'uniform', minMs: 1, maxMs: 2 } },
};

/** Makes `id` campaign until it leads (a few tries: a first try may only teach it the current term). */
function elect(c: RaftCluster, id: NodeId, notes: string[], tries = 4): boolean {
  for (let i = 0; i < tries; i++) {
    c.campaign(id);
    if (c.runUntil(() => c.node(id)?.isLeader() === true, c.sim.now() + 60)) return true;
  }
  notes.push(`${id} could not win an election at ${c.sim.now()} ms`);
  return false;
}

function appliedAtLeast(c: RaftCluster, ids: NodeId[], index: number): () => boolean {
  return () => ids.every((id) => (c.node(id)?.state.lastApplied ?? 0) >= index);
}

function cutFrom(c: RaftCluster, from: NodeId, to: NodeId[]): void {
  for (const t of to) c.sim.cut(from, t);
}

function finish(name: string, seed: number | string, description: string, cluster: RaftCluster, notes: string[], stages: RaftStage[] = []): RaftScenarioResult {
  return { name, seed, description, cluster, safety: cluster.safety(), report: cluster.safetyReport(), notes, stages, summary: cluster.summary() };
}

/**
 * Figure 8 of the paper (§5.4.2), step by step, on five servers without the leader's no-op:
 * (a) n1 leads term 1 and gets entry 'b' at index 2 to n2 only; (b) n1 crashes, n5 wins term 2
 * with n3 and n4 and appends 'c' at index 2 alone; (c) n5 crashes, n1 restarts and wins term 3,
 * and replicates 'b' to n3: index 2 is now on a majority. A leader that counts replicas of an
 * earlier term's entry (`brokenRaftRules.commitEarlierTermsByCount`) commits and applies it;
 * (d) n1 crashes, n5 wins term 4 (its last term, 2, beats theirs) and overwrites index 2 with
 * 'c': an applied entry is lost (State Machine Safety, Leader Completeness). With the
 * reference rule, n1 never commits 'b' in (c), and nothing committed is lost.
 *
 * @example
 *   figure8Scenario(1, { rules: brokenRaftRules.commitEarlierTermsByCount }).safety.ok; // false
 *   figure8Scenario(1).safety.ok;                                                         // true
 */
export function figure8Scenario(seed: number | string = 1, options: Partial<RaftClusterOptions> = {}): RaftScenarioResult {
  const c = raftCluster({ ...SCRIPTED, noopOnElection: false, ...options, seed, servers: 5 });
  const notes: string[] = [];
  const stages: RaftStage[] = [];
  const all = ['n1', 'n2', 'n3', 'n4', 'n5'];
  elect(c, 'n1', notes);
  c.start('n1', 'a');
  c.runUntil(appliedAtLeast(c, all, 1), c.sim.now() + 200);
  // (a) 'b' reaches n2 only
  cutFrom(c, 'n1', ['n3', 'n4', 'n5']);
  c.start('n1', 'b');
  c.runUntil(() => (c.node('n2')?.lastIndex ?? 0) >= 2, c.sim.now() + 100);
  stage(c, stages, "(a) n1 leads term 1; 'b' at index 2 reaches n2 only");
  c.sim.crash('n1');
  c.sim.heal();
  // (b) n5 leads term 2 with n3 and n4, appends 'c' that nobody else gets
  elect(c, 'n5', notes);
  cutFrom(c, 'n5', ['n1', 'n2', 'n3', 'n4']);
  c.start('n5', 'c');
  c.run(c.sim.now() + 20);
  stage(c, stages, "(b) n1 crashed; n5 leads term 2 and appends 'c' at index 2 alone");
  c.sim.crash('n5');
  c.sim.heal();
  // (c) n1 back, leads term 3 with n2 and n3, and copies 'b' to n3
  c.sim.restart('n1');
  cutFrom(c, 'n1', ['n4']);
  elect(c, 'n1', notes);
  c.run(c.sim.now() + 100);
  stage(c, stages, "(c) n5 crashed; n1 leads term 3 and copies 'b' to n3: index 2 is on a majority");
  c.sim.crash('n1');
  c.sim.heal();
  // (d) n5 back, leads term 4 and overwrites index 2 everywhere
  c.sim.restart('n5');
  elect(c, 'n5', notes);
  c.start('n5', 'd');
  c.runUntil(appliedAtLeast(c, ['n2', 'n3', 'n4', 'n5'], 3), c.sim.now() + 300);
  stage(c, stages, "(d) n1 crashed; n5 leads term 4 and overwrites index 2 with 'c'");
  return finish('figure8', seed, 'Figure 8 (§5.4.2): an entry of an earlier term on a majority is not yet committed.', c, notes, stages);
}

/**
 * The vote must survive a crash (Figure 2: votedFor is persistent state, written before the
 * reply). Three servers; n1 cannot reach n2. n1 campaigns and wins term 1 with n3's vote; n3
 * crashes and restarts; n2 campaigns in term 1 and asks n3. A voter that did not persist its
 * vote (`brokenRaftRules.forgetVoteOnCrash`) votes again: two leaders of term 1 (Election
 * Safety). So does one that ignores votedFor altogether (`grantTwoVotesPerTerm`), crash or not.
 *
 * @example
 *   forgetfulVoterScenario(1, { rules: brokenRaftRules.forgetVoteOnCrash }).safety.ok; // false
 */
export function forgetfulVoterScenario(seed: number | string = 1, options: Partial<RaftClusterOptions> = {}): RaftScenarioResult {
  const c = raftCluster({ ...SCRIPTED, noopOnElection: false, ...options, seed, servers: 3 });
  const notes: string[] = [];
  c.sim.cut('n1', 'n2');
  elect(c, 'n1', notes, 1);
  c.sim.crash('n3');
  c.sim.restart('n3');
  c.run(c.sim.now() + 5);
  c.campaign('n2');
  c.run(c.sim.now() + 50);
  return finish('forgetfulVoter', seed, 'A voter crashes and restarts between two candidates of the same term.', c, notes);
}

/**
 * A stale AppendEntries must not truncate (Figure 2, AppendEntries rule 3: delete only on a
 * conflict). Three servers; n1 leads term 1, n3 hears nothing from it. n1's heartbeats to n2
 * are held up 200 ms; then n1 appends 'a', n2 acknowledges it, n1 commits and applies it. The
 * late heartbeats (prevLogIndex 0, no entries) reach n2: a follower that truncates on them
 * (`brokenRaftRules.truncateOnStaleAppend`) loses 'a'; n1 crashes; n3 wins term 2 with n2's
 * vote and puts 'b' at index 1: a committed entry is lost (Leader Completeness, State Machine
 * Safety). With the reference rule n2 keeps 'a' and refuses n3.
 */
export function staleAppendScenario(seed: number | string = 1, options: Partial<RaftClusterOptions> = {}): RaftScenarioResult {
  const c = raftCluster({ ...SCRIPTED, noopOnElection: false, ...options, seed, servers: 3 });
  const notes: string[] = [];
  elect(c, 'n1', notes);
  c.sim.cut('n1', 'n3');
  c.sim.configureLink('n1', 'n2', { latency: { kind: 'constant', ms: 200 } });
  c.run(c.sim.now() + 50); // heartbeats now in flight, slowly
  c.sim.configureLink('n1', 'n2', { latency: { kind: 'uniform', minMs: 1, maxMs: 2 } });
  c.start('n1', 'a');
  c.runUntil(appliedAtLeast(c, ['n1'], 1), c.sim.now() + 100);
  const stages: RaftStage[] = [];
  stage(c, stages, "n1 committed 'a' with n2; heartbeats sent before 'a' are still on their way to n2");
  c.run(c.sim.now() + 250); // the stale heartbeats arrive
  stage(c, stages, 'the stale heartbeats reached n2');
  c.sim.crash('n1');
  c.sim.heal();
  if (elect(c, 'n3', notes, 2)) {
    c.start('n3', 'b');
    c.runUntil(appliedAtLeast(c, ['n3'], 1), c.sim.now() + 200);
  }
  stage(c, stages, "n1 crashed; n3 tried to lead and to append 'b'");
  return finish('staleAppend', seed, 'A delayed heartbeat reaches a follower after the entry that followed it.', c, notes, stages);
}

/** What the membership scenario adds: which leaders committed entries while both were leaders. */
export interface MembershipScenarioResult extends RaftScenarioResult {
  /** Leaders (node, term) that committed an entry after the partition: two means split brain. */
  committingLeaders: { node: NodeId; term: number }[];
  /** Whether n2's removal of n1 was committed (it must not be, with the fix). */
  removalCommitted: boolean;
}

/**
 * The single-server membership change bug (Ongaro, raft-dev, July 2015; the fix is in the
 * dissertation's errata to §4.1): configurations take effect when appended, so two changes
 * started by leaders of different terms can produce configurations whose majorities do not
 * overlap. Start: {n1, n2, n3, n4}, n5 a spare.
 * 1. n1 leads term 1 and appends C1 = {n1..n5} (adding n5), which reaches n5 only; n1 crashes.
 * 2. n2 wins term 2 with n3 and n4 under the old configuration, and its no-op does not reach n4.
 * 3. n2 removes n1: C2 = {n2, n3, n4}, replicated to n3, committed by the majority {n2, n3} of C2.
 * 4. The network splits {n2, n3} | {n1, n4, n5}; n1 restarts with C1 and wins term 3 with n4
 *    and n5 (a majority of C1; n4 never saw term 2's entries). Both leaders commit new entries:
 *    two leaders at once, each with a quorum of its own configuration, and the committed logs
 *    diverge (State Machine Safety, Leader Completeness).
 * With `safeConfigChange: true` (the fix, the default) n2 must first commit an entry of term 2,
 * which needs a majority of {n1..n4} that includes n4, so step 3 is refused; n1 may still win
 * term 3, but n2 commits nothing, and no committed entry is lost.
 *
 * @example
 *   membershipTwoLeaders(1, false).committingLeaders; // [{ node: 'n2', term: 2 }, { node: 'n1', term: 3 }]
 *   membershipTwoLeaders(1, true).safety.ok;          // true
 */
export function membershipTwoLeaders(seed: number | string = 1, safeConfigChange = true, options: Partial<RaftClusterOptions> = {}): MembershipScenarioResult {
  const c = raftCluster({ ...SCRIPTED, ...options, seed, servers: 4, spares: 1, safeConfigChange });
  const notes: string[] = [];
  const stages: RaftStage[] = [];
  elect(c, 'n1', notes);
  c.runUntil(appliedAtLeast(c, ['n1', 'n2', 'n3', 'n4'], 1), c.sim.now() + 200);
  // 1. C1 adds n5 and reaches n5 only
  cutFrom(c, 'n1', ['n2', 'n3', 'n4']);
  c.changeConfig('n1', 'add', 'n5');
  if (!c.runUntil(() => (c.node('n5')?.lastIndex ?? 0) >= 2, c.sim.now() + 200)) notes.push('C1 did not reach n5');
  stage(c, stages, '1. n1 (term 1) appends C1 = {n1..n5}; it reaches n5 only');
  c.sim.crash('n1');
  c.sim.heal();
  // 2. n2 leads term 2; its entries do not reach n4
  if (elect(c, 'n2', notes)) c.sim.cut('n2', 'n4');
  // 3. n2 removes n1 (retried a few times, as an operator would)
  for (let i = 0; i < 4 && (c.node('n2')?.state.config.servers.includes('n1') ?? false); i++) {
    c.changeConfig('n2', 'remove', 'n1');
    c.run(c.sim.now() + 25);
  }
  const removalIndex = c.node('n2')?.state.config.index ?? 0;
  c.runUntil(() => removalIndex > 0 && (c.node('n2')?.state.commitIndex ?? 0) >= removalIndex, c.sim.now() + 100);
  const removalCommitted = removalIndex > 0 && (c.node('n2')?.state.commitIndex ?? 0) >= removalIndex;
  stage(c, stages, `2-3. n2 leads term 2 and tries to remove n1 (C2 = {n2, n3, n4}): ${removalCommitted ? 'committed' : 'not committed'}`);
  // 4. split; n1 comes back under C1 and leads term 3; both sides commit
  c.sim.heal();
  c.sim.partition([['n2', 'n3'], ['n1', 'n4', 'n5']]);
  const splitAtMs = c.sim.now();
  c.sim.restart('n1');
  elect(c, 'n1', notes);
  c.start('n2', 'written through n2');
  c.start('n1', 'written through n1');
  c.run(c.sim.now() + 100);
  stage(c, stages, '4. split {n2, n3} | {n1, n4, n5}; n1 restarts under C1 and leads term 3; both leaders take a write');
  const committing = new Map<string, { node: NodeId; term: number }>();
  for (const e of c.sim.trace.events) {
    if (e.kind === 'annotate' && e.text === 'commit' && e.timeMs >= splitAtMs) {
      const term = (e.data as { term: number }).term;
      committing.set(`${e.node}:${term}`, { node: e.node, term });
    }
  }
  // n2's commits before the split count too: they are what n1's side overwrites.
  const n2 = c.node('n2');
  if (removalCommitted && n2?.isLeader()) committing.set(`n2:${n2.currentTerm}`, { node: 'n2', term: n2.currentTerm });
  const result = finish(
    'membershipTwoLeaders',
    seed,
    `Two single-server changes by leaders of terms 1 and 2; safeConfigChange ${safeConfigChange}.`,
    c,
    notes,
    stages,
  );
  return { ...result, committingLeaders: [...committing.values()].sort((a, b) => a.term - b.term), removalCommitted };
}
