import { RaftCheckResult, checkRaftSafety, raftSafetyReport, RaftProperty } from '../../checkers/raft';
import { LinearizabilityResult, checkKvHistory } from '../../checkers/linearizability';
import { ConfigError, NodeId, requireInteger } from '../../core';
import { FaultStep, NetworkOptions, Simulator } from '../../sim';
import { KvClient, KvClientOptions, kvStateMachine } from './kv';
import { lastLogIndex } from './log';
import { RaftNode, RaftNodeOptions } from './node';

/** Options of a Raft cluster. Only `seed` is required; times are virtual milliseconds. */
export interface RaftClusterOptions extends Omit<RaftNodeOptions, 'servers'> {
  seed: number | string;
  /** How many servers in the bootstrap configuration (n1..nN). Default 3. */
  servers?: number;
  /** Extra servers started outside the configuration (n(N+1)..), for membership changes. Default 0. */
  spares?: number;
  network?: Partial<NetworkOptions>;
  faults?: FaultStep[];
  /**
   * Key-value clients (c1..cK) running random gets, puts and appends; the servers then run the
   * key-value state machine (kvStateMachine). Default 0.
   */
  kvClients?: number;
  /** Options for every client (servers are filled in). */
  kvClientOptions?: Omit<KvClientOptions, 'servers'>;
  recordTrace?: boolean;
  hashTrace?: boolean;
}

/** A simulator with Raft servers (and maybe clients) added, and what a notebook or a test needs to run and judge it. */
export interface RaftCluster {
  sim: Simulator;
  /** Every server, spares included. */
  servers: NodeId[];
  /** The bootstrap configuration. */
  voters: NodeId[];
  clients: NodeId[];
  /** The live server object (null while it is down). */
  node(id: NodeId): RaftNode | null;
  /** Live servers that believe they lead, with their terms. */
  leaders(): { id: NodeId; term: number }[];
  /** The live leader of the highest term, or null. */
  leader(): NodeId | null;
  run(untilMs: number): void;
  /** Runs until `predicate` holds or `maxTimeMs` (default now + 5 s) passes; returns whether it holds. */
  runUntil(predicate: () => boolean, maxTimeMs?: number): boolean;
  /** Runs until some live server leads; returns it, or null if none did before `maxTimeMs`. */
  runUntilLeader(maxTimeMs?: number): NodeId | null;
  /** Tells `id` to start an election now (TimeoutNow, dissertation §3.10). */
  campaign(id: NodeId): void;
  /** Asks `id` to append `command` if it leads (6.824's Start). */
  start(id: NodeId, command: unknown): void;
  /** Asks `leader` to add or remove one server (dissertation §4.1). */
  changeConfig(leader: NodeId, action: 'add' | 'remove', server: NodeId): void;
  /** Figure 3's five properties over the trace (see lib/checkers/raft.ts). */
  safety(): RaftCheckResult;
  safetyReport(): Record<RaftProperty, RaftCheckResult>;
  /** The clients' history against a linearizable key-value store. */
  linearizability(): LinearizabilityResult;
  /** One line per server: role, term, log length, commit index. */
  summary(): string;
}

/**
 * Builds a Raft cluster (Ongaro & Ousterhout 2014) on a seeded simulator: servers n1..nN in
 * the bootstrap configuration, spares outside it, and key-value clients if asked. Same seed,
 * same trace.
 *
 * @example
 *   const c = raftCluster({ seed: 1, servers: 5 });
 *   c.runUntilLeader(); // 'n3' (say)
 *   c.safety();         // { ok: true }
 */
export function raftCluster(options: RaftClusterOptions): RaftCluster {
  if (!options || typeof options !== 'object') throw new ConfigError('options', 'an object with at least a seed', options);
  const count = requireInteger('servers', options.servers ?? 3, 1);
  const spares = requireInteger('spares', options.spares ?? 0, 0);
  const clientCount = requireInteger('kvClients', options.kvClients ?? 0, 0);
  const voters = Array.from({ length: count }, (_, i) => `n${i + 1}`);
  const servers = Array.from({ length: count + spares }, (_, i) => `n${i + 1}`);
  const clients = Array.from({ length: clientCount }, (_, i) => `c${i + 1}`);
  const { seed, network, faults, recordTrace, hashTrace, kvClientOptions, kvClients: _k, spares: _s, servers: _n, ...nodeOptions } = options;
  const stateMachine = nodeOptions.stateMachine ?? (clientCount > 0 ? kvStateMachine : undefined);
  const sim = new Simulator({ seed, network, recordTrace, hashTrace });
  const made: RaftNodeOptions = { ...nodeOptions, stateMachine, servers: voters };
  new RaftNode(made); // validates the options once, before any node starts
  for (const id of servers) sim.addNode(id, () => new RaftNode(made));
  for (const id of clients) sim.addNode(id, () => new KvClient({ ...kvClientOptions, servers: voters }));
  if (faults) sim.schedule(faults);

  const node = (id: NodeId) => sim.node<RaftNode>(id);
  const leaders = () => servers.flatMap((id) => {
    const n = node(id);
    return n && n.isLeader() ? [{ id, term: n.currentTerm }] : [];
  });
  const leader = () => {
    const all = leaders().sort((a, b) => b.term - a.term);
    return all.length > 0 ? all[0].id : null;
  };
  const requireTrace = () => {
    if (!sim.trace.record) throw new ConfigError('recordTrace', 'true for safety() and summary()', false);
    return sim.trace.events;
  };
  // Past maxTimeMs: stop there (the clock moves to it; never jump to a far-away event).
  const runUntil = (predicate: () => boolean, maxTimeMs = sim.now() + 5000) => sim.runUntil(predicate, { maxEvents: 20_000_000, maxTimeMs, atTimeLimit: 'stop' });
  return {
    sim,
    servers,
    voters,
    clients,
    node,
    leaders,
    leader,
    run: (untilMs) => sim.run({ untilMs }),
    runUntil,
    runUntilLeader: (maxTimeMs) => (runUntil(() => leader() !== null, maxTimeMs) ? leader() : null),
    campaign: (id) => sim.inject(id, { type: 'TimeoutNow' }),
    start: (id, command) => sim.inject(id, { type: 'Start', command }),
    changeConfig: (leaderId, action, server) => sim.inject(leaderId, { type: 'ChangeConfig', action, server }),
    safety: () => checkRaftSafety(requireTrace()),
    safetyReport: () => raftSafetyReport(requireTrace()),
    linearizability: () => checkKvHistory(sim.history),
    summary: () =>
      servers
        .map((id) => {
          const n = node(id);
          if (!n) return `${id}: down`;
          const s = n.state;
          return `${id}: ${s.role} of term ${s.currentTerm}, log ${lastLogIndex(s.log)} (snapshot ${s.log.snapshotIndex}), commit ${s.commitIndex}, config [${s.config.servers.join(' ')}]`;
        })
        .join('\n'),
  };
}
