import { ConfigError, NodeId, assertNever, requireInteger, requireNumberInRange } from '../../core';
import { Context, ProtocolNode } from '../../sim/node';
import { ElectionState, Txn, Vote, ZXID_ZERO, ZabMessage, ZabOperation, ZabSessionMessage, ZabTimer, ZabWrite, Zxid, compareZxid, formatZxid } from './messages';
import { ZabRules, checkZabRuleResult, describeSyncPlan, resolveZabRules } from './rules';
import { LearnerHandler, SessionEnd, ZAB_KEYS, ZabNodeOptions, ZabState, ZabStore } from './state';

type Ctx = Context<ZabMessage, ZabTimer>;
/** A session message before it is stamped. */
type Unstamped<M> = M extends ZabSessionMessage ? Omit<M, 'session' | 'seq' | 'ack'> : never;
type SessionBody = Unstamped<ZabSessionMessage>;

/** Checks node options; throws a ConfigError naming the bad field. */
export function validateZabNodeOptions(options: ZabNodeOptions): void {
  if (!options || !Array.isArray(options.servers) || options.servers.length === 0 || options.servers.some((s) => typeof s !== 'string')) {
    throw new ConfigError('servers', 'a non-empty array of server ids', options?.servers);
  }
  const tick = requireNumberInRange('tickMs', options.tickMs ?? 20, 0.001, Infinity);
  const timeout = requireNumberInRange('followerTimeoutMs', options.followerTimeoutMs ?? 100, 0.001, Infinity);
  if (timeout <= tick) throw new ConfigError('followerTimeoutMs', `more than tickMs (${tick}), or followers time out between PINGs`, timeout);
  requireNumberInRange('initLimitMs', options.initLimitMs ?? 250, 0.001, Infinity);
  requireNumberInRange('electionTickMs', options.electionTickMs ?? 40, 0.001, Infinity);
  requireNumberInRange('finalizeWaitMs', options.finalizeWaitMs ?? 5, 0, Infinity);
  requireNumberInRange('retransmitMs', options.retransmitMs ?? 3 * tick, 0.001, Infinity);
  if (options.committedLogSize !== undefined && options.committedLogSize !== Infinity) requireInteger('committedLogSize', options.committedLogSize, 0);
}

/** The last zxid of a history ((0,0) when it is empty). */
export function lastZxidOf(history: readonly Txn[]): Zxid {
  return history.length === 0 ? ZXID_ZERO : history[history.length - 1].zxid;
}

/** "c1:3": the request id of a client's write or read number `seq`. */
export function requestIdOf(client: NodeId, seq: number): string {
  return `${client}:${seq}`;
}

/**
 * A ZooKeeper server running ZAB (Junqueira, Reed & Serafini, DSN 2011; Medeiros 2012), as a
 * deterministic message handler: fast leader election, then the three phases of the paper.
 *
 * - ELECTION (Medeiros §3.1): votes (leader, its last zxid, its current epoch) compared by the
 *   pluggable `compareVotes`; a server adopts and re-broadcasts a better vote; once a quorum
 *   agrees on its vote and nothing better arrives for `finalizeWaitMs`, it leads or follows.
 *   Servers already FOLLOWING or LEADING answer a LOOKING one with their vote, so a restarted
 *   server joins the running leader.
 * - DISCOVERY (Zab §IV-A): followers send FOLLOWERINFO with their accepted epoch; the
 *   prospective leader picks a new epoch above a quorum's and sends LEADERINFO; a follower
 *   acknowledges (ACKEPOCH, with its current epoch and last zxid) unless it already accepted a
 *   higher epoch, and then it re-elects. A leader that learns of a follower ahead of it gives up
 *   (ZooKeeper's "follower is ahead of the leader").
 * - SYNCHRONIZATION (§IV-B): the leader's history is the initial history of the epoch; the
 *   pluggable `chooseSync` picks DIFF, TRUNC or SNAP from each follower's last zxid; NEWLEADER
 *   follows; once a quorum acknowledged it, the leader commits the whole initial history and
 *   sends UPTODATE.
 * - BROADCAST (§IV-C): writes go to the leader (followers forward them as REQUEST); PROPOSAL
 *   to every follower, ACK, and once a quorum (the leader included) acknowledged, the leader
 *   delivers the transaction itself, then sends COMMIT. Reads are served from the server's own
 *   store (possibly stale) or, for a sync read, after a SYNC round through the leader.
 *
 * Channels: ZAB assumes FIFO links that lose nothing while a connection lasts (TCP). Messages
 * after the election travel on a session that a follower opens (see `SessionStamp`): each
 * direction numbers its messages, the receiver takes only the next one (dropping duplicates and
 * anything after a loss) and acknowledges cumulatively, and the sender re-sends what is not
 * acknowledged after `retransmitMs` (go-back-N, as TCP retransmits). A session ends when a side
 * hears nothing for `followerTimeoutMs` (a crash, a partition): the follower re-elects (finding
 * the same leader if it still leads) and re-synchronizes on a new session. Run it on a
 * `fifo: true` network.
 *
 * Annotations (what lib/checkers/zab.ts reads): 'propose' {zxid, value} (the primary
 * broadcasts), 'deliver' {index, zxid, value} (a server delivers: commits and applies),
 * 'commit' {zxid} (the leader, before its COMMITs), 'rollback' {from, to} (delivered
 * transactions taken back: only a broken rule does it), 'restored', 'elected' {leader, round},
 * 'epoch' {epoch}, 'established' {epoch, history}, 'sync' {follower, mode, ...}, 'following'
 * {leader, epoch}, 'election' {reason}.
 *
 * @example
 *   const servers = ['n1', 'n2', 'n3'];
 *   for (const id of servers) sim.addNode(id, () => new ZabNode({ servers }));
 */
