import { ConfigError, NodeId, assertNever, requireInteger, requireNumberInRange } from '../../core';
import { Context, ProtocolNode } from '../../sim/node';
import { RaftStateMachine } from './machine';
import { RaftMessage } from './messages';

/**
 * A key-value service on Raft (the 6.824/6.5840 "KVRaft" lab; dissertation §6): get, put and
 * append as log entries, client sessions so that a retried request is applied once, and
 * linearizable reads.
 *
 * Reads go through the log: a get is a log entry like a write and is answered when it is
 * applied (dissertation §6.4 describes this as the simple way; ReadIndex and leases are the
 * optimisations). A leader that has lost its leadership cannot answer a read, since its entry
 * never commits, so no stale value is returned.
 *
 * Sessions (dissertation §6.3): every command carries the client's id and a sequence number.
 * The state machine remembers, per client, the last sequence number applied and its result;
 * a duplicate (the same request appended twice after a retry) returns the remembered result
 * and changes nothing. A client has one request outstanding at a time, so one entry per client
 * is enough.
 */

/** A client's command: the operation, and the session it belongs to. */
export interface KvCommand {
  op: 'get' | 'put' | 'append';
  key: string;
  value?: string;
  clientId: string;
  seq: number;
}

/** The store and the sessions, plain data (it is what a snapshot holds). */
export interface KvState {
  data: Record<string, string>;
  sessions: Record<string, { seq: number; result: string | null }>;
}

/**
 * The key-value state machine with at-most-once sessions. get's result is the value ('' when
 * absent); put's and append's is null.
 *
 * @example
 *   const a = kvStateMachine.apply(kvStateMachine.init(), { op: 'append', key: 'x', value: 'a', clientId: 'c1', seq: 1 }, 1);
 *   const b = kvStateMachine.apply(a.state, { op: 'append', key: 'x', value: 'a', clientId: 'c1', seq: 1 }, 2); // duplicate
 *   b.state.data.x; // 'a', not 'aa'
 */
export const kvStateMachine: RaftStateMachine<KvState, KvCommand, string | null> = {
  init: () => ({ data: {}, sessions: {} }),
  apply(state, command) {
    const session = state.sessions[command.clientId];
    if (session !== undefined && command.seq <= session.seq) {
      return { state, result: command.seq === session.seq ? session.result : null };
    }
    const current = state.data[command.key] ?? '';
    let data = state.data;
    let result: string | null = null;
    switch (command.op) {
      case 'get':
        result = current;
        break;
      case 'put':
        data = { ...data, [command.key]: command.value ?? '' };
        break;
      case 'append':
        data = { ...data, [command.key]: current + (command.value ?? '') };
        break;
      default:
        return assertNever(command.op, 'kv operation');
    }
    return { state: { data, sessions: { ...state.sessions, [command.clientId]: { seq: command.seq, result } } }, result };
  },
};

/** Options of a key-value client. */
export interface KvClientOptions {
  /** The Raft servers it may talk to. */
  servers: NodeId[];
  /** How many operations it runs, one after the other. Default 20. */
  operations?: number;
  /** The keys it picks from. Default ['x', 'y']. */
  keys?: string[];
  /** When the first operation starts. Default 0. */
  startAtMs?: number;
  /** A pause between operations, drawn uniformly in [0, thinkMs]. Default 10. */
  thinkMs?: number;
  /** How long to wait for a reply before trying the next server. Default 100. */
  retryMs?: number;
  /** No new operation starts after this time (the one in flight goes on). Default Infinity. */
  stopAtMs?: number;
}

/** A client's plain-data state. */
export interface KvClientState {
  seq: number;
  done: number;
  /** The operation in flight. */
  current: { opId: number; command: KvCommand } | null;
  /** Index into servers of the server it talks to now. */
  target: number;
  attempt: number;
}

/**
 * Client timers: start the next operation; or resend the request in flight, moving on to the
 * next server first when `nextServer` (the reply never came).
 */
export type KvClientTimer = { type: 'Next' } | { type: 'Retry'; attempt: number; nextServer: boolean };

type ClientCtx = Context<RaftMessage, KvClientTimer>;

