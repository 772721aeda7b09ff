import { ConfigError, NodeId, assertNever, requireInteger, requireNumberInRange } from '../../core';
import { Context, ProtocolNode } from '../../sim/node';
import { MergeRules, Reconciliation, mergeKey, resolveMergeRules } from '../gossip/merge';
import { Database, Version, compareClocks, compareStamps, mergeClocks, newestVersion, sameSiblings } from '../gossip/versions';
import { CapMessage, CapTimer } from './messages';
import { childIndices, diffIndices, entriesInRanges, merkleTree } from './merkle';

/**
 * Options of a replica of the CAP / BASE register (one register per key).
 *
 * - `mode: 'cp'` (Gilbert & Lynch 2002 §3, the consistent side): writes go to a fixed primary
 *   that stamps them in order and waits for a majority of acknowledgements; reads ask a
 *   majority and write the newest version back to a majority before answering (Attiya,
 *   Bar-Noy and Dolev 1995). A replica that cannot reach a majority answers fail (read) or
 *   info (write) after `timeoutMs`: the minority side refuses.
 * - `mode: 'ap'` (the available side): the replica a client talks to writes locally and asks
 *   `writeQuorum` replicas (default all) and reads from `readQuorum` (default all), writing
 *   back what it merged; when the quorum does not answer within `timeoutMs` it answers ok with
 *   what it has. Both sides of a partition serve; versions are reconciled later by
 *   `reconciliation` (last-writer-wins, or vector clocks keeping siblings).
 *   With no partition the quorums answer and the AP register is linearizable too.
 *
 * BASE repairs (AP): `readRepair` (a read also asks every replica and pushes the merge to
 * the stale ones), `writeRepair` (re-send unacknowledged writes every `retryMs`; after
 * `hintAfterMs`, also hand them to another replica that stores them durably and delivers them
 * when it can: hinted handoff, which survives the coordinator's crash), `antiEntropy` (every `periodMs`, reconcile with a random replica, by Merkle tree or
 * by shipping the whole data set).
 */
export interface ReplicaOptions {
  replicas: readonly NodeId[];
  mode: 'cp' | 'ap';
  /** AP only; CP orders writes and keeps one version. Default 'lww'. */
  reconciliation?: Reconciliation;
  /** CP: the replica that orders writes. Default the first replica. */
  primary?: NodeId;
  writeQuorum?: number;
  readQuorum?: number;
  /** How long a coordinator waits for a quorum. Default 50 ms. */
  timeoutMs?: number;
  readRepair?: boolean;
  writeRepair?: { retryMs: number; hintAfterMs?: number };
  antiEntropy?: { periodMs: number; kind: 'merkle' | 'full'; depth?: number };
  rules?: Partial<MergeRules>;
}

/** A request a replica coordinates: whom to answer, and who has answered so far. */
export interface PendingRequest {
  kind: 'write' | 'read' | 'forward';
  key: string;
  /** The client to answer, or (a forwarded CP write at the primary) the replica and its request. */
  client: { node: NodeId; opId: number } | null;
  origin: { node: NodeId; reqId: string } | null;
  quorum: number;
  /** Replicas known to hold the write (write), or to be up to date (read, write-back phase). */
  acks: NodeId[];
  /** Read: each responder's versions. */
  responses: Record<NodeId, Version[]>;
  /** Read: the merge of the responses once a quorum answered (then the write-back phase). */
  merged: Version[] | null;
  /** Write: the version written. */
  written: Version | null;
  timer: number;
}

/** All of a replica's state, plain data. `db`, `lastWriteMs`, `boot` and `hints` are durable. */
export interface ReplicaState {
  db: Database;
  lastWriteMs: number;
  /** Restarts so far (makes request ids unique across restarts). */
  boot: number;
  nextRequest: number;
  pending: Record<string, PendingRequest>;
  /** Write repair: deliveries not yet acknowledged (volatile); `hintId` 'held' once a hint holder acknowledged. */
  retries: { to: NodeId; key: string; need: Version; sinceMs: number; hintId: string | null }[];
  /** Hinted handoff: writes held for another replica (durable). */
  hints: Record<string, { target: NodeId; key: string; versions: Version[] }>;
  retryArmed: boolean;
}

