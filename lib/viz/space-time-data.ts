import { DropReason, NodeId, TraceEvent, messageLabel } from '../core';

/**
 * What a space-time (Lamport) diagram shows, read out of a trace as plain data: which nodes,
 * which messages and how each ended, when nodes were down or paused, when the network was
 * split, client operations and notes. `spaceTimeDiagram` draws this; tests can check it.
 *
 * Lamport, "Time, Clocks, and the Ordering of Events in a Distributed System" (1978), §2:
 * processes are vertical lines, messages are arrows between them, and "happened before" is
 * any path that follows lanes downward and arrows forward.
 *
 * @example
 *   const facts = spaceTimeFacts(sim.trace.events);
 *   facts.messages.filter((m) => m.outcome === 'dropped').length // how many were lost
 */
export interface SpaceTimeFacts {
  /** Lanes, left to right. */
  nodes: NodeId[];
  /** Time of the first and the last event (0, 0 for an empty trace). */
  firstMs: number;
  lastMs: number;
  messages: MessageFact[];
  /** Crashes (down until restart) and pauses (stopped until resume). */
  outages: OutageFact[];
  restarts: { node: NodeId; timeMs: number }[];
  /** Partitions and one-way cuts, each until the heal (or a new partition) that ended it. */
  splits: SplitFact[];
  operations: OperationFact[];
  annotations: { node: NodeId; timeMs: number; text: string }[];
}

/** One trip of a message: delivered, dropped, or still in flight when the trace ends. */
export interface MessageFact {
  msgId: number;
  from: NodeId;
  to: NodeId;
  /** `messageLabel(msg)`: the message's type. */
  type: string;
  sentMs: number;
  /** When it arrived or was dropped; for one in flight, the end of the trace. */
  endMs: number;
  outcome: 'delivered' | 'dropped' | 'in flight';
  reason?: DropReason;
}

export interface OutageFact {
  node: NodeId;
  kind: 'crash' | 'pause';
  fromMs: number;
  /** When it ended (restart, resume), or the end of the trace if it had not. */
  toMs: number;
  ended: boolean;
}

export interface SplitFact {
  kind: 'partition' | 'cut';
  fromMs: number;
  toMs: number;
  ended: boolean;
  /** 'partition {n1,n2} | {n3,n4,n5}' or 'cut n1 → n3'. */
  label: string;
}

/** A client operation: invoked, and returned (ok, fail, info) or still open at the end. */
export interface OperationFact {
  node: NodeId;
  opId: number;
  process: string;
  f: string;
  value: unknown;
  invokeMs: number;
  returnMs?: number;
  type?: 'ok' | 'fail' | 'info';
  returnValue?: unknown;
}

/** Every node id an event mentions, in the event's own order. */
function nodesOf(event: TraceEvent): NodeId[] {
  switch (event.kind) {
    case 'send':
    case 'deliver':
    case 'drop':
      return [event.from, event.to];
    case 'network':
      return [...(event.groups ?? []).flat(), ...(event.from ? [event.from] : []), ...(event.to ? [event.to] : [])];
    default:
      return [event.node];
  }
}

/**
 * Reads the facts of a diagram out of a trace. Lanes are `order` first, then every other
 * node in order of first appearance in the trace (nothing is silently left out).
 */
