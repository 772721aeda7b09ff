import { LinearizabilityResult, checkKvHistory } from '../../checkers/linearizability';
import { MultiPaxosCheckResult, multiPaxosLiveness, multiPaxosSafety } from '../../checkers/multipaxos';
import { ConfigError, NodeId, Random, requireInteger, requireNumberInRange } from '../../core';
import { FaultStep, NetworkOptions, Simulator } from '../../sim';
import { PaxosValue, compareBallots, formatBallot } from '../paxos/messages';
import { PaxosRules, resolvePaxosRules } from '../paxos/rules';
import { MultiPaxosClient } from './client';
import { CommandSpec, validateCommandSpec } from './messages';
import { MultiPaxosNode } from './node';
import { MultiPaxosNodeState } from './node-state';

/** One client's part of a workload: its commands, submitted one at a time. */
export interface ClientWorkload {
  commands: CommandSpec[];
  /** When its first command goes out. Default 0. */
  startAtMs?: number;
  /** Pause between a reply and the next command. Default 0. */
  thinkMs?: number;
  /** The server it talks to first (default: one drawn at random). */
  firstServer?: NodeId;
}

/** Options of a Multi-Paxos cluster. Only `seed` is required; times are virtual milliseconds. */
export interface MultiPaxosClusterOptions {
  seed: number | string;
  /** How many servers (n1..nN), each an acceptor, a replica and a would-be leader. Default 3. */
  servers?: number;
  /** How many clients (c1..cK) when `workload` is not given. Default 2. */
  clients?: number;
  /** Commands per client of the generated workload. Default 5. */
  commandsPerClient?: number;
  /** Keys of the generated workload. Default ['x', 'y']. */
  keys?: string[];
  /** The workload, one entry per client; overrides `clients`, `commandsPerClient` and `keys`. */
  workload?: ClientWorkload[];
  network?: Partial<NetworkOptions>;
  /** A fault script, scheduled before the run. */
  faults?: FaultStep[];
  /** The pluggable acceptor rules and value choice (a learner's module); the references by default. */
  rules?: Partial<PaxosRules>;
  /** Leader heartbeat period. Default 20. */
  heartbeatMs?: number;
  /** Followers start phase 1 after uniform(t, 2t) without a heartbeat. Default 100. */
  electionTimeoutMs?: number;
  /** Leader re-sends an Accept or Prepare without a majority after this long. Default 50. */
  retryMs?: number;
  /** Client re-sends to the next server after this long without a reply. Default 150. */
  clientRetryMs?: number;
  /** false: a full phase 1 for every command (Basic Paxos per slot). Default true (Multi-Paxos). */
  skipPhase1?: boolean;
  /** A server that starts phase 1 at once, so it is (very likely) the first leader. Default none. */
  firstLeader?: NodeId;
  recordTrace?: boolean;
  hashTrace?: boolean;
}

const knownOptions = [
  'seed', 'servers', 'clients', 'commandsPerClient', 'keys', 'workload', 'network', 'faults', 'rules', 'heartbeatMs',
  'electionTimeoutMs', 'retryMs', 'clientRetryMs', 'skipPhase1', 'firstLeader', 'recordTrace', 'hashTrace',
];

/** A simulator with Multi-Paxos servers and clients added, and what a notebook or a test needs. */
export interface MultiPaxosCluster {
  sim: Simulator;
  servers: NodeId[];
  clients: NodeId[];
  /** The workload each client runs (generated from the seed unless given). */
  workload: ClientWorkload[];
  run(untilMs: number): void;
  /** A server's state (null while it is down). */
  server(id: NodeId): MultiPaxosNodeState | null;
  /** The server that leads with the highest ballot, or null if none is up and leading. */
  leader(): NodeId | null;
  /** True when every client has had every command answered. */
  clientsDone(): boolean;
  /** True when every server is up and has applied every slot any server knows decided. */
  caughtUp(): boolean;
  /** Runs until clientsDone() and caughtUp(), or past `maxTimeMs` (default now + 5 s); returns whether it got there. */
  runUntilSettled(options?: { maxTimeMs?: number }): boolean;
  /** Safety: agreement per slot, in-order application, prefix agreement, at-most-once execution. */
  safety(): MultiPaxosCheckResult;
  /** Liveness: every command completed and every replica caught up. */
  liveness(): MultiPaxosCheckResult;
  /** The clients' history checked as a linearizable key-value store. */
  linearizable(): LinearizabilityResult;
  /** Each server's applied log (decided values of its contiguous prefix); empty while down. */
  logs(): Record<NodeId, PaxosValue[]>;
  /** One line: the leader, the log lengths, the commands done. */
  summary(): string;
}

