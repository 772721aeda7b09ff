import { ConfigError, NodeId, assertNever, copyData, requireInteger } from '../../core';
import type { Context, ProtocolNode } from '../../sim';
import { digestOf, macFor, sign, verifyMac, verifySig } from './auth';
import {
  CheckpointMsg, ClientRequest, CommitMsg, NULL_DIGEST, NewViewMsg, PbftMessage, PbftTimer, PrePrepareMsg,
  PrepareMsg, PreparedCert, ServiceState, ViewChangeMsg,
} from './messages';
import { PbftRules, ViewChangeSummary, pbftRules } from './rules';

/**
 * Byzantine behaviours a replica can be given (OSDI §1: up to f replicas may behave
 * arbitrarily). Each is a small, readable deviation from the honest code:
 * - 'silent': sends nothing (a crashed or mute primary: backups must change the view).
 * - 'equivocate': as primary, gives two different requests the same sequence number, one to
 *   each half of the backups, and commits each to its half.
 * - 'double-assign': as primary, gives one request two sequence numbers.
 * - 'partial-preprepare': as primary, sends each pre-prepare to only f backups.
 * - 'bad-mac': every MAC it sends is wrong (receivers drop and count them).
 * - 'lying-view-change': its VIEW-CHANGE claims a forged prepared certificate and a stable
 *   checkpoint it cannot prove.
 * - 'double-vote': prepares and commits every pre-prepare it sees, even conflicting ones (an
 *   accomplice; with an equivocating primary it makes f+1 faulty replicas, see pbftBeyondF).
 */
export type ByzantineBehaviour = 'silent' | 'equivocate' | 'double-assign' | 'partial-preprepare' | 'bad-mac' | 'lying-view-change' | 'double-vote';

export const BYZANTINE_BEHAVIOURS: readonly ByzantineBehaviour[] = ['silent', 'equivocate', 'double-assign', 'partial-preprepare', 'bad-mac', 'lying-view-change', 'double-vote'];

/** Options of a replica; `replicas`, `f` and `keySeed` are required. Times in virtual ms. */
export interface PbftReplicaOptions {
  replicas: readonly NodeId[];
  f: number;
  /** Seed the pairwise keys are derived from (the cluster passes the simulation's seed). */
  keySeed: string;
  /** K: a checkpoint every K requests (OSDI §4.3). Default 8. */
  checkpointInterval?: number;
  /** L: how far above the low water mark h a sequence number may go (default 2K). */
  logSize?: number;
  /** T: the backup's view-change timer (OSDI §4.4). Default 150 ms. */
  requestTimeoutMs?: number;
  rules?: Partial<PbftRules>;
  byzantine?: readonly ByzantineBehaviour[];
}

/** Checks n >= 3f+1 (OSDI §2: with fewer, quorums of 2f+1 need not share a correct replica). */
export function checkPbftConfig(n: number, f: number): void {
  requireInteger('f', f, 0);
  if (n < 3 * f + 1) throw new ConfigError('n', `>= 3f+1 = ${3 * f + 1} (f = ${f})`, n);
}

/** A replica's log of accepted messages (the full signed messages; assignable to PbftLog). */
export interface ReplicaLog { prePrepares: PrePrepareMsg[]; prepares: PrepareMsg[]; commits: CommitMsg[] }