export class ZabNode implements ProtocolNode<ZabMessage, ZabTimer> {
  state: ZabState;
  private readonly rules: ZabRules;

  constructor(readonly options: ZabNodeOptions) {
    validateZabNodeOptions(options);
    this.rules = resolveZabRules(options.rules);
    this.state = {
      acceptedEpoch: 0,
      currentEpoch: 0,
      history: [],
      committed: 0,
      boots: 0,
      phase: 'ELECTION',
      role: 'looking',
      leader: null,
      generation: 0,
      round: 0,
      vote: { leader: '', zxid: ZXID_ZERO, epoch: 0 },
      received: {},
      outOfElection: {},
      follower: null,
      leading: null,
      store: { data: {}, sessions: {} },
      clientRequests: {},
      sessionCounter: 0,
    };
  }

  private get quorum(): number {
    return Math.floor(this.options.servers.length / 2) + 1;
  }
  private opt(name: 'tickMs' | 'followerTimeoutMs' | 'initLimitMs' | 'electionTickMs' | 'finalizeWaitMs' | 'retransmitMs'): number {
    const tickMs = this.options.tickMs ?? 20;
    const defaults = { tickMs, followerTimeoutMs: 100, initLimitMs: 250, electionTickMs: 40, finalizeWaitMs: 5, retransmitMs: 3 * tickMs };
    return this.options[name] ?? defaults[name];
  }

  // ------------------------------------------------------------------ start and restart

  /** Reloads the durable state (epochs, history, how far it delivered), rebuilds the store silently, and looks for a leader. */
  init(ctx: Ctx): void {
    const s = this.state;
    const epochs = ctx.load<{ acceptedEpoch: number; currentEpoch: number }>(ZAB_KEYS.epochs);
    const log = ctx.load<{ length: number }>(ZAB_KEYS.log);
    if (epochs) {
      s.acceptedEpoch = epochs.acceptedEpoch;
      s.currentEpoch = epochs.currentEpoch;
    }
    if (log) for (let i = 0; i < log.length; i++) s.history.push(ctx.load<Txn>(ZAB_KEYS.txn(i)) as Txn);
    s.committed = Math.min(ctx.load<number>(ZAB_KEYS.committed) ?? 0, s.history.length);
    for (let i = 0; i < s.committed; i++) applyToStore(s.store, s.history[i]);
    s.boots = (ctx.load<number>(ZAB_KEYS.boots) ?? 0) + 1;
    ctx.persist(ZAB_KEYS.boots, s.boots);
    if (epochs || log) {
      ctx.annotate('restored', { acceptedEpoch: s.acceptedEpoch, currentEpoch: s.currentEpoch, lastZxid: lastZxidOf(s.history), committed: s.committed });
    }
    this.lookForLeader(ctx, 'start');
  }

  // ------------------------------------------------------------------ dispatch

  onMessage(from: NodeId, msg: ZabMessage, ctx: Ctx): void {
    switch (msg.type) {
      case 'NOTIFICATION':
        return this.onNotification(from, msg.vote, msg.round, msg.state, ctx);
      case 'CLIENT_REQUEST':
        return this.onClientRequest(msg.requestId, msg.client, msg.seq, msg.operation, ctx);
      case 'CLIENT_REPLY':
      case 'SUBMIT':
        return; // for clients
      default:
        return this.onSessionMessage(from, msg, ctx);
    }
  }

  onTimer(timer: ZabTimer, ctx: Ctx): void {
    const s = this.state;
    switch (timer.type) {
      case 'ElectionTick':
        if (timer.generation !== s.generation || s.role !== 'looking') return;
        this.sendVotes(ctx);
        ctx.setTimer({ type: 'ElectionTick', generation: s.generation }, this.opt('electionTickMs'));
        return;
      case 'ElectionSettle':
        if (timer.generation !== s.generation || s.role !== 'looking' || timer.round !== s.round || voteKey(s.vote) !== timer.vote) return;
        if (this.agreeing(s.received, s.vote, false) >= this.quorum) this.decide(s.vote, ctx);
        return;
      case 'Tick':
        if (timer.generation !== s.generation) return;
        if (s.role === 'following') this.followerTick(ctx);
        else if (s.role === 'leading') this.leaderTick(ctx);
        if (s.generation === timer.generation) ctx.setTimer({ type: 'Tick', generation: s.generation }, this.opt('tickMs'));
        return;
      case 'ClientNext':
      case 'ClientRetry':
        return; // for clients
      default:
        return assertNever(timer, 'timer');
    }
  }

  // ------------------------------------------------------------------ what tests and notebooks read

  get phase() {
    return this.state.phase;
  }
  get lastZxid(): Zxid {
    return lastZxidOf(this.state.history);
  }
  /** An established leader (its epoch is acknowledged by a quorum and it broadcasts). */
  isEstablishedLeader(): boolean {
    return this.state.role === 'leading' && this.state.leading?.established === true;
  }

  // ------------------------------------------------------------------ ELECTION: fast leader election (Medeiros §3.1)

