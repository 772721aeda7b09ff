import { ConfigError, NodeId, assertNever, requireInteger, requireNumberInRange } from '../../core';
import { Context, ProtocolNode } from '../../sim/node';
import { MergeRules, Reconciliation, mergeDatabase, resolveMergeRules } from './merge';
import { AntiEntropyMode, GossipMessage, GossipTimer, Stamp } from './messages';
import { Database, Version, mergeClocks } from './versions';

/**
 * Options of a gossip node. Any mix of the three mechanisms of Demers et al. (1987) may run at
 * once; the paper's recommendation is rumor mongering backed up by anti-entropy (§1.5).
 */
export interface GossipOptions {
  /** Every node of the system, this one included, in a fixed order (the same array for all nodes). */
  peers: readonly NodeId[];
  /** This node's position in `peers`. */
  index: number;
  /** One gossip cycle, in ms of virtual time; rounds start at multiples of it. Default 10. */
  roundMs?: number;
  /**
   * Direct mail (§1.2): every update is mailed to every other node at once; mail waits in a
   * retry queue of `queueCapacity` items (one per update and destination) until acknowledged,
   * re-sent every `retryMs`. When the queue is full, new mail is thrown away: that update never
   * reaches that node by mail (the paper's "queue overflow"). The queue is volatile: a crash
   * loses it.
   */
  directMail?: { queueCapacity: number; retryMs: number };
  /** Anti-entropy (§1.3): every round, exchange digests with one random node, forever. */
  antiEntropy?: { mode: AntiEntropyMode };
  /**
   * Rumor mongering (§1.4), push with feedback: every round, a node with hot rumors sends them
   * to one random node. The "counter" variant (default) loses interest in a rumor after `k`
   * contacts that already knew it; the "coin" variant loses interest with probability 1/k
   * after each such contact (the variant whose residue the paper derives:
   * s = e^-(k+1)(1-s)). Hot rumors are volatile: a crash forgets them.
   */
  rumor?: { k: number; lossOfInterest?: 'counter' | 'coin' };
  /** How versions of one key are reconciled. Default 'lww' (the paper's timestamps). */
  reconciliation?: Reconciliation;
  /** The merge rules (a learner's); the references by default. */
  rules?: Partial<MergeRules>;
}

/** The durable-storage key of the database (the database survives a crash; queues and rumors do not). */
export const GOSSIP_DB_KEY = 'db';

/** All of a gossip node's state, plain data. */
export interface GossipState {
  /** The replicated database: key to versions. Persisted on every change. */
  db: Database;
  /** Rumor mongering: hot rumors (keys) and, for the counter variant, the useless contacts so far. */
  hot: Record<string, number>;
  /** Direct mail: updates sent and not yet acknowledged, one item per destination. */
  mailQueue: { to: NodeId; key: string }[];
  /** Whether a Round / MailRetry timer is pending. */
  roundArmed: boolean;
  retryArmed: boolean;
  /** The stamp of this node's last write (writes get strictly increasing timestamps). */
  lastWriteMs: number;
  /** Messages sent, and mail thrown away because the queue was full (since the last restart). */
  sent: number;
  mailLost: number;
}

type Ctx = Context<GossipMessage, GossipTimer>;

/**
 * A node of an epidemic replicated database (Demers et al. 1987). Updates enter with a
 * `ClientWrite`; direct mail, anti-entropy and rumor mongering (as configured) spread them;
 * versions are reconciled with the pluggable merge rules. Randomness (the partner of each
 * exchange, the coin) comes from the node's own stream `node:<id>`, one draw per round for
 * the partner, so a seed replays exactly, and the round model (`gossipRounds`) draws the
 * same numbers. Annotations: 'learned' ({ keys }), 'mail lost' ({ to, key }), 'lost interest' ({ key }).
 *
 * @example
 *   sim.addNode('n1', () => new GossipNode({ peers, index: 0, antiEntropy: { mode: 'push-pull' } }));
 */
export class GossipNode implements ProtocolNode<GossipMessage, GossipTimer> {
  state: GossipState;
  private readonly rules: MergeRules;
  private readonly roundMs: number;
  private readonly mode: Reconciliation;