/** A replica's state, plain data (structuredClone can copy it). */
export interface PbftReplicaState {
  view: number;
  inViewChange: boolean;
  /** The last view this replica was active in (timeouts double with each view since). */
  lastActiveView: number;
  nextSeq: number;
  lastExecuted: number;
  /** h, the low water mark: the latest stable checkpoint, and its proof. */
  stableSeq: number;
  stableProof: CheckpointMsg[];
  log: ReplicaLog;
  /** Sequence numbers committed-local, waiting for execution in order. */
  committed: Record<number, { view: number; digest: string; request: ClientRequest | null }>;
  /** Per seq, the prepared certificate of the highest view (for VIEW-CHANGE's P). */
  preparedCerts: Record<number, PreparedCert>;
  /** `${view}:${seq}` -> digest this replica sent a commit for. */
  commitSent: Record<string, string>;
  checkpoints: CheckpointMsg[];
  service: ServiceState;
  /** Requests received and not yet executed (digest -> request): the view-change timer runs while any wait. */
  pending: Record<string, ClientRequest>;
  /** The primary's requests waiting for the water marks to move. */
  queue: ClientRequest[];
  /** The primary's assignments in this view (digest -> seq). */
  assigned: Record<string, number>;
  viewChanges: Record<number, Record<NodeId, ViewChangeMsg>>;
  newViewSent: Record<number, boolean>;
  requestTimerId: number | null;
  newViewTimerId: number | null;
  /** Messages dropped for a bad MAC or signature. */
  authFailures: number;
  heldRequest: ClientRequest | null;
}

type Out = PbftMessage extends unknown ? (PbftMessage extends infer M ? (M extends PbftMessage ? Omit<M, 'mac'> : never) : never) : never;
type Ctx = Context<PbftMessage, PbftTimer>;

/**
 * A PBFT replica (Castro & Liskov, OSDI 1999, §4): the three-phase protocol (pre-prepare,
 * prepare, commit), execution in sequence order, checkpoints and garbage collection, and view
 * changes, with the predicates pluggable (rules.ts) and Byzantine behaviours as options.
 *
 * @example
 *   const r = new PbftReplica({ replicas: ['r1', 'r2', 'r3', 'r4'], f: 1, keySeed: '1' });
 *   sim.addNode('r1', () => r);
 */
export class PbftReplica implements ProtocolNode<PbftMessage, PbftTimer> {
  readonly state: PbftReplicaState;
  readonly rules: PbftRules;
  private readonly n: number;
  private readonly f: number;
  private readonly K: number;
  private readonly L: number;
  private readonly timeoutMs: number;
  private readonly bad: Set<ByzantineBehaviour>;

  constructor(readonly options: PbftReplicaOptions) {
    if (!options || !Array.isArray(options.replicas)) throw new ConfigError('replicas', 'an array of replica ids', options?.replicas);
    this.n = options.replicas.length;
    this.f = options.f;
    checkPbftConfig(this.n, this.f);
    this.K = requireInteger('checkpointInterval', options.checkpointInterval ?? 8, 1);
    this.L = requireInteger('logSize', options.logSize ?? 2 * this.K, this.K);
    this.timeoutMs = options.requestTimeoutMs ?? 150;
    this.rules = { ...pbftRules, ...options.rules };
    this.bad = new Set(options.byzantine ?? []);
    for (const b of this.bad) if (!BYZANTINE_BEHAVIOURS.includes(b)) throw new ConfigError('byzantine', `one of ${BYZANTINE_BEHAVIOURS.join(', ')}`, b);
    this.state = {
      view: 0, inViewChange: false, lastActiveView: 0, nextSeq: 1, lastExecuted: 0, stableSeq: 0, stableProof: [],
      log: { prePrepares: [], prepares: [], commits: [] }, committed: {}, preparedCerts: {}, commitSent: {}, checkpoints: [],
      service: { executed: 0, lastReply: {} }, pending: {}, queue: [], assigned: {}, viewChanges: {}, newViewSent: {},
      requestTimerId: null, newViewTimerId: null, authFailures: 0, heldRequest: null,
    };
  }

  /** The primary of view v: replica v mod n (OSDI §4). */
  primary(view: number): NodeId {
    return this.options.replicas[view % this.n];
  }

  isPrimary(id: NodeId): boolean {
    return this.primary(this.state.view) === id && !this.state.inViewChange;
  }

  // ------------------------------------------------------------------ sending

  private out(ctx: Ctx, to: NodeId, msg: Out): void {
    if (this.bad.has('silent')) return;
    const mac = this.bad.has('bad-mac') ? 'forged' : macFor(this.options.keySeed, ctx.id, to, msg);
    ctx.send(to, { ...msg, mac } as PbftMessage);
  }

