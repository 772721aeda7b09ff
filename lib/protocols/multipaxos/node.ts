import { NodeId, assertNever, copyData } from '../../core';
import { Context, ProtocolNode } from '../../sim/node';
import { Ballot, PaxosValue, Proposal, compareBallots, formatBallot } from '../paxos/messages';
import { PaxosRules, resolvePaxosRules } from '../paxos/rules';
import { acceptOneSlot, prepareAllSlots } from './acceptor';
import { Command, MultiPaxosMessage, MultiPaxosTimer, NOOP, SlotDecision, SlotProposal, decodeCommand, encodeCommand } from './messages';
import { MULTIPAXOS_KEYS, MultiPaxosNodeOptions, MultiPaxosNodeState, Phase1State, initialNodeState } from './node-state';
import { applyCommand } from './state-machine';

type Ctx = Context<MultiPaxosMessage, MultiPaxosTimer>;

/**
 * A Multi-Paxos server (Lamport §3; the leader, acceptor and replica roles of van Renesse &
 * Altinbuken's "Paxos Made Moderately Complex" in one process, as deployments run them).
 *
 * - Leader election through Paxos: a follower that hears no Heartbeat for a randomized
 *   timeout runs phase 1 with a ballot above any it has seen, for every slot from its first
 *   undecided one at once. A majority of Promises makes it the leader (领导者).
 * - From the Promises the new leader completes the half-done slots: for each slot it
 *   re-proposes the value `rules.chooseValue` picks (the highest-ballot accepted one), and a
 *   no-op where its quorum accepted nothing (§3: "fill the gaps").
 * - Then each command costs one Accept / Accepted round: phase 1 is skipped (§3: "only phase 2").
 * - Commit notification: Decide to the replicas; Heartbeats carry the leader's first
 *   undecided slot, and a replica that is behind asks for the missing decisions (CatchUp).
 * - Replicas apply decided commands in slot order to a key-value store, at most once per
 *   (client, seq); the leader replies to the client. A non-leader forwards requests.
 * - The acceptor's decisions are the pluggable Basic Paxos rules, called per slot on the view
 *   { promised, accepted in that slot } (see acceptor.ts); its state is persisted before any
 *   reply leaves, and `init` reloads it after a restart.
 *
 * Annotations (for lib/checkers/multipaxos.ts and the notebook): 'accepted' { slot, ballot,
 * value } (acceptor), 'chosen' { slot, ballot, value } (leader), 'learned' { slot, value }
 * and 'applied' { slot, value, client?, seq?, executed, result } (replica), 'prepare',
 * 'leader', 'recover' { slot, value, reported }, 'step down'.
 *
 * @example
 *   const servers = ['n1', 'n2', 'n3'];
 *   for (const id of servers) sim.addNode(id, () => new MultiPaxosNode({ servers }));
 */
export class MultiPaxosNode implements ProtocolNode<MultiPaxosMessage, MultiPaxosTimer> {
  state: MultiPaxosNodeState;
  private readonly rules: PaxosRules;

  constructor(private readonly options: MultiPaxosNodeOptions) {
    this.rules = resolvePaxosRules(options.rules);
    this.state = initialNodeState();
  }

  get majority(): number {
    return Math.floor(this.options.servers.length / 2) + 1;
  }

  private get skipPhase1(): boolean {
    return this.options.skipPhase1 ?? true;
  }

  // ------------------------------------------------------------------ start and restart

