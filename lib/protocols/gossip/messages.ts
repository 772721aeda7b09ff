import { Database } from './versions';

/**
 * The messages of epidemic replication (Demers, Greene, Hauser, Irish, Larson, Shenker,
 * Sturgis, Swinehart, Terry, "Epidemic algorithms for replicated database maintenance",
 * PODC 1987), as plain data:
 *
 * - direct mail (§1.2): `Mail` carries a new update to every other site; `MailAck` lets the
 *   sender drop it from its retry queue.
 * - anti-entropy (§1.3): the initiator sends a `Digest` (for each key the stamp it holds, not
 *   the values: the paper's checksums and recent-update lists, reduced to their idea); the
 *   partner answers with a `DigestReply` (the entries the initiator lacks, for pull and
 *   push-pull, and the keys it wants, for push and push-pull), and the initiator sends the
 *   wanted `Entries`.
 * - rumor mongering (§1.4): a node with a hot rumor sends it in a `Rumor`; the receiver answers
 *   with `RumorFeedback` naming the rumors it already knew (the "feedback" variant: the sender
 *   loses interest only after useless contacts).
 * - `ClientWrite`: an update entering the system at a node (injected by a scenario).
 */
export type GossipMessage =
  | { type: 'ClientWrite'; key: string; value: string }
  | { type: 'Mail'; entries: Database }
  | { type: 'MailAck'; keys: string[] }
  | { type: 'Digest'; mode: AntiEntropyMode; stamps: Record<string, Stamp[]> }
  | { type: 'DigestReply'; entries: Database; want: string[] }
  | { type: 'Entries'; entries: Database }
  | { type: 'Rumor'; entries: Database }
  | { type: 'RumorFeedback'; known: string[] };

/** A version's identity in a digest: [timestamp, node]. */
export type Stamp = [number, string];

/** Who sends what in an anti-entropy exchange (Demers §1.3). */
export type AntiEntropyMode = 'push' | 'pull' | 'push-pull';

/**
 * Timers: `Round` is one gossip cycle (anti-entropy and rumor mongering act once per cycle,
 * as in the paper's synchronous analysis); `MailRetry` re-sends unacknowledged mail.
 */
export type GossipTimer = { type: 'Round' } | { type: 'MailRetry' };
