import { NodeId } from '../../core';
import { RaftCluster } from './cluster';
import { LogEntry } from './messages';
import { RAFT_LOG_KEY, RAFT_TERM_KEY, raftEntryKey } from './node';

/** One server's log as the notebooks draw it (the shape `logGridChart` in lib/viz takes). */
export interface RaftLogView {
  server: NodeId;
  status: 'leader' | 'candidate' | 'follower' | 'down';
  term: number;
  commitIndex: number;
  /** `label`: the command in a few letters ('noop', 'cfg' for a configuration); `detail`: all of it. */
  entries: { index: number; term: number; label: string; detail: string }[];
}

/**
 * Every server's log now, for a log grid: live servers from memory (with their role, term and
 * commit index), crashed ones from their durable storage (what a restart will load).
 * Compacted entries (inside a snapshot) are left out.
 *
 * @example
 *   chart(logGridChart({ title: 'Logs after the partition heals', servers: raftLogViews(cluster) }));
 */
export function raftLogViews(cluster: RaftCluster, servers: readonly NodeId[] = cluster.servers): RaftLogView[] {
  return servers.map((id) => {
    const node = cluster.node(id);
    if (node !== null) {
      const s = node.state;
      const log = s.log;
      return {
        server: id,
        status: node.isLeader() ? 'leader' : s.role === 'candidate' ? 'candidate' : 'follower',
        term: s.currentTerm,
        commitIndex: s.commitIndex,
        entries: log.entries.map((e, i) => ({ index: log.snapshotIndex + i + 1, term: e.term, ...commandLabels(e) })),
      };
    }
    const disk = cluster.sim.durable(id);
    const meta = disk.get(RAFT_LOG_KEY) as { snapshotIndex: number; lastIndex: number } | undefined;
    const hard = disk.get(RAFT_TERM_KEY) as { currentTerm: number } | undefined;
    const entries: RaftLogView['entries'] = [];
    if (meta) {
      for (let i = meta.snapshotIndex + 1; i <= meta.lastIndex; i++) {
        const e = disk.get(raftEntryKey(i)) as LogEntry | undefined;
        if (e) entries.push({ index: i, term: e.term, ...commandLabels(e) });
      }
    }
    return { server: id, status: 'down', term: hard?.currentTerm ?? 0, commitIndex: 0, entries };
  });
}

/** A few letters for an entry's command ('noop', 'cfg', or the data), and the whole of it. */
function commandLabels(entry: LogEntry): { label: string; detail: string } {
  const c = entry.command;
  switch (c.type) {
    case 'noop':
      return { label: 'noop', detail: 'no-op (a new leader\'s first entry)' };
    case 'config':
      return { label: 'cfg', detail: `configuration {${c.servers.join(', ')}}` };
    case 'command': {
      const text = typeof c.data === 'string' ? c.data : JSON.stringify(c.data);
      return { label: text, detail: text };
    }
  }
}