/**
 * Builds a Multi-Paxos cluster (Lamport 2001 §3; van Renesse & Altinbuken 2015): servers
 * n1..nN and clients c1..cK with a seeded workload of put / append / get on a few keys, on a
 * seeded simulator. Same seed, same trace.
 *
 * @example
 *   const c = multiPaxosCluster({ seed: 1, servers: 5, clients: 2, commandsPerClient: 5 });
 *   c.runUntilSettled();
 *   c.safety();        // { ok: true }
 *   c.linearizable();  // { ok: true, ... }
 *   c.summary();       // "leader n3 (ballot 1.n3); logs n1 10, n2 10, ...; 10/10 commands answered"
 */
export function multiPaxosCluster(options: MultiPaxosClusterOptions): MultiPaxosCluster {
  if (!options || typeof options !== 'object') throw new ConfigError('options', 'an object with at least a seed', options);
  for (const key of Object.keys(options)) {
    if (!knownOptions.includes(key)) throw new ConfigError(key, `one of the cluster options (${knownOptions.join(', ')})`, key);
  }
  const serverCount = requireInteger('servers', options.servers ?? 3, 1);
  const servers = names('n', serverCount);
  const time = (name: keyof MultiPaxosClusterOptions, fallback: number, min = 0) => requireNumberInRange(name, options[name] ?? fallback, min, Infinity);
  const heartbeatMs = time('heartbeatMs', 20, 0.001);
  const electionTimeoutMs = time('electionTimeoutMs', 100, 0.001);
  if (electionTimeoutMs <= heartbeatMs) throw new ConfigError('electionTimeoutMs', `a number > heartbeatMs (${heartbeatMs})`, electionTimeoutMs);
  const retryMs = time('retryMs', 50, 0.001);
  const clientRetryMs = time('clientRetryMs', 150, 0.001);
  if (options.skipPhase1 !== undefined && typeof options.skipPhase1 !== 'boolean') throw new ConfigError('skipPhase1', 'true or false', options.skipPhase1);
  if (options.firstLeader !== undefined && !servers.includes(options.firstLeader)) throw new ConfigError('firstLeader', `one of the servers (${servers.join(', ')})`, options.firstLeader);
  const rules = resolvePaxosRules(options.rules);
  const sim = new Simulator({ seed: options.seed, network: options.network, recordTrace: options.recordTrace, hashTrace: options.hashTrace });
  const workload = options.workload ?? randomWorkload(sim.random.stream('workload'), { clients: options.clients, commandsPerClient: options.commandsPerClient, keys: options.keys });
  if (!Array.isArray(workload)) throw new ConfigError('workload', 'an array of { commands, startAtMs?, thinkMs?, firstServer? }', workload);
  workload.forEach((w, i) => {
    if (!w || !Array.isArray(w.commands)) throw new ConfigError(`workload[${i}].commands`, 'an array of commands', w?.commands);
    w.commands.forEach((c, j) => validateCommandSpec(c, `workload[${i}].commands[${j}]`));
    requireNumberInRange(`workload[${i}].startAtMs`, w.startAtMs ?? 0, 0, Infinity);
    requireNumberInRange(`workload[${i}].thinkMs`, w.thinkMs ?? 0, 0, Infinity);
    if (w.firstServer !== undefined && !servers.includes(w.firstServer)) throw new ConfigError(`workload[${i}].firstServer`, `one of the servers (${servers.join(', ')})`, w.firstServer);
  });
  const clients = names('c', workload.length);

  for (const id of servers) {
    sim.addNode(id, () => new MultiPaxosNode({ servers, rules, heartbeatMs, electionTimeoutMs, retryMs, skipPhase1: options.skipPhase1, campaignAtStart: id === options.firstLeader }));
  }
  clients.forEach((id, i) => {
    const w = workload[i];
    sim.addNode(id, () => new MultiPaxosClient({ servers, commands: w.commands, startAtMs: w.startAtMs, thinkMs: w.thinkMs, firstServer: w.firstServer, retryMs: clientRetryMs }));
  });
  if (options.faults) sim.schedule(options.faults);

  const server = (id: NodeId) => sim.node<MultiPaxosNode>(id)?.state ?? null;
  const clientsDone = () => clients.every((c) => sim.node<MultiPaxosClient>(c)?.done ?? false);
  const caughtUp = () => {
    let high = 0;
    for (const id of servers) {
      const s = server(id);
      if (s === null) return false;
      high = Math.max(high, s.decidedHigh);
    }
    return servers.every((id) => (server(id) as MultiPaxosNodeState).firstUndecided === high);
  };
  const requireTrace = () => {
    if (!sim.trace.record) throw new ConfigError('recordTrace', 'true for safety(), liveness() and summary()', false);
    return sim.trace.events;
  };
  const leader = () => {
    let best: MultiPaxosNodeState | null = null;
    let bestId: NodeId | null = null;
    for (const id of servers) {
      const s = server(id);
      if (s !== null && s.role === 'leader' && (best === null || compareBallots(s.ballot, best.ballot) > 0)) {
        best = s;
        bestId = id;
      }
    }
    return bestId;
  };
  const logs = () => {
    const out: Record<NodeId, PaxosValue[]> = {};
    for (const id of servers) {
      const s = server(id);
      out[id] = s === null ? [] : Array.from({ length: s.firstUndecided }, (_, slot) => s.decided[slot]);
    }
    return out;
  };
  return {
    sim,
    servers,
    clients,
    workload,
    run: (untilMs) => sim.run({ untilMs }),
    server,
    leader,
    clientsDone,
    caughtUp,
    runUntilSettled: (runOptions = {}) => {
      const maxTimeMs = runOptions.maxTimeMs ?? sim.now() + 5000;
      const settled = () => clientsDone() && caughtUp();
      sim.runUntil(() => settled() || sim.now() > maxTimeMs, { maxEvents: 10_000_000 });
      return settled();
    },
    safety: () => multiPaxosSafety(requireTrace(), { acceptors: servers }),
    liveness: () => multiPaxosLiveness(requireTrace(), servers),
    linearizable: () => checkKvHistory(sim.history),
    logs,
    summary: () => {
      const l = leader();
      let answered = 0;
      let total = 0;
      for (const c of clients) {
        const s = sim.node<MultiPaxosClient>(c)?.state;
        if (s === undefined) continue;
        answered += s.completed;
        total += s.completed + s.queue.length + (s.current === null ? 0 : 1);
      }
      const lengths = servers.map((id) => `${id} ${server(id)?.firstUndecided ?? 'down'}`).join(', ');
      return `leader ${l ?? 'none'}${l ? ` (ballot ${formatBallot(server(l)?.ballot ?? null)})` : ''}; logs ${lengths}; ${answered}/${total} commands answered`;
    },
  };
}