/**
 * A key-value client (a "clerk" in 6.824). It runs `operations` random gets, puts and appends
 * (appends of unique strings, as in Porcupine's kv histories, so that the checker can tell
 * them apart), one at a time, recording each with ctx.invoke / ctx.complete. It sends each
 * request to the server it believes leads, follows leader hints, and on a timeout retries the
 * same request (same sequence number) at the next server: the state machine's session makes
 * the retry harmless.
 *
 * @example
 *   sim.addNode('c1', () => new KvClient({ servers: ['n1', 'n2', 'n3'], operations: 10 }));
 */
export class KvClient implements ProtocolNode<RaftMessage, KvClientTimer> {
  state: KvClientState = { seq: 0, done: 0, current: null, target: 0, attempt: 0 };

  constructor(readonly options: KvClientOptions) {
    if (!Array.isArray(options.servers) || options.servers.length === 0) throw new ConfigError('servers', 'a non-empty array of server ids', options.servers);
    requireInteger('operations', options.operations ?? 20, 0);
    requireNumberInRange('retryMs', options.retryMs ?? 100, 1, Infinity);
  }

  init(ctx: ClientCtx): void {
    this.state.target = ctx.rng.int(0, this.options.servers.length - 1);
    ctx.setTimer({ type: 'Next' }, Math.max(0, (this.options.startAtMs ?? 0) - ctx.now()));
  }

  onMessage(_from: NodeId, msg: RaftMessage, ctx: ClientCtx): void {
    const s = this.state;
    if (msg.type !== 'ClientReply' || s.current === null || msg.requestId !== requestIdOf(s.current.command)) return;
    if (!msg.ok) {
      const hint = msg.leaderHint ? this.options.servers.indexOf(msg.leaderHint) : -1;
      s.target = hint >= 0 && hint !== s.target ? hint : (s.target + 1) % this.options.servers.length;
      s.attempt++;
      ctx.setTimer({ type: 'Retry', attempt: s.attempt, nextServer: false }, hint >= 0 ? 1 : 10); // a pause when nobody knows the leader
      return;
    }
    const { opId, command } = s.current;
    if (command.op === 'get') ctx.complete(opId, 'ok', { key: command.key, value: typeof msg.result === 'string' ? msg.result : '' });
    else ctx.complete(opId, 'ok');
    s.current = null;
    s.done++;
    s.attempt++;
    ctx.setTimer({ type: 'Next' }, ctx.rng.uniform(0, this.options.thinkMs ?? 10));
  }

  onTimer(timer: KvClientTimer, ctx: ClientCtx): void {
    const s = this.state;
    switch (timer.type) {
      case 'Next': {
        if (s.current !== null || s.done >= (this.options.operations ?? 20) || ctx.now() > (this.options.stopAtMs ?? Infinity)) return;
        s.seq++;
        const keys = this.options.keys ?? ['x', 'y'];
        const key = ctx.rng.pick(keys);
        const roll = ctx.rng.next();
        const op: KvCommand['op'] = roll < 0.4 ? 'get' : roll < 0.55 ? 'put' : 'append';
        const value = `x ${ctx.id} ${s.seq} y`;
        const command: KvCommand = op === 'get' ? { op, key, clientId: ctx.id, seq: s.seq } : { op, key, value, clientId: ctx.id, seq: s.seq };
        const opId = ctx.invoke(ctx.id, op, op === 'get' ? { key } : { key, value });
        s.current = { opId, command };
        this.send(ctx);
        return;
      }
      case 'Retry':
        if (timer.attempt !== s.attempt || s.current === null) return; // stale
        if (timer.nextServer) s.target = (s.target + 1) % this.options.servers.length;
        this.send(ctx);
        return;
      default:
        return assertNever(timer, 'timer');
    }
  }

  private send(ctx: ClientCtx): void {
    const s = this.state;
    if (s.current === null) return;
    ctx.send(this.options.servers[s.target], { type: 'ClientRequest', requestId: requestIdOf(s.current.command), command: s.current.command });
    s.attempt++;
    ctx.setTimer({ type: 'Retry', attempt: s.attempt, nextServer: true }, this.options.retryMs ?? 100);
  }
}

/** "c1:7": the request id of a command (client id and sequence number). */
export function requestIdOf(command: KvCommand): string {
  return `${command.clientId}:${command.seq}`;
}