  /** Back to ELECTION: a new round with a vote for itself, sent to everyone. */
  private lookForLeader(ctx: Ctx, reason: string): void {
    const s = this.state;
    if (s.role !== 'looking' || s.phase !== 'ELECTION' || reason !== 'start') ctx.annotate('election', { reason, role: s.role, phase: s.phase });
    this.failClientRequests(ctx);
    s.generation++;
    s.phase = 'ELECTION';
    s.role = 'looking';
    s.leader = null;
    s.follower = null;
    s.leading = null;
    s.round++;
    s.vote = this.selfVote(ctx);
    s.received = { [ctx.id]: s.vote };
    s.outOfElection = {};
    this.sendVotes(ctx);
    ctx.setTimer({ type: 'ElectionTick', generation: s.generation }, this.opt('electionTickMs'));
    this.maybeSettle(ctx);
  }

  private selfVote(ctx: Ctx): Vote {
    return { leader: ctx.id, zxid: lastZxidOf(this.state.history), epoch: this.state.currentEpoch };
  }

  private electionState(): ElectionState {
    const role = this.state.role;
    return role === 'looking' ? 'LOOKING' : role === 'leading' ? 'LEADING' : 'FOLLOWING';
  }

  private sendVotes(ctx: Ctx): void {
    const s = this.state;
    for (const peer of this.options.servers) if (peer !== ctx.id) ctx.send(peer, { type: 'NOTIFICATION', vote: s.vote, round: s.round, state: this.electionState() });
  }

  /** The pluggable comparison, checked. */
  private better(a: Vote, b: Vote): number {
    const r = this.rules.compareVotes(copyVote(a), copyVote(b));
    checkZabRuleResult('compareVotes', r, () => `a ${JSON.stringify(a)}, b ${JSON.stringify(b)}`);
    return r;
  }

  private onNotification(from: NodeId, vote: Vote, round: number, state: ElectionState, ctx: Ctx): void {
    const s = this.state;
    if (s.role !== 'looking') {
      // A LOOKING server learns whom we follow or that we lead (ZooKeeper's WorkerReceiver).
      if (state === 'LOOKING') ctx.send(from, { type: 'NOTIFICATION', vote: s.vote, round: s.round, state: this.electionState() });
      return;
    }
    if (state === 'LOOKING') {
      if (round > s.round) {
        s.round = round;
        s.received = {};
        const own = this.selfVote(ctx);
        s.vote = this.better(vote, own) > 0 ? vote : own;
        this.sendVotes(ctx);
      } else if (round < s.round) {
        ctx.send(from, { type: 'NOTIFICATION', vote: s.vote, round: s.round, state: 'LOOKING' }); // help it catch up
        return;
      } else if (this.better(vote, s.vote) > 0) {
        s.vote = vote;
        this.sendVotes(ctx);
      }
      s.received[from] = vote;
      s.received[ctx.id] = s.vote;
      this.maybeSettle(ctx);
      return;
    }
    // FOLLOWING or LEADING: an election is over elsewhere; join it once a quorum confirms it and its leader leads.
    if (round === s.round) {
      s.received[from] = vote;
      if (this.agreeing(s.received, vote, false) >= this.quorum && this.leaderConfirmed(vote, ctx)) return this.decide(vote, ctx);
    }
    s.outOfElection[from] = { vote, round, state };
    const supporters: Record<NodeId, Vote> = {};
    for (const [id, v] of Object.entries(s.outOfElection)) supporters[id] = v.vote;
    if (this.agreeing(supporters, vote, true) >= this.quorum && this.leaderConfirmed(vote, ctx)) {
      s.round = round;
      this.decide(vote, ctx);
    }
  }

  /** How many votes in `set` agree with `vote` (the same leader and epoch; for LOOKING votes the same zxid too). */
  private agreeing(set: Record<NodeId, Vote>, vote: Vote, leaderAndEpochOnly: boolean): number {
    let n = 0;
    for (const v of Object.values(set)) {
      if (v.leader === vote.leader && v.epoch === vote.epoch && (leaderAndEpochOnly || compareZxid(v.zxid, vote.zxid) === 0)) n++;
    }
    return n;
  }

  /** ZooKeeper's checkLeader: the proposed leader itself says it leads (unless it is us). */
  private leaderConfirmed(vote: Vote, ctx: Ctx): boolean {
    if (vote.leader === ctx.id) return true;
    return this.state.outOfElection[vote.leader]?.state === 'LEADING';
  }

  /** A quorum agrees with our vote: wait finalizeWaitMs for a better one, then decide. */
  private maybeSettle(ctx: Ctx): void {
    const s = this.state;
    if (this.agreeing(s.received, s.vote, false) < this.quorum) return;
    ctx.setTimer({ type: 'ElectionSettle', generation: s.generation, round: s.round, vote: voteKey(s.vote) }, this.opt('finalizeWaitMs'));
  }

  private decide(vote: Vote, ctx: Ctx): void {
    const s = this.state;
    s.vote = vote;
    ctx.annotate('elected', { leader: vote.leader, round: s.round, vote });
    if (vote.leader === ctx.id) this.becomeLeader(ctx);
    else this.becomeFollower(vote.leader, ctx);
  }

  // ------------------------------------------------------------------ roles

  private becomeFollower(leader: NodeId, ctx: Ctx): void {
    const s = this.state;
    s.generation++;
    s.role = 'following';
    s.phase = 'DISCOVERY';
    s.leader = leader;
    s.leading = null;
    s.follower = null;
    this.openSession(ctx);
    ctx.setTimer({ type: 'Tick', generation: s.generation }, this.opt('tickMs'));
  }