  private multicast(ctx: Ctx, msg: Out, to: readonly NodeId[] = this.options.replicas): void {
    for (const r of to) if (r !== ctx.id) this.out(ctx, r, msg);
  }

  private signed<T extends { sig: string }>(ctx: Ctx, msg: T): T {
    return { ...msg, sig: sign(this.options.keySeed, ctx.id, msg) };
  }

  private reject(ctx: Ctx, why: string, msg: PbftMessage): void {
    this.state.authFailures++;
    ctx.annotate(why, { type: msg.type });
  }

  // ------------------------------------------------------------------ dispatch

  onMessage(from: NodeId, msg: PbftMessage, ctx: Ctx): void {
    if (!verifyMac(this.options.keySeed, from, ctx.id, msg)) return this.reject(ctx, 'bad MAC', msg);
    switch (msg.type) {
      case 'Request': return this.onRequest(msg.request, ctx);
      case 'PrePrepare': return this.onPrePrepare(from, msg, ctx);
      case 'Prepare': return this.onPrepare(from, msg, ctx);
      case 'Commit': return this.onCommit(from, msg, ctx);
      case 'Checkpoint': return this.onCheckpoint(from, msg, ctx);
      case 'ViewChange': return this.onViewChange(from, msg, ctx);
      case 'NewView': return this.onNewView(from, msg, ctx);
      case 'Reply': return;
      default: assertNever(msg, 'PBFT message');
    }
  }

  onTimer(timer: PbftTimer, ctx: Ctx): void {
    const s = this.state;
    switch (timer.type) {
      case 'RequestTimeout':
        s.requestTimerId = null;
        if (timer.view === s.view && !s.inViewChange) this.startViewChange(s.view + 1, ctx);
        return;
      case 'NewViewTimeout':
        s.newViewTimerId = null;
        if (timer.view === s.view && s.inViewChange) this.startViewChange(s.view + 1, ctx);
        return;
      default: assertNever(timer, 'PBFT timer');
    }
  }

  // ------------------------------------------------------------------ normal case (OSDI §4.1-4.2)

  private validRequest(req: ClientRequest | null): boolean {
    return req !== null && verifySig(this.options.keySeed, req.client, req);
  }

  private onRequest(req: ClientRequest, ctx: Ctx): void {
    const s = this.state;
    if (!this.validRequest(req)) return this.reject(ctx, 'bad request signature', { type: 'Request' } as PbftMessage);
    const last = s.service.lastReply[req.client];
    if (last && last.timestamp >= req.timestamp) {
      if (last.timestamp === req.timestamp) this.reply(ctx, req.client, req.timestamp, last.result);
      return;
    }
    const d = digestOf(req);
    s.pending[d] = req;
    if (this.isPrimary(ctx.id)) return this.assign(req, ctx);
    if (!s.inViewChange) this.out(ctx, this.primary(s.view), { type: 'Request', request: req });
    if (s.requestTimerId === null && !s.inViewChange) s.requestTimerId = ctx.setTimer({ type: 'RequestTimeout', view: s.view }, this.timeoutMs);
  }

  private prePrepare(ctx: Ctx, seq: number, req: ClientRequest | null): PrePrepareMsg {
    const digest = req ? digestOf(req) : NULL_DIGEST;
    return this.signed(ctx, { type: 'PrePrepare', view: this.state.view, seq, digest, request: req, replica: ctx.id, sig: '', mac: '' });
  }

