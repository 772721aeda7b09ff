import { LinearizabilityResult } from '../../checkers/linearizability/check';
import { checkKvHistory } from '../../checkers/linearizability/history';
import { ConfigError, NodeId, requireInteger, requireNumberInRange } from '../../core';
import { FaultStep, NetworkOptions, Simulator } from '../../sim';
import { HashRing } from '../hashring/ring';
import { RingRules } from '../hashring/rules';
import { OperationRecord, QuorumClient } from './client';
import { QuorumCheckResult, readsLatestWrite } from './checks';
import { QuorumSize, ResolvedQuorum, validateNWR } from './config';
import { ReadRepairMode, StoreNode } from './node';
import { QuorumRules } from './rules';
import { VersionedValue, compareVersions } from './versions';

/** Options of a quorum store cluster. Only `seed` is required; times are virtual milliseconds. */
export interface QuorumClusterOptions {
  seed: number | string;
  /** How many store nodes (n1..nK), or their ids. Default 5. */
  nodes?: number | NodeId[];
  /** Replicas per key. Default 3. */
  N?: number;
  /** Default write and read quorums (numbers or levels). Default 'QUORUM' both. */
  W?: QuorumSize;
  R?: QuorumSize;
  /** Virtual nodes per store node on the ring. Default 8. */
  virtualNodes?: number;
  /** Sloppy quorum with hinted handoff (Dynamo §4.6). Default false. */
  sloppy?: boolean;
  /** Read repair: 'none', 'async' (default) or 'blocking'. */
  readRepair?: ReadRepairMode;
  /** Anti-entropy period (0, the default: off). */
  antiEntropyIntervalMs?: number;
  /** Coordinator round timeout. Default 30. */
  requestTimeoutMs?: number;
  /** Hinted handoff retry period. Default 50. */
  hintRetryMs?: number;
  /** How many clients (c1..cK). Default 2. */
  clients?: number;
  /** A client gives up on an operation after this long. Default 1000. */
  clientTimeoutMs?: number;
  network?: Partial<NetworkOptions>;
  faults?: FaultStep[];
  /** The read rules (a learner's `resolveRead` and `repairTargets`). */
  rules?: Partial<QuorumRules>;
  /** The ring rules (a learner's `successorIndex` and `preferenceList`). */
  ringRules?: Partial<RingRules>;
  recordTrace?: boolean;
  hashTrace?: boolean;
}

const knownOptions = [
  'seed', 'nodes', 'N', 'W', 'R', 'virtualNodes', 'sloppy', 'readRepair', 'antiEntropyIntervalMs', 'requestTimeoutMs', 'hintRetryMs',
  'clients', 'clientTimeoutMs', 'network', 'faults', 'rules', 'ringRules', 'recordTrace', 'hashTrace',
];

/** Where and when to run one operation. */
export interface OperationOptions {
  /** When to submit it (absolute virtual time; default now). The client runs its operations one at a time, in order. */
  atMs?: number;
  /** Which client (default c1). */
  client?: NodeId;
  /** The coordinator (default: the key's first home replica, as in Dynamo). */
  via?: NodeId;
  /** W for a put, R for a get (default: the cluster's). */
  level?: QuorumSize;
}

/** A simulator with store nodes and clients added, and what a notebook or a test needs. */
export interface QuorumCluster {
  sim: Simulator;
  nodes: NodeId[];
  clients: NodeId[];
  ring: HashRing;
  config: { N: number; W: ResolvedQuorum; R: ResolvedQuorum };
  put(key: string, value: string, options?: OperationOptions): void;
  get(key: string, options?: OperationOptions): void;
  run(untilMs: number): void;
  /** Runs until every client has finished its operations, or past `maxTimeMs` (default now + 10 s); returns whether they finished. */
  runUntilDone(options?: { maxTimeMs?: number }): boolean;
  /** Every client operation so far, in invocation order. */
  operations(): OperationRecord[];
  /** The key's home replicas (its first N distinct nodes on the ring). */
  homes(key: string): NodeId[];
  /** What each home replica holds for `key` ('down' for a crashed node). */
  replicaRecords(key: string): Record<NodeId, VersionedValue | null | 'down'>;
  /** Keys whose live home replicas do not all hold the newest version any replica holds. */
  divergentKeys(): string[];
  /** Every get that began after a put completed returned that put's version or newer. */
  readsLatest(): QuorumCheckResult;
  /** The linearizability checker on the simulator's history (a key-value model, key by key). */
  linearizable(): LinearizabilityResult;
  /** Hints held across the cluster (hinted handoff not yet done). */
  pendingHints(): number;
}

