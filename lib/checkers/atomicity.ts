import { NodeId, TraceEvent } from '../core';

/**
 * Atomicity of a distributed transaction (原子性): every node that reaches an outcome reaches
 * the same one; a transaction never commits at one participant and aborts at another (Gray
 * 1978 §5.8.3; BHG 1987 §7.2, conditions AC1-AC2: "all processes that reach a decision reach
 * the same one" and "a process cannot reverse its decision").
 *
 * How outcomes are read: from the trace's annotations. A node that makes an outcome durable
 * announces it with
 *
 *   ctx.annotate('commit', { txn })   or   ctx.annotate('abort', { txn })
 *
 * (text exactly 'commit' or 'abort', `data.txn` a string; other data fields are ignored). The
 * commit protocols in lib/protocols/twophase do so right after forcing the outcome to their
 * log, so the time is when the outcome became final at that node. A coordinator's decision is
 * annotated 'decision' and is not read here: atomicity is about the participants. Outcome
 * records built some other way (from logs, from a model checker's states) can be passed in
 * directly.
 */

/** One node's outcome of one transaction, at a virtual time in milliseconds. */
export interface OutcomeRecord {
  txn: string;
  node: NodeId;
  outcome: 'commit' | 'abort';
  timeMs: number;
}

/** What a checker returns: ok, or which invariant broke, where and when, in one sentence. */
export type AtomicityResult =
  | { ok: true }
  | {
      ok: false;
      invariant: 'atomicity' | 'single outcome';
      message: string;
      txn: string;
      committed: OutcomeRecord;
      aborted: OutcomeRecord;
    };

/** The outcome records announced in a trace (see the module comment), in trace order. */
export function outcomeRecords(events: readonly TraceEvent[]): OutcomeRecord[] {
  const out: OutcomeRecord[] = [];
  for (const event of events) {
    if (event.kind !== 'annotate' || (event.text !== 'commit' && event.text !== 'abort')) continue;
    const data = event.data as { txn?: unknown } | undefined;
    if (!data || typeof data.txn !== 'string') continue;
    out.push({ txn: data.txn, node: event.node, outcome: event.text, timeMs: event.timeMs });
  }
  return out;
}

/**
 * No node both commits and aborts the same transaction (BHG AC2: a decision is never
 * reversed, not even by a crash and a recovery).
 *
 * @example
 *   singleOutcome(sim.trace.events); // { ok: true } or "p2 both committed and aborted txn t1: ..."
 */
export function singleOutcome(input: readonly TraceEvent[] | readonly OutcomeRecord[]): AtomicityResult {
  const seen = new Map<string, { commit?: OutcomeRecord; abort?: OutcomeRecord }>();
  for (const record of toRecords(input)) {
    const key = `${record.txn}\u0000${record.node}`;
    const entry = seen.get(key) ?? {};
    seen.set(key, entry);
    if (entry[record.outcome] === undefined) entry[record.outcome] = record;
    if (entry.commit && entry.abort) {
      const { commit, abort } = entry;
      return {
        ok: false,
        invariant: 'single outcome',
        message: `${record.node} both committed and aborted txn ${record.txn}: committed at ${formatMs(commit.timeMs)} ms, aborted at ${formatMs(abort.timeMs)} ms`,
        txn: record.txn,
        committed: commit,
        aborted: abort,
      };
    }
  }
  return { ok: true };
}

/**
 * Atomicity: no transaction is committed by one node and aborted by another, and no node
 * reaches both outcomes. Reports the first violation in trace order, naming the first node
 * to commit and the first to abort, with their times.
 *
 * @example
 *   const result = atomicity(sim.trace.events);
 *   // { ok: false, message: 'atomicity broken for txn t1: p1 committed at 412 ms, p3 aborted at 380 ms', ... }
 */
export function atomicity(input: readonly TraceEvent[] | readonly OutcomeRecord[]): AtomicityResult {
  const records = toRecords(input);
  const single = singleOutcome(records);
  if (!single.ok) return single;
  const firsts = new Map<string, { commit?: OutcomeRecord; abort?: OutcomeRecord }>();
  for (const record of records) {
    const entry = firsts.get(record.txn) ?? {};
    firsts.set(record.txn, entry);
    if (entry[record.outcome] === undefined) entry[record.outcome] = record;
    if (entry.commit && entry.abort) {
      const { commit, abort } = entry;
      return {
        ok: false,
        invariant: 'atomicity',
        message: `atomicity broken for txn ${record.txn}: ${commit.node} committed at ${formatMs(commit.timeMs)} ms, ${abort.node} aborted at ${formatMs(abort.timeMs)} ms`,
        txn: record.txn,
        committed: commit,
        aborted: abort,
      };
    }
  }
  return { ok: true };
}

function toRecords(input: readonly TraceEvent[] | readonly OutcomeRecord[]): OutcomeRecord[] {
  if (input.length === 0) return [];
  if ('kind' in input[0]) return outcomeRecords(input as readonly TraceEvent[]);
  return (input as readonly OutcomeRecord[]).slice().sort((a, b) => a.timeMs - b.timeMs);
}

/** Milliseconds as the trace has them (exact to the microsecond), without trailing zeros. */
function formatMs(ms: number): string {
  return String(Math.round(ms * 1000) / 1000);
}
