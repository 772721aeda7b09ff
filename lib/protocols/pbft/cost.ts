import { requireInteger } from '../../core';
import { pbftCluster } from './cluster';

/** One row of the message-cost table. */
export interface PbftCostRow {
  n: number;
  f: number;
  /** Messages sent per request, measured (normal case, one client, no faults). */
  measured: number;
  /** What the protocol implies per request (see pbftMessagesImplied). */
  implied: number;
  /** Measured, by message type. */
  byType: Record<string, number>;
}

/**
 * The messages one request costs in the normal case (OSDI §4.2): 1 request, n-1 pre-prepares,
 * (n-1)(n-1) prepares (each backup to every other replica), n(n-1) commits, n replies, and
 * n(n-1)/K checkpoint messages amortised over K requests. Quadratic in n: why PBFT stays small.
 *
 * @example
 *   pbftMessagesImplied(4, 8); // 1 + 3 + 9 + 12 + 4 + 1.5 = 30.5
 */
export function pbftMessagesImplied(n: number, checkpointInterval: number): number {
  return 1 + (n - 1) + (n - 1) * (n - 1) + n * (n - 1) + n + (n * (n - 1)) / checkpointInterval;
}

/**
 * Measures messages per request against n (for the notebook): for each n, a cluster with
 * f = floor((n-1)/3), one client running `requests` operations on a reliable network; counts
 * every send and divides by the requests. Beside it, pbftMessagesImplied.
 *
 * @example
 *   pbftMessageCost([4, 7, 10]); // [{ n: 4, f: 1, measured: 30.5, implied: 30.5, ... }, ...]
 */
export function pbftMessageCost(ns: readonly number[] = [4, 7, 10, 13, 16, 19, 22, 25, 28, 31], requests = 8, seed: number | string = 1): PbftCostRow[] {
  requireInteger('requests', requests, 1);
  const checkpointInterval = requests; // one checkpoint in the run, so the amortised share is exact
  return ns.map((n) => {
    const f = Math.floor((n - 1) / 3);
    const c = pbftCluster({ seed, n, f, operations: requests, checkpointInterval });
    c.runUntil(c.clientsIdle, 60_000);
    c.run(c.sim.now() + 50);
    const byType: Record<string, number> = {};
    for (const e of c.sim.trace.events) {
      if (e.kind !== 'send') continue;
      const t = (e.msg as { type: string }).type;
      byType[t] = (byType[t] ?? 0) + 1 / requests;
    }
    const measured = Object.values(byType).reduce((a, b) => a + b, 0);
    return { n, f, measured: Math.round(measured * 100) / 100, implied: pbftMessagesImplied(n, checkpointInterval), byType };
  });
}
