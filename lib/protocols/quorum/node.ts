import { NodeId, assertNever } from '../../core';
import { Context, ProtocolNode } from '../../sim/node';
import { HashRing } from '../hashring/ring';
import { QuorumSize, ResolvedQuorum, resolveQuorum } from './config';
import { QuorumMessage, QuorumTimer } from './messages';
import { QuorumRules, ReadReply, resolveQuorumRules } from './rules';
import { Version, VersionedValue, compareVersions, formatVersion, newerRecord } from './versions';

/**
 * How a read repairs (Dynamo §5):
 * - 'none': it does not (the WARS model of Bailis et al. assumes none).
 * - 'async': after answering the client, the coordinator writes the returned record back to
 *   every replica that answered with an older one (the `repairTargets` rule), late replies too.
 * - 'blocking': before answering, the coordinator writes the record back until W home replicas
 *   hold it (the second phase of Attiya, Bar-Noy and Dolev's register, JACM 1995): with
 *   W + R > N this makes reads linearizable; then it repairs as 'async' does.
 */
export type ReadRepairMode = 'none' | 'async' | 'blocking';

/** Options of a store node; the cluster builder fills them in. */
export interface StoreNodeOptions {
  /** Where keys live: the first N distinct nodes of a key's preference list are its home replicas. */
  ring: HashRing;
  N: number;
  /** Default W and R for operations that do not name their own. */
  W: QuorumSize;
  R: QuorumSize;
  /**
   * Sloppy quorum (Dynamo §4.6): when home replicas do not answer within a timeout, the next
   * nodes on the ring take the write with a hint and answer reads, and their answers count
   * toward W and R. Off: only home replicas count (a strict quorum).
   */
  sloppy: boolean;
  readRepair: ReadRepairMode;
  /** How long a coordinator waits for replicas before it asks fallbacks (sloppy) or gives up. */
  requestTimeoutMs: number;
  /** How often a node holding hints tries to hand them to their owners. */
  hintRetryMs: number;
  /** How often a node exchanges digests with a random peer (0: never). */
  antiEntropyIntervalMs: number;
  rules?: Partial<QuorumRules>;
}

/** A hint: a record a node holds for `owner`, to hand over when the owner is back (Dynamo §4.6). */
export interface Hint {
  owner: NodeId;
  key: string;
  record: VersionedValue;
}

/** A put the coordinator is running. */
export interface PutRequest {
  kind: 'put';
  req: number;
  client: NodeId;
  op: number;
  key: string;
  record: VersionedValue;
  need: ResolvedQuorum;
  homes: NodeId[];
  asked: NodeId[];
  /** Nodes whose acknowledgement counts toward W. */
  acks: NodeId[];
  /** Fallback node -> the home replica it holds a hint for. */
  hintFor: Record<NodeId, NodeId>;
  round: number;
}

/** A get the coordinator is running (and, after answering, repairing). */
export interface GetRequest {
  kind: 'get';
  req: number;
  client: NodeId;
  op: number;
  key: string;
  need: number;
  homes: NodeId[];
  asked: NodeId[];
  replies: ReadReply[];
  answered: boolean;
  chosen: VersionedValue | null;
  repaired: NodeId[];
  /** Blocking read repair: the home replicas known to hold `chosen`; null when not writing back. */
  writeBack: NodeId[] | null;
  round: number;
}

/**
 * All of a store node's state, plain data. `data` (each record under `data:<key>`, with the
 * list of keys under `keys`), `hints` and `clockUs` are persisted; `requests` is volatile.
 */
export interface StoreNodeState {
  /** The records this node holds as a home replica, by key. */
  data: Record<string, VersionedValue>;
  /** Records held for other nodes (sloppy quorum, ANY). */
  hints: Hint[];
  /** The highest version timestamp this node has issued or seen (microseconds). */
  clockUs: number;
  nextReq: number;
  requests: Record<number, PutRequest | GetRequest>;
}

type Ctx = Context<QuorumMessage, QuorumTimer>;

