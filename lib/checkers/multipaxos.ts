import { NodeId, TraceEvent } from '../core';
import { PaxosCheckOptions, paxosAgreement } from './paxos';

/**
 * Invariants of Multi-Paxos (Lamport, "Paxos Made Simple", 2001, §3: a replicated state
 * machine where "the i-th command is the value chosen by the i-th instance"), read from the
 * trace's annotations so that a saved trace or a counterexample is checked the same way:
 *
 *   acceptor: 'accepted' { slot, ballot, value }    leader: 'chosen' { slot, ballot, value }
 *   replica:  'learned'  { slot, value }           replica: 'applied' { slot, value, client?, seq?, executed }
 *   client:   the trace's 'invoke' and 'return' events (ctx.invoke / ctx.complete)
 *
 * Safety (must hold at every moment, under any faults):
 * - agreement: at most one value is chosen per slot, and no replica learns another
 *   (lib/checkers/paxos.ts `paxosAgreement`, which is per slot already);
 * - order: each replica applies slots 0, 1, 2, ... in order, none skipped or repeated;
 * - prefix: replicas apply the same value in each slot, so their command sequences are
 *   prefixes of one another;
 * - at most once: no replica executes a (client, seq) twice, even when a retry put it in two slots.
 *
 * Liveness (checked after the faults stop): every client command completed, and every
 * replica applied every slot any replica applied.
 */

/** What the Multi-Paxos checkers return: ok, or the broken invariant with where and when. */
export type MultiPaxosCheckResult =
  | { ok: true }
  | { ok: false; invariant: 'agreement' | 'order' | 'prefix' | 'at-most-once' | 'completed' | 'caught-up'; message: string; slot?: number; node?: NodeId };

interface AppliedData {
  slot: number;
  value: unknown;
  client?: string;
  seq?: number;
  executed?: boolean;
}

/**
 * All four safety invariants (see the module comment); the first broken one is reported,
 * naming the slot, the nodes, the values and the virtual time.
 *
 * @example
 *   multiPaxosSafety(cluster.sim.trace.events, { acceptors: ['n1', 'n2', 'n3'] });
 *   // { ok: false, invariant: 'prefix', message: 'prefix agreement broken in slot 3: n2 applied "noop" at 412 ms, but n1 applied "c1#2 put x c1.2" at 388 ms', ... }
 */
export function multiPaxosSafety(events: readonly TraceEvent[], options: PaxosCheckOptions = {}): MultiPaxosCheckResult {
  const agreement = paxosAgreement(events, options);
  if (!agreement.ok) return { ok: false, invariant: 'agreement', message: agreement.message, slot: agreement.slot };
  const nextSlot = new Map<NodeId, number>();
  const firstApplied = new Map<number, { node: NodeId; value: unknown; timeMs: number }>();
  const executed = new Map<string, { slot: number; timeMs: number }>();
  for (const e of events) {
    if (e.kind !== 'annotate' || e.text !== 'applied') continue;
    const data = e.data as AppliedData;
    const expected = nextSlot.get(e.node) ?? 0;
    if (data.slot !== expected) {
      return {
        ok: false,
        invariant: 'order',
        message: `${e.node} applied slot ${data.slot} at ${ms(e.timeMs)} ms, but the next slot in order was ${expected}`,
        slot: data.slot,
        node: e.node,
      };
    }
    nextSlot.set(e.node, expected + 1);
    const first = firstApplied.get(data.slot);
    if (first === undefined) {
      firstApplied.set(data.slot, { node: e.node, value: data.value, timeMs: e.timeMs });
    } else if (JSON.stringify(first.value) !== JSON.stringify(data.value)) {
      return {
        ok: false,
        invariant: 'prefix',
        message: `prefix agreement broken in slot ${data.slot}: ${e.node} applied ${JSON.stringify(data.value)} at ${ms(e.timeMs)} ms, but ${first.node} applied ${JSON.stringify(first.value)} at ${ms(first.timeMs)} ms`,
        slot: data.slot,
        node: e.node,
      };
    }
    if (data.executed && data.client !== undefined) {
      const key = `${e.node}\u0000${data.client}#${data.seq}`;
      const before = executed.get(key);
      if (before !== undefined) {
        return {
          ok: false,
          invariant: 'at-most-once',
          message: `${e.node} executed ${data.client}#${data.seq} twice: in slot ${before.slot} at ${ms(before.timeMs)} ms and in slot ${data.slot} at ${ms(e.timeMs)} ms`,
          slot: data.slot,
          node: e.node,
        };
      }
      executed.set(key, { slot: data.slot, timeMs: e.timeMs });
    }
  }
  return { ok: true };
}

/**
 * The liveness half, for after the faults stopped: every client operation invoked in the trace
 * completed, and each of `replicas` applied every slot that any replica applied.
 *
 * @example
 *   multiPaxosLiveness(cluster.sim.trace.events, ['n1', 'n2', 'n3']);
 *   // { ok: false, invariant: 'caught-up', message: 'n3 applied slots 0..4, but n1 applied up to slot 9' }
 */
export function multiPaxosLiveness(events: readonly TraceEvent[], replicas: readonly NodeId[]): MultiPaxosCheckResult {
  const open = new Map<number, { process: string; f: string; value: unknown; timeMs: number }>();
  const applied = new Map<NodeId, number>();
  for (const e of events) {
    if (e.kind === 'invoke') open.set(e.opId, { process: e.process, f: e.f, value: e.value, timeMs: e.timeMs });
    else if (e.kind === 'return' && e.type === 'ok') open.delete(e.opId);
    else if (e.kind === 'annotate' && e.text === 'applied') applied.set(e.node, Math.max(applied.get(e.node) ?? -1, (e.data as AppliedData).slot));
  }
  if (open.size > 0) {
    const list = [...open.values()].map((op) => `${op.process}'s ${op.f} ${JSON.stringify(op.value)} (invoked at ${ms(op.timeMs)} ms)`);
    return { ok: false, invariant: 'completed', message: `${open.size} client command(s) never completed: ${list.slice(0, 3).join('; ')}${list.length > 3 ? '; ...' : ''}` };
  }
  let most: NodeId | null = null;
  for (const r of replicas) if (most === null || (applied.get(r) ?? -1) > (applied.get(most) ?? -1)) most = r;
  const top = most === null ? -1 : applied.get(most) ?? -1;
  for (const r of replicas) {
    const mine = applied.get(r) ?? -1;
    if (mine < top) {
      return {
        ok: false,
        invariant: 'caught-up',
        message: `${r} applied ${mine < 0 ? 'no slot' : `slots 0..${mine}`}, but ${most} applied up to slot ${top}`,
        node: r,
        slot: mine + 1,
      };
    }
  }
  return { ok: true };
}

function ms(timeMs: number): string {
  return String(Math.round(timeMs * 1000) / 1000);
}
