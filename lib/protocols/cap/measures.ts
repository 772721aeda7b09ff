import { HistoryEntry, TraceEvent } from '../../core';
import { Database } from '../gossip/versions';

/**
 * What the CAP and BASE experiments measure, from the client history and the trace: pure
 * functions over plain data.
 */

/** One client operation, paired from the history: what it did and when. */
export interface PairedOperation {
  process: string;
  f: 'read' | 'write';
  key: string;
  /** The value written, or the value read (null: nothing yet). */
  value: string | null;
  type: 'ok' | 'fail' | 'info';
  invokeMs: number;
  /** null when it never completed (or timed out as info). */
  completeMs: number | null;
}

/** Pairs invoke and completion entries of a register ('read'/'write') or kv ('get'/'put') history. */
export function pairOperations(history: readonly HistoryEntry[]): PairedOperation[] {
  const open = new Map<number, PairedOperation>();
  const out: PairedOperation[] = [];
  for (const e of history) {
    const kv = e.value !== null && typeof e.value === 'object' && 'key' in (e.value as object);
    const key = kv ? String((e.value as { key: unknown }).key) : 'x';
    const raw = kv ? (e.value as { value?: unknown }).value : e.value;
    if (e.type === 'invoke') {
      const f = e.f === 'write' || e.f === 'put' ? 'write' : 'read';
      const op: PairedOperation = { process: e.process, f, key, value: f === 'write' ? String(raw) : null, type: 'info', invokeMs: e.timeMs, completeMs: null };
      open.set(e.opId, op);
      out.push(op);
      continue;
    }
    const op = open.get(e.opId);
    if (!op) continue;
    open.delete(e.opId);
    op.type = e.type;
    if (e.type !== 'info') op.completeMs = e.timeMs;
    if (op.f === 'read' && e.type === 'ok') op.value = raw === undefined || raw === null ? null : String(raw);
  }
  return out;
}

/** Requests served (answered ok) over requests made. */
export function availability(ops: readonly PairedOperation[]): { requests: number; served: number; share: number } {
  const served = ops.filter((o) => o.type === 'ok').length;
  return { requests: ops.length, served, share: ops.length === 0 ? 1 : served / ops.length };
}

/**
 * Stale reads: reads that returned a value already overwritten in real time. A read r of key k
 * is stale when some write w of k completed before r began, and r returned either nothing or
 * the value of a write that completed before w began (so w must come after it in any order
 * that respects real time). Linearizability forbids every one of them (Herlihy & Wing 1990);
 * eventual consistency allows them while replicas disagree.
 *
 * @example
 *   staleReads(pairOperations(sim.history)).length;
 */
export function staleReads(ops: readonly PairedOperation[]): PairedOperation[] {
  const writes = ops.filter((o) => o.f === 'write');
  const byValue = new Map(writes.map((w) => [`${w.key}\u0000${w.value}`, w]));
  const out: PairedOperation[] = [];
  for (const r of ops) {
    if (r.f !== 'read' || r.type !== 'ok') continue;
    const source = r.value === null ? null : byValue.get(`${r.key}\u0000${r.value}`);
    const sourceDone = source === null ? -Infinity : source?.completeMs ?? Infinity;
    const overwritten = writes.some((w) => w.key === r.key && w.type === 'ok' && w !== source && (w.completeMs as number) < r.invokeMs && sourceDone < w.invokeMs);
    if (overwritten) out.push(r);
  }
  return out;
}

/**
 * Lost updates: acknowledged writes that no surviving version descends from. Replicas
 * annotate each write with the values it replaced at its coordinator ('wrote', { key, value,
 * basedOn }); a write survives if its value is held at the end, or is an ancestor (through
 * `basedOn`) of a value held at the end. A write that a later write replaced knowingly is not
 * lost; one that reconciliation threw away (last-writer-wins picking a concurrent write) is.
 *
 * @example
 *   lostUpdates(sim.trace.events, pairOperations(sim.history), [db1, db2, db3]).length;
 */
export function lostUpdates(trace: readonly TraceEvent[], ops: readonly PairedOperation[], finalDatabases: readonly Database[]): PairedOperation[] {
  const basedOn = new Map<string, string[]>();
  for (const e of trace) {
    if (e.kind !== 'annotate' || e.text !== 'wrote') continue;
    const d = e.data as { key: string; value: string; basedOn: string[] };
    basedOn.set(`${d.key}\u0000${d.value}`, d.basedOn.map((v) => `${d.key}\u0000${v}`));
  }
  const alive = new Set<string>();
  const stack: string[] = [];
  for (const db of finalDatabases) for (const key of Object.keys(db)) for (const v of db[key]) stack.push(`${key}\u0000${v.value}`);
  while (stack.length > 0) {
    const id = stack.pop() as string;
    if (alive.has(id)) continue;
    alive.add(id);
    for (const parent of basedOn.get(id) ?? []) stack.push(parent);
  }
  return ops.filter((o) => o.f === 'write' && o.type === 'ok' && !alive.has(`${o.key}\u0000${o.value}`));
}

/** Messages in a trace by type, with the versions and hashes they carried. */
export interface TrafficCount {
  messages: number;
  versions: number;
  hashes: number;
}

/**
 * The traffic of repairs in a trace (sends only): read repair (`ReadRequest` / `ReadReply`
 * with a 'repair:' request), write repair (`Replicate` re-sent without a request, hints and
 * their acknowledgements), anti-entropy (`MerkleCompare`, `MerkleEntries`, `SyncAll`). The
 * versions count is the number of versions carried; hashes, the Merkle hashes.
 */
export function repairTraffic(trace: readonly TraceEvent[], fromMs = 0): TrafficCount {
  const out: TrafficCount = { messages: 0, versions: 0, hashes: 0 };
  for (const e of trace) {
    if (e.kind !== 'send' || e.timeMs < fromMs) continue;
    const m = e.msg as { type: string; reqId?: string | null; versions?: unknown[]; entries?: Database; hashes?: unknown[] };
    const isRepair =
      ((m.type === 'ReadRequest' || m.type === 'ReadReply') && String(m.reqId).startsWith('repair:')) ||
      ((m.type === 'Replicate' || m.type === 'ReplicateAck') && (m.reqId === null || String(m.reqId).startsWith('hint:'))) ||
      ['Hint', 'HintAck', 'MerkleCompare', 'MerkleEntries', 'SyncAll'].includes(m.type);
    if (!isRepair) continue;
    out.messages++;
    out.versions += m.versions?.length ?? 0;
    if (m.entries) for (const key of Object.keys(m.entries)) out.versions += m.entries[key].length;
    out.hashes += m.hashes?.length ?? 0;
  }
  return out;
}