  /** Reloads the durable state (acceptor, round, decided log) and replays the log into the store. */
  init(ctx: Ctx): void {
    const s = this.state;
    s.acceptor.promised = ctx.load<Ballot>(MULTIPAXOS_KEYS.promised) ?? null;
    s.acceptedHigh = ctx.load<number>(MULTIPAXOS_KEYS.acceptedHigh) ?? 0;
    for (let slot = 0; slot < s.acceptedHigh; slot++) {
      const p = ctx.load<Proposal>(MULTIPAXOS_KEYS.accepted(slot));
      if (p !== undefined) s.acceptor.accepted[slot] = p;
    }
    s.round = ctx.load<number>(MULTIPAXOS_KEYS.round) ?? 0;
    s.seenRound = Math.max(s.round, s.acceptor.promised?.round ?? 0);
    s.decidedHigh = ctx.load<number>(MULTIPAXOS_KEYS.decidedHigh) ?? 0;
    for (let slot = 0; slot < s.decidedHigh; slot++) {
      const v = ctx.load<PaxosValue>(MULTIPAXOS_KEYS.decided(slot));
      if (v !== undefined) s.decided[slot] = v;
    }
    // Replay silently: these commands were applied (and annotated) before the crash.
    while (s.decided[s.firstUndecided] !== undefined) {
      const command = decodeCommand(s.decided[s.firstUndecided]);
      if (command !== null) applyCommand(s.machine, command);
      s.firstUndecided++;
    }
    s.nextSlot = s.decidedHigh;
    if (this.options.campaignAtStart && s.round === 0) this.becomeCandidate(ctx);
    else this.resetElectionTimer(ctx);
  }

  // ------------------------------------------------------------------ dispatch

  onMessage(from: NodeId, msg: MultiPaxosMessage, ctx: Ctx): void {
    this.observeBallots(from, msg, ctx);
    switch (msg.type) {
      case 'Request':
        return this.onRequest(msg.command, msg.hops, ctx);
      case 'Prepare':
        return this.onPrepare(from, msg.ballot, msg.fromSlot, ctx);
      case 'Promise':
        return this.onPromise(from, msg.ballot, msg.accepted, ctx);
      case 'Accept':
        return this.onAccept(from, msg.ballot, msg.slot, msg.value, ctx);
      case 'Accepted':
        return this.onAccepted(from, msg.ballot, msg.slot, ctx);
      case 'Nack':
        return; // observeBallots did what a Nack asks: step down if it is for our ballot
      case 'Decide':
        return this.learn(msg.slot, msg.value, ctx);
      case 'Heartbeat':
        return this.onHeartbeat(from, msg.ballot, msg.decidedUpTo, ctx);
      case 'CatchUp':
        return this.onCatchUp(from, msg.fromSlot, ctx);
      case 'Decisions':
        for (const entry of msg.entries) this.learn(entry.slot, entry.value, ctx);
        return;
      case 'Reply':
      case 'Submit':
        return; // for clients
      default:
        return assertNever(msg, 'message');
    }
  }

  onTimer(timer: MultiPaxosTimer, ctx: Ctx): void {
    switch (timer.type) {
      case 'ElectionTimeout':
        this.state.electionTimerId = null;
        if (this.state.role !== 'leader') this.becomeCandidate(ctx);
        return;
      case 'Tick':
        if (timer.epoch === this.state.epoch && this.state.role === 'leader') this.tick(ctx);
        return;
      case 'ClientNext':
      case 'ClientRetry':
        return; // for clients
      default:
        return assertNever(timer, 'timer');
    }
  }

  /**
   * The one place where a higher ballot ends a candidacy or a leadership (as the term check
   * in Raft): a Prepare, Accept or Heartbeat of another server with a higher ballot, or a
   * Nack of our ballot that names a higher promise.
   */
  private observeBallots(from: NodeId, msg: MultiPaxosMessage, ctx: Ctx): void {
    const s = this.state;
    let higher: Ballot | null = null;
    let leader: NodeId | null = null;
    if ((msg.type === 'Prepare' || msg.type === 'Accept' || msg.type === 'Heartbeat') && from !== ctx.id) {
      s.seenRound = Math.max(s.seenRound, msg.ballot.round);
      if (s.ballot !== null && compareBallots(msg.ballot, s.ballot) > 0) {
        higher = msg.ballot;
        leader = msg.type === 'Prepare' ? null : msg.ballot.node;
      }
    } else if (msg.type === 'Nack') {
      s.seenRound = Math.max(s.seenRound, msg.promised.round);
      if (s.ballot !== null && compareBallots(msg.ballot, s.ballot) === 0 && compareBallots(msg.promised, s.ballot) > 0) higher = msg.promised;
    }
    if (higher !== null && s.role !== 'follower') this.becomeFollower(ctx, leader, higher);
  }

