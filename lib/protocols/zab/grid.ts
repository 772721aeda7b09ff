import { NodeId } from '../../core';
import { ZabCluster } from './cluster';
import { Txn } from './messages';
import { ZAB_KEYS } from './state';

/** One server's history as the notebooks draw it (the shape `logGridChart` in lib/viz takes: `term` is the epoch). */
export interface ZabLogView {
  server: NodeId;
  /** 'leader', 'follower', 'looking', or 'down'; with the phase while not in BROADCAST. */
  status: string;
  /** Its current epoch. */
  term: number;
  /** How many transactions it delivered (the committed prefix). */
  commitIndex: number;
  /** Position (from 1), the transaction's epoch, a few letters of its value, and all of it. */
  entries: { index: number; term: number; label: string; detail: string }[];
}

/**
 * Every server's history now, for a log grid coloured by epoch: live servers from memory,
 * crashed ones from their durable storage (what a restart will load).
 *
 * @example
 *   chart(logGridChart({ title: 'Histories after recovery', servers: zabLogViews(cluster) }));
 */
export function zabLogViews(cluster: ZabCluster, servers: readonly NodeId[] = cluster.servers): ZabLogView[] {
  return servers.map((id) => {
    const node = cluster.node(id);
    if (node !== null) {
      const s = node.state;
      const role = s.role === 'leading' ? 'leader' : s.role === 'following' ? 'follower' : 'looking';
      return { server: id, status: s.phase === 'BROADCAST' || s.phase === 'ELECTION' ? role : `${role}, ${s.phase}`, term: s.currentEpoch, commitIndex: s.committed, entries: s.history.map(entry) };
    }
    const disk = cluster.sim.durable(id);
    const log = disk.get(ZAB_KEYS.log) as { length: number } | undefined;
    const epochs = disk.get(ZAB_KEYS.epochs) as { currentEpoch: number } | undefined;
    const history: Txn[] = [];
    for (let i = 0; i < (log?.length ?? 0); i++) history.push(disk.get(ZAB_KEYS.txn(i)) as Txn);
    return { server: id, status: 'down', term: epochs?.currentEpoch ?? 0, commitIndex: (disk.get(ZAB_KEYS.committed) as number | undefined) ?? 0, entries: history.map(entry) };
  });
}

function entry(t: Txn, i: number): ZabLogView['entries'][number] {
  const z = `(${t.zxid.epoch},${t.zxid.counter})`;
  if (typeof t.value === 'string') return { index: i + 1, term: t.zxid.epoch, label: t.value, detail: `${z} ${t.value}` };
  const w = t.value;
  return { index: i + 1, term: t.zxid.epoch, label: w.value.replace(/[[\]]/g, ''), detail: `${z} ${w.op} ${w.key} ${w.value} (${w.client}#${w.seq})` };
}
