import { ConfigError, NodeId, requireInteger, requireNumberInRange } from '../../core';
import { FaultStep, NetworkOptions, Simulator } from '../../sim';
import { MergeRules, Reconciliation } from './merge';
import { AntiEntropyMode } from './messages';
import { GossipNode, GossipOptions } from './node';
import { Database, compareStamps, newestVersion, sameSiblings } from './versions';

/** Options of a gossip cluster. Only `seed` and `n` are required; times are virtual ms. */
export interface GossipClusterOptions {
  seed: number | string;
  /** How many nodes (n1..nN). */
  n: number;
  /** One gossip cycle. Default 10 ms. */
  roundMs?: number;
  directMail?: GossipOptions['directMail'];
  antiEntropy?: { mode: AntiEntropyMode };
  rumor?: GossipOptions['rumor'];
  reconciliation?: Reconciliation;
  rules?: Partial<MergeRules>;
  /**
   * The network. Default: a constant 1 ms, nothing lost: with latency under roundMs / 3 every
   * exchange ends inside its round, the synchronous model of the paper's analysis (and of
   * `gossipRounds`).
   */
  network?: Partial<NetworkOptions>;
  faults?: FaultStep[];
  /** Keep the trace. Default: true up to 200 nodes, false above (a trace of 100,000 nodes is large). */
  recordTrace?: boolean;
}

const knownOptions = ['seed', 'n', 'roundMs', 'directMail', 'antiEntropy', 'rumor', 'reconciliation', 'rules', 'network', 'faults', 'recordTrace'];

/** How one update spread: who knew it after each round, and what it cost. */
export interface SpreadResult {
  /** The first round after which every node that is up knew the update (null: not within the limit). */
  roundsToAll: number | null;
  /** Nodes that knew it after round r (index 0: before the first round). */
  informedByRound: number[];
  /** Messages sent by all nodes until the end of the run (or until everyone knew, for anti-entropy). */
  messages: number;
  /** Share of nodes that never learned it (rumor mongering's residue, Demers §1.4). */
  residue: number;
}

/** A simulator with gossip nodes, and what a notebook or test needs to run and judge it. */
export interface GossipCluster {
  sim: Simulator;
  nodes: NodeId[];
  roundMs: number;
  /** Injects an update at `node` (now, or at `atMs`). */
  write(node: NodeId, key: string, value: string, atMs?: number): void;
  /** True when `node` is up and holds a version of `key` at least as new as `value`'s (any version, without `value`). */
  knows(node: NodeId, key: string, value?: string): boolean;
  /** How many nodes that are up know the update (see `knows`). */
  informed(key: string, value?: string): number;
  /** Runs to the end of round `round` (just before round + 1 starts). */
  runThroughRound(round: number): void;
  /**
   * Injects one update at n1 before round 1 and runs round by round until every node knows
   * it and (for rumor mongering) nobody is still spreading it, or `maxRounds`.
   */
  spread(options?: { key?: string; maxRounds?: number }): SpreadResult;
  /** Messages sent so far, over all nodes (counters are volatile: a crash resets a node's). */
  messages(): number;
  /** Updates thrown away by full direct-mail queues so far. */
  mailLost(): number;
  /** True when every node that is up holds the same versions of every key. */
  agree(): boolean;
  /** A node's database (null while it is down). */
  database(node: NodeId): Database | null;
  /** Nodes that still have hot rumors. */
  spreading(): number;
}

/**
 * Builds a gossip cluster (Demers et al. 1987) of n nodes on a seeded simulator. Same seed,
 * same run.
 *
 * @example
 *   const c = gossipCluster({ seed: 1, n: 1000, rumor: { k: 2 } });
 *   const r = c.spread();
 *   r.residue; // about 0.04 (Demers Table 1: 0.037 for k = 2)
 */