  /** Opens a session to the leader (a new TCP connection) and sends FOLLOWERINFO on it (Zab's CEPOCH). */
  private openSession(ctx: Ctx): void {
    const s = this.state;
    const now = ctx.now();
    s.follower = { session: `${ctx.id}#${s.boots}.${++s.sessionCounter}`, outSeq: 0, inSeq: 0, unacked: [], stage: 'connecting', lastHeardMs: now, followingSinceMs: now };
    this.toLeader({ type: 'FOLLOWERINFO', acceptedEpoch: s.acceptedEpoch, lastZxid: this.lastZxid }, ctx);
  }

  private becomeLeader(ctx: Ctx): void {
    const s = this.state;
    s.generation++;
    s.role = 'leading';
    s.phase = 'DISCOVERY';
    s.leader = ctx.id;
    s.follower = null;
    s.leading = { epoch: null, epochAcked: false, established: false, startedMs: ctx.now(), handlers: {}, counter: 0, waiting: [], syncs: [], pingRound: 0 };
    ctx.setTimer({ type: 'Tick', generation: s.generation }, this.opt('tickMs'));
    this.maybeChooseEpoch(ctx); // a one-server ensemble needs no follower
  }

  // ------------------------------------------------------------------ sessions (FIFO channels, see the class comment)

  private toLeader(body: SessionBody, ctx: Ctx): void {
    const f = this.state.follower;
    const leader = this.state.leader;
    if (f === null || leader === null) return;
    this.sendOnSession(leader, f, body, ctx);
  }

  private toFollower(follower: NodeId, h: LearnerHandler, body: SessionBody, ctx: Ctx): void {
    this.sendOnSession(follower, h, body, ctx);
  }

  /** Stamps a message with the session, the next seq and our cumulative ack; keeps it until acknowledged. */
  private sendOnSession(to: NodeId, end: SessionEnd, body: SessionBody, ctx: Ctx): void {
    const msg = { ...body, session: end.session, seq: end.outSeq++, ack: end.inSeq } as ZabSessionMessage;
    end.unacked.push({ msg, sentMs: ctx.now() });
    ctx.send(to, msg);
  }

  /** The other side acknowledged everything below `ack`. */
  private acknowledged(end: SessionEnd, ack: number): void {
    let k = 0;
    while (k < end.unacked.length && end.unacked[k].msg.seq < ack) k++;
    if (k > 0) end.unacked.splice(0, k);
  }

  /** Go-back-N: nothing acknowledged for retransmitMs, send every unacknowledged message again, in order. */
  private retransmit(to: NodeId, end: SessionEnd, ctx: Ctx): void {
    if (end.unacked.length === 0 || ctx.now() - end.unacked[0].sentMs < this.opt('retransmitMs')) return;
    for (const u of end.unacked) {
      u.msg = { ...u.msg, ack: end.inSeq };
      u.sentMs = ctx.now();
      ctx.send(to, u.msg);
    }
  }

  private onSessionMessage(from: NodeId, msg: ZabSessionMessage, ctx: Ctx): void {
    const s = this.state;
    if (s.role === 'following' && from === s.leader) {
      const f = s.follower as NonNullable<typeof s.follower>;
      if (msg.session !== f.session) return; // another session's
      this.acknowledged(f, msg.ack);
      if (msg.seq !== f.inSeq) return; // a duplicate, or after a lost message: the leader re-sends
      f.inSeq++;
      f.lastHeardMs = ctx.now();
      return this.followerReceive(msg, ctx);
    }
    if (s.role === 'leading') {
      const l = s.leading as NonNullable<typeof s.leading>;
      if (msg.type === 'FOLLOWERINFO' && msg.seq === 0 && l.handlers[from]?.session !== msg.session) {
        l.handlers[from] = {
          session: msg.session, outSeq: 0, inSeq: 1, unacked: [], stage: 'info', acceptedEpoch: msg.acceptedEpoch, currentEpoch: 0,
          lastZxid: msg.lastZxid, syncedTo: ZXID_ZERO, lastAck: ZXID_ZERO, lastHeardMs: ctx.now(), pingRound: 0,
        };
        return this.onFollowerInfo(from, ctx);
      }
      const h = l.handlers[from];
      if (h === undefined || msg.session !== h.session) return;
      this.acknowledged(h, msg.ack);
      if (msg.seq !== h.inSeq) return; // a duplicate, or after a lost message: the follower re-sends
      h.inSeq++;
      h.lastHeardMs = ctx.now();
      return this.leaderReceive(from, h, msg, ctx);
    }
    // Not for our current role (a stale session): dropped, as a closed socket would.
  }

  // ------------------------------------------------------------------ follower: DISCOVERY, SYNCHRONIZATION, BROADCAST