  /** The primary assigns the next sequence number to a request (OSDI §4.2). */
  private assign(req: ClientRequest, ctx: Ctx): void {
    const s = this.state;
    const d = digestOf(req);
    const old = s.assigned[d];
    const backups = this.options.replicas.filter((r) => r !== ctx.id);
    if (old !== undefined) {
      // A retransmitted request: re-send its pre-prepare if it has not executed yet (a
      // 'partial-preprepare' primary stays partial: the same f backups again).
      const pp = s.log.prePrepares.find((p) => p.view === s.view && p.seq === old && p.digest === d);
      if (pp && old > s.lastExecuted) this.multicast(ctx, pp, this.bad.has('partial-preprepare') ? backups.slice(0, this.f) : undefined);
      return;
    }
    if (s.nextSeq > s.stableSeq + this.L) {
      if (!s.queue.some((q) => digestOf(q) === d)) s.queue.push(req);
      return;
    }
    if (this.bad.has('equivocate')) {
      if (s.heldRequest === null || digestOf(s.heldRequest) === d) { s.heldRequest = req; return; }
      const seq = s.nextSeq++;
      const a = this.prePrepare(ctx, seq, s.heldRequest);
      const b = this.prePrepare(ctx, seq, req);
      s.assigned[a.digest] = seq;
      s.assigned[d] = seq;
      s.heldRequest = null;
      // The first backup hears both (an accomplice, if there is one); the others are split in halves.
      const rest = backups.slice(1);
      const half = Math.ceil(rest.length / 2);
      for (const [pp, group] of [[a, [backups[0], ...rest.slice(0, half)]], [b, [backups[0], ...rest.slice(half)]]] as const) {
        this.multicast(ctx, pp, group);
        this.multicast(ctx, this.signed(ctx, { type: 'Commit', view: s.view, seq, digest: pp.digest, replica: ctx.id, sig: '', mac: '' } as CommitMsg), group);
      }
      ctx.annotate('equivocate', { seq, digests: [a.digest, b.digest] });
      return;
    }
    const seq = s.nextSeq++;
    s.assigned[d] = seq;
    const pp = this.prePrepare(ctx, seq, req);
    s.log.prePrepares.push(pp);
    if (this.bad.has('partial-preprepare')) return this.multicast(ctx, pp, backups.slice(0, this.f));
    this.multicast(ctx, pp);
    if (this.bad.has('double-assign')) {
      const again = this.prePrepare(ctx, s.nextSeq++, req);
      s.log.prePrepares.push(again);
      this.multicast(ctx, again);
    }
  }

  private inWindow(seq: number): boolean {
    return seq > this.state.stableSeq && seq <= this.state.stableSeq + this.L;
  }

  private onPrePrepare(from: NodeId, m: PrePrepareMsg, ctx: Ctx): void {
    const s = this.state;
    if (m.replica !== from || from !== this.primary(m.view) || !verifySig(this.options.keySeed, from, m)) return this.reject(ctx, 'bad pre-prepare', m);
    if (m.view !== s.view || s.inViewChange || !this.inWindow(m.seq)) return;
    if (m.request ? !this.validRequest(m.request) || digestOf(m.request) !== m.digest : m.digest !== NULL_DIGEST) return this.reject(ctx, 'pre-prepare digest mismatch', m);
    const existing = s.log.prePrepares.filter((p) => p.view === m.view && p.seq === m.seq);
    if (existing.some((p) => p.digest === m.digest)) return this.resendVotes(m, ctx);
    if (existing.length > 0 && !this.bad.has('double-vote')) {
      ctx.annotate('conflicting pre-prepare', { view: m.view, seq: m.seq });
      return;
    }
    s.log.prePrepares.push(m);
    if (m.request) s.pending[m.digest] = m.request;
    this.sendPrepare(m, ctx);
  }

  private sendPrepare(m: PrePrepareMsg, ctx: Ctx): void {
    const p = this.signed(ctx, { type: 'Prepare', view: m.view, seq: m.seq, digest: m.digest, replica: ctx.id, sig: '', mac: '' } as PrepareMsg);
    this.state.log.prepares.push(p);
    this.multicast(ctx, p);
    if (this.bad.has('double-vote')) this.sendCommit(m.view, m.seq, m.digest, ctx);
    this.progress(m.view, m.seq, m.digest, ctx);
  }