export function gossipCluster(options: GossipClusterOptions): GossipCluster {
  if (!options || typeof options !== 'object') throw new ConfigError('options', 'an object with a seed and n', options);
  for (const key of Object.keys(options)) {
    if (!knownOptions.includes(key)) throw new ConfigError(key, `one of the gossip cluster options (${knownOptions.join(', ')})`, key);
  }
  const n = requireInteger('n', options.n, 2);
  const roundMs = requireNumberInRange('roundMs', options.roundMs ?? 10, 0.001, Infinity);
  if (!options.directMail && !options.antiEntropy && !options.rumor) {
    throw new ConfigError('mechanisms', 'at least one of directMail, antiEntropy, rumor', 'none');
  }
  const nodes = Array.from({ length: n }, (_, i) => `n${i + 1}`);
  const sim = new Simulator({
    seed: options.seed,
    network: { latency: { kind: 'constant', ms: 1 }, ...options.network },
    recordTrace: options.recordTrace ?? n <= 200,
  });
  nodes.forEach((id, index) => {
    const nodeOptions: GossipOptions = {
      peers: nodes,
      index,
      roundMs,
      directMail: options.directMail,
      antiEntropy: options.antiEntropy,
      rumor: options.rumor,
      reconciliation: options.reconciliation,
      rules: options.rules,
    };
    sim.addNode(id, () => new GossipNode(nodeOptions));
  });
  if (options.faults) sim.schedule(options.faults);

  const node = (id: NodeId) => sim.node<GossipNode>(id);
  const knows = (id: NodeId, key: string, value?: string) => {
    const versions = node(id)?.state.db[key];
    if (!versions || versions.length === 0) return false;
    if (value === undefined) return true;
    const target = newestAnywhere(key, value);
    return target === null || versions.some((v) => compareStamps(v, target) >= 0);
  };
  const newestAnywhere = (key: string, value: string) => {
    for (const id of nodes) {
      const v = node(id)?.state.db[key]?.find((x) => x.value === value);
      if (v) return v;
    }
    return null;
  };
  const informed = (key: string, value?: string) => nodes.filter((id) => knows(id, key, value)).length;
  const runThroughRound = (round: number) => sim.run({ untilMs: (round + 1) * roundMs - roundMs / 1000 });
  const sum = (f: (g: GossipNode) => number) => nodes.reduce((s, id) => s + (node(id) ? f(node(id) as GossipNode) : 0), 0);
  const spreading = () => sum((g) => (Object.keys(g.state.hot).length > 0 ? 1 : 0));

  return {
    sim,
    nodes,
    roundMs,
    write: (id, key, value, atMs) => {
      const at = atMs ?? sim.now();
      sim.at(at, () => sim.inject(id, { type: 'ClientWrite', key, value }), `write ${key} at ${id}`);
    },
    knows,
    informed,
    runThroughRound,
    spread: (spreadOptions = {}) => {
      const key = spreadOptions.key ?? 'u';
      const maxRounds = requireInteger('maxRounds', spreadOptions.maxRounds ?? 200, 1);
      const startRound = Math.floor(sim.now() / roundMs + 1e-9);
      sim.at(sim.now(), () => sim.inject(nodes[0], { type: 'ClientWrite', key, value: key }), `write ${key}`);
      sim.run({ untilMs: sim.now() });
      const informedByRound = [informed(key)];
      let roundsToAll: number | null = null;
      for (let r = 1; r <= maxRounds; r++) {
        runThroughRound(startRound + r);
        const count = informed(key);
        informedByRound.push(count);
        const upCount = nodes.filter((id) => sim.isUp(id)).length;
        if (roundsToAll === null && count === upCount) roundsToAll = r;
        // anti-entropy never stops, so stop when everyone knows; rumors and mail stop by themselves
        if (options.antiEntropy ? roundsToAll !== null : spreading() === 0 && sim.pending === 0) break;
      }
      const last = informedByRound[informedByRound.length - 1];
      return { roundsToAll, informedByRound, messages: sum((g) => g.state.sent), residue: (n - last) / n };
    },
    messages: () => sum((g) => g.state.sent),
    mailLost: () => sum((g) => g.state.mailLost),
    agree: () => {
      const up = nodes.filter((id) => sim.isUp(id)).map((id) => (node(id) as GossipNode).state.db);
      return up.every((db) => sameDatabase(db, up[0]));
    },
    database: (id) => node(id)?.state.db ?? null,
    spreading,
  };
}

/** True when two databases hold the same versions for every key. */
export function sameDatabase(a: Database, b: Database): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const key of keys) if (!sameSiblings(a[key] ?? [], b[key] ?? [])) return false;
  return true;
}
