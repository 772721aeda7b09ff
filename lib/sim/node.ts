import { NodeId, Random } from '../core';

/**
 * Everything a protocol node may do, and the only way it touches the world. A handler runs
 * to completion; its effects (messages, timers, durable writes, notes) go through this
 * context, so the same node code runs in the simulator, a model checker or a notebook.
 * Nothing here reads a real clock or real randomness.
 */
export interface Context<M = unknown, T = unknown> {
  /** This node's id. */
  readonly id: NodeId;
  /** Every protocol node in the simulation, this one included, in the order they were added. */
  readonly nodes: readonly NodeId[];
  /** This node's own random stream ("node:<id>"), seeded from the simulation's seed. */
  readonly rng: Random;
  /** Virtual time now, in milliseconds. */
  now(): number;
  /** Sends `msg` to `to` through the network (it may be delayed, lost, duplicated, reordered). */
  send(to: NodeId, msg: M): void;
  /** Sends `msg` to every other protocol node (or to `to` when given). */
  broadcast(msg: M, to?: readonly NodeId[]): void;
  /** Fires `timer` back at this node after `delayMs`; returns an id for cancelTimer. Timers die with a crash. */
  setTimer(timer: T, delayMs: number): number;
  /** Cancels a timer that has not fired yet (a no-op otherwise). */
  cancelTimer(timerId: number): void;
  /** Writes `value` (copied) to durable storage under `key`: the only state that survives a crash. */
  persist(key: string, value: unknown): void;
  /** Reads from durable storage: what was persisted before the last crash, or undefined. */
  load<V>(key: string): V | undefined;
  /** Leaves a note in the trace for the reader ("voted YES", "decided COMMIT"). */
  annotate(text: string, data?: unknown): void;
  /** Records the start of a client operation in the history; returns its operation id. */
  invoke(process: string, f: string, value?: unknown): number;
  /** Records the end of operation `opId`: ok, fail (no effect) or info (unknown outcome). */
  complete(opId: number, type: 'ok' | 'fail' | 'info', value?: unknown): void;
}

/**
 * A protocol node: a deterministic state machine driven by messages and timers.
 * `init` runs when the node starts and again after every restart (a fresh object, so all
 * volatile state is gone; read what you persisted with `ctx.load`).
 *
 * @example
 *   class Echo implements ProtocolNode<{ type: 'Ping' } | { type: 'Pong' }, never> {
 *     onMessage(from, msg, ctx) { if (msg.type === 'Ping') ctx.send(from, { type: 'Pong' }); }
 *     onTimer() {}
 *   }
 */
export interface ProtocolNode<M = unknown, T = unknown> {
  init?(ctx: Context<M, T>): void;
  onMessage(from: NodeId, msg: M, ctx: Context<M, T>): void;
  onTimer(timer: T, ctx: Context<M, T>): void;
}

/** Makes a fresh node: called at start and at every restart. */
export type NodeFactory<M = unknown, T = unknown> = (id: NodeId) => ProtocolNode<M, T>;