  /** A duplicated pre-prepare (the primary retransmits): re-send what this replica said about it. */
  private resendVotes(m: PrePrepareMsg, ctx: Ctx): void {
    const s = this.state;
    const mine = s.log.prepares.find((p) => p.replica === ctx.id && p.view === m.view && p.seq === m.seq && p.digest === m.digest);
    if (mine) this.multicast(ctx, mine);
    const commit = s.log.commits.find((c) => c.replica === ctx.id && c.view === m.view && c.seq === m.seq && c.digest === m.digest);
    if (commit) this.multicast(ctx, commit);
  }

  private onPrepare(from: NodeId, m: PrepareMsg, ctx: Ctx): void {
    const s = this.state;
    if (m.replica !== from || !verifySig(this.options.keySeed, from, m)) return this.reject(ctx, 'bad prepare', m);
    if (m.view !== s.view || s.inViewChange || !this.inWindow(m.seq)) return;
    if (s.log.prepares.some((p) => p.replica === from && p.view === m.view && p.seq === m.seq && p.digest === m.digest)) return;
    s.log.prepares.push(m);
    this.progress(m.view, m.seq, m.digest, ctx);
  }

  private onCommit(from: NodeId, m: CommitMsg, ctx: Ctx): void {
    const s = this.state;
    if (m.replica !== from || !verifySig(this.options.keySeed, from, m)) return this.reject(ctx, 'bad commit', m);
    if (m.view !== s.view || s.inViewChange || !this.inWindow(m.seq)) return;
    if (s.log.commits.some((c) => c.replica === from && c.view === m.view && c.seq === m.seq && c.digest === m.digest)) return;
    s.log.commits.push(m);
    this.progress(m.view, m.seq, m.digest, ctx);
  }

  private sendCommit(view: number, seq: number, digest: string, ctx: Ctx): void {
    const s = this.state;
    const key = `${view}:${seq}`;
    if (s.commitSent[key] === digest) return;
    s.commitSent[key] = digest;
    const c = this.signed(ctx, { type: 'Commit', view, seq, digest, replica: ctx.id, sig: '', mac: '' } as CommitMsg);
    s.log.commits.push(c);
    this.multicast(ctx, c);
  }

  /** After a message lands in the log: prepared -> send COMMIT; committed-local -> execute (OSDI §4.2). */
  private progress(view: number, seq: number, digest: string, ctx: Ctx): void {
    const s = this.state;
    if (s.commitSent[`${view}:${seq}`] === undefined && this.rules.prepared(s.log, view, seq, digest, this.f)) {
      const pp = s.log.prePrepares.find((p) => p.view === view && p.seq === seq && p.digest === digest)!;
      const prepares = s.log.prepares.filter((p) => p.view === view && p.seq === seq && p.digest === digest && p.replica !== pp.replica);
      s.preparedCerts[seq] = { prePrepare: pp, prepares };
      this.sendCommit(view, seq, digest, ctx);
    }
    if (s.committed[seq] === undefined && seq > s.lastExecuted && this.rules.committedLocal(s.log, view, seq, digest, this.f)) {
      const pp = s.log.prePrepares.find((p) => p.view === view && p.seq === seq && p.digest === digest)!;
      s.committed[seq] = { view, digest, request: pp.request };
      this.execute(ctx);
    }
  }

  /** Executes committed requests in sequence order (OSDI §4.2), replies, checkpoints every K. */
  private execute(ctx: Ctx): void {
    const s = this.state;
    while (s.committed[s.lastExecuted + 1] !== undefined) {
      const seq = s.lastExecuted + 1;
      const { view, digest, request } = s.committed[seq];
      s.lastExecuted = seq;
      delete s.pending[digest];
      ctx.annotate('execute', { seq, view, digest, request: request ? `${request.client}:${request.timestamp} ${request.op}` : null });
      if (request) {
        const last = s.service.lastReply[request.client];
        if (!last || last.timestamp < request.timestamp) {
          s.service.executed++;
          s.service.lastReply[request.client] = { timestamp: request.timestamp, result: `${s.service.executed}` };
        }
        const reply = s.service.lastReply[request.client];
        if (reply.timestamp === request.timestamp) this.reply(ctx, request.client, request.timestamp, reply.result);
      }
      if (seq % this.K === 0) {
        const state = copyData(s.service);
        const cp = this.signed(ctx, { type: 'Checkpoint', seq, stateDigest: digestOf(state), state, replica: ctx.id, sig: '', mac: '' } as CheckpointMsg);
        s.checkpoints.push(cp);
        this.multicast(ctx, cp);
        this.checkStable(seq, cp.stateDigest, ctx);
      }
    }
    if (s.requestTimerId !== null) { ctx.cancelTimer(s.requestTimerId); s.requestTimerId = null; }
    if (Object.keys(s.pending).length > 0 && !s.inViewChange) s.requestTimerId = ctx.setTimer({ type: 'RequestTimeout', view: s.view }, this.timeoutMs);
  }