export function spaceTimeFacts(events: readonly TraceEvent[], order: readonly NodeId[] = []): SpaceTimeFacts {
  const nodes: NodeId[] = [];
  const seen = new Set<NodeId>();
  const addNode = (node: NodeId) => {
    if (!seen.has(node)) {
      seen.add(node);
      nodes.push(node);
    }
  };
  order.forEach(addNode);
  for (const event of events) nodesOf(event).forEach(addNode);

  const firstMs = events.length > 0 ? Math.min(...events.map((e) => e.timeMs)) : 0;
  const lastMs = events.length > 0 ? Math.max(...events.map((e) => e.timeMs)) : 0;

  const messages: MessageFact[] = [];
  const sends = new Map<number, Extract<TraceEvent, { kind: 'send' }>>();
  const ended = new Set<number>();
  const outages: OutageFact[] = [];
  const openOutage = new Map<string, OutageFact>();
  const restarts: { node: NodeId; timeMs: number }[] = [];
  const splits: SplitFact[] = [];
  let openPartition: SplitFact | null = null;
  const openCuts: SplitFact[] = [];
  const operations: OperationFact[] = [];
  const openOperations = new Map<number, OperationFact>();
  const annotations: { node: NodeId; timeMs: number; text: string }[] = [];

  const startOutage = (node: NodeId, kind: 'crash' | 'pause', timeMs: number) => {
    const key = `${kind}:${node}`;
    if (openOutage.has(key)) return;
    const outage: OutageFact = { node, kind, fromMs: timeMs, toMs: lastMs, ended: false };
    openOutage.set(key, outage);
    outages.push(outage);
  };
  const endOutage = (node: NodeId, kind: 'crash' | 'pause', timeMs: number) => {
    const outage = openOutage.get(`${kind}:${node}`);
    if (!outage) return;
    outage.toMs = timeMs;
    outage.ended = true;
    openOutage.delete(`${kind}:${node}`);
  };
  const endSplit = (split: SplitFact, timeMs: number) => {
    split.toMs = timeMs;
    split.ended = true;
  };

  for (const event of events) {
    switch (event.kind) {
      case 'send':
        sends.set(event.msgId, event);
        break;
      case 'deliver':
      case 'drop':
        ended.add(event.msgId);
        messages.push({
          msgId: event.msgId,
          from: event.from,
          to: event.to,
          type: messageLabel(event.msg),
          sentMs: event.sentMs,
          endMs: event.timeMs,
          outcome: event.kind === 'deliver' ? 'delivered' : 'dropped',
          ...(event.kind === 'drop' ? { reason: event.reason } : {}),
        });
        break;
      case 'crash':
        endOutage(event.node, 'pause', event.timeMs); // a crash ends a pause: the node is down now
        startOutage(event.node, 'crash', event.timeMs);
        break;
      case 'restart':
        endOutage(event.node, 'crash', event.timeMs);
        endOutage(event.node, 'pause', event.timeMs);
        restarts.push({ node: event.node, timeMs: event.timeMs });
        break;
      case 'pause':
        startOutage(event.node, 'pause', event.timeMs);
        break;
      case 'resume':
        endOutage(event.node, 'pause', event.timeMs);
        break;
      case 'network':
        if (event.change === 'partition') {
          if (openPartition) endSplit(openPartition, event.timeMs); // a new partition replaces the old one
          const groups = (event.groups ?? []).map((g) => `{${g.join(',')}}`).join(' | ');
          openPartition = { kind: 'partition', fromMs: event.timeMs, toMs: lastMs, ended: false, label: `partition ${groups}` };
          splits.push(openPartition);
        } else if (event.change === 'cut') {
          const cut: SplitFact = { kind: 'cut', fromMs: event.timeMs, toMs: lastMs, ended: false, label: `cut ${event.from} → ${event.to}` };
          openCuts.push(cut);
          splits.push(cut);
        } else if (event.change === 'heal') {
          if (openPartition) endSplit(openPartition, event.timeMs);
          openPartition = null;
          for (const cut of openCuts.splice(0)) endSplit(cut, event.timeMs);
        }
        break;
      case 'invoke': {
        const operation: OperationFact = { node: event.node, opId: event.opId, process: event.process, f: event.f, value: event.value, invokeMs: event.timeMs };
        openOperations.set(event.opId, operation);
        operations.push(operation);
        break;
      }
      case 'return': {
        const operation = openOperations.get(event.opId);
        if (operation) {
          operation.returnMs = event.timeMs;
          operation.type = event.type;
          operation.returnValue = event.value;
          openOperations.delete(event.opId);
        }
        break;
      }
      case 'annotate':
        annotations.push({ node: event.node, timeMs: event.timeMs, text: event.text });
        break;
      default:
        break; // start, timer, persist: not drawn
    }
  }
  for (const [msgId, send] of sends) {
    if (ended.has(msgId)) continue;
    messages.push({ msgId, from: send.from, to: send.to, type: messageLabel(send.msg), sentMs: send.timeMs, endMs: lastMs, outcome: 'in flight' });
  }
  messages.sort((a, b) => a.sentMs - b.sentMs || a.msgId - b.msgId || a.endMs - b.endMs);
  return { nodes, firstMs, lastMs, messages, outages, restarts, splits, operations, annotations };
}
