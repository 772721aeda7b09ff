import { NodeId, requireInteger } from '../../core';
import { NetworkOptions } from '../../sim';
import { staleReads } from './checks';
import { quorumsIntersect } from './config';
import { QuorumCluster, quorumCluster } from './cluster';
import { compareVersions } from './versions';

/**
 * Scenarios for the notebook "Availability against consistency": W + R > N reads the latest
 * write; smaller quorums may not (Bailis et al., VLDB 2012, §2.1; Dynamo §4.5).
 */

/** What one adversarial write-then-read did. */
export interface StaleReadDemo {
  N: number;
  R: number;
  W: number;
  /** W + R > N. */
  intersect: boolean;
  /** The replicas the second write reached quickly (the rest get it 500 ms late). */
  writeQuorum: NodeId[];
  /** The replicas that answered the read first. */
  readQuorum: NodeId[];
  /** What the read returned, and what the latest completed write was. */
  readValue: string | null;
  latestValue: string;
  stale: boolean;
  cluster: QuorumCluster;
}

/**
 * The adversarial schedule of quorum intersection: N replicas hold 'x' = 'v1'. Then the links
 * from the writer's coordinator to all but W replicas become slow (500 ms), and the links from
 * the reader's coordinator to all but R *other* replicas too; 'v2' is written and, as soon as
 * the write completes, read. The read's fast replicas are the last R of the preference list,
 * the write's the first W: they overlap exactly when W + R > N. So the read returns 'v2' iff
 * W + R > N. No read repair, so the schedule alone decides.
 *
 * @example
 *   staleReadDemo({ N: 3, R: 1, W: 1 }).stale; // true: 'v1' was read after 'v2' was written
 *   staleReadDemo({ N: 3, R: 2, W: 2 }).stale; // false
 */
export function staleReadDemo(options: { N?: number; R: number; W: number; seed?: number | string }): StaleReadDemo {
  const N = requireInteger('N', options.N ?? 3, 1);
  const cluster = quorumCluster({
    seed: options.seed ?? 1, nodes: N, N, R: options.R, W: options.W, readRepair: 'none', clients: 1,
    requestTimeoutMs: 5000, clientTimeoutMs: 10_000, network: { latency: { kind: 'constant', ms: 2 } },
  });
  const R = cluster.config.R.count;
  const W = cluster.config.W.count;
  const homes = cluster.homes('x');
  const writer = homes[0];
  const reader = homes[N - 1];
  const writeQuorum = homes.slice(0, W);
  const readQuorum = homes.slice(N - R);
  cluster.put('x', 'v1', { via: writer });
  cluster.runUntilDone();
  cluster.run(cluster.sim.now() + 10);
  const slow: Partial<NetworkOptions> = { latency: { kind: 'constant', ms: 500 } };
  for (const h of homes) {
    if (!writeQuorum.includes(h)) cluster.sim.configureLink(writer, h, slow);
    if (!readQuorum.includes(h)) cluster.sim.configureLink(reader, h, slow);
  }
  cluster.put('x', 'v2', { via: writer });
  cluster.get('x', { via: reader });
  cluster.runUntilDone();
  const ops = cluster.operations();
  const read = ops[ops.length - 1];
  const latest = ops[ops.length - 2];
  return {
    N, R, W, intersect: quorumsIntersect(N, R, W), writeQuorum, readQuorum,
    readValue: read.value, latestValue: latest.value ?? '', stale: compareVersions(read.version, latest.version) < 0, cluster,
  };
}

/**
 * The adversarial schedule for every R and W in 1..N: one row each, for a table or a heat map.
 *
 * @example
 *   staleReadTable(3).filter((r) => r.stale).map((r) => `R=${r.R} W=${r.W}`); // ['R=1 W=1', 'R=1 W=2', 'R=2 W=1']
 */
export function staleReadTable(N = 3): { N: number; R: number; W: number; intersect: boolean; stale: boolean; readValue: string | null }[] {
  const rows = [];
  for (let R = 1; R <= N; R++) {
    for (let W = 1; W <= N; W++) {
      const d = staleReadDemo({ N, R, W });
      rows.push({ N, R, W, intersect: d.intersect, stale: d.stale, readValue: d.readValue });
    }
  }
  return rows;
}

/** How often reads were stale in a random run. */
export interface StaleReadRate {
  N: number;
  R: number;
  W: number;
  /** Reads that began after at least one write had completed. */
  reads: number;
  stale: number;
  fraction: number;
}

/**
 * A client puts 'x' every `periodMs` through one coordinator and, as soon as the put completes,
 * gets it through another, on a random network; counts the reads that returned an older
 * version than a write completed before they began. With W + R > N
 * the count is 0 whatever the seed; with W + R <= N it is usually not.
 *
 * @example
 *   staleReadRate({ R: 1, W: 1, seed: 3 }).fraction; // e.g. 0.2
 *   staleReadRate({ R: 2, W: 2, seed: 3 }).fraction; // 0
 */
export function staleReadRate(options: {
  N?: number; R: number; W: number; seed: number | string; operations?: number; periodMs?: number;
  network?: Partial<NetworkOptions>; readRepair?: 'none' | 'async' | 'blocking';
}): StaleReadRate {
  const N = options.N ?? 3;
  const count = requireInteger('operations', options.operations ?? 200, 1);
  const periodMs = options.periodMs ?? 20;
  const cluster = quorumCluster({
    seed: options.seed, nodes: N + 1, N, R: options.R, W: options.W, readRepair: options.readRepair ?? 'none', clients: 1,
    network: options.network ?? { latency: { kind: 'exponential', meanMs: 4, minMs: 0.5 } }, requestTimeoutMs: 1000, clientTimeoutMs: 5000,
  });
  const homes = cluster.homes('x');
  for (let i = 0; i < count; i++) {
    cluster.put('x', `v${i + 1}`, { client: 'c1', via: homes[0], atMs: i * periodMs });
    cluster.get('x', { client: 'c1', via: homes[N - 1], atMs: i * periodMs });
  }
  cluster.runUntilDone({ maxTimeMs: count * periodMs + 60_000 });
  const ops = cluster.operations();
  const firstPutDone = Math.min(...ops.filter((o) => o.f === 'put' && o.status === 'ok').map((o) => o.completedMs as number));
  const reads = ops.filter((o) => o.f === 'get' && o.status === 'ok' && o.invokedMs > firstPutDone).length;
  const stale = staleReads(ops).length;
  return { N, R: cluster.config.R.count, W: cluster.config.W.count, reads, stale, fraction: reads === 0 ? 0 : stale / reads };
}
