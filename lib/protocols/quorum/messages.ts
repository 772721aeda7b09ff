import { NodeId } from '../../core';
import { QuorumSize } from './config';
import { Version, VersionedValue } from './versions';

/**
 * The messages of a Dynamo-style quorum store (DeCandia et al., SOSP 2007, §4.5-4.7), as
 * plain data.
 * - Client and coordinator: `ClientPut` / `ClientGet`, answered by `PutOk`, `PutFailed`,
 *   `GetOk`, `GetFailed`. A `Submit` comes from outside (the cluster builder) to a client.
 * - Coordinator and replicas (§4.5): `Write` (with `hintFor` set when a fallback node takes
 *   the write for a replica that did not answer: a sloppy quorum, §4.6) and `WriteAck`;
 *   `Read` and `ReadReply`; `Repair` (read repair, §5), acknowledged by `RepairAck` when the
 *   read waits for its write-back.
 * - Hinted handoff (§4.6): `Handoff` carries a hinted record to its owner, `HandoffAck`
 *   lets the holder drop the hint.
 * - Anti-entropy (§4.7, without the Merkle trees): `Digest` lists versions, `Push` sends
 *   records, `Pull` asks for them.
 */
export type QuorumMessage =
  | { type: 'Submit'; op: ClientOperation }
  | { type: 'ClientPut'; op: number; key: string; value: string; W?: QuorumSize }
  | { type: 'ClientGet'; op: number; key: string; R?: QuorumSize }
  | { type: 'PutOk'; op: number; key: string; version: Version }
  | { type: 'PutFailed'; op: number; key: string; reason: string }
  | { type: 'GetOk'; op: number; key: string; record: VersionedValue | null }
  | { type: 'GetFailed'; op: number; key: string; reason: string }
  | { type: 'Write'; req: number; key: string; record: VersionedValue; hintFor: NodeId | null }
  | { type: 'WriteAck'; req: number; key: string; hintFor: NodeId | null }
  | { type: 'Read'; req: number; key: string }
  | { type: 'ReadReply'; req: number; key: string; record: VersionedValue | null }
  | { type: 'Repair'; req: number; key: string; record: VersionedValue; ack: boolean }
  | { type: 'RepairAck'; req: number; key: string }
  | { type: 'Handoff'; key: string; record: VersionedValue }
  | { type: 'HandoffAck'; key: string; version: Version }
  | { type: 'Digest'; versions: Record<string, Version> }
  | { type: 'Push'; records: Record<string, VersionedValue> }
  | { type: 'Pull'; keys: string[] };

/** What a client is asked to do: put or get `key` through coordinator `via`, with an optional W or R. */
export interface ClientOperation {
  f: 'put' | 'get';
  key: string;
  value?: string;
  via: NodeId;
  level?: QuorumSize;
}

/**
 * Timers. `RequestTimeout` carries the coordinator request and the round it was set in (a
 * round that has passed is stale and ignored); `Handoff` and `AntiEntropy` are periodic;
 * `ClientTimeout` gives up on an operation.
 */
export type QuorumTimer =
  | { type: 'RequestTimeout'; req: number; round: number }
  | { type: 'HandoffRetry' }
  | { type: 'AntiEntropy' }
  | { type: 'ClientTimeout'; op: number };
