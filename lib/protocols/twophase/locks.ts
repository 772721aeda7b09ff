import { NodeId, TraceEvent } from '../../core';
import { Context } from '../../sim/node';
import { Outcome, TxnId } from './messages';

/**
 * Lock bookkeeping for the notebooks' question "how long do participants hold their locks?".
 * A participant that votes YES is prepared: it must keep the transaction's locks until it
 * learns the outcome, however long that takes (Gray 1978 §5.8.3.3: the "window of
 * vulnerability"; BHG §7.4: 2PC blocks). The nodes leave two annotations, and
 * `lockIntervals` turns a trace back into intervals:
 *
 *   ctx.annotate('lock acquired', { txn })            on a YES vote, or on recovery in doubt
 *   ctx.annotate('lock released', { txn, outcome })   when the outcome is applied
 *
 * Locks are volatile: a crash releases them (the interval ends 'crashed'); a participant that
 * recovers in doubt takes them again before anything else.
 */
export const lockAcquiredNote = 'lock acquired';
/** The annotation text of a release (see lockAcquiredNote). */
export const lockReleasedNote = 'lock released';

/** Annotates that this node now holds `txn`'s locks (the caller keeps the boolean in its state). */
export function noteLockAcquired(ctx: Context<any, any>, txn: TxnId, recovered = false): void {
  ctx.annotate(lockAcquiredNote, recovered ? { txn, recovered } : { txn });
}

/** Annotates that this node released `txn`'s locks because the outcome became known. */
export function noteLockReleased(ctx: Context<any, any>, txn: TxnId, outcome: Outcome): void {
  ctx.annotate(lockReleasedNote, { txn, outcome });
}

/** One stretch of time during which `node` held the locks of `txn`. */
export interface LockInterval {
  node: NodeId;
  txn: TxnId;
  fromMs: number;
  toMs: number;
  heldMs: number;
  /** released: the outcome came; crashed: the node crashed; held: still held when the trace ends. */
  end: 'released' | 'crashed' | 'held';
  outcome?: Outcome;
}

/**
 * The lock-holding intervals in a trace, in the order they began. An interval still open when
 * the trace ends is closed at `untilMs` (default: the time of the last event) with end 'held'.
 *
 * @example
 *   const { sim } = coordinatorCrashAfterPrepare(1, 1000);
 *   lockIntervals(sim.trace.events).map((i) => `${i.node} ${i.txn} ${i.heldMs} ms`);
 */
export function lockIntervals(events: readonly TraceEvent[], untilMs?: number): LockInterval[] {
  const out: LockInterval[] = [];
  const open = new Map<string, LockInterval>();
  const close = (interval: LockInterval, atMs: number, end: LockInterval['end'], outcome?: Outcome) => {
    interval.toMs = atMs;
    interval.heldMs = round(atMs - interval.fromMs);
    interval.end = end;
    if (outcome !== undefined) interval.outcome = outcome;
  };
  for (const event of events) {
    if (event.kind === 'crash') {
      for (const [key, interval] of open) {
        if (interval.node !== event.node) continue;
        close(interval, event.timeMs, 'crashed');
        open.delete(key);
      }
      continue;
    }
    if (event.kind !== 'annotate') continue;
    if (event.text !== lockAcquiredNote && event.text !== lockReleasedNote) continue;
    const data = event.data as { txn?: unknown; outcome?: unknown } | undefined;
    if (!data || typeof data.txn !== 'string') continue;
    const key = `${event.node}\u0000${data.txn}`;
    const current = open.get(key);
    if (event.text === lockAcquiredNote) {
      if (current) continue;
      const interval: LockInterval = { node: event.node, txn: data.txn, fromMs: event.timeMs, toMs: event.timeMs, heldMs: 0, end: 'held' };
      out.push(interval);
      open.set(key, interval);
    } else if (current) {
      close(current, event.timeMs, 'released', data.outcome === 'commit' || data.outcome === 'abort' ? data.outcome : undefined);
      open.delete(key);
    }
  }
  const endMs = untilMs ?? (events.length > 0 ? events[events.length - 1].timeMs : 0);
  for (const interval of open.values()) close(interval, Math.max(endMs, interval.fromMs), 'held');
  return out;
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