/** The durable-storage key of a replica. */
export const REPLICA_KEY = 'replica';

type Ctx = Context<CapMessage, CapTimer>;

/**
 * A replica of the register of the CAP and BASE experiments. Writes annotate 'wrote' with
 * `{ key, value, basedOn }` (the values of the versions the write replaced at its coordinator),
 * from which `lostUpdates` finds writes no surviving version descends from.
 *
 * @example
 *   sim.addNode('r1', () => new Replica({ replicas: ['r1', 'r2', 'r3'], mode: 'cp' }));
 */
export class Replica implements ProtocolNode<CapMessage, CapTimer> {
  state: ReplicaState;
  private readonly rules: MergeRules;
  private readonly reconciliation: Reconciliation;
  private readonly timeoutMs: number;
  private readonly majority: number;
  private readonly primary: NodeId;

  constructor(readonly options: ReplicaOptions) {
    const n = options.replicas?.length ?? 0;
    if (!Array.isArray(options.replicas) || n < 1) throw new ConfigError('replicas', 'a non-empty array of node ids', options.replicas);
    if (options.mode !== 'cp' && options.mode !== 'ap') throw new ConfigError('mode', "'cp' or 'ap'", options.mode);
    this.reconciliation = options.mode === 'cp' ? 'lww' : options.reconciliation ?? 'lww';
    this.timeoutMs = requireNumberInRange('timeoutMs', options.timeoutMs ?? 50, 0.001, Infinity);
    this.majority = Math.floor(n / 2) + 1;
    this.primary = options.primary ?? options.replicas[0];
    if (!options.replicas.includes(this.primary)) throw new ConfigError('primary', `one of the replicas (${options.replicas.join(', ')})`, this.primary);
    if (options.writeQuorum !== undefined) requireInteger('writeQuorum', options.writeQuorum, 1);
    if (options.readQuorum !== undefined) requireInteger('readQuorum', options.readQuorum, 1);
    if ((options.writeQuorum ?? 1) > n || (options.readQuorum ?? 1) > n) throw new ConfigError('quorums', `at most the number of replicas (${n})`, [options.writeQuorum, options.readQuorum]);
    if (options.writeRepair) requireNumberInRange('writeRepair.retryMs', options.writeRepair.retryMs, 0.001, Infinity);
    if (options.antiEntropy) requireNumberInRange('antiEntropy.periodMs', options.antiEntropy.periodMs, 0.001, Infinity);
    this.rules = resolveMergeRules(options.rules);
    this.state = { db: {}, lastWriteMs: -Infinity, boot: 0, nextRequest: 0, pending: {}, retries: [], hints: {}, retryArmed: false };
  }

  init(ctx: Ctx): void {
    const stored = ctx.load<Pick<ReplicaState, 'db' | 'lastWriteMs' | 'boot' | 'hints'>>(REPLICA_KEY);
    if (stored) Object.assign(this.state, stored, { boot: stored.boot + 1 });
    this.persist(ctx);
    if (Object.keys(this.state.hints).length > 0) this.armRetry(ctx);
    if (this.options.antiEntropy) ctx.setTimer({ type: 'AntiEntropy' }, ctx.rng.uniform(0, this.options.antiEntropy.periodMs));
  }

