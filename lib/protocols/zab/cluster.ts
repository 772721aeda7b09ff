import { LinearizabilityResult, checkKvHistory } from '../../checkers/linearizability';
import { ZabCheckResult, ZabProperty, checkZabSafety, zabDeliveredEverywhere, zabSafetyReport } from '../../checkers/zab';
import { ConfigError, HistoryEntry, NodeId, requireInteger } from '../../core';
import { FaultStep, NetworkOptions, Simulator } from '../../sim';
import { ZabClient, ZabClientOptions } from './client';
import { ZabOperation, formatZxid } from './messages';
import { ZabNode } from './node';
import { ZabNodeOptions } from './state';

/** Options of a ZAB ensemble. Only `seed` is required; times are virtual milliseconds. */
export interface ZabClusterOptions extends Omit<ZabNodeOptions, 'servers'> {
  seed: number | string;
  /** How many servers (n1..nN). Default 3. */
  servers?: number;
  /** How many clients (c1..cK). Default 0. */
  clients?: number;
  /** Options for every client (servers are filled in). Default: no random operations (SUBMIT only). */
  clientOptions?: Omit<ZabClientOptions, 'servers'>;
  /** The network; `fifo: true` is the default here, since ZAB assumes FIFO channels (TCP). */
  network?: Partial<NetworkOptions>;
  faults?: FaultStep[];
  recordTrace?: boolean;
  hashTrace?: boolean;
}

/** A simulator with ZAB servers (and maybe clients) added, and what a notebook or a test needs to run and judge it. */
export interface ZabCluster {
  sim: Simulator;
  servers: NodeId[];
  clients: NodeId[];
  /** The live server object (null while it is down). */
  node(id: NodeId): ZabNode | null;
  /** The established leader of the highest epoch among live servers, or null. */
  leader(): NodeId | null;
  run(untilMs: number): void;
  /** Runs until `predicate` holds or `maxTimeMs` (default now + 5 s) passes; returns whether it holds. */
  runUntil(predicate: () => boolean, maxTimeMs?: number): boolean;
  /** Runs until some live server is an established leader; returns it, or null. */
  runUntilLeader(maxTimeMs?: number): NodeId | null;
  /** Tells client `client` to run `operation` (queued behind its current one), sent first to `server` if given. */
  submit(client: NodeId, operation: ZabOperation, server?: NodeId): void;
  /** Every client has nothing in flight and nothing left to run. */
  clientsIdle(): boolean;
  /** Every server is up, in BROADCAST, and delivered as many transactions as the one that delivered most. */
  caughtUp(): boolean;
  /** ZAB's six safety properties over the trace (lib/checkers/zab.ts), first violation. */
  safety(): ZabCheckResult;
  safetyReport(): Record<ZabProperty, ZabCheckResult>;
  /** After recovery: every server delivered every transaction any server delivered. */
  deliveredEverywhere(): ZabCheckResult;
  /**
   * The clients' history against a linearizable key-value store: writes and sync reads; with
   * `{ localReads: true }` the local reads too (which ZooKeeper does not promise to be linearizable).
   */
  linearizability(options?: { localReads?: boolean }): LinearizabilityResult;
  /** The client history without (or with) the local reads. */
  history(options?: { localReads?: boolean }): HistoryEntry[];
  /** One line per server: phase, role, epochs, last zxid, delivered count. */
  summary(): string;
}

/**
 * Builds a ZAB ensemble (ZooKeeper's servers running Zab) on a seeded simulator with FIFO
 * links: servers n1..nN, and clients c1..cK if asked. Same seed, same trace.
 *
 * @example
 *   const c = zabCluster({ seed: 1, servers: 3, clients: 2, clientOptions: { operations: 20 } });
 *   c.runUntil(() => c.clientsIdle());
 *   c.safety();           // { ok: true }
 *   c.linearizability();  // { ok: true, ... }
 */