  private followerReceive(msg: ZabSessionMessage, ctx: Ctx): void {
    const s = this.state;
    const f = s.follower as NonNullable<typeof s.follower>;
    switch (msg.type) {
      case 'LEADERINFO': {
        if (msg.epoch < s.acceptedEpoch) return this.lookForLeader(ctx, `LEADERINFO epoch ${msg.epoch} is below the accepted epoch ${s.acceptedEpoch}`);
        if (msg.epoch > s.acceptedEpoch) {
          s.acceptedEpoch = msg.epoch;
          this.persistEpochs(ctx); // the promise (f.p) is durable before the ACKEPOCH leaves
        }
        f.stage = 'epoch';
        s.phase = 'SYNCHRONIZATION';
        this.toLeader({ type: 'ACKEPOCH', currentEpoch: s.currentEpoch, lastZxid: this.lastZxid }, ctx);
        return;
      }
      case 'DIFF':
        this.appendTxns(msg.txns, ctx);
        return this.deliverUpTo(msg.committedZxid, ctx);
      case 'TRUNC': {
        let keep = 0;
        while (keep < s.history.length && compareZxid(s.history[keep].zxid, msg.truncZxid) <= 0) keep++;
        this.replaceHistory([...s.history.slice(0, keep), ...msg.txns], ctx);
        return this.deliverUpTo(msg.committedZxid, ctx);
      }
      case 'SNAP':
        this.replaceHistory(msg.history, ctx);
        return this.deliverUpTo(msg.committedZxid, ctx);
      case 'NEWLEADER':
        f.stage = 'syncing';
        s.currentEpoch = msg.epoch; // after the history is durable (it was persisted as it came)
        this.persistEpochs(ctx);
        this.toLeader({ type: 'ACK', zxid: { epoch: msg.epoch, counter: 0 }, newLeader: true }, ctx);
        return;
      case 'UPTODATE':
        f.stage = 'synced';
        s.phase = 'BROADCAST';
        s.vote = { ...s.vote, epoch: s.currentEpoch }; // ZooKeeper's updateElectionVote: votes of one epoch's ensemble match
        ctx.annotate('following', { leader: s.leader, epoch: s.currentEpoch, lastZxid: this.lastZxid });
        return this.deliverUpTo(msg.committedZxid, ctx);
      case 'PROPOSAL':
        this.appendTxns([msg.txn], ctx);
        this.toLeader({ type: 'ACK', zxid: msg.txn.zxid, newLeader: false }, ctx);
        return;
      case 'COMMIT':
        return this.deliverUpTo(msg.zxid, ctx);
      case 'PING':
        this.toLeader({ type: 'PING', round: msg.round }, ctx);
        return;
      case 'SYNCREPLY':
        return this.answerSyncRead(msg.requestId, ctx);
      case 'FOLLOWERINFO':
      case 'ACKEPOCH':
      case 'ACK':
      case 'REQUEST':
      case 'SYNC':
        return; // for leaders
      default:
        return assertNever(msg, 'message');
    }
  }

  private followerTick(ctx: Ctx): void {
    const s = this.state;
    const f = s.follower as NonNullable<typeof s.follower>;
    const now = ctx.now();
    if (f.stage === 'synced') {
      if (now - f.lastHeardMs > this.opt('followerTimeoutMs')) return this.lookForLeader(ctx, `no word from leader ${s.leader} for ${this.opt('followerTimeoutMs')} ms`);
    } else if (now - f.followingSinceMs > this.opt('initLimitMs')) {
      return this.lookForLeader(ctx, `not synchronized with ${s.leader} within initLimit ${this.opt('initLimitMs')} ms`);
    }
    this.retransmit(s.leader as NodeId, f, ctx);
  }

  // ------------------------------------------------------------------ leader: DISCOVERY (Zab §IV-A)

  private onFollowerInfo(from: NodeId, ctx: Ctx): void {
    const l = this.state.leading as NonNullable<ZabState['leading']>;
    const h = l.handlers[from];
    if (l.epoch === null) return this.maybeChooseEpoch(ctx);
    if (h.acceptedEpoch > l.epoch) {
      // It promised an epoch at least ours: it would refuse LEADERINFO forever. Step down so that a new round picks a higher epoch.
      return this.lookForLeader(ctx, `${from} accepted epoch ${h.acceptedEpoch}, above this leader's ${l.epoch}`);
    }
    this.toFollower(from, h, { type: 'LEADERINFO', epoch: l.epoch }, ctx);
  }

  /** A quorum (the leader included) sent FOLLOWERINFO: the new epoch is one above every accepted epoch among them. */
  private maybeChooseEpoch(ctx: Ctx): void {
    const s = this.state;
    const l = s.leading as NonNullable<ZabState['leading']>;
    const infos = Object.values(l.handlers);
    if (infos.length + 1 < this.quorum) return;
    const epoch = Math.max(s.acceptedEpoch, ...infos.map((h) => h.acceptedEpoch)) + 1;
    l.epoch = epoch;
    s.acceptedEpoch = epoch;
    this.persistEpochs(ctx);
    ctx.annotate('epoch', { epoch, followers: Object.keys(l.handlers).sort() });
    for (const [id, h] of Object.entries(l.handlers)) if (h.stage === 'info') this.toFollower(id, h, { type: 'LEADERINFO', epoch }, ctx);
    this.maybeEpochAcked(ctx);
  }

  private maybeEpochAcked(ctx: Ctx): void {
    const s = this.state;
    const l = s.leading as NonNullable<ZabState['leading']>;
    if (l.epoch === null || l.epochAcked) return;
    const acked = Object.values(l.handlers).filter((h) => h.stage !== 'info');
    if (acked.length + 1 < this.quorum) return;
    l.epochAcked = true;
    s.currentEpoch = l.epoch;
    this.persistEpochs(ctx);
    s.phase = 'SYNCHRONIZATION';
    for (const [id, h] of Object.entries(l.handlers)) if (h.stage === 'ackepoch') this.syncFollower(id, h, ctx);
    this.maybeEstablish(ctx);
  }

  // ------------------------------------------------------------------ leader: SYNCHRONIZATION (Zab §IV-B, Medeiros §3.2)

