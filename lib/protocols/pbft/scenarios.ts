/**
 * Scripted PBFT runs (Castro & Liskov, OSDI 1999, §4.2, §4.4) in which one wrong rule breaks
 * safety and the reference rules do not: a fixed schedule of cuts, pauses and a Byzantine
 * primary, driven by the replicas' progress rather than by fixed times. Each takes (seed, rules)
 * and returns the cluster and checkPbftSafety's verdict.
 *
 * A third slip, prepared counting prepares of any digest (brokenPbftRules.preparedIgnoresDigest),
 * has no scenario: with at most f faulty replicas it cannot break Agreement here. Committing a
 * request needs 2f+1 commits, each honest replica sends one commit per (view, seq), and two
 * digests would need 2(f+1) honest commits out of 2f+1; across views, every receiver re-checks
 * a VIEW-CHANGE's certificates with digest-matching prepares. It costs liveness only.
 */
import { PbftCheckResult } from '../../checkers/pbft';
import { NodeId } from '../../core';
import { PbftCluster, pbftCluster } from './cluster';
import { PbftRules } from './rules';

/** What a scripted scenario returns: the cluster (to inspect or replay) and the safety verdict. */
export interface PbftScenarioResult {
  cluster: PbftCluster;
  safety: PbftCheckResult;
}

function isolate(c: PbftCluster, id: NodeId): void {
  for (const other of [...c.replicas, ...c.clients]) {
    if (other === id) continue;
    c.sim.cut(id, other);
    c.sim.cut(other, id);
  }
}

function executed(c: PbftCluster, id: NodeId): number {
  return c.node(id)?.state.lastExecuted ?? 0;
}

function changing(c: PbftCluster, id: NodeId): boolean {
  return c.node(id)?.state.inViewChange ?? false;
}

function view(c: PbftCluster, id: NodeId): number {
  return c.node(id)?.state.view ?? 0;
}

/**
 * Why committed-local needs 2f+1 commits (OSDI §4.2, §4.5.1): a request that commits with f+1
 * may be known prepared by no correct replica of the next view's quorum, and the new primary
 * gives its sequence number to another request.
 *
 * n = 4, f = 1. The primary r1 equivocates: request A to r2 and r3, request B to r2 and r4,
 * and a commit for each to its group (r2 keeps A, the first it sees). r3's prepare and commit
 * never reach r2 (a cut), so only r3 is prepared for A, with the commits of r1 and r3: f+1 = 2.
 * Then r3 is cut off, r2's first NEW-VIEW (view 1) is lost, view 2's primary is r3 (gone), and
 * view 3's primary r4, whose view-change quorum r1, r2, r4 holds no certificate for seq 1,
 * assigns B, the first request it knows, to seq 1. With the reference rule r3 never executes A
 * (2 commits < 2f+1) and the run stays safe; with `committedWithFPlus1` r3 executes A at seq 1
 * and r2, r4 execute B there: Agreement breaks. (Validated: seeds 1-40, every one.)
 *
 * @example
 *   pbftCommitQuorumScenario(1).safety;                                            // { ok: true }
 *   pbftCommitQuorumScenario(1, brokenPbftRules.committedWithFPlus1).safety.ok;    // false
 */
export function pbftCommitQuorumScenario(seed: number | string = 1, rules?: Partial<PbftRules>): PbftScenarioResult {
  const c = pbftCluster({ seed, f: 1, clients: 2, operations: 1, rules, byzantine: { r1: ['equivocate'] } });
  orphanSeqOne(c, false);
  return { cluster: c, safety: c.safety() };
}

/**
 * The shared first act: r1 equivocates, r3 alone is prepared for A at seq 1 in view 0, r3 is cut
 * off (and paused, if asked, so its timers do not run it into high views), and view 3's primary
 * r4 gives seq 1 to B; the run goes on until r2 and r4 executed seq 1.
 */
function orphanSeqOne(c: PbftCluster, pauseR3: boolean): void {
  const { sim } = c;
  sim.configureLink('r1', 'r2', { fifo: true }); // r2 sees A's pre-prepare before B's
  sim.cut('r3', 'r2');
  // View 0: wait until r3 is prepared for A (its commit is out), before any view-change timer.
  c.runUntil(() => Object.keys(c.node('r3')?.state.commitSent ?? {}).length > 0, 120);
  c.run(sim.now() + 20);
  isolate(c, 'r3');
  if (pauseR3) sim.pause('r3');
  sim.configureLink('r2', 'r1', { dropRate: 1 });
  sim.configureLink('r2', 'r4', { dropRate: 1 });
  // r2's NEW-VIEW for view 1 is lost; let everyone move past it, then give r2 its voice back.
  c.runUntil(() => view(c, 'r2') >= 2 && view(c, 'r4') >= 2, sim.now() + 3000);
  sim.configureLink('r2', 'r1', { dropRate: 0 });
  sim.configureLink('r2', 'r4', { dropRate: 0 });
  c.runUntil(() => executed(c, 'r2') >= 1 && executed(c, 'r4') >= 1, sim.now() + 5000);
}

/**
 * Why NEW-VIEW takes the prepared request of the HIGHEST view (OSDI §4.4): a request prepared
 * in an old view may have lost its sequence number to one committed in a later view.
 *
 * The first act of pbftCommitQuorumScenario, with the reference commit rule: r3 holds a
 * prepared certificate for A at seq 1 from view 0 (nothing committed A), and r2 and r4 executed
 * B at seq 1 in view 3 (with some seeds view 3 stalls and seq 1 executes in view 4). Then the
 * primary of that view is cut off, r3 comes back when the two others change views, and the next
 * NEW-VIEW reads r3's certificate (A, view 0) and r2's (B, view 3 or 4). The reference picks B
 * and r3 executes B at seq 1; `newViewLowestView` picks A, and r3 executes A where r2 executed
 * B: Agreement breaks. (Validated: seeds 1-40 stay safe with the reference rules; with
 * newViewLowestView all but seeds 14 and 18 break Agreement, where the run drifts apart.)
 *
 * @example
 *   pbftOldCertificateScenario(1).safety;                                         // { ok: true }
 *   pbftOldCertificateScenario(1, brokenPbftRules.newViewLowestView).safety.ok;   // false
 */
export function pbftOldCertificateScenario(seed: number | string = 1, rules?: Partial<PbftRules>): PbftScenarioResult {
  const c = pbftCluster({ seed, f: 1, clients: 2, operations: 2, rules, byzantine: { r1: ['equivocate'] } });
  orphanSeqOne(c, true);
  const { sim } = c;
  // Cut off the primary of the view r2 executed seq 1 in (r4 in view 3; r1 if that took a view more).
  const primary = c.replicas[view(c, 'r2') % c.replicas.length];
  const others = c.replicas.filter((r) => r !== primary && r !== 'r3');
  sim.heal();
  isolate(c, primary);
  // r3 stays paused (what it is sent waits for it) until the other two are both changing views.
  c.runUntil(() => others.every((r) => changing(c, r)), sim.now() + 5000);
  sim.resume('r3');
  c.runUntil(() => view(c, 'r3') >= 4 && !c.node('r3')!.state.inViewChange && executed(c, 'r3') >= 1, sim.now() + 5000);
  c.run(sim.now() + 200);
  return { cluster: c, safety: c.safety() };
}
