import { NodeId } from '../../core';
import { ClientRequest, NULL_DIGEST } from './messages';

/**
 * The PBFT predicates where the understanding lives, as pure functions with exact contracts
 * (Castro & Liskov, OSDI 1999, §4.2 and §4.4), kept apart from message handling so a learner
 * can write them and the whole protocol runs with the learner's rules inside (pass `rules` to
 * PbftReplica, pbftCluster or pbftChaosRun). The replica checks MACs, signatures, views and
 * water marks before anything reaches the log; the rules only count.
 */

/** A replica's message log (OSDI §4.2): what it accepted, as flat lists. */
export interface PbftLog {
  prePrepares: { view: number; seq: number; digest: string; replica: NodeId }[];
  prepares: { view: number; seq: number; digest: string; replica: NodeId }[];
  commits: { view: number; seq: number; digest: string; replica: NodeId }[];
}

/**
 * prepared(m, v, n, i) (OSDI §4.2): the log holds the pre-prepare for (view, seq, digest) and
 * 2f prepares from distinct replicas matching it (same view, seq and digest). A prepare from the
 * replica that sent the pre-prepare (the primary of `view`) does not count; the replica's own
 * prepare does. With 2f prepares and the pre-prepare, 2f+1 replicas vouch for the order, so no
 * two non-faulty replicas prepare different requests at one (view, seq).
 *
 * @example
 *   prepared({ prePrepares: [{ view: 0, seq: 1, digest: 'd', replica: 'r1' }],
 *     prepares: [{ view: 0, seq: 1, digest: 'd', replica: 'r2' }, { view: 0, seq: 1, digest: 'd', replica: 'r3' }],
 *     commits: [] }, 0, 1, 'd', 1); // true
 */
export type PreparedRule = (log: PbftLog, view: number, seq: number, digest: string, f: number) => boolean;

/**
 * committed-local(m, v, n, i) (OSDI §4.2): prepared(log, view, seq, digest, f) holds and the log
 * holds 2f+1 commits from distinct replicas (its own may be one) matching (view, seq, digest).
 *
 * @example
 *   committedLocal(log, 0, 1, 'd', 1); // true once 3 distinct commits for (0, 1, 'd') are in the log, and it is prepared
 */
export type CommittedLocalRule = (log: PbftLog, view: number, seq: number, digest: string, f: number) => boolean;

/** What the new primary reads from one VIEW-CHANGE (already checked: signatures, certificates). */
export interface ViewChangeSummary {
  replica: NodeId;
  /** n: the sequence number of its latest stable checkpoint. */
  stableSeq: number;
  /** P: for each sequence number above stableSeq it prepared, the request with the view it prepared in. */
  prepared: { seq: number; view: number; digest: string; request: ClientRequest | null }[];
}

/** What NEW-VIEW carries (OSDI §4.4): min-s, max-s and the pre-prepares for (min-s, max-s]. */
export interface NewViewPlan {
  minS: number;
  maxS: number;
  /** One entry per sequence number minS+1..maxS, in order; a gap is the null request (NULL_DIGEST, request null). */
  entries: { seq: number; digest: string; request: ClientRequest | null }[];
}

/**
 * The NEW-VIEW computation (OSDI §4.4). Contract:
 * - min-s = the largest stableSeq among the view-changes; max-s = the largest prepared seq
 *   among them, or min-s when there is none above min-s.
 * - For each n with min-s < n <= max-s, in order: if some view-change has a prepared entry for
 *   n, the entry with the HIGHEST view (its digest and request; ties between equal views have
 *   equal digests in a correct run, take the first); otherwise the null request
 *   `{ seq: n, digest: NULL_DIGEST, request: null }`. Entries at or below min-s are ignored.
 * - Do not mutate the input.
 *
 * @example
 *   computeNewView([{ replica: 'r2', stableSeq: 0, prepared: [{ seq: 2, view: 0, digest: 'd', request: req }] }]);
 *   // { minS: 0, maxS: 2, entries: [{ seq: 1, digest: 'null', request: null }, { seq: 2, digest: 'd', request: req }] }
 */
export type NewViewRule = (viewChanges: readonly ViewChangeSummary[]) => NewViewPlan;