  private syncFollower(id: NodeId, h: LearnerHandler, ctx: Ctx): void {
    const s = this.state;
    const l = s.leading as NonNullable<ZabState['leading']>;
    const history = s.history;
    const input = { followerLastZxid: { ...h.lastZxid }, history: history.map((t) => ({ ...t.zxid })), committed: s.committed, committedLogSize: this.options.committedLogSize ?? 500 };
    const plan = this.rules.chooseSync(input);
    checkZabRuleResult('chooseSync', plan, () => `follower ${id} at ${formatZxid(h.lastZxid)}, leader history of ${history.length} ending ${formatZxid(this.lastZxid)}, committed ${s.committed}`);
    const committedZxid = s.committed > 0 ? history[s.committed - 1].zxid : ZXID_ZERO;
    const span = (from: number, to: number) => history.slice(Math.min(from, history.length), Math.min(to, history.length));
    switch (plan.mode) {
      case 'DIFF':
        this.toFollower(id, h, { type: 'DIFF', txns: span(plan.sendFrom, plan.sendTo), committedZxid }, ctx);
        break;
      case 'TRUNC':
        this.toFollower(id, h, { type: 'TRUNC', truncZxid: plan.truncZxid, txns: span(plan.sendFrom, plan.sendTo), committedZxid }, ctx);
        break;
      case 'SNAP':
        this.toFollower(id, h, { type: 'SNAP', history: history.slice(), committedZxid }, ctx);
        break;
    }
    ctx.annotate('sync', { follower: id, mode: plan.mode, plan, text: describeSyncPlan(plan), followerLastZxid: h.lastZxid, leaderLastZxid: this.lastZxid, committed: s.committed });
    this.toFollower(id, h, { type: 'NEWLEADER', epoch: l.epoch as number }, ctx);
    h.stage = 'syncing';
    h.syncedTo = this.lastZxid;
  }

  /** A quorum acknowledged NEWLEADER: the epoch is established; commit the initial history and broadcast (COMMIT-LD). */
  private maybeEstablish(ctx: Ctx): void {
    const s = this.state;
    const l = s.leading as NonNullable<ZabState['leading']>;
    if (!l.epochAcked || l.established) return;
    const synced = Object.values(l.handlers).filter((h) => h.stage === 'synced');
    if (synced.length + 1 < this.quorum) return;
    l.established = true;
    s.phase = 'BROADCAST';
    s.vote = { ...s.vote, epoch: l.epoch as number }; // ZooKeeper's updateElectionVote
    ctx.annotate('established', { epoch: l.epoch, history: s.history.length, lastZxid: this.lastZxid, followers: Object.keys(l.handlers).filter((id) => l.handlers[id].stage === 'synced').sort() });
    this.deliverCount(s.history.length, ctx);
    for (const [id, h] of Object.entries(l.handlers)) if (h.stage === 'synced') this.toFollower(id, h, { type: 'UPTODATE', committedZxid: this.lastZxid }, ctx);
    const waiting = l.waiting;
    l.waiting = [];
    for (const write of waiting) this.leaderWrite(write, ctx);
    this.checkSyncs(ctx);
  }

  private leaderReceive(from: NodeId, h: LearnerHandler, msg: ZabSessionMessage, ctx: Ctx): void {
    const s = this.state;
    const l = s.leading as NonNullable<ZabState['leading']>;
    switch (msg.type) {
      case 'ACKEPOCH': {
        if (h.stage !== 'info') return;
        h.stage = 'ackepoch';
        h.currentEpoch = msg.currentEpoch;
        h.lastZxid = msg.lastZxid;
        if (!l.epochAcked) {
          const ahead = msg.currentEpoch > s.currentEpoch || (msg.currentEpoch === s.currentEpoch && compareZxid(msg.lastZxid, this.lastZxid) > 0);
          if (ahead && (this.options.guardFollowerAhead ?? true)) return this.lookForLeader(ctx, `follower ${from} is ahead of the leader (epoch ${msg.currentEpoch}, ${formatZxid(msg.lastZxid)})`);
          return this.maybeEpochAcked(ctx);
        }
        return this.syncFollower(from, h, ctx);
      }
      case 'ACK':
        if (msg.newLeader) {
          if (h.stage !== 'syncing') return;
          h.stage = 'synced';
          if (compareZxid(h.syncedTo, h.lastAck) > 0) h.lastAck = h.syncedTo;
          if (l.established) this.toFollower(from, h, { type: 'UPTODATE', committedZxid: s.committed > 0 ? s.history[s.committed - 1].zxid : ZXID_ZERO }, ctx);
          else this.maybeEstablish(ctx);
          return this.tryCommit(ctx);
        }
        if (compareZxid(msg.zxid, h.lastAck) > 0) h.lastAck = msg.zxid;
        return this.tryCommit(ctx);
      case 'REQUEST':
        return this.leaderWrite(msg.write, ctx);
      case 'PING':
        h.pingRound = Math.max(h.pingRound, msg.round);
        return this.checkSyncs(ctx);
      case 'SYNC':
        return this.addSync(msg.requestId, from, ctx);
      case 'FOLLOWERINFO':
      case 'LEADERINFO':
      case 'DIFF':
      case 'TRUNC':
      case 'SNAP':
      case 'NEWLEADER':
      case 'UPTODATE':
      case 'PROPOSAL':
      case 'COMMIT':
      case 'SYNCREPLY':
        return; // for followers (a FOLLOWERINFO with seq > 0 is not a session start)
      default:
        return assertNever(msg, 'message');
    }
  }

