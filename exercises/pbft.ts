/**
 * Exercise: the three predicates where PBFT's safety lives. Castro & Liskov, "Practical
 * Byzantine Fault Tolerance", OSDI 1999: §4.2 (prepared, committed-local) and §4.4 (the NEW-VIEW
 * computation); §4.5.1 argues why they give safety with n = 3f+1.
 *
 * Write the three functions below. Each is a pure function of what one replica knows. The
 * graded tests first check each contract case by case, on frozen inputs, and name the rule a
 * wrong answer breaks. Then they plug your rules into the real replicas
 * (lib/protocols/pbft/node.ts) and run a seeded sweep with Byzantine replicas (silent,
 * equivocating, double-assigning, partial pre-prepares, bad MACs, lying view changes) and a
 * lossy, partitioned network; lib/checkers/pbft.ts then names the property that broke
 * (Agreement, Order, Liveness), with the seed to replay.
 *
 * The replica does everything else: it checks MACs, signatures, views and water marks before a
 * message reaches the log, sends PREPARE, COMMIT, VIEW-CHANGE and NEW-VIEW, and executes in
 * order. Read first: lib/protocols/pbft/README.md and the contracts in
 * lib/protocols/pbft/rules.ts. Grade your work with:
 *
 *     npm run grade -- pbft
 *
 * Words: a view (视图) has one primary (主节点); a view change (视图变更) replaces it. f is the
 * number of faulty replicas tolerated, n = 3f+1.
 */
import { NotImplemented } from '../lib/grade';
import { NULL_DIGEST, type NewViewPlan, type PbftLog, type ViewChangeSummary } from '../lib/protocols/pbft';

// Referenced so that your editor offers it; use it in your answer.
void NULL_DIGEST;

// ---------------------------------------------------------------------------------------------
// Part 1: prepared (OSDI §4.2)
// ---------------------------------------------------------------------------------------------

/**
 * prepared(m, v, n, i): the log holds the pre-prepare for (view, seq, digest) and 2f PREPAREs
 * from distinct replicas matching it (same view, seq AND digest). A prepare from the replica
 * that sent the pre-prepare (the primary) does not count; the replica's own prepare does.
 * Why 2f: with the pre-prepare, 2f+1 replicas vouch for the order, and two sets of 2f+1 out of
 * 3f+1 share a correct replica, which never prepares two requests at one (view, seq).
 * The classic slips: f prepares instead of 2f; counting prepares for another digest; counting a
 * replica twice; counting the primary.
 *
 * @example
 *   prepared({ prePrepares: [{ view: 0, seq: 1, digest: 'd', replica: 'r1' }],
 *     prepares: [{ view: 0, seq: 1, digest: 'd', replica: 'r2' }, { view: 0, seq: 1, digest: 'd', replica: 'r3' }],
 *     commits: [] }, 0, 1, 'd', 1); // true
 */
export function prepared(log: PbftLog, view: number, seq: number, digest: string, f: number): boolean {
  // TODO: find the pre-prepare for (view, seq, digest); count the distinct replicas (not its
  // sender) with a prepare for the same (view, seq, digest); prepared when that is >= 2f.
  throw new NotImplemented('prepared(log, view, seq, digest, f) in exercises/pbft.ts: the pre-prepare plus 2f matching prepares from distinct replicas other than the primary (OSDI §4.2)');
}

// ---------------------------------------------------------------------------------------------
// Part 2: committed-local (OSDI §4.2)
// ---------------------------------------------------------------------------------------------

/**
 * committed-local(m, v, n, i): prepared(log, view, seq, digest, f) holds and the log holds 2f+1
 * COMMITs from distinct replicas (its own may be one) matching (view, seq, digest). Why 2f+1:
 * then at least f+1 correct replicas prepared the request, and any 2f+1 view-changes include
 * one of them, so the request survives every view change (OSDI §4.5.1). With f+1 commits, a
 * single correct replica may have prepared it, and a view change without it loses it.
 *
 * @example
 *   committedLocal(log, 0, 1, 'd', 1); // true once prepared and 3 distinct commits for (0, 1, 'd') are in the log
 */
export function committedLocal(log: PbftLog, view: number, seq: number, digest: string, f: number): boolean {
  // TODO: prepared(...) and at least 2f+1 distinct replicas with a commit for (view, seq, digest).
  throw new NotImplemented('committedLocal(log, view, seq, digest, f) in exercises/pbft.ts: prepared, and 2f+1 matching commits from distinct replicas (OSDI §4.2)');
}

// ---------------------------------------------------------------------------------------------
// Part 3: the NEW-VIEW computation (OSDI §4.4)
// ---------------------------------------------------------------------------------------------

/**
 * What the new primary puts in NEW-VIEW, from 2f+1 VIEW-CHANGE summaries.
 * - minS = the largest stableSeq among them; maxS = the largest prepared seq among them, or minS
 *   when none is above minS.
 * - For each n with minS < n <= maxS, in order: if some view-change has a prepared entry for n,
 *   the one with the HIGHEST view (its digest and request; take the first among equal views);
 *   otherwise the null request `{ seq: n, digest: NULL_DIGEST, request: null }`. Entries at or
 *   below minS are ignored.
 * - Do not change the input.
 * Why the highest view: a request committed in view v was prepared by f+1 correct replicas in v;
 * a request prepared in an older view at the same seq was never committed, and picking it (the
 * lowest view) takes back what a replica executed. Why nulls: a gap left out stalls execution
 * (replicas execute in order).
 *
 * @example
 *   computeNewView([{ replica: 'r2', stableSeq: 0, prepared: [{ seq: 2, view: 0, digest: 'd', request: req }] }]);
 *   // { minS: 0, maxS: 2, entries: [{ seq: 1, digest: 'null', request: null }, { seq: 2, digest: 'd', request: req }] }
 */
export function computeNewView(viewChanges: readonly ViewChangeSummary[]): NewViewPlan {
  // TODO: minS, maxS; for each seq in (minS, maxS], the highest-view prepared entry or a null request.
  throw new NotImplemented('computeNewView(viewChanges) in exercises/pbft.ts: min-s, max-s, and for each seq between them the highest-view prepared request or a null request (OSDI §4.4)');
}
