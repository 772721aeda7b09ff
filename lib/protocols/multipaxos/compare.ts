import { ConfigError, SendEvent, requireInteger, requireNumberInRange } from '../../core';
import { MultiPaxosCluster, multiPaxosCluster } from './cluster';
import { CONSENSUS_MESSAGES, CommandSpec, MultiPaxosMessage, decodeCommand } from './messages';

/** Options of `basicVsMultiPaxos`. */
export interface BasicVsMultiOptions {
  /** How many commands, sent one after the other by one client. Default 10. */
  commands?: number;
  seed?: number | string;
  /** How many servers (acceptors). Default 5. */
  servers?: number;
  /** The one-way latency of every message, constant so that delays count messages exactly. Default 1. */
  latencyMs?: number;
}

/** What one command cost, from the client's Request to the leader's decision. */
export interface CommandCost {
  /** 1, 2, ...: the order the client sent them in. */
  command: number;
  slot: number;
  /** Prepare, Promise, Nack, Accept and Accepted messages sent for it (phases 1 and 2). */
  consensusMessages: number;
  /** Every message from its Request to its Reply except heartbeats and catch-up: adds the Request, Decides and the Reply. */
  allMessages: number;
  /** Message delays from the client's Request to the decision at the leader (the Request's hop included). */
  messageDelays: number;
  /** Round trips the leader needed from receiving the Request to the decision (phase 1 and 2: 2; phase 2 only: 1). */
  roundTrips: number;
}

/** One mode's run: per-command costs, their means, and the cluster for a closer look. */
export interface ModeCosts {
  mode: 'basic' | 'multi';
  perCommand: CommandCost[];
  meanConsensusMessages: number;
  meanRoundTrips: number;
  meanMessageDelays: number;
  cluster: MultiPaxosCluster;
}

/** The comparison: both modes, and rows a bar or line chart can plot directly. */
export interface BasicVsMultiResult {
  servers: number;
  basic: ModeCosts;
  multi: ModeCosts;
  /** One row per (mode, command): { mode, command, consensusMessages, roundTrips, messageDelays }. */
  rows: { mode: 'basic' | 'multi'; command: number; consensusMessages: number; roundTrips: number; messageDelays: number }[];
  summary: string;
}

/**
 * What a stable leader saves (Lamport §3: with a leader that has done phase 1 for all
 * instances, "only phase 2 is needed", i.e. one round trip and 2n messages per command
 * instead of two round trips and 4n). Runs `commands` commands, one after the other from one
 * client talking to the leader, on `servers` servers with a constant latency, twice:
 *
 * - basic: every command gets its own full Paxos instance, Prepare / Promise then Accept /
 *   Accepted (the Multi-Paxos server with phase-1 skipping off: a new ballot per command);
 * - multi: the leader did phase 1 once, when it was elected; each command is one Accept round.
 *
 * and counts, per command, the consensus messages sent and the message delays to the decision.
 * The election before the first command is not counted (steady state).
 *
 * @example
 *   const r = basicVsMultiPaxos({ commands: 10, servers: 5 });
 *   r.basic.meanConsensusMessages; // 20 (4n)
 *   r.multi.meanConsensusMessages; // 10 (2n)
 *   r.basic.meanRoundTrips;        // 2
 *   r.multi.meanRoundTrips;        // 1
 */
export function basicVsMultiPaxos(options: BasicVsMultiOptions = {}): BasicVsMultiResult {
  if (!options || typeof options !== 'object') throw new ConfigError('options', 'an object', options);
  const known = ['commands', 'seed', 'servers', 'latencyMs'];
  for (const key of Object.keys(options)) if (!known.includes(key)) throw new ConfigError(key, `one of the options (${known.join(', ')})`, key);
  const commands = requireInteger('commands', options.commands ?? 10, 1);
  const servers = requireInteger('servers', options.servers ?? 5, 1);
  const latencyMs = requireNumberInRange('latencyMs', options.latencyMs ?? 1, 0.001, Infinity);
  const seed = options.seed ?? 1;
  const basic = runMode('basic', seed, commands, servers, latencyMs);
  const multi = runMode('multi', seed, commands, servers, latencyMs);
  const rows = [basic, multi].flatMap((m) =>
    m.perCommand.map((c) => ({ mode: m.mode, command: c.command, consensusMessages: c.consensusMessages, roundTrips: c.roundTrips, messageDelays: c.messageDelays })),
  );
  const line = (m: ModeCosts) => `${m.mode}: ${round(m.meanConsensusMessages)} consensus messages and ${round(m.meanRoundTrips)} round trips per command`;
  return { servers, basic, multi, rows, summary: `${servers} servers, ${commands} commands: ${line(basic)}; ${line(multi)}` };
}