  private leaderTick(ctx: Ctx): void {
    const s = this.state;
    const l = s.leading as NonNullable<ZabState['leading']>;
    const now = ctx.now();
    if (!l.established && now - l.startedMs > this.opt('initLimitMs')) return this.lookForLeader(ctx, `epoch not established within initLimit ${this.opt('initLimitMs')} ms`);
    for (const [id, h] of Object.entries(l.handlers)) {
      if (now - h.lastHeardMs > this.opt('followerTimeoutMs')) {
        delete l.handlers[id];
        ctx.annotate('follower-lost', { follower: id, reason: `silent for ${this.opt('followerTimeoutMs')} ms` });
        continue;
      }
      this.retransmit(id, h, ctx);
      this.toFollower(id, h, { type: 'PING', round: l.pingRound }, ctx);
    }
    if (l.established) {
      const synced = Object.values(l.handlers).filter((h) => h.stage === 'synced').length;
      if (synced + 1 < this.quorum) this.lookForLeader(ctx, `only ${synced} follower(s) synchronized: no quorum`);
    }
  }

  // ------------------------------------------------------------------ leader: BROADCAST (Zab §IV-C)

  private leaderWrite(write: ZabWrite, ctx: Ctx): void {
    const s = this.state;
    const l = s.leading as NonNullable<ZabState['leading']>;
    if (!l.established) {
      if (!l.waiting.some((w) => w.client === write.client && w.seq === write.seq)) l.waiting.push(write);
      return;
    }
    this.propose(write, ctx);
  }

  /**
   * The primary broadcasts a transaction: the next zxid of its epoch, logged (durable) before the
   * PROPOSAL goes to every follower it forwards to. Returns the zxid.
   */
  propose(value: ZabWrite | string, ctx: Ctx): Zxid {
    const s = this.state;
    const l = s.leading as NonNullable<ZabState['leading']>;
    const zxid = { epoch: l.epoch as number, counter: ++l.counter };
    const txn: Txn = { zxid, value };
    s.history.push(txn);
    this.persistHistoryFrom(s.history.length - 1, ctx);
    ctx.annotate('propose', { zxid, value });
    for (const [id, h] of Object.entries(l.handlers)) if (h.stage === 'syncing' || h.stage === 'synced') this.toFollower(id, h, { type: 'PROPOSAL', txn }, ctx);
    this.tryCommit(ctx);
    return zxid;
  }

  /** Commits every proposal of this epoch that a quorum (the leader included) acknowledged, in order: deliver here first, then COMMIT. */
  private tryCommit(ctx: Ctx): void {
    const s = this.state;
    const l = s.leading;
    if (l === null || !l.established) return;
    while (s.committed < s.history.length) {
      const zxid = s.history[s.committed].zxid;
      const acks = 1 + Object.values(l.handlers).filter((h) => (h.stage === 'syncing' || h.stage === 'synced') && compareZxid(h.lastAck, zxid) >= 0).length;
      if (acks < this.quorum) break;
      ctx.annotate('commit', { zxid, acks });
      this.deliverCount(s.committed + 1, ctx);
      if (s.role !== 'leading') return; // crashed in the middle (crashAfterNextSend) or stepped down
      for (const [id, h] of Object.entries(l.handlers)) if (h.stage === 'syncing' || h.stage === 'synced') this.toFollower(id, h, { type: 'COMMIT', zxid }, ctx);
    }
    this.checkSyncs(ctx);
  }

  // ------------------------------------------------------------------ sync reads

  /** A sync: answered once every proposal before it is committed and a quorum echoed a PING sent after it. */
  private addSync(requestId: string, origin: NodeId, ctx: Ctx): void {
    const l = this.state.leading as NonNullable<ZabState['leading']>;
    l.pingRound++;
    l.syncs.push({ requestId, origin, index: this.state.history.length, round: l.pingRound });
    for (const [id, h] of Object.entries(l.handlers)) if (h.stage === 'syncing' || h.stage === 'synced') this.toFollower(id, h, { type: 'PING', round: l.pingRound }, ctx);
    this.checkSyncs(ctx);
  }

  private checkSyncs(ctx: Ctx): void {
    const s = this.state;
    const l = s.leading;
    if (l === null || !l.established || l.syncs.length === 0) return;
    const ready = l.syncs.filter((x) => s.committed >= x.index && 1 + Object.values(l.handlers).filter((h) => h.stage === 'synced' && h.pingRound >= x.round).length >= this.quorum);
    if (ready.length === 0) return;
    l.syncs = l.syncs.filter((x) => !ready.includes(x));
    for (const x of ready) {
      if (x.origin === ctx.id) this.answerSyncRead(x.requestId, ctx);
      else if (l.handlers[x.origin]) this.toFollower(x.origin, l.handlers[x.origin], { type: 'SYNCREPLY', requestId: x.requestId }, ctx);
    }
  }

  // ------------------------------------------------------------------ clients