/**
 * A node of a Dynamo-style store (DeCandia et al., SOSP 2007): a replica for the keys whose
 * preference list holds it, and the coordinator of the client requests sent to it. A put is
 * versioned and sent to the key's N home replicas and succeeds on W acknowledgements; a get
 * asks the N replicas and answers after R, with the newest record (`resolveRead`), then read
 * repair fixes stale replicas (`repairTargets`). Replicas write to durable storage before they
 * acknowledge. With `sloppy`, fallback nodes take over for silent replicas, keep hints, and
 * hand them back (hinted handoff); with `antiEntropyIntervalMs`, replicas reconcile in the
 * background.
 * Annotations: 'put committed', 'get answered' ({ key, version }), 'hinted', 'handoff', 'repaired'.
 *
 * @example
 *   sim.addNode('n1', () => new StoreNode({ ring, N: 3, W: 'QUORUM', R: 'QUORUM', sloppy: false,
 *     readRepair: 'async', requestTimeoutMs: 30, hintRetryMs: 50, antiEntropyIntervalMs: 0 }));
 */
export class StoreNode implements ProtocolNode<QuorumMessage, QuorumTimer> {
  state: StoreNodeState = { data: {}, hints: [], clockUs: 0, nextReq: 1, requests: {} };
  private readonly rules: QuorumRules;
  private readonly placements = new Map<string, NodeId[]>();
  private handoffArmed = false;

  constructor(readonly options: StoreNodeOptions) {
    this.rules = resolveQuorumRules(options.rules);
  }

  init(ctx: Ctx): void {
    this.state.data = {};
    for (const key of ctx.load<string[]>('keys') ?? []) {
      const record = ctx.load<VersionedValue>(`data:${key}`);
      if (record) this.state.data[key] = record;
    }
    this.state.hints = ctx.load<Hint[]>('hints') ?? [];
    this.state.clockUs = ctx.load<number>('clock') ?? 0;
    // Request ids never repeat across restarts (a late reply to a request from before a crash
    // must not count for a new one): each incarnation starts above every id it could have used.
    this.state.nextReq = Math.round(ctx.now() * 1000) * 1000 + 1;
    if (this.state.hints.length > 0) this.armHandoff(ctx);
    if (this.options.antiEntropyIntervalMs > 0) ctx.setTimer({ type: 'AntiEntropy' }, this.antiEntropyDelay(ctx));
  }

  /** The key's nodes in ring order: the first N are its home replicas, the rest fallbacks. */
  placement(key: string): NodeId[] {
    let list = this.placements.get(key);
    if (!list) {
      list = this.options.ring.preferenceList(key, this.options.ring.nodes.length);
      this.placements.set(key, list);
    }
    return list;
  }

  homes(key: string): NodeId[] {
    return this.placement(key).slice(0, this.options.N);
  }

  onMessage(from: NodeId, msg: QuorumMessage, ctx: Ctx): void {
    switch (msg.type) {
      case 'ClientPut':
        return this.startPut(from, msg, ctx);
      case 'ClientGet':
        return this.startGet(from, msg, ctx);
      case 'Write':
        return this.onWrite(from, msg, ctx);
      case 'WriteAck':
        return this.onWriteAck(from, msg, ctx);
      case 'Read':
        return this.onRead(from, msg, ctx);
      case 'ReadReply':
        return this.onReadReply(from, msg, ctx);
      case 'Repair':
        this.store(msg.key, msg.record, ctx, 'repaired');
        if (msg.ack) ctx.send(from, { type: 'RepairAck', req: msg.req, key: msg.key });
        return;
      case 'RepairAck':
        return this.onRepairAck(from, msg.req, ctx);
      case 'Handoff':
        this.store(msg.key, msg.record, ctx, 'handoff');
        ctx.send(from, { type: 'HandoffAck', key: msg.key, version: msg.record.version });
        return;
      case 'HandoffAck':
        return this.dropHints(from, msg.key, msg.version, ctx);
      case 'Digest':
        return this.onDigest(from, msg.versions, ctx);
      case 'Push':
        for (const key of Object.keys(msg.records)) this.store(key, msg.records[key], ctx, 'anti-entropy');
        return;
      case 'Pull': {
        const records: Record<string, VersionedValue> = {};
        for (const key of msg.keys) if (this.state.data[key]) records[key] = this.state.data[key];
        if (Object.keys(records).length > 0) ctx.send(from, { type: 'Push', records });
        return;
      }
      case 'Submit':
      case 'PutOk':
      case 'PutFailed':
      case 'GetOk':
      case 'GetFailed':
        return; // for clients
      default:
        return assertNever(msg, 'message');
    }
  }