  onMessage(from: NodeId, msg: CapMessage, ctx: Ctx): void {
    switch (msg.type) {
      case 'ClientRequest':
        return msg.f === 'write' ? this.clientWrite(from, msg.opId, msg.key, msg.value ?? '', ctx) : this.clientRead(from, msg.opId, msg.key, ctx);
      case 'Forward':
        return this.startWrite(msg.key, msg.value, null, { node: from, reqId: msg.reqId }, this.majority, ctx);
      case 'ForwardReply': {
        const p = this.state.pending[msg.reqId];
        if (p) this.finish(msg.reqId, p, msg.result, null, ctx);
        return;
      }
      case 'Replicate': {
        const versions = this.merge(msg.key, msg.versions, ctx);
        return ctx.send(from, { type: 'ReplicateAck', reqId: msg.reqId, key: msg.key, versions });
      }
      case 'ReplicateAck':
        return this.replicateAck(from, msg.reqId, msg.key, msg.versions, ctx);
      case 'ReadRequest':
        return ctx.send(from, { type: 'ReadReply', reqId: msg.reqId, key: msg.key, versions: this.state.db[msg.key] ?? [] });
      case 'ReadReply':
        return this.readReply(from, msg.reqId, msg.key, msg.versions, ctx);
      case 'Hint':
        this.state.hints[msg.hintId] = { target: msg.target, key: msg.key, versions: msg.versions };
        this.persist(ctx);
        this.armRetry(ctx);
        return ctx.send(from, { type: 'HintAck', hintId: msg.hintId });
      case 'HintAck': {
        // the holder has it durably: stop re-sending the hint (the coordinator keeps retrying itself)
        const r = this.state.retries.find((x) => x.hintId === msg.hintId);
        if (r) r.hintId = 'held';
        return;
      }
      case 'MerkleCompare':
        return this.merkleCompare(from, msg.level, msg.indices, msg.hashes, ctx);
      case 'MerkleEntries':
        this.mergeAll(msg.entries, ctx);
        if (msg.want.length > 0) ctx.send(from, { type: 'MerkleEntries', entries: entriesInRanges(this.state.db, msg.want, this.depth()), want: [] });
        return;
      case 'SyncAll':
        this.mergeAll(msg.entries, ctx);
        if (msg.reply) ctx.send(from, { type: 'SyncAll', entries: this.state.db, reply: false });
        return;
      case 'ClientReply':
        return; // for clients
      default:
        return assertNever(msg, 'message');
    }
  }

  onTimer(timer: CapTimer, ctx: Ctx): void {
    switch (timer.type) {
      case 'RequestTimeout': {
        const p = this.state.pending[timer.reqId];
        if (p) this.timeout(timer.reqId, p, ctx);
        return;
      }
      case 'RepairRetry':
        return this.repairTick(ctx);
      case 'AntiEntropy':
        return this.antiEntropyTick(ctx);
      case 'NextOperation':
      case 'ClientTimeout':
        return; // for clients
      default:
        return assertNever(timer, 'timer');
    }
  }

  // ------------------------------------------------------------ client requests

  private clientWrite(client: NodeId, opId: number, key: string, value: string, ctx: Ctx): void {
    if (this.options.mode === 'cp' && ctx.id !== this.primary) {
      const reqId = this.newRequest(ctx);
      this.state.pending[reqId] = this.pendingOf('forward', key, { node: client, opId }, null, 1, this.timeoutMs * 3, reqId, ctx);
      return ctx.send(this.primary, { type: 'Forward', reqId, key, value });
    }
    const quorum = this.options.mode === 'cp' ? this.majority : this.options.writeQuorum ?? this.options.replicas.length;
    this.startWrite(key, value, { node: client, opId }, null, quorum, ctx);
  }

  private clientRead(client: NodeId, opId: number, key: string, ctx: Ctx): void {
    const quorum = this.options.mode === 'cp' ? this.majority : this.options.readQuorum ?? this.options.replicas.length;
    if (this.options.readRepair) this.readRepair(key, ctx);
    if (quorum === 1) return this.reply(client, opId, 'ok', newestVersion(this.state.db[key])?.value ?? null, ctx);
    const reqId = this.newRequest(ctx);
    const p = this.pendingOf('read', key, { node: client, opId }, null, quorum, this.timeoutMs, reqId, ctx);
    p.responses[ctx.id] = this.state.db[key] ?? [];
    this.state.pending[reqId] = p;
    for (const peer of this.peers(ctx)) ctx.send(peer, { type: 'ReadRequest', reqId, key });
  }