function runMode(mode: 'basic' | 'multi', seed: number | string, commands: number, servers: number, latencyMs: number): ModeCosts {
  const work: CommandSpec[] = Array.from({ length: commands }, (_, i) => ({ op: 'put', key: 'x', value: `v${i + 1}` }));
  const cluster = multiPaxosCluster({
    seed,
    servers,
    firstLeader: 'n1',
    skipPhase1: mode === 'multi',
    network: { latency: { kind: 'constant', ms: latencyMs } },
    heartbeatMs: 20 * latencyMs,
    electionTimeoutMs: 200 * latencyMs,
    retryMs: 50 * latencyMs,
    clientRetryMs: 100 * latencyMs,
    workload: [{ commands: work, firstServer: 'n1', startAtMs: 10 * latencyMs }],
  });
  cluster.runUntilSettled({ maxTimeMs: 10 * latencyMs + commands * 100 * latencyMs });
  const events = cluster.sim.trace.events;
  const perCommand: CommandCost[] = [];
  for (let seq = 1; seq <= commands; seq++) {
    const sentAt = events.findIndex((e) => e.kind === 'send' && e.from === 'c1' && isRequest(e.msg, seq));
    const arrivedAt = events.findIndex((e, i) => i > sentAt && e.kind === 'deliver' && e.to === 'n1' && isRequest(e.msg, seq));
    const chosenAt = events.findIndex((e, i) => i > sentAt && e.kind === 'annotate' && e.text === 'chosen' && isCommand((e.data as { value: string }).value, seq));
    const repliedAt = events.findIndex((e, i) => i > sentAt && e.kind === 'deliver' && e.to === 'c1' && (e.msg as MultiPaxosMessage).type === 'Reply' && (e.msg as { seq: number }).seq === seq);
    if (sentAt < 0 || arrivedAt < 0 || chosenAt < 0 || repliedAt < 0) {
      throw new Error(`basicVsMultiPaxos (${mode}, seed ${seed}): command ${seq} was not decided and answered; replay with multiPaxosCluster and this seed`);
    }
    const sends = (from: number, to: number) => events.slice(from, to + 1).filter((e): e is SendEvent => e.kind === 'send');
    const chosen = events[chosenAt];
    perCommand.push({
      command: seq,
      slot: (chosen.kind === 'annotate' && (chosen.data as { slot: number }).slot) || 0,
      consensusMessages: sends(sentAt, chosenAt).filter((e) => CONSENSUS_MESSAGES.includes((e.msg as MultiPaxosMessage).type)).length,
      allMessages: sends(sentAt, repliedAt).filter((e) => !['Heartbeat', 'CatchUp', 'Decisions'].includes((e.msg as MultiPaxosMessage).type)).length,
      messageDelays: round((chosen.timeMs - events[sentAt].timeMs) / latencyMs),
      roundTrips: round((chosen.timeMs - events[arrivedAt].timeMs) / (2 * latencyMs)),
    });
  }
  const mean = (f: (c: CommandCost) => number) => perCommand.reduce((s, c) => s + f(c), 0) / perCommand.length;
  return {
    mode,
    perCommand,
    meanConsensusMessages: mean((c) => c.consensusMessages),
    meanRoundTrips: mean((c) => c.roundTrips),
    meanMessageDelays: mean((c) => c.messageDelays),
    cluster,
  };
}

function isRequest(msg: unknown, seq: number): boolean {
  const m = msg as MultiPaxosMessage;
  return m.type === 'Request' && m.command.client === 'c1' && m.command.seq === seq;
}

function isCommand(value: string, seq: number): boolean {
  const command = decodeCommand(value);
  return command !== null && command.client === 'c1' && command.seq === seq;
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}
