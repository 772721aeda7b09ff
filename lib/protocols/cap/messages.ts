import { NodeId } from '../../core';
import { Database, Version } from '../gossip/versions';

/**
 * The messages of the replicated register of the CAP and BASE experiments, as plain data.
 *
 * Clients and replicas:
 * - `ClientRequest` / `ClientReply`: a read or a write of one key, answered ok, fail (no
 *   effect) or info (outcome unknown), as in Jepsen.
 *
 * Between replicas:
 * - `Forward` / `ForwardReply`: CP only, a write handed to the primary, which orders writes.
 * - `Replicate` / `ReplicateAck`: versions of a key to merge (a write, a read's write-back, a
 *   repair).
 * - `ReadRequest` / `ReadReply`: a replica's versions of a key (quorum reads, read repair).
 * - `Hint` / `HintAck`: hinted handoff: a write for an unreachable `target`, held and
 *   delivered by another replica (Dynamo, DeCandia et al. 2007 §4.6).
 * - `MerkleCompare` / `MerkleEntries`: anti-entropy over Merkle trees (Merkle 1987; Dynamo §4.7):
 *   hashes of tree nodes at one level, descending only where they differ, then the entries of
 *   the key ranges that differ.
 * - `SyncAll`: anti-entropy without a tree: the whole data set (the baseline Merkle trees
 *   improve on).
 */
export type CapMessage =
  | { type: 'ClientRequest'; opId: number; f: 'read' | 'write'; key: string; value?: string }
  | { type: 'ClientReply'; opId: number; result: 'ok' | 'fail' | 'info'; value?: string | null }
  | { type: 'Forward'; reqId: string; key: string; value: string }
  | { type: 'ForwardReply'; reqId: string; result: 'ok' | 'info' }
  | { type: 'Replicate'; reqId: string | null; key: string; versions: Version[] }
  | { type: 'ReplicateAck'; reqId: string | null; key: string; versions: Version[] }
  | { type: 'ReadRequest'; reqId: string; key: string }
  | { type: 'ReadReply'; reqId: string; key: string; versions: Version[] }
  | { type: 'Hint'; hintId: string; target: NodeId; key: string; versions: Version[] }
  | { type: 'HintAck'; hintId: string }
  | { type: 'MerkleCompare'; level: number; indices: number[]; hashes: string[] }
  | { type: 'MerkleEntries'; entries: Database; want: number[] }
  | { type: 'SyncAll'; entries: Database; reply: boolean };

/**
 * Timers: a coordinator's deadline for one request; the write-repair retry tick; the
 * anti-entropy tick; a client's next operation and its deadline.
 */
export type CapTimer =
  | { type: 'RequestTimeout'; reqId: string }
  | { type: 'RepairRetry' }
  | { type: 'AntiEntropy' }
  | { type: 'NextOperation' }
  | { type: 'ClientTimeout'; opId: number };