  /** A write coordinated here: stamp it, apply it, replicate it, wait for `quorum` holders. */
  private startWrite(key: string, value: string, client: PendingRequest['client'], origin: PendingRequest['origin'], quorum: number, ctx: Ctx): void {
    const s = this.state;
    const local = s.db[key] ?? [];
    const timestampMs = Math.max(ctx.now(), s.lastWriteMs + 0.001);
    s.lastWriteMs = timestampMs;
    const base = mergeClocks(...local.map((v) => v.clock));
    const version: Version = { value, timestampMs, node: ctx.id, clock: mergeClocks(base, { [ctx.id]: (base[ctx.id] ?? 0) + 1 }) };
    ctx.annotate('wrote', { key, value, basedOn: local.map((v) => v.value) });
    s.db = { ...s.db, [key]: [version] };
    this.persist(ctx);
    const reqId = this.newRequest(ctx);
    const p = this.pendingOf('write', key, client, origin, quorum, this.timeoutMs, reqId, ctx);
    p.written = version;
    p.acks.push(ctx.id);
    s.pending[reqId] = p;
    for (const peer of this.peers(ctx)) {
      ctx.send(peer, { type: 'Replicate', reqId, key, versions: [version] });
      if (this.options.writeRepair) s.retries.push({ to: peer, key, need: version, sinceMs: ctx.now(), hintId: null });
    }
    if (this.options.writeRepair) this.armRetry(ctx);
    this.checkWrite(reqId, p, ctx);
  }

  private replicateAck(from: NodeId, reqId: string | null, key: string, versions: Version[], ctx: Ctx): void {
    const s = this.state;
    if (s.retries.length > 0) s.retries = s.retries.filter((r) => !(r.to === from && r.key === key && holds(versions, r.need, this.reconciliation)));
    if (reqId !== null && reqId.startsWith('hint:')) {
      const hintId = reqId.slice(5);
      if (s.hints[hintId] && s.hints[hintId].target === from) {
        delete s.hints[hintId];
        this.persist(ctx);
      }
      return;
    }
    const p = reqId === null ? undefined : s.pending[reqId];
    if (!p || p.acks.includes(from)) return;
    if (p.kind === 'write' && p.written && holds(versions, p.written, this.reconciliation)) {
      p.acks.push(from);
      this.checkWrite(reqId as string, p, ctx);
    } else if (p.kind === 'read' && p.merged && p.merged.every((v) => holds(versions, v, this.reconciliation))) {
      p.acks.push(from);
      this.checkRead(reqId as string, p, ctx);
    }
  }

  private checkWrite(reqId: string, p: PendingRequest, ctx: Ctx): void {
    if (p.acks.length >= p.quorum) this.finish(reqId, p, 'ok', null, ctx);
  }

  private readReply(from: NodeId, reqId: string, key: string, versions: Version[], ctx: Ctx): void {
    if (reqId.startsWith('repair:')) {
      const merged = this.merge(key, versions, ctx);
      if (!sameSiblings(merged, versions)) ctx.send(from, { type: 'Replicate', reqId: null, key, versions: merged });
      return;
    }
    const p = this.state.pending[reqId];
    if (!p || p.kind !== 'read' || p.merged !== null) return;
    p.responses[from] = versions;
    if (Object.keys(p.responses).length >= p.quorum) this.endReadPhase(reqId, p, ctx);
  }

  /** A quorum answered: merge, adopt, and write back to the responders that were behind (ABD's second phase). */
  private endReadPhase(reqId: string, p: PendingRequest, ctx: Ctx): void {
    let merged: Version[] = this.state.db[p.key] ?? [];
    for (const node of Object.keys(p.responses)) merged = mergeKey(merged, p.responses[node], this.reconciliation, this.rules);
    merged = this.merge(p.key, merged, ctx);
    p.merged = merged;
    for (const node of Object.keys(p.responses)) {
      if (node === ctx.id || merged.every((v) => holds(p.responses[node], v, this.reconciliation))) p.acks.push(node);
      else ctx.send(node, { type: 'Replicate', reqId, key: p.key, versions: merged });
    }
    this.checkRead(reqId, p, ctx);
  }

