import { NodeId } from '../../core';

/**
 * PBFT's messages (Castro & Liskov, OSDI 1999, §4; TOCS 2002, §2-4), as plain data with the
 * paper's names. Every message on the wire carries `mac`: an HMAC-SHA256 under the key the
 * sender shares with the receiver (auth.ts), so a receiver can tell who sent it. Messages that
 * are forwarded as proofs (pre-prepares and prepares inside a prepared certificate, checkpoints
 * inside a checkpoint proof, view-changes inside a NEW-VIEW) also carry `sig`, a simulated
 * signature anyone can check (the OSDI paper signs these; TOCS §3 replaces them by MACs and
 * extra acknowledgements, which this teaching library does not model).
 */

/** The digest of a null request, which fills a gap in the NEW-VIEW computation (OSDI §4.4). */
export const NULL_DIGEST = 'null';

/** A client's operation ⟨REQUEST, o, t, c⟩ (OSDI §4.1), signed by the client. */
export interface ClientRequest {
  client: NodeId;
  /** The client's timestamp: each request has a larger one (exactly-once semantics). */
  timestamp: number;
  op: string;
  sig: string;
}

export interface RequestMsg { type: 'Request'; request: ClientRequest; mac: string }
/** ⟨REPLY, v, t, c, i, r⟩ (OSDI §4.1). */
export interface ReplyMsg { type: 'Reply'; view: number; timestamp: number; client: NodeId; replica: NodeId; result: string; mac: string }
/** ⟨PRE-PREPARE, v, n, d⟩ with the request piggybacked (OSDI §4.2). `request` is null for a null request. */
export interface PrePrepareMsg { type: 'PrePrepare'; view: number; seq: number; digest: string; request: ClientRequest | null; replica: NodeId; sig: string; mac: string }
/** ⟨PREPARE, v, n, d, i⟩ (OSDI §4.2). */
export interface PrepareMsg { type: 'Prepare'; view: number; seq: number; digest: string; replica: NodeId; sig: string; mac: string }
/** ⟨COMMIT, v, n, D(m), i⟩ (OSDI §4.2). */
export interface CommitMsg { type: 'Commit'; view: number; seq: number; digest: string; replica: NodeId; sig: string; mac: string }
/** ⟨CHECKPOINT, n, d, i⟩ (OSDI §4.3). The state rides along so a lagging replica can catch up (state transfer, simplified). */
export interface CheckpointMsg { type: 'Checkpoint'; seq: number; stateDigest: string; state: ServiceState; replica: NodeId; sig: string; mac: string }
/** A prepared certificate: the pre-prepare and 2f matching prepares from distinct backups (OSDI §4.4, the set P). */
export interface PreparedCert { prePrepare: PrePrepareMsg; prepares: PrepareMsg[] }
/** ⟨VIEW-CHANGE, v+1, n, C, P, i⟩ (OSDI §4.4). */
export interface ViewChangeMsg { type: 'ViewChange'; view: number; stableSeq: number; checkpointProof: CheckpointMsg[]; prepared: PreparedCert[]; replica: NodeId; sig: string; mac: string }
/** ⟨NEW-VIEW, v+1, V, O⟩ (OSDI §4.4). */
export interface NewViewMsg { type: 'NewView'; view: number; viewChanges: ViewChangeMsg[]; prePrepares: PrePrepareMsg[]; replica: NodeId; sig: string; mac: string }

export type PbftMessage = RequestMsg | ReplyMsg | PrePrepareMsg | PrepareMsg | CommitMsg | CheckpointMsg | ViewChangeMsg | NewViewMsg;

/** A replica's timers: the backup's view-change timer (OSDI §4.4), the wait for NEW-VIEW. */
export type PbftTimer =
  | { type: 'RequestTimeout'; view: number }
  | { type: 'NewViewTimeout'; view: number };

/** The client's timer: retransmit request `timestamp` to every replica (OSDI §4.1). */
export type PbftClientTimer = { type: 'Retransmit'; timestamp: number } | { type: 'NextOp' };

/** The replicated service: an append-only list of operations (its length and each client's last reply). */
export interface ServiceState {
  executed: number;
  lastReply: Record<NodeId, { timestamp: number; result: string }>;
}
