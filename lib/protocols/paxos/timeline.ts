import { NodeId, TraceEvent } from '../../core';
import { ACCEPTOR_STATE_KEY } from './acceptor';
import { formatBallot } from './messages';
import { AcceptorState } from './rules';

/** One change of some acceptor's durable state, with every acceptor's state after it. */
export interface AcceptorTimelineRow {
  timeMs: number;
  /** Which acceptor changed, and how: "a1 promised 2.p2", "a2 accepted (1.p1, x)", "a3 crashed". */
  change: string;
  /** Each acceptor's state after the change, as "promised 2.p2 · accepted (1.p1, x)". */
  states: Record<NodeId, string>;
}

/** "promised 2.p2 · accepted (1.p1, x)"; "-" for a fresh acceptor. */
export function formatAcceptorState(state: AcceptorState | null): string {
  if (state === null || (state.promised === null && state.accepted === null)) return '-';
  const accepted = state.accepted ? `(${formatBallot(state.accepted.ballot)}, ${state.accepted.value})` : '-';
  return `promised ${formatBallot(state.promised)} · accepted ${accepted}`;
}

/**
 * The acceptors' promised and accepted state over a run, read from the trace: one row per
 * write to an acceptor's durable state (the acceptor persists before it replies, so this is
 * exactly what it has promised and accepted), and one per crash and restart. The Paxos
 * notebook shows it as a table beside the space-time diagram.
 *
 * @example
 *   const c = paxosCluster({ seed: 1, proposers: ['x'] });
 *   c.runUntilLearned();
 *   acceptorTimeline(c.sim.trace.events, c.acceptors)[0];
 *   // { timeMs: 2.1, change: 'a2 promised 1.p1', states: { a1: '-', a2: 'promised 1.p1 · accepted -', a3: '-' } }
 */
export function acceptorTimeline(events: readonly TraceEvent[], acceptors: readonly NodeId[]): AcceptorTimelineRow[] {
  const current: Record<NodeId, AcceptorState | null> = {};
  const down = new Set<NodeId>();
  for (const a of acceptors) current[a] = null;
  const rows: AcceptorTimelineRow[] = [];
  const snapshot = (): Record<NodeId, string> => {
    const out: Record<NodeId, string> = {};
    for (const a of acceptors) out[a] = down.has(a) ? `down (disk: ${formatAcceptorState(current[a])})` : formatAcceptorState(current[a]);
    return out;
  };
  for (const e of events) {
    if (!acceptors.includes((e as { node?: NodeId }).node ?? '')) continue;
    if (e.kind === 'persist' && e.key === ACCEPTOR_STATE_KEY) {
      const before = current[e.node];
      const after = e.value as AcceptorState;
      current[e.node] = after;
      rows.push({ timeMs: e.timeMs, change: `${e.node} ${describeChange(before, after)}`, states: snapshot() });
    } else if (e.kind === 'crash' || e.kind === 'restart') {
      if (e.kind === 'crash') down.add(e.node);
      else down.delete(e.node);
      rows.push({ timeMs: e.timeMs, change: `${e.node} ${e.kind === 'crash' ? 'crashed' : 'restarted'}`, states: snapshot() });
    }
  }
  return rows;
}

function describeChange(before: AcceptorState | null, after: AcceptorState): string {
  const parts: string[] = [];
  if (after.accepted && JSON.stringify(after.accepted) !== JSON.stringify(before?.accepted ?? null)) {
    parts.push(`accepted (${formatBallot(after.accepted.ballot)}, ${after.accepted.value})`);
  } else if (JSON.stringify(after.promised) !== JSON.stringify(before?.promised ?? null)) {
    parts.push(`promised ${formatBallot(after.promised)}`);
  }
  return parts.length > 0 ? parts.join(', ') : 'wrote its state again';
}
