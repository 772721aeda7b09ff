import { NodeId } from '../../core';
import { Context } from '../../sim/node';
import { Outcome, TxnId, Vote } from './messages';

/**
 * The durable logs of the commit protocols: an append-only list of records kept through
 * `ctx.persist`, one key per record (`log:0`, `log:1`, ...), so the trace shows every forced
 * write as one `persist` event and a crash keeps exactly what was appended. A handler runs to
 * completion, so a record is either written whole or not at all (Gray 1978 §5.8: a forced
 * log write; BHG §7.4 and §6 on the DT log).
 */

/**
 * A participant's log record, oldest first. `vote` is forced before the vote is sent (a YES
 * record is the "prepared" state: the participant promised to commit if told to and holds its
 * locks); `precommit` (3PC only) before AckPreCommit; `outcome` when the outcome is learned.
 * The vote record keeps the coordinator and participant list so that a recovered participant
 * knows whom to ask.
 */
export type ParticipantLogRecord =
  | { type: 'vote'; txn: TxnId; vote: Vote; coordinator: NodeId; participants: NodeId[] }
  | { type: 'precommit'; txn: TxnId }
  | { type: 'outcome'; txn: TxnId; outcome: Outcome };

/**
 * A coordinator's log record: `begin` (with the participant list) before the first Prepare or
 * CanCommit, `precommit` (3PC) before the first PreCommit, `decision` before the decision is
 * sent, `end` once every participant acknowledged it (then the coordinator may forget).
 */
export type CoordinatorLogRecord =
  | { type: 'begin'; txn: TxnId; participants: NodeId[] }
  | { type: 'precommit'; txn: TxnId }
  | { type: 'decision'; txn: TxnId; decision: Outcome }
  | { type: 'end'; txn: TxnId };

const prefix = 'log:';

/** Appends `record` at position `length` of the durable log; returns the new length. */
export function appendLog<R>(ctx: Context<any, any>, length: number, record: R): number {
  ctx.persist(prefix + length, record);
  return length + 1;
}

/** Reads the whole durable log back, oldest record first (what survives a crash). */
export function readLog<R>(ctx: Context<any, any>): R[] {
  const out: R[] = [];
  for (let i = 0; ; i++) {
    const record = ctx.load<R>(prefix + i);
    if (record === undefined) return out;
    out.push(record);
  }
}

/** The records of each transaction, in log order, keyed in order of first appearance. */
export function recordsByTxn<R extends { txn: TxnId }>(records: readonly R[]): Map<TxnId, R[]> {
  const out = new Map<TxnId, R[]>();
  for (const record of records) {
    const list = out.get(record.txn);
    if (list) list.push(record);
    else out.set(record.txn, [record]);
  }
  return out;
}