  private reply(ctx: Ctx, client: NodeId, timestamp: number, result: string): void {
    this.out(ctx, client, { type: 'Reply', view: this.state.view, timestamp, client, replica: ctx.id, result });
  }

  // ------------------------------------------------------------------ checkpoints (OSDI §4.3)

  private onCheckpoint(from: NodeId, m: CheckpointMsg, ctx: Ctx): void {
    const s = this.state;
    if (m.replica !== from || !verifySig(this.options.keySeed, from, m)) return this.reject(ctx, 'bad checkpoint', m);
    if (m.seq <= s.stableSeq || s.checkpoints.some((c) => c.replica === from && c.seq === m.seq)) return;
    s.checkpoints.push(m);
    this.checkStable(m.seq, m.stateDigest, ctx);
  }

  private checkStable(seq: number, stateDigest: string, ctx: Ctx): void {
    const proof = this.state.checkpoints.filter((c) => c.seq === seq && c.stateDigest === stateDigest);
    if (new Set(proof.map((c) => c.replica)).size >= 2 * this.f + 1) this.makeStable(seq, proof, ctx);
  }

  /** A checkpoint with 2f+1 matching messages is stable: h moves up and the log below is discarded. */
  private makeStable(seq: number, proof: CheckpointMsg[], ctx: Ctx): void {
    const s = this.state;
    if (seq <= s.stableSeq) return;
    s.stableSeq = seq;
    s.stableProof = proof;
    if (s.lastExecuted < seq) {
      s.service = copyData(proof[0].state);
      ctx.annotate('state transfer', { from: s.lastExecuted, to: seq });
      s.lastExecuted = seq;
    }
    const keep = <T extends { seq: number }>(list: T[]) => list.filter((m) => m.seq > seq);
    s.log = { prePrepares: keep(s.log.prePrepares), prepares: keep(s.log.prepares), commits: keep(s.log.commits) };
    s.checkpoints = keep(s.checkpoints);
    for (const k of Object.keys(s.committed)) if (Number(k) <= seq) delete s.committed[Number(k)];
    for (const k of Object.keys(s.preparedCerts)) if (Number(k) <= seq) delete s.preparedCerts[Number(k)];
    ctx.annotate('stable checkpoint', { seq });
    this.execute(ctx);
    if (this.isPrimary(ctx.id)) {
      s.nextSeq = Math.max(s.nextSeq, seq + 1);
      const queued = s.queue;
      s.queue = [];
      for (const req of queued) this.assign(req, ctx);
    }
  }

  // ------------------------------------------------------------------ view changes (OSDI §4.4)