  // ------------------------------------------------------------------ roles

  /** Phase 1 for every slot from the first undecided one, with a ballot above all seen (§3). */
  private becomeCandidate(ctx: Ctx): void {
    this.state.role = 'candidate';
    this.state.leader = null;
    this.startPhase1(ctx);
    this.resetElectionTimer(ctx);
  }

  private becomeLeader(ctx: Ctx): void {
    const s = this.state;
    s.role = 'leader';
    s.leader = ctx.id;
    if (s.electionTimerId !== null) ctx.cancelTimer(s.electionTimerId);
    s.electionTimerId = null;
    s.epoch++;
    ctx.annotate('leader', { ballot: s.ballot, text: formatBallot(s.ballot) });
    this.tick(ctx);
  }

  /** Steps down (a higher ballot exists); hands the waiting requests to the new leader if known. */
  private becomeFollower(ctx: Ctx, leader: NodeId | null, higher: Ballot): void {
    const s = this.state;
    ctx.annotate('step down', { ballot: s.ballot, higher, role: s.role });
    this.requeueInFlight();
    s.role = 'follower';
    s.ballot = null;
    s.phase1 = null;
    s.prepared = false;
    s.epoch++;
    s.leader = leader;
    if (leader !== null && leader !== ctx.id) for (const command of s.pending) ctx.send(leader, { type: 'Request', command, hops: 1 });
    s.pending = [];
    this.resetElectionTimer(ctx);
  }

  private resetElectionTimer(ctx: Ctx): void {
    const s = this.state;
    if (s.electionTimerId !== null) ctx.cancelTimer(s.electionTimerId);
    const t = this.options.electionTimeoutMs ?? 100;
    s.electionTimerId = ctx.setTimer({ type: 'ElectionTimeout' }, ctx.rng.uniform(t, 2 * t));
  }

  // ------------------------------------------------------------------ leader: phase 1

  /** A fresh ballot (its round persisted before use), and Prepare to every acceptor. */
  private startPhase1(ctx: Ctx): void {
    const s = this.state;
    s.round = Math.max(s.round, s.seenRound, s.acceptor.promised?.round ?? 0) + 1;
    ctx.persist(MULTIPAXOS_KEYS.round, s.round);
    s.ballot = { round: s.round, node: ctx.id };
    this.requeueInFlight();
    s.prepared = false;
    s.phase1 = { ballot: s.ballot, fromSlot: s.firstUndecided, promises: {}, sentAtMs: ctx.now() };
    ctx.annotate('prepare', { ballot: s.ballot, fromSlot: s.firstUndecided, text: formatBallot(s.ballot) });
    for (const a of this.options.servers) ctx.send(a, { type: 'Prepare', ballot: s.ballot, fromSlot: s.firstUndecided });
  }

  private onPromise(from: NodeId, ballot: Ballot, accepted: SlotProposal[], ctx: Ctx): void {
    const p = this.state.phase1;
    if (p === null || compareBallots(ballot, p.ballot) !== 0 || p.promises[from] !== undefined) return;
    p.promises[from] = accepted;
    if (Object.keys(p.promises).length >= this.majority) this.finishPhase1(ctx);
  }