  private checkRead(reqId: string, p: PendingRequest, ctx: Ctx): void {
    if (p.merged !== null && p.acks.length >= p.quorum) this.finish(reqId, p, 'ok', newestVersion(p.merged)?.value ?? null, ctx);
  }

  /** No quorum in time. CP refuses (a read: fail; a write: info, it may still take effect); AP answers with what it has. */
  private timeout(reqId: string, p: PendingRequest, ctx: Ctx): void {
    if (this.options.mode === 'cp' || p.kind === 'forward') {
      return this.finish(reqId, p, p.kind === 'read' ? 'fail' : 'info', null, ctx);
    }
    if (p.kind === 'write') return this.finish(reqId, p, 'ok', null, ctx);
    let merged = p.merged ?? this.state.db[p.key] ?? [];
    if (p.merged === null) for (const node of Object.keys(p.responses)) merged = mergeKey(merged, p.responses[node], this.reconciliation, this.rules);
    merged = this.merge(p.key, merged, ctx);
    this.finish(reqId, p, 'ok', newestVersion(merged)?.value ?? null, ctx);
  }

  private finish(reqId: string, p: PendingRequest, result: 'ok' | 'fail' | 'info', value: string | null, ctx: Ctx): void {
    delete this.state.pending[reqId];
    ctx.cancelTimer(p.timer);
    if (p.client) {
      const answer = p.kind === 'read' ? value : undefined;
      this.reply(p.client.node, p.client.opId, result, answer, ctx);
    }
    if (p.origin) ctx.send(p.origin.node, { type: 'ForwardReply', reqId: p.origin.reqId, result: result === 'ok' ? 'ok' : 'info' });
  }

  private reply(client: NodeId, opId: number, result: 'ok' | 'fail' | 'info', value: string | null | undefined, ctx: Ctx): void {
    ctx.send(client, value === undefined ? { type: 'ClientReply', opId, result } : { type: 'ClientReply', opId, result, value });
  }

  // ------------------------------------------------------------ repairs (BASE)

  /** Read repair: ask everyone for the key; each answer is merged here and the merge pushed back if the answer was behind. */
  private readRepair(key: string, ctx: Ctx): void {
    const reqId = `repair:${this.newRequest(ctx)}`;
    for (const peer of this.peers(ctx)) ctx.send(peer, { type: 'ReadRequest', reqId, key });
  }

  /** Write repair: re-send what is unacknowledged; after hintAfterMs hand it to another replica (hinted handoff). Deliver held hints. */
  private repairTick(ctx: Ctx): void {
    const s = this.state;
    s.retryArmed = false;
    const hintAfterMs = this.options.writeRepair?.hintAfterMs;
    for (const r of s.retries) {
      const versions = s.db[r.key] ?? [r.need];
      const holder = hintAfterMs !== undefined && r.hintId !== 'held' && ctx.now() - r.sinceMs >= hintAfterMs ? this.hintHolder(r.to, ctx) : null;
      if (holder !== null) {
        // hinted handoff: a second replica also takes on the delivery, durably (re-sent until it acknowledges)
        r.hintId ??= `${ctx.id}.${s.boot}.h${s.nextRequest++}`;
        ctx.send(holder, { type: 'Hint', hintId: r.hintId, target: r.to, key: r.key, versions });
      }
      ctx.send(r.to, { type: 'Replicate', reqId: null, key: r.key, versions });
    }
    for (const hintId of Object.keys(s.hints)) {
      const h = s.hints[hintId];
      ctx.send(h.target, { type: 'Replicate', reqId: `hint:${hintId}`, key: h.key, versions: h.versions });
    }
    this.armRetry(ctx);
  }

  /** The replica after `target` in ring order that is neither `target` nor this one. */
  private hintHolder(target: NodeId, ctx: Ctx): NodeId | null {
    const ring = this.options.replicas;
    const start = ring.indexOf(target);
    for (let i = 1; i < ring.length; i++) {
      const candidate = ring[(start + i) % ring.length];
      if (candidate !== ctx.id && candidate !== target) return candidate;
    }
    return null;
  }

