import { HistoryEntry, NodeId, TraceEvent } from '../core';

/**
 * PBFT's checkers (Castro & Liskov, OSDI 1999, §4.5 "Correctness"), over a trace. They read
 * the replicas' 'execute' annotations ({ seq, view, digest, request }), written by
 * lib/protocols/pbft's PbftReplica, and only those of honest replicas: a Byzantine replica
 * may do anything.
 */
export type PbftCheckResult = { ok: true } | { ok: false; property: 'Agreement' | 'Order' | 'Liveness'; message: string };

/**
 * Safety (OSDI §4.5.1): no two honest replicas execute different requests at the same sequence
 * number, in any views; and each honest replica executes sequence numbers in increasing order.
 *
 * @example
 *   checkPbftSafety(sim.trace.events, ['r2', 'r3', 'r4']); // { ok: true }
 */
export function checkPbftSafety(events: readonly TraceEvent[], honest: readonly NodeId[]): PbftCheckResult {
  const honestSet = new Set(honest);
  const first = new Map<number, { node: NodeId; digest: string; view: number; timeMs: number; request: unknown }>();
  const lastSeq = new Map<NodeId, number>();
  for (const e of events) {
    if (e.kind !== 'annotate' || e.text !== 'execute' || !honestSet.has(e.node)) continue;
    const d = e.data as { seq: number; view: number; digest: string; request: unknown };
    const prev = lastSeq.get(e.node) ?? 0;
    if (d.seq <= prev) return { ok: false, property: 'Order', message: `Order broken: ${e.node} executed seq ${d.seq} at ${e.timeMs} ms after seq ${prev}` };
    lastSeq.set(e.node, d.seq);
    const seen = first.get(d.seq);
    if (!seen) first.set(d.seq, { node: e.node, digest: d.digest, view: d.view, timeMs: e.timeMs, request: d.request });
    else if (seen.digest !== d.digest) {
      return {
        ok: false,
        property: 'Agreement',
        message: `Agreement broken at seq ${d.seq}: ${seen.node} executed ${JSON.stringify(seen.request)} (view ${seen.view}) at ${seen.timeMs} ms, but ${e.node} executed ${JSON.stringify(d.request)} (view ${d.view}) at ${e.timeMs} ms`,
      };
    }
  }
  return { ok: true };
}

/**
 * Liveness (OSDI §4.5.2), as a test can check it: every operation a client invoked completed.
 *
 * @example
 *   checkPbftLiveness(sim.history); // { ok: true } once the faults stopped long enough
 */
export function checkPbftLiveness(history: readonly HistoryEntry[]): PbftCheckResult {
  const done = new Set(history.filter((h) => h.type === 'ok').map((h) => h.opId));
  const open = history.filter((h) => h.type === 'invoke' && !done.has(h.opId));
  if (open.length === 0) return { ok: true };
  return { ok: false, property: 'Liveness', message: `Liveness: ${open.length} operation(s) never completed, first ${open[0].process} ${JSON.stringify(open[0].value)} invoked at ${open[0].timeMs} ms` };
}