  onTimer(timer: QuorumTimer, ctx: Ctx): void {
    switch (timer.type) {
      case 'RequestTimeout':
        return this.onRequestTimeout(timer.req, timer.round, ctx);
      case 'HandoffRetry':
        this.handoffArmed = false;
        for (const hint of this.state.hints) ctx.send(hint.owner, { type: 'Handoff', key: hint.key, record: hint.record });
        if (this.state.hints.length > 0) this.armHandoff(ctx);
        return;
      case 'AntiEntropy':
        this.sendDigest(ctx);
        ctx.setTimer({ type: 'AntiEntropy' }, this.antiEntropyDelay(ctx));
        return;
      case 'ClientTimeout':
        return;
      default:
        return assertNever(timer, 'timer');
    }
  }

  // ------------------------------------------------------------ replica side

  /** Keeps `record` if it is newer than what this node holds for `key` (persisted before any reply). */
  private store(key: string, record: VersionedValue, ctx: Ctx, why: string): void {
    this.see(record.version);
    const current = this.state.data[key];
    if (current && compareVersions(current.version, record.version) >= 0) return;
    if (!current) ctx.persist('keys', Object.keys(this.state.data).concat([key]));
    this.state.data[key] = record;
    ctx.persist(`data:${key}`, record);
    if (why !== 'write') ctx.annotate(why, { key, version: record.version });
  }

  private onWrite(from: NodeId, msg: Extract<QuorumMessage, { type: 'Write' }>, ctx: Ctx): void {
    if (msg.hintFor === null || msg.hintFor === ctx.id) this.store(msg.key, msg.record, ctx, 'write');
    else this.addHint({ owner: msg.hintFor, key: msg.key, record: msg.record }, ctx);
    ctx.send(from, { type: 'WriteAck', req: msg.req, key: msg.key, hintFor: msg.hintFor });
  }

  private onRead(from: NodeId, msg: Extract<QuorumMessage, { type: 'Read' }>, ctx: Ctx): void {
    let record: VersionedValue | null = this.state.data[msg.key] ?? null;
    for (const hint of this.state.hints) if (hint.key === msg.key) record = newerRecord(record, hint.record);
    ctx.send(from, { type: 'ReadReply', req: msg.req, key: msg.key, record });
  }

  private addHint(hint: Hint, ctx: Ctx): void {
    this.see(hint.record.version);
    const existing = this.state.hints.find((h) => h.owner === hint.owner && h.key === hint.key);
    if (existing && compareVersions(existing.record.version, hint.record.version) >= 0) return;
    this.state.hints = this.state.hints.filter((h) => h !== existing).concat([hint]);
    ctx.persist('hints', this.state.hints);
    ctx.annotate('hinted', { key: hint.key, owner: hint.owner, version: hint.record.version });
    this.armHandoff(ctx);
  }

  private dropHints(owner: NodeId, key: string, version: Version, ctx: Ctx): void {
    const kept = this.state.hints.filter((h) => !(h.owner === owner && h.key === key && compareVersions(h.record.version, version) <= 0));
    if (kept.length === this.state.hints.length) return;
    this.state.hints = kept;
    ctx.persist('hints', kept);
  }

  private armHandoff(ctx: Ctx): void {
    if (this.handoffArmed) return;
    this.handoffArmed = true;
    ctx.setTimer({ type: 'HandoffRetry' }, this.options.hintRetryMs);
  }