  constructor(readonly options: GossipOptions) {
    if (!Array.isArray(options.peers) || options.peers.length < 2) throw new ConfigError('peers', 'an array of at least 2 node ids', options.peers);
    requireInteger('index', options.index, 0);
    if (options.index >= options.peers.length) throw new ConfigError('index', `an index into peers (< ${options.peers.length})`, options.index);
    this.roundMs = requireNumberInRange('roundMs', options.roundMs ?? 10, 0.001, Infinity);
    if (options.directMail) {
      requireInteger('directMail.queueCapacity', options.directMail.queueCapacity, 0);
      requireNumberInRange('directMail.retryMs', options.directMail.retryMs, 0.001, Infinity);
    }
    if (options.rumor) requireInteger('rumor.k', options.rumor.k, 1);
    this.rules = resolveMergeRules(options.rules);
    this.mode = options.reconciliation ?? 'lww';
    this.state = { db: {}, hot: {}, mailQueue: [], roundArmed: false, retryArmed: false, lastWriteMs: -Infinity, sent: 0, mailLost: 0 };
  }

  init(ctx: Ctx): void {
    const stored = ctx.load<{ db: Database; lastWriteMs: number }>(GOSSIP_DB_KEY);
    if (stored !== undefined) {
      this.state.db = stored.db;
      this.state.lastWriteMs = stored.lastWriteMs;
    }
    if (this.options.antiEntropy) this.armRound(ctx);
  }

  onMessage(from: NodeId, msg: GossipMessage, ctx: Ctx): void {
    switch (msg.type) {
      case 'ClientWrite':
        return this.write(msg.key, msg.value, ctx);
      case 'Mail':
        this.receive(msg.entries, ctx);
        return this.send(ctx, from, { type: 'MailAck', keys: Object.keys(msg.entries) });
      case 'MailAck': {
        const acked = new Set(msg.keys);
        this.state.mailQueue = this.state.mailQueue.filter((m) => !(m.to === from && acked.has(m.key)));
        return;
      }
      case 'Digest':
        return this.answerDigest(from, msg.mode, msg.stamps, ctx);
      case 'DigestReply':
        this.receive(msg.entries, ctx);
        if (msg.want.length > 0) this.send(ctx, from, { type: 'Entries', entries: this.select(msg.want) });
        return;
      case 'Entries':
        this.receive(msg.entries, ctx);
        return;
      case 'Rumor': {
        const changed = new Set(this.receive(msg.entries, ctx));
        const known = Object.keys(msg.entries).filter((key) => !changed.has(key));
        if (known.length > 0) this.send(ctx, from, { type: 'RumorFeedback', known });
        return;
      }
      case 'RumorFeedback':
        return this.feedback(msg.known, ctx);
      default:
        return assertNever(msg, 'message');
    }
  }

  onTimer(timer: GossipTimer, ctx: Ctx): void {
    switch (timer.type) {
      case 'Round':
        return this.round(ctx);
      case 'MailRetry':
        return this.retryMail(ctx);
      default:
        return assertNever(timer, 'timer');
    }
  }

  // ------------------------------------------------------------ updates

  /** A new update at this node: stamp it, apply it, and start spreading it. */
  private write(key: string, value: string, ctx: Ctx): void {
    const s = this.state;
    const timestampMs = Math.max(ctx.now(), s.lastWriteMs + 0.001);
    s.lastWriteMs = timestampMs;
    const base = mergeClocks(...(s.db[key] ?? []).map((v) => v.clock));
    const version: Version = { value, timestampMs, node: ctx.id, clock: mergeClocks(base, { [ctx.id]: (base[ctx.id] ?? 0) + 1 }) };
    s.db = { ...s.db, [key]: [version] };
    this.persist(ctx);
    ctx.annotate('learned', { keys: [key] });
    this.spread([key], ctx);
  }

  /** Merges received entries; the keys that changed are news, and (with rumor mongering) hot rumors. */
  private receive(entries: Database, ctx: Ctx): string[] {
    const { db, changed } = mergeDatabase(this.state.db, entries, this.mode, this.rules);
    if (changed.length === 0) return changed;
    this.state.db = db;
    this.persist(ctx);
    ctx.annotate('learned', { keys: changed });
    if (this.options.rumor) this.makeHot(changed, ctx);
    return changed;
  }

  /** What the originating node does with its own update: direct mail and rumor. */
  private spread(keys: string[], ctx: Ctx): void {
    if (this.options.directMail) for (const key of keys) this.mail(key, ctx);
    if (this.options.rumor) this.makeHot(keys, ctx);
  }

  // ------------------------------------------------------------ direct mail (§1.2)