  /**
   * A majority promised: become the leader (if not already) and complete the half-done slots.
   * For every slot from `fromSlot` to the highest any Promise reported, the value is
   * `rules.chooseValue` over the quorum's reports for that slot (one entry per acceptor, in
   * id order, null where it accepted nothing), with the no-op as the "own value": so the
   * highest-ballot accepted value is re-proposed, and a gap gets a no-op (Lamport §3).
   */
  private finishPhase1(ctx: Ctx): void {
    const s = this.state;
    const p = s.phase1 as Phase1State;
    s.phase1 = null;
    if (s.role === 'candidate') this.becomeLeader(ctx);
    s.prepared = true;
    const quorum = Object.keys(p.promises).sort();
    // Up to the highest slot reported, and at least up to every slot this server proposed or
    // learned before: a slot below nextSlot that its quorum never accepted is a gap too.
    let highest = Math.max(p.fromSlot, s.nextSlot, s.decidedHigh) - 1;
    for (const a of quorum) for (const r of p.promises[a]) highest = Math.max(highest, r.slot);
    for (let slot = p.fromSlot; slot <= highest; slot++) {
      if (s.decided[slot] !== undefined) continue;
      const reports = quorum.map((a) => {
        const r = p.promises[a].find((x) => x.slot === slot);
        return r === undefined ? null : { ballot: r.ballot, value: r.value };
      });
      const value = this.rules.chooseValue(copyData(reports), NOOP);
      if (typeof value !== 'string') throw new Error(`chooseValue returned ${JSON.stringify(value)} for ${JSON.stringify(reports)}; it must return a value (a string)`);
      ctx.annotate('recover', { slot, value, reported: reports.filter((r) => r !== null).length });
      this.sendAccept(slot, value, ctx);
    }
    s.nextSlot = highest + 1;
    this.proposePending(ctx);
  }

  // ------------------------------------------------------------------ leader: phase 2

  private onRequest(command: Command, hops: number, ctx: Ctx): void {
    const s = this.state;
    if (s.role === 'follower') {
      // Forward to the leader we know of; with none (or a stale hint bouncing) drop it: the client retries.
      if (s.leader !== null && s.leader !== ctx.id && hops < 2) ctx.send(s.leader, { type: 'Request', command, hops: hops + 1 });
      return;
    }
    const session = s.machine.sessions[command.client];
    if (session !== undefined && command.seq <= session.seq) {
      if (s.role === 'leader' && command.seq === session.seq) ctx.send(command.client, { type: 'Reply', client: command.client, seq: command.seq, slot: null, result: session.result });
      return;
    }
    const value = encodeCommand(command);
    const waiting = s.pending.some((c) => encodeCommand(c) === value);
    let proposed = false;
    for (const slot in s.inFlight) proposed = proposed || s.inFlight[slot].value === value;
    if (!waiting && !proposed) s.pending.push(command);
    this.proposePending(ctx);
  }

  /**
   * Gives waiting commands their slots. Multi-Paxos: all of them, one Accept round each.
   * Without phase-1 skipping: one command per phase 1, and a new phase 1 for the next.
   */
  private proposePending(ctx: Ctx): void {
    const s = this.state;
    if (s.role !== 'leader') return;
    s.pending = s.pending.filter((c) => !(c.seq <= (s.machine.sessions[c.client]?.seq ?? 0)));
    if (this.skipPhase1) {
      for (const command of s.pending) this.sendAccept(s.nextSlot++, encodeCommand(command), ctx);
      s.pending = [];
      return;
    }
    if (s.pending.length === 0) {
      s.prepared = false; // a phase 1 counts only for the commands waiting when it finished
      return;
    }
    if (s.prepared) {
      this.sendAccept(s.nextSlot++, encodeCommand(s.pending.shift() as Command), ctx);
      s.prepared = false;
    } else if (s.phase1 === null && Object.keys(s.inFlight).length === 0) {
      this.startPhase1(ctx);
    }
  }

  private sendAccept(slot: number, value: PaxosValue, ctx: Ctx): void {
    const s = this.state;
    const ballot = s.ballot as Ballot;
    s.inFlight[slot] = { value, accepts: [], sentAtMs: ctx.now() };
    for (const a of this.options.servers) ctx.send(a, { type: 'Accept', ballot, slot, value });
  }