/** The pluggable rules. */
export interface PbftRules {
  prepared: PreparedRule;
  committedLocal: CommittedLocalRule;
  computeNewView: NewViewRule;
}

function distinctMatching(list: PbftLog['prepares'], view: number, seq: number, digest: string, exclude?: NodeId): number {
  const who = new Set<NodeId>();
  for (const m of list) if (m.view === view && m.seq === seq && m.digest === digest && m.replica !== exclude) who.add(m.replica);
  return who.size;
}

function prePrepareFor(log: PbftLog, view: number, seq: number, digest: string) {
  return log.prePrepares.find((p) => p.view === view && p.seq === seq && p.digest === digest);
}

/** Reference prepared (OSDI §4.2). */
export const prepared: PreparedRule = (log, view, seq, digest, f) => {
  const pp = prePrepareFor(log, view, seq, digest);
  return pp !== undefined && distinctMatching(log.prepares, view, seq, digest, pp.replica) >= 2 * f;
};

/** Reference committed-local (OSDI §4.2). */
export const committedLocal: CommittedLocalRule = (log, view, seq, digest, f) =>
  prepared(log, view, seq, digest, f) && distinctMatching(log.commits, view, seq, digest) >= 2 * f + 1;

/** Reference NEW-VIEW computation (OSDI §4.4). */
export const computeNewView: NewViewRule = (viewChanges) => pickNewView(viewChanges, 'highest', true);

function pickNewView(viewChanges: readonly ViewChangeSummary[], pick: 'highest' | 'lowest', fillGaps: boolean): NewViewPlan {
  const minS = Math.max(0, ...viewChanges.map((v) => v.stableSeq));
  let maxS = minS;
  const best = new Map<number, ViewChangeSummary['prepared'][number]>();
  for (const vc of viewChanges) {
    for (const p of vc.prepared) {
      if (p.seq <= minS) continue;
      maxS = Math.max(maxS, p.seq);
      const old = best.get(p.seq);
      if (!old || (pick === 'highest' ? p.view > old.view : p.view < old.view)) best.set(p.seq, p);
    }
  }
  const entries: NewViewPlan['entries'] = [];
  for (let seq = minS + 1; seq <= maxS; seq++) {
    const p = best.get(seq);
    if (p) entries.push({ seq, digest: p.digest, request: p.request });
    else if (fillGaps) entries.push({ seq, digest: NULL_DIGEST, request: null });
  }
  return { minS, maxS, entries };
}

/** The reference rules. */
export const pbftRules: PbftRules = { prepared, committedLocal, computeNewView };

/**
 * Plausible wrong rules, each a bug a learner might write, for tests that must catch them:
 * - `preparedWithF`: f matching prepares instead of 2f (quorums no longer intersect in a correct replica).
 * - `committedWithFPlus1`: f+1 commits instead of 2f+1 (a request can commit without surviving a view change).
 * - `newViewLowestView`: picks the lowest-view prepared request instead of the highest.
 * - `newViewDropsGaps`: leaves gaps out instead of filling them with null requests (execution stalls).
 * - `preparedIgnoresDigest`: counts prepares for any digest at (view, seq).
 */
export const brokenPbftRules: Record<string, Partial<PbftRules>> = {
  preparedWithF: {
    prepared: (log, view, seq, digest, f) => {
      const pp = prePrepareFor(log, view, seq, digest);
      return pp !== undefined && distinctMatching(log.prepares, view, seq, digest, pp.replica) >= f;
    },
  },
  committedWithFPlus1: {
    committedLocal: (log, view, seq, digest, f) => prepared(log, view, seq, digest, f) && distinctMatching(log.commits, view, seq, digest) >= f + 1,
  },
  newViewLowestView: { computeNewView: (vcs) => pickNewView(vcs, 'lowest', true) },
  newViewDropsGaps: { computeNewView: (vcs) => pickNewView(vcs, 'highest', false) },
  preparedIgnoresDigest: {
    prepared: (log, view, seq, digest, f) => {
      const pp = prePrepareFor(log, view, seq, digest);
      const who = new Set(log.prepares.filter((m) => m.view === view && m.seq === seq && m.replica !== pp?.replica).map((m) => m.replica));
      return pp !== undefined && who.size >= 2 * f;
    },
  },
};
