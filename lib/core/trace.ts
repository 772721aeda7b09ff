import { NodeId } from './ids';
import { StableHash, canonicalJson } from './hash';

/**
 * The trace: every event of a run as plain data, in the order the simulator processed it.
 * Charts, checkers, tests and replays all read this one record. Times are in milliseconds
 * of virtual time (exact to the microsecond).
 */
export type TraceEvent =
  | SendEvent
  | DeliverEvent
  | DropEvent
  | TimerEvent
  | NodeEvent
  | PersistEvent
  | InvokeEvent
  | ReturnEvent
  | AnnotateEvent
  | NetworkEvent;

/** A message left `from` for `to`. `msgId` pairs it with its deliver or drop event(s). */
export interface SendEvent {
  kind: 'send';
  timeMs: number;
  from: NodeId;
  to: NodeId;
  msgId: number;
  msg: unknown;
}

/** A message arrived and its handler ran. A duplicated message is delivered twice with one msgId. */
export interface DeliverEvent {
  kind: 'deliver';
  timeMs: number;
  from: NodeId;
  to: NodeId;
  msgId: number;
  sentMs: number;
  msg: unknown;
}

export type DropReason = 'loss' | 'partition' | 'cut' | 'crashed' | 'unknown-node';

/** A message that never arrived, and why. */
export interface DropEvent {
  kind: 'drop';
  timeMs: number;
  from: NodeId;
  to: NodeId;
  msgId: number;
  sentMs: number;
  reason: DropReason;
  msg: unknown;
}

/** A timer fired at `node`; `timer` is the protocol's own timer data. */
export interface TimerEvent {
  kind: 'timer';
  timeMs: number;
  node: NodeId;
  timer: unknown;
}

/** A node's life: start, crash (volatile state lost), restart (from durable state), pause, resume. */
export interface NodeEvent {
  kind: 'start' | 'crash' | 'restart' | 'pause' | 'resume';
  timeMs: number;
  node: NodeId;
}

/** A node wrote `value` under `key` to its durable storage. */
export interface PersistEvent {
  kind: 'persist';
  timeMs: number;
  node: NodeId;
  key: string;
  value: unknown;
}

/** A client operation began (Jepsen's :invoke). */
export interface InvokeEvent {
  kind: 'invoke';
  timeMs: number;
  node: NodeId;
  opId: number;
  process: string;
  f: string;
  value: unknown;
}

/** A client operation ended: ok, fail (had no effect) or info (outcome unknown), as in Jepsen. */
export interface ReturnEvent {
  kind: 'return';
  timeMs: number;
  node: NodeId;
  opId: number;
  process: string;
  type: 'ok' | 'fail' | 'info';
  f: string;
  value: unknown;
}

/** A note a protocol or a scenario left for the reader ("decided COMMIT", "lock held"). */
export interface AnnotateEvent {
  kind: 'annotate';
  timeMs: number;
  node: NodeId;
  text: string;
  data?: unknown;
}

/** A change to the network: a partition into groups, a one-way cut, or healing. */
export interface NetworkEvent {
  kind: 'network';
  timeMs: number;
  change: 'partition' | 'cut' | 'heal' | 'configure';
  groups?: NodeId[][];
  from?: NodeId;
  to?: NodeId;
  detail?: unknown;
}

/**
 * One entry of a client history, Jepsen style: invoke, then ok, fail (no effect) or info
 * (unknown outcome). The simulator records them (`sim.history`); checkers read them.
 */
export interface HistoryEntry {
  opId: number;
  process: string;
  type: 'invoke' | 'ok' | 'fail' | 'info';
  f: string;
  value: unknown;
  timeMs: number;
}

/** A short label for a message in a diagram: its `type` field if it has one. */
export function messageLabel(msg: unknown): string {
  if (msg && typeof msg === 'object' && 'type' in msg) return String((msg as { type: unknown }).type);
  if (typeof msg === 'string') return msg;
  return canonicalJson(msg);
}

/**
 * A recorder of trace events. With `record: false` it keeps no events (for benchmarks and
 * long sweeps) but still counts them and, if asked, keeps a running hash.
 */
export class Trace {
  readonly events: TraceEvent[] = [];
  private count = 0;
  private readonly hasher: StableHash | null;

  constructor(readonly record = true, hashAlways = false) {
    this.hasher = hashAlways ? new StableHash() : null;
  }

  push(event: TraceEvent): void {
    this.count++;
    if (this.record) this.events.push(event);
    if (this.hasher) this.hasher.update(canonicalJson(event)).update('\n');
  }

  /** How many events were recorded (or counted, when not recording). */
  get length(): number {
    return this.count;
  }

  /**
   * A stable hash of the whole trace: two runs with the same seed and code give the same hash.
   * Needs either recording or `hashAlways`.
   */
  hash(): string {
    if (this.hasher) return this.hasher.digest();
    if (!this.record) throw new Error('trace.hash() needs a recording trace or hashAlways: true');
    return hashTrace(this.events);
  }

  /** The events of one kind, typed. */
  ofKind<K extends TraceEvent['kind']>(kind: K): Extract<TraceEvent, { kind: K }>[] {
    return this.events.filter((e) => e.kind === kind) as Extract<TraceEvent, { kind: K }>[];
  }
}

/** Hash of a list of trace events, one canonical JSON line each. */
export function hashTrace(events: readonly TraceEvent[]): string {
  const h = new StableHash();
  for (const e of events) h.update(canonicalJson(e)).update('\n');
  return h.digest();
}

/** The trace as JSON lines, for saving next to a failing test. */
export function traceToJsonLines(events: readonly TraceEvent[]): string {
  return events.map((e) => canonicalJson(e)).join('\n') + '\n';
}