/** What `randomWorkload` draws from. Ranges are [low, high], in virtual milliseconds. */
export interface RandomWorkloadOptions {
  clients?: number;
  commandsPerClient?: number;
  keys?: string[];
  /** When each client starts, drawn uniformly. Default [0, 0]. */
  startAtMs?: [number, number];
  /** Each client's think time, drawn uniformly. Default [0, 0]. */
  thinkMs?: [number, number];
}

/**
 * A seeded workload: per client, put / append / get (1 : 2 : 1) on `keys`, with values unique
 * in the run ("c1.3": client c1's third command), so a history shows who wrote what.
 *
 * @example
 *   randomWorkload(new RandomStreams(1).stream('workload'), { clients: 2, commandsPerClient: 3 });
 *   // [{ commands: [{ op: 'append', key: 'y', value: 'c1.1' }, ...], startAtMs: 0, thinkMs: 0 }, ...]
 */
export function randomWorkload(rng: Random, options: RandomWorkloadOptions = {}): ClientWorkload[] {
  const clientCount = requireInteger('clients', options.clients ?? 2, 0);
  const perClient = requireInteger('commandsPerClient', options.commandsPerClient ?? 5, 0);
  const keys = options.keys ?? ['x', 'y'];
  if (!Array.isArray(keys) || keys.length === 0) throw new ConfigError('keys', 'a non-empty array of keys', keys);
  const [startLow, startHigh] = options.startAtMs ?? [0, 0];
  const [thinkLow, thinkHigh] = options.thinkMs ?? [0, 0];
  const ops: CommandSpec['op'][] = ['put', 'append', 'append', 'get'];
  return names('c', clientCount).map((client) => ({
    commands: Array.from({ length: perClient }, (_, i) => {
      const op = rng.pick(ops);
      const key = rng.pick(keys);
      return op === 'get' ? { op, key } : { op, key, value: `${client}.${i + 1}` };
    }),
    startAtMs: Math.round(rng.uniform(startLow, startHigh)),
    thinkMs: Math.round(rng.uniform(thinkLow, thinkHigh)),
  }));
}

function names(prefix: string, count: number): NodeId[] {
  return Array.from({ length: count }, (_, i) => `${prefix}${i + 1}`);
}