  private mail(key: string, ctx: Ctx): void {
    const { queueCapacity, retryMs } = this.options.directMail!;
    const s = this.state;
    for (const to of this.options.peers) {
      if (to === ctx.id) continue;
      if (s.mailQueue.length >= queueCapacity) {
        s.mailLost++;
        ctx.annotate('mail lost', { to, key });
        continue;
      }
      s.mailQueue.push({ to, key });
      this.send(ctx, to, { type: 'Mail', entries: this.select([key]) });
    }
    if (!s.retryArmed && s.mailQueue.length > 0) {
      s.retryArmed = true;
      ctx.setTimer({ type: 'MailRetry' }, retryMs);
    }
  }

  private retryMail(ctx: Ctx): void {
    const s = this.state;
    s.retryArmed = false;
    for (const item of s.mailQueue) this.send(ctx, item.to, { type: 'Mail', entries: this.select([item.key]) });
    if (s.mailQueue.length > 0) {
      s.retryArmed = true;
      ctx.setTimer({ type: 'MailRetry' }, this.options.directMail!.retryMs);
    }
  }

  // ------------------------------------------------------------ rounds: anti-entropy (§1.3) and rumor mongering (§1.4)

  private round(ctx: Ctx): void {
    const s = this.state;
    s.roundArmed = false;
    const hot = Object.keys(s.hot);
    const active = this.options.antiEntropy !== undefined || hot.length > 0;
    if (!active) return;
    const partner = this.pickPeer(ctx);
    if (this.options.antiEntropy) {
      this.send(ctx, partner, { type: 'Digest', mode: this.options.antiEntropy.mode, stamps: stampsOf(s.db) });
    }
    if (hot.length > 0) this.send(ctx, partner, { type: 'Rumor', entries: this.select(hot) });
    this.armRound(ctx);
  }

  /** The partner of this round: uniform over the other nodes, one draw from this node's stream. */
  private pickPeer(ctx: Ctx): NodeId {
    const { peers, index } = this.options;
    const r = ctx.rng.int(0, peers.length - 2);
    return peers[r < index ? r : r + 1];
  }

  private answerDigest(from: NodeId, mode: AntiEntropyMode, theirs: Record<string, Stamp[]>, ctx: Ctx): void {
    const mine = stampsOf(this.state.db);
    const want = mode === 'pull' ? [] : Object.keys(theirs).filter((key) => hasStampMissingIn(theirs[key], mine[key]));
    const give = mode === 'push' ? [] : Object.keys(mine).filter((key) => hasStampMissingIn(mine[key], theirs[key]));
    if (want.length > 0 || give.length > 0) this.send(ctx, from, { type: 'DigestReply', entries: this.select(give), want });
  }

  private makeHot(keys: string[], ctx: Ctx): void {
    for (const key of keys) this.state.hot[key] = 0;
    this.armRound(ctx);
  }

  /** Feedback (§1.4): each rumor the partner already knew was a useless contact. */
  private feedback(known: string[], ctx: Ctx): void {
    const { k, lossOfInterest = 'counter' } = this.options.rumor ?? { k: 1 };
    for (const key of known) {
      if (!(key in this.state.hot)) continue;
      const stop = lossOfInterest === 'coin' ? ctx.rng.chance(1 / k) : ++this.state.hot[key] >= k;
      if (stop) {
        delete this.state.hot[key];
        ctx.annotate('lost interest', { key });
      }
    }
  }

  /** Arms the next Round at the next multiple of roundMs, unless one is pending. */
  private armRound(ctx: Ctx): void {
    if (this.state.roundArmed) return;
    this.state.roundArmed = true;
    const now = ctx.now();
    const next = (Math.floor(now / this.roundMs + 1e-9) + 1) * this.roundMs;
    ctx.setTimer({ type: 'Round' }, next - now);
  }

  // ------------------------------------------------------------ helpers

  private select(keys: readonly string[]): Database {
    const out: Database = {};
    for (const key of keys) if (this.state.db[key]) out[key] = this.state.db[key];
    return out;
  }

  private send(ctx: Ctx, to: NodeId, msg: GossipMessage): void {
    this.state.sent++;
    ctx.send(to, msg);
  }

  private persist(ctx: Ctx): void {
    ctx.persist(GOSSIP_DB_KEY, { db: this.state.db, lastWriteMs: this.state.lastWriteMs });
  }
}

/** The digest of a database: for each key, the stamps of the versions held. */
export function stampsOf(db: Database): Record<string, Stamp[]> {
  const out: Record<string, Stamp[]> = {};
  for (const key of Object.keys(db)) out[key] = db[key].map((v) => [v.timestampMs, v.node] as Stamp);
  return out;
}

function hasStampMissingIn(a: readonly Stamp[], b: readonly Stamp[] | undefined): boolean {
  return a.some(([t, n]) => !(b ?? []).some(([u, m]) => u === t && m === n));
}
