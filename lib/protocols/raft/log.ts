import { NodeId } from '../../core';
import { LogEntry } from './messages';

/**
 * A Raft log with its compacted prefix (§7 "Log compaction"): entries 1..snapshotIndex live
 * only in the snapshot, `entries[0]` has index snapshotIndex + 1. Log indexes start at 1;
 * index 0 (term 0) is the empty prefix every log shares. Plain data; treat it as immutable
 * in rules (return a new object when it changes).
 */
export interface RaftLog {
  /** The last index the snapshot covers (0: no snapshot). */
  snapshotIndex: number;
  /** The term of the entry at snapshotIndex (0: no snapshot). */
  snapshotTerm: number;
  /** Entries snapshotIndex + 1, snapshotIndex + 2, ... */
  entries: LogEntry[];
}

/** An empty log. */
export function emptyLog(): RaftLog {
  return { snapshotIndex: 0, snapshotTerm: 0, entries: [] };
}

/** The index of the last entry (snapshotIndex when no entry follows the snapshot). */
export function lastLogIndex(log: RaftLog): number {
  return log.snapshotIndex + log.entries.length;
}

/** The term of the last entry (snapshotTerm when no entry follows the snapshot). */
export function lastLogTerm(log: RaftLog): number {
  return log.entries.length > 0 ? log.entries[log.entries.length - 1].term : log.snapshotTerm;
}

/**
 * The term of the entry at `index`: snapshotTerm at snapshotIndex, undefined below it (the
 * entry was compacted) or past the end.
 *
 * @example
 *   termAt({ snapshotIndex: 0, snapshotTerm: 0, entries: [{ term: 1, command: { type: 'noop' } }] }, 1); // 1
 */
export function termAt(log: RaftLog, index: number): number | undefined {
  if (index === log.snapshotIndex) return log.snapshotTerm;
  if (index < log.snapshotIndex || index > lastLogIndex(log)) return undefined;
  return log.entries[index - log.snapshotIndex - 1].term;
}

/** The entry at `index`, or undefined when it is compacted or past the end. */
export function entryAt(log: RaftLog, index: number): LogEntry | undefined {
  if (index <= log.snapshotIndex || index > lastLogIndex(log)) return undefined;
  return log.entries[index - log.snapshotIndex - 1];
}

/** Entries from `from` (>= snapshotIndex + 1) to the end, at most `max` of them. */
export function entriesFrom(log: RaftLog, from: number, max = Infinity): LogEntry[] {
  const start = from - log.snapshotIndex - 1;
  if (start < 0) throw new Error(`entriesFrom(${from}): entries up to ${log.snapshotIndex} are compacted`);
  return log.entries.slice(start, max === Infinity ? undefined : start + max);
}

/** The log with entries from `from` on removed (from > snapshotIndex). */
export function truncateFrom(log: RaftLog, from: number): RaftLog {
  return { ...log, entries: log.entries.slice(0, Math.max(0, from - log.snapshotIndex - 1)) };
}

/** The first index holding `term` (the conflict hint's ConflictIndex), searching down from `index`. */
export function firstIndexOfTerm(log: RaftLog, index: number, term: number): number {
  let i = index;
  while (i - 1 > log.snapshotIndex && termAt(log, i - 1) === term) i--;
  return i;
}

/** The last index holding `term`, or 0 if no entry after the snapshot has it. */
export function lastIndexOfTerm(log: RaftLog, term: number): number {
  for (let i = log.entries.length - 1; i >= 0; i--) {
    if (log.entries[i].term === term) return log.snapshotIndex + i + 1;
    if (log.entries[i].term < term) return 0;
  }
  return 0;
}

/**
 * The configuration in effect at `index` (dissertation §4.1: the latest configuration entry
 * in the log, committed or not), else `fallback` (the snapshot's, or the bootstrap servers).
 * Returns the servers and the index of the entry they came from (0 for the fallback).
 */
export function configAt(log: RaftLog, index: number, fallback: readonly NodeId[]): { servers: NodeId[]; index: number } {
  for (let i = Math.min(index, lastLogIndex(log)); i > log.snapshotIndex; i--) {
    const c = log.entries[i - log.snapshotIndex - 1].command;
    if (c.type === 'config') return { servers: c.servers.slice(), index: i };
  }
  return { servers: fallback.slice(), index: 0 };
}

/** "[1:1 2:1 3:2]": index:term of each entry, for messages. */
export function formatLog(log: RaftLog): string {
  const head = log.snapshotIndex > 0 ? `snapshot..${log.snapshotIndex}:${log.snapshotTerm} ` : '';
  return `[${head}${log.entries.map((e, i) => `${log.snapshotIndex + i + 1}:${e.term}`).join(' ')}]`;
}