  private onAccepted(from: NodeId, ballot: Ballot, slot: number, ctx: Ctx): void {
    const s = this.state;
    const f = s.inFlight[slot];
    if (s.role !== 'leader' || f === undefined || compareBallots(ballot, s.ballot) !== 0 || f.accepts.includes(from)) return;
    f.accepts.push(from);
    if (f.accepts.length < this.majority) return;
    delete s.inFlight[slot];
    ctx.annotate('chosen', { slot, ballot, value: f.value });
    for (const r of this.options.servers) if (r !== ctx.id) ctx.send(r, { type: 'Decide', slot, value: f.value });
    this.learn(slot, f.value, ctx);
  }

  /** The leader's heartbeat period: Heartbeat to all, and re-send what got no majority yet. */
  private tick(ctx: Ctx): void {
    const s = this.state;
    const ballot = s.ballot as Ballot;
    const retryMs = this.options.retryMs ?? 50;
    for (const r of this.options.servers) if (r !== ctx.id) ctx.send(r, { type: 'Heartbeat', ballot, decidedUpTo: s.firstUndecided });
    for (const key in s.inFlight) {
      const f = s.inFlight[key];
      if (ctx.now() - f.sentAtMs < retryMs) continue;
      f.sentAtMs = ctx.now();
      const slot = Number(key);
      for (const a of this.options.servers) if (!f.accepts.includes(a)) ctx.send(a, { type: 'Accept', ballot, slot, value: f.value });
    }
    const p = s.phase1;
    if (p !== null && ctx.now() - p.sentAtMs >= retryMs) {
      p.sentAtMs = ctx.now();
      for (const a of this.options.servers) if (p.promises[a] === undefined) ctx.send(a, { type: 'Prepare', ballot: p.ballot, fromSlot: p.fromSlot });
    }
    ctx.setTimer({ type: 'Tick', epoch: s.epoch }, this.options.heartbeatMs ?? 20);
  }

  /** In-flight commands go back to the waiting list (a new ballot must propose them again). */
  private requeueInFlight(): void {
    const s = this.state;
    for (const key of Object.keys(s.inFlight).map(Number).sort((a, b) => a - b)) {
      const command = decodeCommand(s.inFlight[key].value);
      if (command !== null && !s.pending.some((c) => c.client === command.client && c.seq === command.seq)) s.pending.push(command);
    }
    s.inFlight = {};
  }

  // ------------------------------------------------------------------ acceptor

  private onPrepare(from: NodeId, ballot: Ballot, fromSlot: number, ctx: Ctx): void {
    const out = prepareAllSlots(this.state.acceptor, ballot, fromSlot, this.rules);
    this.setPromised(out.promised, ctx);
    if (out.reply === 'reject') return this.nack(from, ballot, ctx);
    ctx.annotate('promised', { ballot, fromSlot, reported: out.report.length });
    ctx.send(from, { type: 'Promise', ballot, fromSlot, accepted: out.report });
    if (from !== ctx.id && this.state.role === 'follower') {
      this.state.leader = ballot.node; // a candidate is running: wait for it (and forward to it) rather than run against it
      this.resetElectionTimer(ctx);
    }
  }

  private onAccept(from: NodeId, ballot: Ballot, slot: number, value: PaxosValue, ctx: Ctx): void {
    const a = this.state.acceptor;
    const out = acceptOneSlot(a, slot, { ballot, value }, this.rules);
    this.setPromised(out.promised, ctx);
    if (JSON.stringify(out.accepted) !== JSON.stringify(a.accepted[slot] ?? null)) {
      if (out.accepted === null) delete a.accepted[slot];
      else a.accepted[slot] = out.accepted;
      ctx.persist(MULTIPAXOS_KEYS.accepted(slot), out.accepted ?? undefined);
      if (slot + 1 > this.state.acceptedHigh) {
        this.state.acceptedHigh = slot + 1;
        ctx.persist(MULTIPAXOS_KEYS.acceptedHigh, slot + 1);
      }
    }
    if (out.reply === 'reject') return this.nack(from, ballot, ctx);
    ctx.annotate('accepted', { slot, ballot, value });
    ctx.send(from, { type: 'Accepted', ballot, slot });
    if (from !== ctx.id && this.state.role === 'follower') {
      this.state.leader = ballot.node;
      this.resetElectionTimer(ctx);
    }
  }

