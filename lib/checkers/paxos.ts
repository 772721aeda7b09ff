import { NodeId, TraceEvent } from '../core';

/**
 * Agreement for Paxos (Lamport, "Paxos Made Simple", 2001, §2.1 "The Problem": "only a single
 * value is chosen, and a process never learns that a value has been chosen unless it actually
 * has been"), per slot so that Multi-Paxos logs are checked the same way (§3).
 *
 * How choices are read: from the trace's annotations (plain data, so a model checker's
 * counterexample or a saved trace works too).
 *
 *   acceptor:  ctx.annotate('accepted', { slot, ballot, value })  - phase 2b
 *   proposer:  ctx.annotate('chosen',   { slot, ballot, value })  - a majority said Accepted
 *   learner:   ctx.annotate('learned',  { slot, ballot, value })  - it was told
 *
 * A value is chosen in a slot when a majority of acceptors accepted the same ballot (Lamport
 * §2.2: "a value is chosen when a single proposal with that value has been accepted by a
 * majority of the acceptors"): given `acceptors`, the checker computes that itself, so a
 * value chosen that no proposer noticed still counts. `ballot` is `{ round, node }`.
 */

/** A ballot as the annotations carry it. */
export interface BallotRecord {
  round: number;
  node: NodeId;
}

/** One piece of evidence that `value` was chosen in `slot`. */
export interface ChoiceRecord {
  slot: number;
  value: unknown;
  ballot: BallotRecord | null;
  /** The node that noticed: a proposer, a learner, or the acceptor whose acceptance completed a majority. */
  node: NodeId;
  timeMs: number;
  how: 'majority accepted' | 'chosen' | 'learned';
}

/** What the Paxos checkers return: ok, or which invariant broke, where and when. */
export type PaxosCheckResult =
  | { ok: true }
  | { ok: false; invariant: 'agreement' | 'learned'; message: string; slot: number; records: ChoiceRecord[] };

export interface PaxosCheckOptions {
  /** The acceptors (or how many): lets the checker see a majority accept by itself. */
  acceptors?: readonly NodeId[] | number;
}

/** Every piece of evidence of a choice in the trace, in trace order (see the module comment). */
export function paxosChoices(events: readonly TraceEvent[], options: PaxosCheckOptions = {}): ChoiceRecord[] {
  const acceptorCount = typeof options.acceptors === 'number' ? options.acceptors : options.acceptors?.length;
  const majority = acceptorCount === undefined ? Infinity : Math.floor(acceptorCount / 2) + 1;
  const votes = new Map<string, Set<NodeId>>();
  const out: ChoiceRecord[] = [];
  for (const e of events) {
    if (e.kind !== 'annotate') continue;
    if (e.text !== 'accepted' && e.text !== 'chosen' && e.text !== 'learned') continue;
    const data = e.data as { slot?: unknown; value?: unknown; ballot?: BallotRecord } | undefined;
    if (!data || typeof data.slot !== 'number') continue;
    const ballot = data.ballot ?? null;
    if (e.text === 'accepted') {
      const key = `${data.slot}\u0000${ballot?.round}\u0000${ballot?.node}\u0000${JSON.stringify(data.value)}`;
      const voters = votes.get(key) ?? new Set<NodeId>();
      votes.set(key, voters);
      const before = voters.size;
      voters.add(e.node);
      if (before < majority && voters.size >= majority) {
        out.push({ slot: data.slot, value: data.value, ballot, node: e.node, timeMs: e.timeMs, how: 'majority accepted' });
      }
    } else {
      out.push({ slot: data.slot, value: data.value, ballot, node: e.node, timeMs: e.timeMs, how: e.text });
    }
  }
  return out;
}

/**
 * At most one value is chosen per slot, and nobody learns or announces another (Lamport §2.1,
 * safety). Reports the first conflict in trace order, naming the slot, both values, who
 * noticed each, how, with which ballot, and when.
 *
 * @example
 *   paxosAgreement(sim.trace.events, { acceptors: ['a1', 'a2', 'a3'] });
 *   // { ok: false, invariant: 'agreement', message: "slot 0: two values chosen: 'x' (majority accepted ballot 1.p1, completed by a2 at 12 ms) and 'y' (...)" }
 */
export function paxosAgreement(input: readonly TraceEvent[] | readonly ChoiceRecord[], options: PaxosCheckOptions = {}): PaxosCheckResult {
  const records = toRecords(input, options);
  const first = new Map<number, ChoiceRecord>();
  for (const r of records) {
    const seen = first.get(r.slot);
    if (seen === undefined) {
      first.set(r.slot, r);
    } else if (!sameValue(seen.value, r.value)) {
      return {
        ok: false,
        invariant: 'agreement',
        message: `agreement broken in slot ${r.slot}: two values chosen: ${describeChoice(seen)} and ${describeChoice(r)}`,
        slot: r.slot,
        records: [seen, r],
      };
    }
  }
  return { ok: true };
}

/**
 * Every learner learned the value chosen in each slot (Lamport §2.3): the liveness half,
 * checked after the network healed. Reports the slots and learners still missing it.
 *
 * @example
 *   paxosLearned(sim.trace.events, ['l1', 'l2']); // { ok: false, invariant: 'learned', message: 'slot 0: l2 never learned ...' }
 */
export function paxosLearned(input: readonly TraceEvent[] | readonly ChoiceRecord[], learners: readonly NodeId[], options: PaxosCheckOptions & { slots?: readonly number[] } = {}): PaxosCheckResult {
  const records = toRecords(input, options);
  const slots = options.slots ?? [0];
  for (const slot of slots) {
    const inSlot = records.filter((r) => r.slot === slot);
    const chosen = inSlot.find((r) => r.how !== 'learned');
    const learnedBy = new Set(inSlot.filter((r) => r.how === 'learned' && (chosen === undefined || sameValue(r.value, chosen.value))).map((r) => r.node));
    const missing = learners.filter((l) => !learnedBy.has(l));
    if (chosen === undefined || missing.length > 0) {
      const what = chosen === undefined ? 'no value was chosen' : `${describeChoice(chosen)} was chosen`;
      return {
        ok: false,
        invariant: 'learned',
        message: `slot ${slot}: ${what}, but ${missing.join(', ') || 'nobody'} never learned it${learners.length === 0 ? '' : ` (learners ${learners.join(', ')})`}`,
        slot,
        records: inSlot,
      };
    }
  }
  return { ok: true };
}

function toRecords(input: readonly TraceEvent[] | readonly ChoiceRecord[], options: PaxosCheckOptions): ChoiceRecord[] {
  if (input.length === 0) return [];
  if ('kind' in input[0]) return paxosChoices(input as readonly TraceEvent[], options);
  return (input as readonly ChoiceRecord[]).slice().sort((a, b) => a.timeMs - b.timeMs);
}

function sameValue(a: unknown, b: unknown): boolean {
  return a === b || JSON.stringify(a) === JSON.stringify(b);
}

/** "'x' (chosen by p1 with ballot 1.p1 at 12 ms)". */
export function describeChoice(r: ChoiceRecord): string {
  const ballot = r.ballot ? `${r.ballot.round}.${r.ballot.node}` : '-';
  const how =
    r.how === 'majority accepted' ? `accepted by a majority with ballot ${ballot}, completed by ${r.node}` : `${r.how} by ${r.node} with ballot ${ballot}`;
  return `${JSON.stringify(r.value)} (${how} at ${formatMs(r.timeMs)} ms)`;
}

function formatMs(ms: number): string {
  return String(Math.round(ms * 1000) / 1000);
}
