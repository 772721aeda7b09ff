import { Xid } from './xid';

/**
 * The messages between the AP+TM node and the RM nodes in the simulator: one request per xa_*
 * call (XA §5), named like the calls so that a space-time diagram reads like an XA trace, and
 * `update`, the AP's own work on a row (in DTP the AP talks to the RM through its native
 * interface, SQL; XA only brackets it). Every request carries a `reqId`; the RM answers each
 * with an `xa_reply` and remembers the answer, so a retried or duplicated request is answered
 * again instead of executed twice (what a TCP session gives a real TM for free).
 */
export type XaCall = 'xa_start' | 'update' | 'xa_end' | 'xa_prepare' | 'xa_commit' | 'xa_rollback';

export type XaRequest =
  | { type: 'xa_start' | 'xa_end' | 'xa_prepare' | 'xa_rollback'; reqId: string; xid: Xid }
  | { type: 'update'; reqId: string; xid: Xid; account: string; delta: number }
  | { type: 'xa_commit'; reqId: string; xid: Xid; onePhase: boolean };

/** The answer to one request: an XA return code (xid.ts). */
export interface XaReply {
  type: 'xa_reply';
  call: XaCall;
  reqId: string;
  xid: Xid;
  code: number;
}

/** xa_recover and its answer: the RM's prepared xids (of every TM). */
export interface RecoverRequest {
  type: 'xa_recover';
  scan: string;
}
export interface RecoverReply {
  type: 'xa_recover_reply';
  scan: string;
  /** null: the RM could not be asked (the async driver's connection failed). */
  xids: Xid[] | null;
}

export type XaMessage = XaRequest | XaReply | RecoverRequest | RecoverReply;

/** The TM's timers: re-send a request, give up on a transaction that takes too long, scan for in-doubt branches. */
export type TmTimer =
  | { type: 'Retry'; reqId: string; attempt: number }
  | { type: 'VotingDeadline'; gtrid: string }
  | { type: 'Scan' };

/** The RM node's timers: a queued update's lock-wait timeout, and a branch's timeout. */
export type RmTimer = { type: 'LockWait'; xid: Xid } | { type: 'BranchTimeout'; xid: Xid };