  // ------------------------------------------------------------ anti-entropy

  private antiEntropyDelay(ctx: Ctx): number {
    return this.options.antiEntropyIntervalMs * ctx.rng.uniform(0.5, 1.5);
  }

  /** Sends a random peer the versions of the keys both of them are home replicas of. */
  private sendDigest(ctx: Ctx): void {
    const peers = ctx.nodes.filter((n) => n !== ctx.id && this.options.ring.nodes.includes(n));
    if (peers.length === 0) return;
    const peer = ctx.rng.pick(peers);
    const versions: Record<string, Version> = {};
    for (const key of Object.keys(this.state.data)) if (this.homes(key).includes(peer)) versions[key] = this.state.data[key].version;
    ctx.send(peer, { type: 'Digest', versions });
  }

  /** Pushes what the peer lacks or holds older; pulls what the peer holds newer. */
  private onDigest(from: NodeId, versions: Record<string, Version>, ctx: Ctx): void {
    const push: Record<string, VersionedValue> = {};
    for (const key of Object.keys(this.state.data)) {
      if (!this.homes(key).includes(from)) continue;
      if (compareVersions(this.state.data[key].version, versions[key]) > 0) push[key] = this.state.data[key];
    }
    const pull = Object.keys(versions).filter((key) => this.homes(key).includes(ctx.id) && compareVersions(versions[key], this.state.data[key]?.version) > 0);
    if (Object.keys(push).length > 0) ctx.send(from, { type: 'Push', records: push });
    if (pull.length > 0) ctx.send(from, { type: 'Pull', keys: pull });
  }

  // ------------------------------------------------------------ coordinator side

  private see(version: Version): void {
    if (version.ts > this.state.clockUs) this.state.clockUs = version.ts;
  }

  /** A new version: virtual time in microseconds, past every version seen; persisted. */
  private nextVersion(ctx: Ctx): Version {
    this.state.clockUs = Math.max(this.state.clockUs + 1, Math.round(ctx.now() * 1000));
    ctx.persist('clock', this.state.clockUs);
    return { ts: this.state.clockUs, node: ctx.id };
  }

  private startPut(client: NodeId, msg: Extract<QuorumMessage, { type: 'ClientPut' }>, ctx: Ctx): void {
    let need: ResolvedQuorum;
    try {
      need = resolveQuorum('W', msg.W ?? this.options.W, this.options.N);
    } catch (error) {
      ctx.send(client, { type: 'PutFailed', op: msg.op, key: msg.key, reason: (error as Error).message });
      return;
    }
    const req = this.state.nextReq++;
    const homes = this.homes(msg.key);
    const request: PutRequest = {
      kind: 'put', req, client, op: msg.op, key: msg.key, record: { value: msg.value, version: this.nextVersion(ctx) },
      need, homes, asked: homes.slice(), acks: [], hintFor: {}, round: 1,
    };
    this.state.requests[req] = request;
    for (const home of homes) ctx.send(home, { type: 'Write', req, key: msg.key, record: request.record, hintFor: null });
    ctx.setTimer({ type: 'RequestTimeout', req, round: 1 }, this.options.requestTimeoutMs);
  }

  private onWriteAck(from: NodeId, msg: Extract<QuorumMessage, { type: 'WriteAck' }>, ctx: Ctx): void {
    const request = this.state.requests[msg.req];
    if (!request || request.kind !== 'put') return;
    const home = msg.hintFor === null && request.homes.includes(from);
    const counts = home || (msg.hintFor !== null && (this.options.sloppy || request.need.any));
    if (!counts || request.acks.includes(from)) return;
    request.acks.push(from);
    if (request.acks.length >= request.need.count) this.finishPut(request, true, '', ctx);
  }