  private onClientRequest(requestId: string, client: NodeId, seq: number, operation: ZabOperation, ctx: Ctx): void {
    const s = this.state;
    const serving = s.phase === 'BROADCAST';
    const refuse = () => ctx.send(client, { type: 'CLIENT_REPLY', requestId, ok: false });
    if (operation.op === 'get') {
      if (!serving) return refuse();
      if (operation.local) return void ctx.send(client, { type: 'CLIENT_REPLY', requestId, ok: true, value: s.store.data[operation.key] ?? '' });
      s.clientRequests[requestId] = { client, kind: 'sync', key: operation.key };
      if (s.role === 'leading') this.addSync(requestId, ctx.id, ctx);
      else this.toLeader({ type: 'SYNC', requestId }, ctx);
      return;
    }
    if ((s.store.sessions[client] ?? 0) >= seq) return serving ? void ctx.send(client, { type: 'CLIENT_REPLY', requestId, ok: true }) : refuse();
    if (!serving && s.role !== 'leading') return refuse();
    s.clientRequests[requestId] = { client, kind: 'write', key: operation.key };
    const write: ZabWrite = { op: operation.op, key: operation.key, value: operation.value ?? '', client, seq };
    if (s.role === 'leading') this.leaderWrite(write, ctx);
    else this.toLeader({ type: 'REQUEST', requestId, write }, ctx);
  }

  private answerSyncRead(requestId: string, ctx: Ctx): void {
    const s = this.state;
    const r = s.clientRequests[requestId];
    if (r === undefined || r.kind !== 'sync') return;
    delete s.clientRequests[requestId];
    ctx.send(r.client, { type: 'CLIENT_REPLY', requestId, ok: true, value: s.store.data[r.key] ?? '' });
  }

  /** Tells waiting clients to try elsewhere (a forwarded write may still commit: the retry is applied once). */
  private failClientRequests(ctx: Ctx): void {
    const s = this.state;
    for (const [requestId, r] of Object.entries(s.clientRequests)) ctx.send(r.client, { type: 'CLIENT_REPLY', requestId, ok: false });
    s.clientRequests = {};
  }

  // ------------------------------------------------------------------ history, delivery, durable storage

  private appendTxns(txns: readonly Txn[], ctx: Ctx): void {
    if (txns.length === 0) return;
    const s = this.state;
    const from = s.history.length;
    s.history.push(...txns);
    this.persistHistoryFrom(from, ctx);
  }

  /** Adopts a history from TRUNC or SNAP; if it takes back delivered transactions (only a broken rule does), says so. */
  private replaceHistory(next: readonly Txn[], ctx: Ctx): void {
    const s = this.state;
    let same = 0;
    while (same < s.history.length && same < next.length && sameTxn(s.history[same], next[same])) same++;
    if (same < s.committed) {
      ctx.annotate('rollback', { from: s.committed, to: same, lost: s.history.slice(same, s.committed).map((t) => t.zxid) });
      s.committed = same;
      s.store = { data: {}, sessions: {} };
      for (let i = 0; i < same; i++) applyToStore(s.store, s.history[i]);
      ctx.persist(ZAB_KEYS.committed, s.committed);
    }
    if (same === s.history.length && same === next.length) return;
    s.history = next.slice();
    this.persistHistoryFrom(same, ctx);
  }

  /** Delivers (commits and applies) every transaction of the history with a zxid up to `zxid`, in order. */
  private deliverUpTo(zxid: Zxid, ctx: Ctx): void {
    const s = this.state;
    let count = s.committed;
    while (count < s.history.length && compareZxid(s.history[count].zxid, zxid) <= 0) count++;
    this.deliverCount(count, ctx);
  }

  private deliverCount(count: number, ctx: Ctx): void {
    const s = this.state;
    if (count <= s.committed) return;
    while (s.committed < count) {
      const index = s.committed;
      const txn = s.history[index];
      applyToStore(s.store, txn);
      s.committed++;
      ctx.annotate('deliver', { index, zxid: txn.zxid, value: txn.value });
      if (typeof txn.value !== 'string') {
        const requestId = requestIdOf(txn.value.client, txn.value.seq);
        const waiting = s.clientRequests[requestId];
        if (waiting !== undefined && waiting.kind === 'write') {
          delete s.clientRequests[requestId];
          ctx.send(waiting.client, { type: 'CLIENT_REPLY', requestId, ok: true });
        }
      }
    }
    ctx.persist(ZAB_KEYS.committed, s.committed);
  }

  private persistEpochs(ctx: Ctx): void {
    ctx.persist(ZAB_KEYS.epochs, { acceptedEpoch: this.state.acceptedEpoch, currentEpoch: this.state.currentEpoch });
  }

  /** Writes history[from ..] and the history's length (the storage has no delete: later keys are ignored on restart). */
  private persistHistoryFrom(from: number, ctx: Ctx): void {
    const h = this.state.history;
    for (let i = from; i < h.length; i++) ctx.persist(ZAB_KEYS.txn(i), h[i]);
    ctx.persist(ZAB_KEYS.log, { length: h.length });
  }
}

/** Applies a delivered transaction to the store, at most once per (client, seq). */
export function applyToStore(store: ZabStore, txn: Txn): void {
  const w = txn.value;
  if (typeof w === 'string') return;
  if ((store.sessions[w.client] ?? 0) >= w.seq) return;
  store.sessions[w.client] = w.seq;
  store.data[w.key] = w.op === 'put' ? w.value : (store.data[w.key] ?? '') + w.value;
}

function sameTxn(a: Txn, b: Txn): boolean {
  return compareZxid(a.zxid, b.zxid) === 0 && JSON.stringify(a.value) === JSON.stringify(b.value);
}

function copyVote(v: Vote): Vote {
  return { leader: v.leader, zxid: { ...v.zxid }, epoch: v.epoch };
}

function voteKey(v: Vote): string {
  return `${v.leader}|${v.epoch}|${v.zxid.epoch}.${v.zxid.counter}`;
}