  private setPromised(promised: Ballot | null, ctx: Ctx): void {
    const a = this.state.acceptor;
    if (JSON.stringify(promised) === JSON.stringify(a.promised)) return;
    a.promised = promised;
    ctx.persist(MULTIPAXOS_KEYS.promised, promised);
  }

  private nack(to: NodeId, ballot: Ballot, ctx: Ctx): void {
    const promised = this.state.acceptor.promised ?? ballot;
    ctx.annotate('rejected', { ballot, promised });
    ctx.send(to, { type: 'Nack', ballot, promised });
  }

  // ------------------------------------------------------------------ follower and replica

  private onHeartbeat(from: NodeId, ballot: Ballot, decidedUpTo: number, ctx: Ctx): void {
    const s = this.state;
    if (compareBallots(ballot, s.acceptor.promised) < 0) return this.nack(from, ballot, ctx); // a deposed leader: tell it
    if (s.role !== 'follower') return;
    s.leader = from;
    this.resetElectionTimer(ctx);
    if (decidedUpTo > s.firstUndecided) ctx.send(from, { type: 'CatchUp', fromSlot: s.firstUndecided });
  }

  private onCatchUp(from: NodeId, fromSlot: number, ctx: Ctx): void {
    const s = this.state;
    const entries: SlotDecision[] = [];
    const batch = this.options.catchUpBatch ?? 64;
    for (let slot = fromSlot; slot < s.decidedHigh && entries.length < batch; slot++) {
      if (s.decided[slot] !== undefined) entries.push({ slot, value: s.decided[slot] });
    }
    if (entries.length > 0) ctx.send(from, { type: 'Decisions', entries });
  }

  /** The replica learns that `slot` holds `value`: persist, annotate, apply what is now in order. */
  private learn(slot: number, value: PaxosValue, ctx: Ctx): void {
    const s = this.state;
    const known = s.decided[slot];
    if (known !== undefined) {
      if (known !== value) ctx.annotate('learned', { slot, value, conflict: known }); // a safety bug upstream: let the checker see it
      return;
    }
    s.decided[slot] = value;
    ctx.persist(MULTIPAXOS_KEYS.decided(slot), value);
    if (slot + 1 > s.decidedHigh) {
      s.decidedHigh = slot + 1;
      ctx.persist(MULTIPAXOS_KEYS.decidedHigh, s.decidedHigh);
    }
    ctx.annotate('learned', { slot, value });
    const f = s.inFlight[slot];
    if (f !== undefined) {
      delete s.inFlight[slot];
      const mine = decodeCommand(f.value);
      if (f.value !== value && mine !== null) s.pending.push(mine); // another ballot won this slot: propose ours again
    }
    this.applyInOrder(ctx);
    this.proposePending(ctx);
  }

  /** Executes decided slots in order (§3: "execute command i only after 1..i-1"); the leader replies. */
  private applyInOrder(ctx: Ctx): void {
    const s = this.state;
    while (s.decided[s.firstUndecided] !== undefined) {
      const slot = s.firstUndecided++;
      const value = s.decided[slot];
      const command = decodeCommand(value);
      if (command === null) {
        ctx.annotate('applied', { slot, value, executed: false, result: null });
        continue;
      }
      const outcome = applyCommand(s.machine, command);
      ctx.annotate('applied', { slot, value, client: command.client, seq: command.seq, executed: outcome.executed, result: outcome.result });
      if (s.role === 'leader') ctx.send(command.client, { type: 'Reply', client: command.client, seq: command.seq, slot, result: outcome.result });
    }
  }
}