export function zabCluster(options: ZabClusterOptions): ZabCluster {
  if (!options || typeof options !== 'object') throw new ConfigError('options', 'an object with at least a seed', options);
  const count = requireInteger('servers', options.servers ?? 3, 1);
  const clientCount = requireInteger('clients', options.clients ?? 0, 0);
  const servers = Array.from({ length: count }, (_, i) => `n${i + 1}`);
  const clients = Array.from({ length: clientCount }, (_, i) => `c${i + 1}`);
  const { seed, network, faults, recordTrace, hashTrace, clientOptions, clients: _c, servers: _s, ...nodeOptions } = options;
  const sim = new Simulator({ seed, network: { fifo: true, ...network }, recordTrace, hashTrace });
  const made: ZabNodeOptions = { ...nodeOptions, servers };
  new ZabNode(made); // validates the options once, before any node starts
  for (const id of servers) sim.addNode(id, () => new ZabNode(made));
  for (const id of clients) sim.addNode(id, () => new ZabClient({ ...clientOptions, servers }));
  if (faults) sim.schedule(faults);

  const node = (id: NodeId) => sim.node<ZabNode>(id);
  const leader = () => {
    let best: NodeId | null = null;
    for (const id of servers) {
      const n = node(id);
      if (n && n.isEstablishedLeader() && (best === null || n.state.currentEpoch > (node(best) as ZabNode).state.currentEpoch)) best = id;
    }
    return best;
  };
  const requireTrace = () => {
    if (!sim.trace.record) throw new ConfigError('recordTrace', 'true for safety() and deliveredEverywhere()', false);
    return sim.trace.events;
  };
  // Past maxTimeMs: stop there (the clock moves to it; never jump to a far-away event).
  const runUntil = (predicate: () => boolean, maxTimeMs = sim.now() + 5000) => sim.runUntil(predicate, { maxEvents: 20_000_000, maxTimeMs, atTimeLimit: 'stop' });
  const history = (o: { localReads?: boolean } = {}) => {
    if (o.localReads) return sim.history.slice();
    const local = new Set(sim.history.filter((h) => h.type === 'invoke' && (h.value as { local?: boolean } | null)?.local === true).map((h) => h.opId));
    return sim.history.filter((h) => !local.has(h.opId));
  };
  const caughtUp = () => {
    let most = 0;
    for (const id of servers) {
      const n = node(id);
      if (!n || n.phase !== 'BROADCAST') return false;
      most = Math.max(most, n.state.committed);
    }
    return servers.every((id) => (node(id) as ZabNode).state.committed === most);
  };
  return {
    sim,
    servers,
    clients,
    node,
    leader,
    run: (untilMs) => sim.run({ untilMs }),
    runUntil,
    runUntilLeader: (maxTimeMs) => (runUntil(() => leader() !== null, maxTimeMs) ? leader() : null),
    submit: (client, operation, server) => sim.inject(client, server === undefined ? { type: 'SUBMIT', operation } : { type: 'SUBMIT', operation, server }),
    clientsIdle: () => clients.every((id) => sim.node<ZabClient>(id)?.idle ?? true),
    caughtUp,
    safety: () => checkZabSafety(requireTrace()),
    safetyReport: () => zabSafetyReport(requireTrace()),
    deliveredEverywhere: () => zabDeliveredEverywhere(requireTrace(), servers),
    linearizability: (o = {}) => checkKvHistory(history(o)),
    history,
    summary: () =>
      servers
        .map((id) => {
          const n = node(id);
          if (!n) return `${id}: down`;
          const s = n.state;
          const who = s.role === 'leading' ? 'leading' : s.role === 'following' ? `following ${s.leader}` : 'looking';
          return `${id}: ${s.phase}, ${who}, acceptedEpoch ${s.acceptedEpoch}, currentEpoch ${s.currentEpoch}, last ${formatZxid(n.lastZxid)}, delivered ${s.committed}`;
        })
        .join('\n'),
  };
}