  private finishPut(request: PutRequest, ok: boolean, reason: string, ctx: Ctx): void {
    delete this.state.requests[request.req];
    if (ok) {
      ctx.annotate('put committed', { key: request.key, version: request.record.version, acks: request.acks });
      ctx.send(request.client, { type: 'PutOk', op: request.op, key: request.key, version: request.record.version });
    } else {
      ctx.send(request.client, { type: 'PutFailed', op: request.op, key: request.key, reason });
    }
  }

  private startGet(client: NodeId, msg: Extract<QuorumMessage, { type: 'ClientGet' }>, ctx: Ctx): void {
    let need: number;
    try {
      need = resolveQuorum('R', msg.R ?? this.options.R, this.options.N).count;
    } catch (error) {
      ctx.send(client, { type: 'GetFailed', op: msg.op, key: msg.key, reason: (error as Error).message });
      return;
    }
    const req = this.state.nextReq++;
    const homes = this.homes(msg.key);
    this.state.requests[req] = {
      kind: 'get', req, client, op: msg.op, key: msg.key, need, homes, asked: homes.slice(), replies: [],
      answered: false, chosen: null, repaired: [], writeBack: null, round: 1,
    };
    for (const home of homes) ctx.send(home, { type: 'Read', req, key: msg.key });
    ctx.setTimer({ type: 'RequestTimeout', req, round: 1 }, this.options.requestTimeoutMs);
  }

  private onReadReply(from: NodeId, msg: Extract<QuorumMessage, { type: 'ReadReply' }>, ctx: Ctx): void {
    const request = this.state.requests[msg.req];
    if (!request || request.kind !== 'get' || request.replies.some((r) => r.from === from)) return;
    if (msg.record) this.see(msg.record.version);
    const reply: ReadReply = { from, record: msg.record };
    request.replies.push(reply);
    if (request.answered || request.writeBack !== null) {
      if (request.writeBack !== null && msg.record && compareVersions(msg.record.version, request.chosen?.version) >= 0 && request.homes.includes(from)) {
        this.onRepairAck(from, request.req, ctx);
      }
      if (request.answered) this.repair(request, [reply], ctx);
      if (request.replies.length >= request.asked.length && request.answered) delete this.state.requests[request.req];
      return;
    }
    const counted = request.replies.filter((r) => request.homes.includes(r.from) || this.options.sloppy).length;
    if (counted < request.need) return;
    const chosen = this.rules.resolveRead(request.replies.map((r) => ({ from: r.from, record: r.record })));
    request.chosen = chosen ?? null;
    if (this.options.readRepair === 'blocking' && chosen) {
      // Write the chosen record back until W home replicas hold it (ABD's second phase).
      request.writeBack = request.replies.filter((r) => request.homes.includes(r.from) && compareVersions(r.record?.version, chosen.version) >= 0).map((r) => r.from);
      for (const home of request.homes) {
        if (!request.writeBack.includes(home)) ctx.send(home, { type: 'Repair', req: request.req, key: request.key, record: chosen, ack: true });
      }
      this.checkWriteBack(request, ctx);
      return;
    }
    this.answerGet(request, ctx);
  }

  private onRepairAck(from: NodeId, req: number, ctx: Ctx): void {
    const request = this.state.requests[req];
    if (!request || request.kind !== 'get' || request.writeBack === null || request.answered) return;
    if (!request.writeBack.includes(from)) request.writeBack.push(from);
    this.checkWriteBack(request, ctx);
  }

  private checkWriteBack(request: GetRequest, ctx: Ctx): void {
    const W = resolveQuorum('W', this.options.W, this.options.N).count;
    if ((request.writeBack?.length ?? 0) >= W) this.answerGet(request, ctx);
  }

  private answerGet(request: GetRequest, ctx: Ctx): void {
    request.answered = true;
    ctx.annotate('get answered', { key: request.key, version: request.chosen?.version ?? null, from: request.replies.map((r) => r.from) });
    ctx.send(request.client, { type: 'GetOk', op: request.op, key: request.key, record: request.chosen });
    this.repair(request, request.replies, ctx);
    if (request.replies.length >= request.asked.length) delete this.state.requests[request.req];
  }

