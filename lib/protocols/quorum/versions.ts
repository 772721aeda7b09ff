import { NodeId } from '../../core';

/**
 * Versions of a key's value. Every write gets a version from its coordinator: a timestamp in
 * microseconds of (virtual) time, bumped past every version the coordinator has seen, with the
 * coordinator's id to break ties. Newer means a higher timestamp, then a higher node id: last
 * writer wins, as Cassandra orders its cells (Lakshman & Malik, "Cassandra", LADIS 2009) and
 * as a hybrid logical clock does (Kulkarni et al., 2014). The simulator's clocks are perfectly
 * synchronised, so a write that begins after another completed always gets a higher version.
 * (Dynamo itself keeps vector clocks and returns siblings, §4.4; a total order keeps a quorum
 * read's "pick the newest" simple.)
 */
export interface Version {
  ts: number;
  node: NodeId;
}

/** A value with its version: what a replica stores under a key. */
export interface VersionedValue {
  value: string;
  version: Version;
}

/** Negative, zero or positive as a is older than, the same as, or newer than b; null is oldest of all. */
export function compareVersions(a: Version | null | undefined, b: Version | null | undefined): number {
  if (!a || !b) return !a && !b ? 0 : !a ? -1 : 1;
  if (a.ts !== b.ts) return a.ts - b.ts;
  return a.node < b.node ? -1 : a.node > b.node ? 1 : 0;
}

/** The newer of two records (a when equal); null when both are null. */
export function newerRecord(a: VersionedValue | null | undefined, b: VersionedValue | null | undefined): VersionedValue | null {
  if (!a) return b ?? null;
  if (!b) return a;
  return compareVersions(b.version, a.version) > 0 ? b : a;
}

/** "1042.n3" for { ts: 1042, node: 'n3' }; "-" for none. */
export function formatVersion(version: Version | null | undefined): string {
  return version ? `${version.ts}.${version.node}` : '-';
}