  private startViewChange(view: number, ctx: Ctx): void {
    const s = this.state;
    if (view <= s.view && s.inViewChange) return;
    s.view = view;
    s.inViewChange = true;
    if (s.requestTimerId !== null) { ctx.cancelTimer(s.requestTimerId); s.requestTimerId = null; }
    if (s.newViewTimerId !== null) ctx.cancelTimer(s.newViewTimerId);
    const prepared = Object.values(s.preparedCerts).filter((c) => c.prePrepare.seq > s.stableSeq);
    let vc: ViewChangeMsg = { type: 'ViewChange', view, stableSeq: s.stableSeq, checkpointProof: s.stableProof, prepared, replica: ctx.id, sig: '', mac: '' };
    if (this.bad.has('lying-view-change')) {
      const seq = s.stableSeq + 1;
      const fake: ClientRequest = { client: 'c1', timestamp: 999999, op: 'forged', sig: 'forged' };
      const pp: PrePrepareMsg = { type: 'PrePrepare', view: view - 1, seq, digest: digestOf(fake), request: fake, replica: this.primary(view - 1), sig: 'forged', mac: '' };
      const prepares = this.options.replicas.filter((r) => r !== pp.replica).slice(0, 2 * this.f)
        .map((r) => ({ type: 'Prepare', view: view - 1, seq, digest: pp.digest, replica: r, sig: 'forged', mac: '' }) as PrepareMsg);
      vc = { ...vc, stableSeq: s.stableSeq + this.K, prepared: [...prepared, { prePrepare: pp, prepares }] };
    }
    vc = this.signed(ctx, vc);
    (s.viewChanges[view] ??= {})[ctx.id] = vc;
    ctx.annotate('view change', { view });
    this.multicast(ctx, vc);
    const doublings = Math.min(view - s.lastActiveView - 1, 5);
    s.newViewTimerId = ctx.setTimer({ type: 'NewViewTimeout', view }, this.timeoutMs * 2 ** Math.max(0, doublings) * 2);
    this.tryNewView(view, ctx);
  }

  /** Whether a VIEW-CHANGE's proofs hold: a stable checkpoint with 2f+1 signatures, and valid prepared certificates. */
  validViewChange(vc: ViewChangeMsg): boolean {
    const key = this.options.keySeed;
    if (!verifySig(key, vc.replica, vc)) return false;
    if (vc.stableSeq > 0) {
      const good = vc.checkpointProof.filter((c) => c.seq === vc.stableSeq && c.stateDigest === vc.checkpointProof[0].stateDigest && verifySig(key, c.replica, c) && digestOf(c.state) === c.stateDigest);
      if (new Set(good.map((c) => c.replica)).size < 2 * this.f + 1) return false;
    }
    return vc.prepared.every(({ prePrepare: pp, prepares }) => {
      if (pp.view >= vc.view || pp.seq <= vc.stableSeq || pp.replica !== this.primary(pp.view) || !verifySig(key, pp.replica, pp)) return false;
      if (pp.request ? digestOf(pp.request) !== pp.digest || !this.validRequest(pp.request) : pp.digest !== NULL_DIGEST) return false;
      const ok = prepares.filter((p) => p.view === pp.view && p.seq === pp.seq && p.digest === pp.digest && p.replica !== pp.replica && verifySig(key, p.replica, p));
      return new Set(ok.map((p) => p.replica)).size >= 2 * this.f;
    });
  }

  private onViewChange(from: NodeId, vc: ViewChangeMsg, ctx: Ctx): void {
    const s = this.state;
    if (vc.replica !== from || !this.validViewChange(vc)) return this.reject(ctx, 'invalid view-change', vc);
    if (vc.view < s.view || (vc.view === s.view && !s.inViewChange)) return;
    (s.viewChanges[vc.view] ??= {})[from] = vc;
    // Liveness (OSDI §4.5): f+1 replicas want a higher view, so at least one correct one does: join.
    const higher = new Set<NodeId>();
    let lowest = Infinity;
    for (const [v, byReplica] of Object.entries(s.viewChanges)) {
      if (Number(v) <= s.view) continue;
      for (const r of Object.keys(byReplica)) higher.add(r);
      lowest = Math.min(lowest, Number(v));
    }
    if (higher.size >= this.f + 1 && lowest > s.view) this.startViewChange(lowest, ctx);
    if (vc.view === s.view) this.tryNewView(s.view, ctx);
  }