/**
 * Builds a Dynamo-style quorum store (DeCandia et al., SOSP 2007): store nodes n1..nK placed
 * on a consistent-hashing ring with virtual nodes, N replicas per key, W and R quorums, and
 * clients c1..cM, on a seeded simulator. Same seed, same trace.
 *
 * @example
 *   const c = quorumCluster({ seed: 1, N: 3, W: 2, R: 2 });
 *   c.put('x', 'a');
 *   c.get('x', { client: 'c2', atMs: 20 });
 *   c.runUntilDone();
 *   c.operations().map((o) => `${o.f} ${o.value}`); // ['put a', 'get a']
 *   c.readsLatest(); // { ok: true }
 */
export function quorumCluster(options: QuorumClusterOptions): QuorumCluster {
  if (!options || typeof options !== 'object') throw new ConfigError('options', 'an object with at least a seed', options);
  for (const key of Object.keys(options)) {
    if (!knownOptions.includes(key)) throw new ConfigError(key, `one of the cluster options (${knownOptions.join(', ')})`, key);
  }
  const nodes = Array.isArray(options.nodes) ? options.nodes.slice() : names('n', requireInteger('nodes', options.nodes ?? 5, 1));
  const config = validateNWR({ N: options.N ?? 3, W: options.W ?? 'QUORUM', R: options.R ?? 'QUORUM' }, nodes.length);
  const readRepair = options.readRepair ?? 'async';
  if (!['none', 'async', 'blocking'].includes(readRepair)) throw new ConfigError('readRepair', "'none', 'async' or 'blocking'", readRepair);
  const ring = new HashRing(nodes, { virtualNodes: requireInteger('virtualNodes', options.virtualNodes ?? 8, 1), rules: options.ringRules });
  const clients = names('c', requireInteger('clients', options.clients ?? 2, 1));
  const storeOptions = {
    ring,
    N: config.N,
    W: options.W ?? 'QUORUM',
    R: options.R ?? 'QUORUM',
    sloppy: options.sloppy ?? false,
    readRepair,
    requestTimeoutMs: requireNumberInRange('requestTimeoutMs', options.requestTimeoutMs ?? 30, 0.001, Infinity),
    hintRetryMs: requireNumberInRange('hintRetryMs', options.hintRetryMs ?? 50, 0.001, Infinity),
    antiEntropyIntervalMs: requireNumberInRange('antiEntropyIntervalMs', options.antiEntropyIntervalMs ?? 0, 0, Infinity),
    rules: options.rules,
  };
  const clientTimeoutMs = requireNumberInRange('clientTimeoutMs', options.clientTimeoutMs ?? 1000, 0.001, Infinity);
  const sim = new Simulator({ seed: options.seed, network: options.network, recordTrace: options.recordTrace, hashTrace: options.hashTrace });
  for (const node of nodes) sim.addNode(node, () => new StoreNode(storeOptions));
  for (const client of clients) sim.addNode(client, () => new QuorumClient({ timeoutMs: clientTimeoutMs }));
  if (options.faults) sim.schedule(options.faults);
  sim.run({ untilMs: 0 }); // start the nodes, so that a test or a notebook can crash one right away

  let scheduled = 0; // submissions scheduled for later
  let submitted = 0; // submissions made (a client logs each when it starts it)
  const homes = (key: string) => ring.preferenceList(key, config.N);
  const submit = (f: 'put' | 'get', key: string, value: string | undefined, o: OperationOptions = {}) => {
    const client = o.client ?? clients[0];
    if (!clients.includes(client)) throw new ConfigError('client', `one of the clients (${clients.join(', ')})`, client);
    const via = o.via ?? homes(key)[0];
    if (!nodes.includes(via)) throw new ConfigError('via', `one of the store nodes (${nodes.join(', ')})`, via);
    const op = { f, key, via, ...(value === undefined ? {} : { value }), ...(o.level === undefined ? {} : { level: o.level }) };
    submitted++;
    const send = () => sim.inject(client, { type: 'Submit', op });
    if (o.atMs === undefined || o.atMs <= sim.now()) return send();
    scheduled++;
    sim.at(o.atMs, () => {
      scheduled--;
      send();
    }, `submit ${f} ${key}`);
  };
  const clientState = (c: NodeId) => sim.node<QuorumClient>(c)?.state;
  const operations = () => {
    const invoked = new Map<number, number>();
    const completed = new Map<number, number>();
    sim.history.forEach((h, index) => (h.type === 'invoke' ? invoked : completed).set(h.opId, index));
    return clients
      .flatMap((c) => clientState(c)?.log ?? [])
      .map((o) => ({ ...o, invokedIndex: invoked.get(o.opId), completedIndex: completed.get(o.opId) }))
      .sort((a, b) => a.opId - b.opId);
  };
  const started = () => clients.reduce((sum, c) => sum + (clientState(c)?.log.length ?? 0), 0);
  const busy = () => scheduled > 0 || started() < submitted || clients.some((c) => {
    const s = clientState(c);
    return s !== undefined && (s.current !== null || s.queue.length > 0);
  });
  const replicaRecords = (key: string) => {
    const out: Record<NodeId, VersionedValue | null | 'down'> = {};
    for (const home of homes(key)) out[home] = sim.isUp(home) ? sim.node<StoreNode>(home)?.state.data[key] ?? null : 'down';
    return out;
  };
  return {
    sim,
    nodes,
    clients,
    ring,
    config,
    put: (key, value, o) => {
      if (typeof value !== 'string' || value === '') throw new ConfigError('value', "a non-empty string ('' is what a get of a missing key returns)", value);
      submit('put', key, value, o);
    },
    get: (key, o) => submit('get', key, undefined, o),
    run: (untilMs) => sim.run({ untilMs }),
    runUntilDone: (o = {}) => {
      const maxTimeMs = o.maxTimeMs ?? sim.now() + 10_000;
      sim.runUntil(() => !busy() || sim.now() >= maxTimeMs, { maxEvents: 10_000_000 });
      return !busy();
    },
    operations,
    homes,
    replicaRecords,
    divergentKeys: () => {
      const keys = new Set<string>();
      for (const node of nodes) for (const key of Object.keys(sim.node<StoreNode>(node)?.state.data ?? {})) keys.add(key);
      return [...keys].sort().filter((key) => {
        const records = Object.values(replicaRecords(key)).filter((r) => r !== 'down') as (VersionedValue | null)[];
        const newest = records.reduce<VersionedValue | null>((best, r) => (r && (!best || compareVersions(r.version, best.version) > 0) ? r : best), null);
        return records.some((r) => compareVersions(r?.version, newest?.version) !== 0);
      });
    },
    readsLatest: () => readsLatestWrite(operations()),
    linearizable: () => checkKvHistory(sim.history),
    pendingHints: () => nodes.reduce((sum, n) => sum + (sim.node<StoreNode>(n)?.state.hints.length ?? 0), 0),
  };
}

function names(prefix: string, count: number): NodeId[] {
  return Array.from({ length: count }, (_, i) => `${prefix}${i + 1}`);
}
