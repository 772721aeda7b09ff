import { NodeId } from '../../core';

/**
 * Versioned values, the data that replicas exchange and reconcile: a value stamped with the
 * time and node that wrote it (Demers et al. 1987 §1: "each entry is a (value, timestamp)
 * pair", ties broken by site) and a vector clock that says which writes it has seen (Fidge and
 * Mattern 1988; Dynamo, DeCandia et al. 2007 §4.4, keeps concurrent versions as siblings).
 * Plain data, so a replica's database can be persisted, copied and drawn.
 */

/** How many writes of each node a version has seen: `{ r1: 2, r3: 1 }`. Missing entries are 0. */
export type VectorClock = Record<NodeId, number>;

/**
 * One written value. `timestampMs` and `node` order versions for last-writer-wins (the node
 * breaks ties between equal timestamps); `clock` orders them causally for sibling merging.
 * A write by node r makes `clock[r]` one higher than every clock r had seen for the key, so
 * `clock[r]` also names the write: (r, clock[r]) is its "dot".
 */
export interface Version {
  value: string;
  timestampMs: number;
  node: NodeId;
  clock: VectorClock;
}

/**
 * A replica's database: for each key, the versions it keeps. Under last-writer-wins there is
 * at most one; under vector clocks, one per concurrent write (siblings), sorted by
 * `compareStamps` so that equal sets of siblings are equal arrays.
 */
export type Database = Record<string, Version[]>;

/** The causal order of two clocks: a before b, a after b, equal, or concurrent (neither saw the other). */
export type ClockOrder = 'before' | 'after' | 'equal' | 'concurrent';

/**
 * Compares two vector clocks entry by entry (Mattern 1988): `before` when every entry of a is
 * at most b's and one is lower.
 *
 * @example
 *   compareClocks({ r1: 1 }, { r1: 1, r2: 1 }); // 'before'
 *   compareClocks({ r1: 2 }, { r2: 1 });        // 'concurrent'
 */
export function compareClocks(a: VectorClock, b: VectorClock): ClockOrder {
  let aLower = false;
  let bLower = false;
  for (const node of Object.keys(a)) {
    const x = a[node] ?? 0;
    const y = b[node] ?? 0;
    if (x < y) aLower = true;
    else if (x > y) bLower = true;
  }
  for (const node of Object.keys(b)) {
    if (node in a) continue;
    if ((b[node] ?? 0) > 0) aLower = true;
  }
  if (aLower && bLower) return 'concurrent';
  if (aLower) return 'before';
  if (bLower) return 'after';
  return 'equal';
}

/** The entry-wise maximum of clocks: a clock that has seen everything each of them has seen. */
export function mergeClocks(...clocks: readonly VectorClock[]): VectorClock {
  const out: VectorClock = {};
  for (const clock of clocks) for (const node of Object.keys(clock)) out[node] = Math.max(out[node] ?? 0, clock[node]);
  return sortedClock(out);
}

/** The clock with its keys in sorted order (so that equal clocks serialise the same way). */
export function sortedClock(clock: VectorClock): VectorClock {
  const out: VectorClock = {};
  for (const node of Object.keys(clock).sort()) if (clock[node] > 0) out[node] = clock[node];
  return out;
}

/**
 * The last-writer-wins order: by timestamp, then by node id (Demers §1.1; the tie-break makes
 * it a total order, so every replica picks the same winner). Negative, zero or positive.
 *
 * @example
 *   compareStamps({ timestampMs: 5, node: 'r2' }, { timestampMs: 5, node: 'r1' }); // > 0
 */
export function compareStamps(a: Pick<Version, 'timestampMs' | 'node'>, b: Pick<Version, 'timestampMs' | 'node'>): number {
  if (a.timestampMs !== b.timestampMs) return a.timestampMs - b.timestampMs;
  return a.node < b.node ? -1 : a.node > b.node ? 1 : 0;
}

/** True when the two versions are the same write (same stamp, value and clock). */
export function sameVersion(a: Version, b: Version): boolean {
  return compareStamps(a, b) === 0 && a.value === b.value && compareClocks(a.clock, b.clock) === 'equal';
}

/** True when the two sibling lists hold the same versions (in any order). */
export function sameSiblings(a: readonly Version[], b: readonly Version[]): boolean {
  if (a.length !== b.length) return false;
  return a.every((v) => b.some((w) => sameVersion(v, w)));
}

/** "x@5ms.r1{r1:1}" for reports. */
export function formatVersion(v: Version | null | undefined): string {
  if (!v) return '-';
  const clock = Object.keys(v.clock).map((k) => `${k}:${v.clock[k]}`).join(',');
  return `${JSON.stringify(v.value)}@${v.timestampMs}ms.${v.node}{${clock}}`;
}

/** The sibling a single-valued read returns: the greatest by (timestamp, node), or null. */
export function newestVersion(siblings: readonly Version[] | undefined): Version | null {
  if (!siblings || siblings.length === 0) return null;
  let best = siblings[0];
  for (const v of siblings) if (compareStamps(v, best) > 0) best = v;
  return best;
}

/** True when some version in `siblings` has seen the write (node, counter): its dot is covered. */
export function coversWrite(siblings: readonly Version[] | undefined, node: NodeId, counter: number): boolean {
  return (siblings ?? []).some((v) => (v.clock[node] ?? 0) >= counter);
}
