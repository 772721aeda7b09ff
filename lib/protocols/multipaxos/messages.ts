import { ConfigError, NodeId } from '../../core';
import { Ballot, PaxosValue } from '../paxos/messages';

/**
 * The vocabulary of Multi-Paxos (Lamport, "Paxos Made Simple", 2001, §3 "Implementing a State
 * Machine"; van Renesse & Altinbuken, "Paxos Made Moderately Complex", 2015, for the names of
 * the leader / acceptor / replica roles). It reuses Basic Paxos's ballots (提案编号) and
 * proposals (lib/protocols/paxos/messages.ts); what is new is the log of slots (日志槽位), the
 * commands clients submit, and the messages that keep a stable leader (领导者).
 */

/** The operations of the replicated state machine: a small key-value store of strings. */
export type KvOp = 'put' | 'append' | 'get';

/** What a client asks for, before it is numbered. `value` is needed by put and append. */
export interface CommandSpec {
  op: KvOp;
  key: string;
  value?: string;
}

/**
 * A client command as the log holds it. `(client, seq)` names it uniquely: replicas use it to
 * execute a command at most once even when a retry puts it in two slots (PMMC §3, "a replica
 * [...] may receive the same command decided in more than one slot").
 */
export interface Command extends CommandSpec {
  client: NodeId;
  seq: number;
}

/** The no-op a new leader proposes for a slot where no acceptor of its quorum accepted anything (§3). */
export const NOOP: PaxosValue = 'noop';

/**
 * A command as a Paxos value: one readable string ("c1#3 put x c1.3", "c2#1 get y"), so the
 * Basic Paxos rules (whose values are strings) and the agreement checker work on it unchanged.
 */
export function encodeCommand(command: Command): PaxosValue {
  const head = `${command.client}#${command.seq} ${command.op} ${command.key}`;
  return command.op === 'get' ? head : `${head} ${command.value ?? ''}`;
}

/** The command a slot value holds, or null for the no-op. Throws on a value no node would write. */
export function decodeCommand(value: PaxosValue): Command | null {
  if (value === NOOP) return null;
  const match = /^(\S+)#(\d+) (put|append|get) (\S+)(?: (\S*))?$/.exec(value);
  if (match === null) throw new Error(`not a Multi-Paxos command: ${JSON.stringify(value)}`);
  const [, client, seq, op, key, rest] = match;
  const command: Command = { client, seq: Number(seq), op: op as KvOp, key };
  if (op !== 'get') command.value = rest ?? '';
  return command;
}

/** "c1#3": the identity of a command, for dedupe tables and messages. */
export function commandId(command: { client: NodeId; seq: number }): string {
  return `${command.client}#${command.seq}`;
}

/** Throws a ConfigError unless `spec` is a command the store understands (no spaces in key or value). */
export function validateCommandSpec(spec: CommandSpec, field: string): void {
  if (!spec || typeof spec !== 'object') throw new ConfigError(field, 'a command { op, key, value? }', spec);
  if (spec.op !== 'put' && spec.op !== 'append' && spec.op !== 'get') throw new ConfigError(`${field}.op`, "'put', 'append' or 'get'", spec.op);
  if (typeof spec.key !== 'string' || !/^\S+$/.test(spec.key)) throw new ConfigError(`${field}.key`, 'a non-empty string without spaces', spec.key);
  if (spec.op !== 'get' && (typeof spec.value !== 'string' || !/^\S*$/.test(spec.value))) {
    throw new ConfigError(`${field}.value`, 'a string without spaces', spec.value);
  }
}

/** One acceptor's accepted proposal for one slot, as a Promise carries it. */
export interface SlotProposal {
  slot: number;
  ballot: Ballot;
  value: PaxosValue;
}

/** One decided slot, as a catch-up reply carries it. */
export interface SlotDecision {
  slot: number;
  value: PaxosValue;
}

/**
 * Multi-Paxos messages, with the paper's names where it has them.
 *
 * Clients and replicas:
 * - `Request`: a client's command (PMMC's `request`), sent to any server; a server that is not
 *   the leader forwards it (`hops` counts the forwards so stale leader hints cannot loop).
 * - `Reply`: the leader's answer once the command is executed (PMMC's `response`); `result` is
 *   the value read by a get, null otherwise; `slot` is null when a retry of an
 *   executed command is answered from the session table.
 * - `Submit`: a test harness or notebook tells a client to submit one more command.
 *
 * Phase 1, once per leadership, for every slot at once (§3: "a single [prepare] request for
 * all instances"):
 * - `Prepare`: ballot `ballot` for all slots >= `fromSlot` (PMMC's p1a).
 * - `Promise`: the acceptor's promise, with every proposal it accepted in a slot >= fromSlot (p1b).
 * - `Nack`: a refusal of a Prepare, Accept or Heartbeat, carrying the higher ballot promised.
 *
 * Phase 2, once per command:
 * - `Accept`: propose `value` for `slot` with `ballot` (p2a).
 * - `Accepted`: the acceptor accepted it (p2b).
 *
 * Learning and leadership:
 * - `Decide`: the leader tells the other replicas that `slot` is decided (PMMC's `decision`).
 * - `Heartbeat`: the leader is alive; `decidedUpTo` is its first undecided slot (everything
 *   below is decided), so a lagging replica sees that it is behind.
 * - `CatchUp` / `Decisions`: a lagging replica asks for the decided slots from `fromSlot`; the
 *   answer carries a batch of them.
 */
export type MultiPaxosMessage =
  | { type: 'Request'; command: Command; hops: number }
  | { type: 'Reply'; client: NodeId; seq: number; slot: number | null; result: string | null }
  | { type: 'Submit'; command: CommandSpec }
  | { type: 'Prepare'; ballot: Ballot; fromSlot: number }
  | { type: 'Promise'; ballot: Ballot; fromSlot: number; accepted: SlotProposal[] }
  | { type: 'Nack'; ballot: Ballot; promised: Ballot }
  | { type: 'Accept'; ballot: Ballot; slot: number; value: PaxosValue }
  | { type: 'Accepted'; ballot: Ballot; slot: number }
  | { type: 'Decide'; slot: number; value: PaxosValue }
  | { type: 'Heartbeat'; ballot: Ballot; decidedUpTo: number }
  | { type: 'CatchUp'; fromSlot: number }
  | { type: 'Decisions'; entries: SlotDecision[] };

/** The message types of the consensus itself (phases 1 and 2): what the comparison counts. */
export const CONSENSUS_MESSAGES: readonly MultiPaxosMessage['type'][] = ['Prepare', 'Promise', 'Nack', 'Accept', 'Accepted'];

/**
 * Timers, each carrying what it was set for:
 * - `ElectionTimeout`: a follower heard no leader for a randomized while (or a candidate's
 *   phase 1 did not finish): start phase 1 with a higher ballot. Cancelled and re-armed on
 *   every heartbeat.
 * - `Tick`: the leader's heartbeat period; it also re-sends Accepts (and, in the one-instance-
 *   per-command mode, Prepares) that got no majority. `epoch` numbers the leadership: a tick
 *   from an older one is stale.
 * - `ClientNext` / `ClientRetry`: a client's next command, and its re-send of command `seq`
 *   (attempt `attempt`) to the next server.
 */
export type MultiPaxosTimer =
  | { type: 'ElectionTimeout' }
  | { type: 'Tick'; epoch: number }
  | { type: 'ClientNext' }
  | { type: 'ClientRetry'; seq: number; attempt: number };