  private summary(vc: ViewChangeMsg): ViewChangeSummary {
    return { replica: vc.replica, stableSeq: vc.stableSeq, prepared: vc.prepared.map((c) => ({ seq: c.prePrepare.seq, view: c.prePrepare.view, digest: c.prePrepare.digest, request: c.prePrepare.request })) };
  }

  /** The new primary, with 2f+1 valid VIEW-CHANGEs, sends NEW-VIEW (OSDI §4.4). */
  private tryNewView(view: number, ctx: Ctx): void {
    const s = this.state;
    if (this.primary(view) !== ctx.id || s.newViewSent[view] || !s.inViewChange || s.view !== view) return;
    const vcs = Object.values(s.viewChanges[view] ?? {});
    if (vcs.length < 2 * this.f + 1) return;
    s.newViewSent[view] = true;
    const plan = this.rules.computeNewView(vcs.map((v) => this.summary(v)));
    const prePrepares = plan.entries.map((e) => this.signed(ctx, { type: 'PrePrepare', view, seq: e.seq, digest: e.digest, request: e.request, replica: ctx.id, sig: '', mac: '' } as PrePrepareMsg));
    const nv = this.signed(ctx, { type: 'NewView', view, viewChanges: vcs, prePrepares, replica: ctx.id, sig: '', mac: '' } as NewViewMsg);
    this.multicast(ctx, nv);
    this.enterView(nv, plan.minS, plan.maxS, ctx);
  }

  private onNewView(from: NodeId, nv: NewViewMsg, ctx: Ctx): void {
    const s = this.state;
    if (nv.replica !== from || from !== this.primary(nv.view) || !verifySig(this.options.keySeed, from, nv)) return this.reject(ctx, 'bad new-view', nv);
    if (nv.view < s.view || (nv.view === s.view && !s.inViewChange)) return;
    // Check NEW-VIEW before entering the view: 2f+1 valid view-changes, and O recomputed equal.
    const vcs = nv.viewChanges.filter((v) => v.view === nv.view && this.validViewChange(v));
    const plan = this.rules.computeNewView(vcs.map((v) => this.summary(v)));
    const same = plan.entries.length === nv.prePrepares.length && plan.entries.every((e, i) => {
      const pp = nv.prePrepares[i];
      return pp.seq === e.seq && pp.digest === e.digest && pp.view === nv.view && pp.replica === from && verifySig(this.options.keySeed, from, pp);
    });
    if (new Set(vcs.map((v) => v.replica)).size < 2 * this.f + 1 || !same) {
      ctx.annotate('rejected new-view', { view: nv.view });
      if (nv.view >= s.view) this.startViewChange(nv.view + 1, ctx);
      return;
    }
    this.enterView(nv, plan.minS, plan.maxS, ctx);
  }

  private enterView(nv: NewViewMsg, minS: number, maxS: number, ctx: Ctx): void {
    const s = this.state;
    s.view = nv.view;
    s.inViewChange = false;
    s.lastActiveView = nv.view;
    if (s.newViewTimerId !== null) { ctx.cancelTimer(s.newViewTimerId); s.newViewTimerId = null; }
    const cp = nv.viewChanges.find((v) => v.stableSeq === minS && this.validViewChange(v));
    if (cp && minS > s.stableSeq) this.makeStable(minS, cp.checkpointProof, ctx);
    ctx.annotate('new view', { view: nv.view, minS, maxS });
    s.assigned = {};
    const primary = this.primary(nv.view) === ctx.id;
    for (const pp of nv.prePrepares) {
      if (!this.inWindow(pp.seq)) continue;
      s.log.prePrepares.push(pp);
      s.assigned[pp.digest] = pp.seq;
      if (!primary) this.sendPrepare(pp, ctx);
    }
    if (primary) {
      s.nextSeq = Math.max(maxS, s.stableSeq) + 1;
      for (const req of Object.values(s.pending)) this.assign(req, ctx);
    }
    if (Object.keys(s.pending).length > 0 && s.requestTimerId === null) s.requestTimerId = ctx.setTimer({ type: 'RequestTimeout', view: s.view }, this.timeoutMs);
  }
}
