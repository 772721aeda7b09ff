import { NodeId, assertNever } from '../../core';
import { Context, ProtocolNode } from '../../sim/node';
import { Command, CommandSpec, MultiPaxosMessage, MultiPaxosTimer } from './messages';

/** Options of a client; times are virtual milliseconds. */
export interface MultiPaxosClientOptions {
  /** The servers it may talk to (any of them: non-leaders forward). */
  servers: readonly NodeId[];
  /** Its workload, submitted one at a time (a closed loop); more can come later through Submit. */
  commands?: readonly CommandSpec[];
  /** When the first command goes out. Default 0. */
  startAtMs?: number;
  /** Pause between a reply and the next command. Default 0. */
  thinkMs?: number;
  /** No reply this long: send the same command (same seq) to the next server. Default 150. */
  retryMs?: number;
  /** The server it tries first. Default: one drawn from its random stream. */
  firstServer?: NodeId;
}

/** The command a client waits on. */
export interface OutstandingCommand {
  command: Command;
  opId: number;
  attempt: number;
  sentAtMs: number;
  firstSentAtMs: number;
}

/** All of a client's state, plain data. Only `seq` is durable. */
export interface MultiPaxosClientState {
  queue: CommandSpec[];
  /** The last sequence number used; persisted so a restarted client never reuses one. */
  seq: number;
  current: OutstandingCommand | null;
  /** Index in `servers` of where the next send goes (the last server that replied, else the next one). */
  target: number;
  started: boolean;
  completed: number;
  /** How long each completed command took, first send to reply. */
  latenciesMs: number[];
}

type Ctx = Context<MultiPaxosMessage, MultiPaxosTimer>;

/**
 * A client of the replicated key-value store (PMMC's client): it sends each command with a
 * fresh (client, seq) to a server, and re-sends the same (client, seq) to the next server
 * when no reply comes, so a command may be proposed twice but is executed once (replicas
 * dedupe at apply time). It records a Jepsen-style history through `ctx.invoke` /
 * `ctx.complete` (put/append: `{ key, value, seq }`; get completes with `{ key, value }`),
 * which lib/checkers/linearizability's `checkKvHistory` reads.
 *
 * @example
 *   sim.addNode('c1', () => new MultiPaxosClient({ servers: ['n1', 'n2', 'n3'], commands: [{ op: 'put', key: 'x', value: '1' }] }));
 */
export class MultiPaxosClient implements ProtocolNode<MultiPaxosMessage, MultiPaxosTimer> {
  state: MultiPaxosClientState;

  constructor(private readonly options: MultiPaxosClientOptions) {
    this.state = { queue: [...(options.commands ?? [])], seq: 0, current: null, target: 0, started: false, completed: 0, latenciesMs: [] };
  }

  /** True when every command it was given has been answered. */
  get done(): boolean {
    return this.state.current === null && this.state.queue.length === 0;
  }

  init(ctx: Ctx): void {
    const s = this.state;
    s.seq = ctx.load<number>('seq') ?? 0;
    const first = this.options.firstServer;
    s.target = first !== undefined ? Math.max(0, this.options.servers.indexOf(first)) : ctx.rng.int(0, this.options.servers.length - 1);
    const delayMs = (this.options.startAtMs ?? 0) - ctx.now();
    if (delayMs > 0) {
      ctx.setTimer({ type: 'ClientNext' }, delayMs);
    } else {
      s.started = true;
      this.next(ctx);
    }
  }

  onMessage(from: NodeId, msg: MultiPaxosMessage, ctx: Ctx): void {
    const s = this.state;
    switch (msg.type) {
      case 'Reply': {
        const current = s.current;
        if (current === null || msg.seq !== current.command.seq) return; // a late or duplicated reply
        const { op, key } = current.command;
        ctx.complete(current.opId, 'ok', op === 'get' ? { key, value: msg.result ?? '' } : undefined);
        s.completed++;
        s.latenciesMs.push(ctx.now() - current.firstSentAtMs);
        s.current = null;
        const index = this.options.servers.indexOf(from);
        if (index >= 0) s.target = index; // it answered, so it leads: talk to it directly
        const thinkMs = this.options.thinkMs ?? 0;
        if (thinkMs > 0) ctx.setTimer({ type: 'ClientNext' }, thinkMs);
        else this.next(ctx);
        return;
      }
      case 'Submit':
        s.queue.push(msg.command);
        if (s.started) this.next(ctx);
        return;
      case 'Request':
      case 'Prepare':
      case 'Promise':
      case 'Nack':
      case 'Accept':
      case 'Accepted':
      case 'Decide':
      case 'Heartbeat':
      case 'CatchUp':
      case 'Decisions':
        return; // for servers
      default:
        return assertNever(msg, 'message');
    }
  }

  onTimer(timer: MultiPaxosTimer, ctx: Ctx): void {
    const s = this.state;
    switch (timer.type) {
      case 'ClientNext':
        s.started = true;
        this.next(ctx);
        return;
      case 'ClientRetry': {
        const current = s.current;
        if (current === null || current.command.seq !== timer.seq || current.attempt !== timer.attempt) return; // stale
        current.attempt++;
        s.target = (s.target + 1) % this.options.servers.length;
        this.send(ctx);
        return;
      }
      case 'ElectionTimeout':
      case 'Tick':
        return; // for servers
      default:
        return assertNever(timer, 'timer');
    }
  }

  /** Takes the next command from the queue, records its invocation and sends it. */
  private next(ctx: Ctx): void {
    const s = this.state;
    if (s.current !== null || s.queue.length === 0) return;
    const spec = s.queue.shift() as CommandSpec;
    s.seq++;
    ctx.persist('seq', s.seq);
    const command: Command = { client: ctx.id, seq: s.seq, ...spec };
    const value = spec.op === 'get' ? { key: spec.key, seq: s.seq } : { key: spec.key, value: spec.value, seq: s.seq };
    const opId = ctx.invoke(ctx.id, spec.op, value);
    s.current = { command, opId, attempt: 0, sentAtMs: ctx.now(), firstSentAtMs: ctx.now() };
    this.send(ctx);
  }

  private send(ctx: Ctx): void {
    const current = this.state.current as OutstandingCommand;
    current.sentAtMs = ctx.now();
    ctx.send(this.options.servers[this.state.target], { type: 'Request', command: current.command, hops: 0 });
    ctx.setTimer({ type: 'ClientRetry', seq: current.command.seq, attempt: current.attempt }, this.options.retryMs ?? 150);
  }
}
