import { NodeId, TraceEvent } from '../../core';
import { Outcome, TransactionSpec, TxnId, Vote } from './messages';

/**
 * What became of each transaction at each participant, read back from a trace (the nodes'
 * annotations: 'vote', 'blocked', 'commit' / 'abort', 'decision'), so that it works after
 * crashes, with nodes down, and on a saved trace. The notebooks print and chart this; the
 * tests assert on it.
 */

/**
 * committed / aborted: the outcome is durable there. blocked: prepared, timed out waiting for
 * the outcome (BHG §7.4: it may not decide alone and holds its locks). prepared: voted yes,
 * still waiting. no vote: never voted (its Prepare may have been lost).
 */
export type ParticipantStatus = 'committed' | 'aborted' | 'blocked' | 'prepared' | 'no vote';

/** One participant's story of one transaction: its vote, whether it was blocked, its outcome, with times. */
export interface ParticipantOutcome {
  node: NodeId;
  status: ParticipantStatus;
  vote: Vote | null;
  votedAtMs: number | null;
  /** When it first was blocked (or recovered in doubt), if ever. */
  blockedAtMs: number | null;
  /** When the outcome became durable, if it did. */
  outcomeAtMs: number | null;
}

/** A decision annotated by a coordinator (or a 3PC recovery coordinator): two of them that differ mean trouble. */
export interface DecisionRecord {
  node: NodeId;
  decision: Outcome;
  atMs: number;
}

/** One transaction across its participants: the row a notebook prints and a test asserts on. */
export interface TransactionOutcome {
  txn: TxnId;
  /** commit / abort: every participant has it; mixed: both happened (atomicity broken); pending: not everyone knows yet. */
  outcome: Outcome | 'mixed' | 'pending';
  /** Decisions taken by a coordinator or a 3PC recovery coordinator, in trace order. */
  decisions: DecisionRecord[];
  participants: Record<NodeId, ParticipantOutcome>;
}

/**
 * Reads the outcome of every transaction in `transactions` (each with its participant list)
 * from a trace.
 *
 * @example
 *   readOutcomes(sim.trace.events, [{ txn: 't1', atMs: 10, participants: ['p1', 'p2'] }]);
 */
export function readOutcomes(events: readonly TraceEvent[], transactions: readonly (TransactionSpec & { participants: NodeId[] })[]): TransactionOutcome[] {
  const byTxn = new Map<TxnId, TransactionOutcome>();
  for (const spec of transactions) {
    const participants: Record<NodeId, ParticipantOutcome> = {};
    for (const node of spec.participants) {
      participants[node] = { node, status: 'no vote', vote: null, votedAtMs: null, blockedAtMs: null, outcomeAtMs: null };
    }
    byTxn.set(spec.txn, { txn: spec.txn, outcome: 'pending', decisions: [], participants });
  }
  for (const event of events) {
    if (event.kind !== 'annotate') continue;
    const data = event.data as { txn?: unknown; vote?: unknown; decision?: unknown } | undefined;
    if (!data || typeof data.txn !== 'string') continue;
    const t = byTxn.get(data.txn);
    if (t === undefined) continue;
    if (event.text === 'decision' && (data.decision === 'commit' || data.decision === 'abort')) {
      t.decisions.push({ node: event.node, decision: data.decision, atMs: event.timeMs });
      continue;
    }
    const p = t.participants[event.node] as ParticipantOutcome | undefined;
    if (p === undefined) continue;
    switch (event.text) {
      case 'vote':
        if (p.vote === null && (data.vote === 'yes' || data.vote === 'no')) {
          p.vote = data.vote;
          p.votedAtMs = event.timeMs;
          if (p.outcomeAtMs === null) p.status = 'prepared';
        }
        break;
      case 'blocked':
        if (p.blockedAtMs === null) p.blockedAtMs = event.timeMs;
        if (p.outcomeAtMs === null) p.status = 'blocked';
        break;
      case 'commit':
      case 'abort':
        if (p.outcomeAtMs === null) {
          p.status = event.text === 'commit' ? 'committed' : 'aborted';
          p.outcomeAtMs = event.timeMs;
        }
        break;
    }
  }
  for (const t of byTxn.values()) {
    const statuses = Object.values(t.participants).map((p) => p.status);
    const committed = statuses.filter((s) => s === 'committed').length;
    const aborted = statuses.filter((s) => s === 'aborted').length;
    if (committed > 0 && aborted > 0) t.outcome = 'mixed';
    else if (committed === statuses.length) t.outcome = 'commit';
    else if (aborted === statuses.length) t.outcome = 'abort';
  }
  return [...byTxn.values()];
}

/**
 * One line per transaction, for a notebook's text summary:
 * "t1 commit (decided commit by c at 12.4 ms): p1 committed at 14.1 ms, p2 committed at 15 ms".
 */
export function describeOutcomes(outcomes: readonly TransactionOutcome[]): string {
  return outcomes
    .map((t) => {
      const decisions = t.decisions.length === 0 ? 'no decision' : t.decisions.map((d) => `decided ${d.decision} by ${d.node} at ${ms(d.atMs)} ms`).join('; ');
      const parts = Object.values(t.participants).map((p) => {
        if (p.outcomeAtMs !== null) return `${p.node} ${p.status} at ${ms(p.outcomeAtMs)} ms`;
        if (p.status === 'blocked') return `${p.node} blocked since ${ms(p.blockedAtMs as number)} ms`;
        return `${p.node} ${p.status}`;
      });
      return `${t.txn} ${t.outcome} (${decisions}): ${parts.join(', ')}`;
    })
    .join('\n');
}

function ms(value: number): string {
  return String(Math.round(value * 10) / 10);
}