  private armRetry(ctx: Ctx): void {
    const s = this.state;
    if (s.retryArmed || (s.retries.length === 0 && Object.keys(s.hints).length === 0)) return;
    s.retryArmed = true;
    ctx.setTimer({ type: 'RepairRetry' }, this.options.writeRepair?.retryMs ?? 20);
  }

  private antiEntropyTick(ctx: Ctx): void {
    const ae = this.options.antiEntropy!;
    ctx.setTimer({ type: 'AntiEntropy' }, ae.periodMs);
    const peers = this.peers(ctx);
    if (peers.length === 0) return;
    const partner = ctx.rng.pick(peers);
    if (ae.kind === 'full') return ctx.send(partner, { type: 'SyncAll', entries: this.state.db, reply: true });
    const root = merkleTree(this.state.db, this.depth()).levels[0][0];
    ctx.send(partner, { type: 'MerkleCompare', level: 0, indices: [0], hashes: [root] });
  }

  /** One step of the Merkle descent: keep only the nodes whose hashes differ; at the leaves, exchange their key ranges. */
  private merkleCompare(from: NodeId, level: number, indices: number[], hashes: string[], ctx: Ctx): void {
    const depth = this.depth();
    const tree = merkleTree(this.state.db, depth);
    const differ = diffIndices(tree, level, indices, hashes);
    if (differ.length === 0) return;
    if (level === depth) {
      return ctx.send(from, { type: 'MerkleEntries', entries: entriesInRanges(this.state.db, differ, depth), want: differ });
    }
    const children = childIndices(differ);
    ctx.send(from, { type: 'MerkleCompare', level: level + 1, indices: children, hashes: children.map((i) => tree.levels[level + 1][i]) });
  }

  private depth(): number {
    return this.options.antiEntropy?.depth ?? 4;
  }

  // ------------------------------------------------------------ helpers

  /** Merges versions of one key into the local database; returns the local versions after. */
  private merge(key: string, versions: readonly Version[], ctx: Ctx): Version[] {
    const before = this.state.db[key] ?? [];
    const after = mergeKey(before, versions, this.reconciliation, this.rules);
    if (!sameSiblings(before, after)) {
      this.state.db = { ...this.state.db, [key]: after };
      this.persist(ctx);
    }
    return this.state.db[key] ?? [];
  }

  private mergeAll(entries: Database, ctx: Ctx): void {
    for (const key of Object.keys(entries)) this.merge(key, entries[key], ctx);
  }

  private peers(ctx: Ctx): NodeId[] {
    return this.options.replicas.filter((r) => r !== ctx.id);
  }

  private newRequest(ctx: Ctx): string {
    return `${ctx.id}.${this.state.boot}.${this.state.nextRequest++}`;
  }

  private pendingOf(kind: PendingRequest['kind'], key: string, client: PendingRequest['client'], origin: PendingRequest['origin'], quorum: number, timeoutMs: number, reqId: string, ctx: Ctx): PendingRequest {
    const timer = ctx.setTimer({ type: 'RequestTimeout', reqId }, timeoutMs);
    return { kind, key, client, origin, quorum, acks: [], responses: {}, merged: null, written: null, timer };
  }

  private persist(ctx: Ctx): void {
    const { db, lastWriteMs, boot, hints } = this.state;
    ctx.persist(REPLICA_KEY, { db, lastWriteMs, boot, hints });
  }
}

/**
 * True when `versions` holds `v` or what replaced it there: under last-writer-wins a version
 * with an equal or newer stamp (v will never be returned again); under vector clocks `v` itself
 * or a version that has seen it.
 */
function holds(versions: readonly Version[], v: Version, mode: Reconciliation): boolean {
  if (mode === 'lww') return versions.some((w) => compareStamps(w, v) >= 0);
  return versions.some((w) => compareStamps(w, v) === 0 || compareClocks(v.clock, w.clock) === 'before');
}