  /** Read repair: writes the chosen record to the replicas the rule names (once each). */
  private repair(request: GetRequest, replies: readonly ReadReply[], ctx: Ctx): void {
    if (this.options.readRepair === 'none' || request.chosen === null) return;
    const targets = this.rules.repairTargets(replies.map((r) => ({ from: r.from, record: r.record })), request.chosen);
    if (!Array.isArray(targets)) throw new Error(`repairTargets returned ${JSON.stringify(targets)}; it must return an array of node ids`);
    for (const target of targets) {
      if (request.repaired.includes(target) || !request.asked.includes(target)) continue;
      request.repaired.push(target);
      ctx.send(target, { type: 'Repair', req: request.req, key: request.key, record: request.chosen, ack: false });
    }
  }

  /**
   * A round ran out: a sloppy coordinator asks the next fallbacks for the replicas that have
   * not answered; a strict one gives up. A put at level ANY with no acknowledgement at all
   * keeps hints itself and succeeds (Cassandra's ANY).
   */
  private onRequestTimeout(req: number, round: number, ctx: Ctx): void {
    const request = this.state.requests[req];
    if (!request || request.round !== round) return;
    if (request.kind === 'get' && request.answered) {
      delete this.state.requests[req];
      return;
    }
    // Home replicas still unaccounted for: no answer of their own, and (for a put) no fallback
    // that acknowledged a hint for them; (for a get) as many as fallbacks have not stood in for.
    let silentHomes: NodeId[];
    if (request.kind === 'put') {
      const covered = Object.keys(request.hintFor).filter((fallback) => request.acks.includes(fallback)).map((fallback) => request.hintFor[fallback]);
      silentHomes = request.homes.filter((h) => !request.acks.includes(h) && !covered.includes(h));
    } else {
      const repliedFallbacks = request.replies.filter((r) => !request.homes.includes(r.from)).length;
      silentHomes = request.homes.filter((h) => !request.replies.some((r) => r.from === h)).slice(repliedFallbacks);
    }
    const fallbacks = this.placement(request.key).filter((n) => !request.asked.includes(n));
    const canEscalate = this.options.sloppy;
    if (canEscalate && silentHomes.length > 0 && fallbacks.length > 0 && !(request.kind === 'get' && request.writeBack !== null)) {
      for (const home of silentHomes) {
        const fallback = fallbacks.shift();
        if (fallback === undefined) break;
        request.asked.push(fallback);
        if (request.kind === 'put') {
          request.hintFor[fallback] = home;
          ctx.send(fallback, { type: 'Write', req, key: request.key, record: request.record, hintFor: home });
        } else {
          ctx.send(fallback, { type: 'Read', req, key: request.key });
        }
      }
      request.round++;
      ctx.setTimer({ type: 'RequestTimeout', req, round: request.round }, this.options.requestTimeoutMs);
      return;
    }
    if (request.kind === 'put') {
      if (request.need.any && request.acks.length === 0) {
        for (const home of silentHomes) this.addHint({ owner: home, key: request.key, record: request.record }, ctx);
        return this.finishPut(request, true, '', ctx);
      }
      return this.finishPut(request, false, `only ${request.acks.length} of W = ${request.need.count} replicas acknowledged within ${request.round} round(s) of ${this.options.requestTimeoutMs} ms`, ctx);
    }
    delete this.state.requests[req];
    const have = request.writeBack !== null ? `the write-back reached ${request.writeBack.length} replicas` : `only ${request.replies.length} of R = ${request.need} replicas answered`;
    ctx.send(request.client, { type: 'GetFailed', op: request.op, key: request.key, reason: `${have} within ${request.round} round(s) of ${this.options.requestTimeoutMs} ms` });
  }
}

/** "v=b @ 1042.n3" for a record; "nil" for none. */
export function formatRecord(record: VersionedValue | null | undefined): string {
  return record ? `${JSON.stringify(record.value)} @ ${formatVersion(record.version)}` : 'nil';
}
