import { ConfigError, NodeId, requireInteger, requireNumberInRange } from '../../core';
import { NetworkOptions, Simulator } from '../../sim';
import { Block, PowRules, RetargetOptions, chainWork, resolvePowRules, validateRetarget } from './chain';
import { Miner, chainTo } from './miner';

/** Options of a proof-of-work network. Only `seed` is required; times are virtual ms. */
export interface PowClusterOptions {
  seed: number | string;
  /** Hash rate of each miner (m1..mN), hashes per ms (simulated). Default five miners at 1. */
  hashRatePerMs?: number[];
  /** The block interval aimed at. Default 1000 ms. */
  targetIntervalMs?: number;
  /** Initial difficulty in bits. Default log2(targetIntervalMs * total hash rate): on target. */
  initialBits?: number;
  /** Retarget every N blocks (0: never). Default 0. */
  retargetEvery?: number;
  /** Clamp of one retarget. Default 4. */
  maxFactor?: number;
  network?: Partial<NetworkOptions>;
  /** Hash-rate changes: at `atMs`, miner `miner` hashes at `hashRatePerMs`. */
  hashRateChanges?: { atMs: number; miner: NodeId; hashRatePerMs: number }[];
  /** A partition script: at `atMs` split into `groups`, and heal at `healAtMs`. */
  partition?: { atMs: number; healAtMs: number; groups: NodeId[][] };
  rules?: Partial<PowRules>;
  recordTrace?: boolean;
}

const knownOptions = ['seed', 'hashRatePerMs', 'targetIntervalMs', 'initialBits', 'retargetEvery', 'maxFactor', 'network', 'hashRateChanges', 'partition', 'rules', 'recordTrace'];

/** Statistics of a run, from the blocks every miner knows. */
export interface PowStats {
  /** Blocks found, in all. */
  blocksMined: number;
  /** Height of the chain m1 follows, and its work. */
  mainHeight: number;
  mainWork: number;
  /** Blocks found that are not on m1's chain, and their share of all blocks (the stale rate). */
  staleBlocks: number;
  staleRate: number;
  /** Reorganisations summed over the miners, and the deepest. */
  reorgs: number;
  maxReorgDepth: number;
  /** Do all miners follow the same tip? */
  agreed: boolean;
  /** Mean interval between main-chain blocks, ms. */
  meanIntervalMs: number;
}

/** A simulator with miners, and what a notebook or a test needs to run and judge it. */
export interface PowCluster {
  sim: Simulator;
  miners: NodeId[];
  retarget: RetargetOptions;
  run(untilMs: number): void;
  /** Stops all mining, then lets every block in flight arrive (and missing ones be fetched). */
  drain(extraMs?: number): void;
  miner(id: NodeId): Miner;
  /** The chain miner `id` follows (default m1). */
  chain(id?: NodeId): Block[];
  stats(): PowStats;
  summary(): string;
}

/**
 * Builds a Nakamoto-consensus network (Nakamoto 2008 §5): miners m1..mN, each broadcasting
 * its blocks to all the others over the simulated network, fork choice by most work,
 * difficulty retargeting every `retargetEvery` blocks. Same seed, same run.
 *
 * @example
 *   const c = powCluster({ seed: 1, hashRatePerMs: [1, 1, 1], network: { latency: { kind: 'constant', ms: 100 } } });
 *   c.run(60_000);
 *   c.drain();
 *   c.stats(); // { blocksMined: ~60, staleRate: ~0.07, agreed: true, ... }
 */
export function powCluster(options: PowClusterOptions): PowCluster {
  if (!options || typeof options !== 'object') throw new ConfigError('options', 'an object with at least a seed', options);
  for (const key of Object.keys(options)) {
    if (!knownOptions.includes(key)) throw new ConfigError(key, `one of the cluster options (${knownOptions.join(', ')})`, key);
  }
  const rates = options.hashRatePerMs ?? [1, 1, 1, 1, 1];
  if (!Array.isArray(rates) || rates.length === 0) throw new ConfigError('hashRatePerMs', 'a non-empty array of hash rates, one per miner', rates);
  rates.forEach((r, i) => requireNumberInRange(`hashRatePerMs[${i}]`, r, 0, Infinity));
  const total = rates.reduce((s, r) => s + r, 0);
  if (!(total > 0)) throw new ConfigError('hashRatePerMs', 'rates whose sum is > 0', rates);
  const retarget: RetargetOptions = {
    targetIntervalMs: options.targetIntervalMs ?? 1000,
    retargetEvery: options.retargetEvery ?? 0,
    maxFactor: options.maxFactor ?? 4,
  };
  validateRetarget(retarget);
  const initialBits = requireNumberInRange('initialBits', options.initialBits ?? Math.log2(retarget.targetIntervalMs * total), -64, 256);
  const rules = resolvePowRules(options.rules);
  const miners = rates.map((_, i) => `m${i + 1}`);
  const sim = new Simulator({ seed: options.seed, network: options.network, recordTrace: options.recordTrace ?? false });
  miners.forEach((id, i) => sim.addNode(id, () => new Miner({ hashRatePerMs: rates[i], initialBits, retarget, rules })));
  for (const change of options.hashRateChanges ?? []) {
    if (!miners.includes(change.miner)) throw new ConfigError('hashRateChanges.miner', `one of ${miners.join(', ')}`, change.miner);
    requireNumberInRange('hashRateChanges.hashRatePerMs', change.hashRatePerMs, 0, Infinity);
    sim.at(change.atMs, () => sim.inject(change.miner, { type: 'SetHashRate', hashRatePerMs: change.hashRatePerMs }), 'hash rate change');
  }
  if (options.partition) {
    const { atMs, healAtMs, groups } = options.partition;
    requireNumberInRange('partition.healAtMs', healAtMs, atMs, Infinity);
    sim.schedule([{ atMs, action: 'partition', groups }, { atMs: healAtMs, action: 'heal' }]);
  }

  const miner = (id: NodeId): Miner => {
    const m = sim.node<Miner>(id);
    if (m === null) throw new ConfigError('miner', 'a miner that is up', id);
    return m;
  };
  const cluster: PowCluster = {
    sim,
    miners,
    retarget,
    run: (untilMs) => sim.run({ untilMs }),
    drain: (extraMs = 60_000) => {
      for (const id of miners) sim.inject(id, { type: 'SetHashRate', hashRatePerMs: 0 });
      sim.run({ untilMs: sim.now() + extraMs });
    },
    miner,
    chain: (id = miners[0]) => miner(id).chain(),
    stats: () => {
      const all = new Map<string, Block>();
      let reorgs = 0;
      let maxReorgDepth = 0;
      for (const id of miners) {
        const s = miner(id).state;
        for (const b of Object.values(s.blocks)) if (b.height > 0) all.set(b.hash, b);
        reorgs += s.reorgs;
        maxReorgDepth = Math.max(maxReorgDepth, s.maxReorgDepth);
      }
      const main = cluster.chain();
      const tip = main[main.length - 1];
      const staleBlocks = all.size - (main.length - 1);
      return {
        blocksMined: all.size,
        mainHeight: tip.height,
        mainWork: chainWork(main),
        staleBlocks,
        staleRate: all.size === 0 ? 0 : staleBlocks / all.size,
        reorgs,
        maxReorgDepth,
        agreed: miners.every((id) => miner(id).state.tip === tip.hash),
        meanIntervalMs: tip.height === 0 ? NaN : tip.timeMs / tip.height,
      };
    },
    summary: () => {
      const s = cluster.stats();
      return `seed ${sim.seed}: ${s.blocksMined} blocks mined, main chain height ${s.mainHeight}, ${s.staleBlocks} stale (${(100 * s.staleRate).toFixed(1)}%), ${s.reorgs} reorgs (deepest ${s.maxReorgDepth}), mean interval ${s.meanIntervalMs.toFixed(0)} ms, miners ${s.agreed ? 'agree' : 'disagree'} on the tip`;
    },
  };
  return cluster;
}

/** One row of the fork-rate chart. */
export interface ForkRateRow {
  delayMs: number;
  intervalMs: number;
  /** delay / interval: what the stale rate depends on. */
  ratio: number;
  blocksMined: number;
  staleBlocks: number;
  staleRate: number;
  /** 1 - exp(-(n-1)/n * delay/interval): the chance that another miner finds a block while this one is in flight. */
  predicted: number;
  reorgs: number;
  seed: number | string;
}

/**
 * Fork (stale-block) rate against propagation delay / block interval (Nakamoto §5: "If two
 * nodes broadcast different versions of the next block simultaneously..."; Decker &
 * Wattenhofer 2013 measured it in Bitcoin). Each row runs equal miners with a constant network
 * delay for about `blocks` block intervals, at the target difficulty (no retarget).
 *
 * @example
 *   forkRateRows({ seed: 1, delaysMs: [0, 50, 200, 500], intervalMs: 1000, blocks: 300 });
 */
export function forkRateRows(options: { seed: number | string; delaysMs: number[]; intervalMs?: number; miners?: number; blocks?: number; rules?: Partial<PowRules> }): ForkRateRow[] {
  const intervalMs = requireNumberInRange('intervalMs', options.intervalMs ?? 1000, 1e-6, Infinity);
  const n = requireInteger('miners', options.miners ?? 10, 1);
  const blocks = requireInteger('blocks', options.blocks ?? 300, 1);
  return options.delaysMs.map((delayMs, i) => {
    requireNumberInRange(`delaysMs[${i}]`, delayMs, 0, Infinity);
    const c = powCluster({ seed: options.seed, hashRatePerMs: Array.from({ length: n }, () => 1), targetIntervalMs: intervalMs, network: { latency: { kind: 'constant', ms: delayMs } }, rules: options.rules });
    c.run(blocks * intervalMs);
    c.drain(Math.max(10 * delayMs, 1));
    const s = c.stats();
    return { delayMs, intervalMs, ratio: delayMs / intervalMs, blocksMined: s.blocksMined, staleBlocks: s.staleBlocks, staleRate: s.staleRate, predicted: 1 - Math.exp((-(n - 1) / n) * (delayMs / intervalMs)), reorgs: s.reorgs, seed: options.seed };
  });
}

/** One retarget window of the main chain, for the difficulty chart. */
export interface RetargetRow {
  /** Height at which the window starts. */
  height: number;
  bits: number;
  /** Mean block interval over the window, ms. */
  meanIntervalMs: number;
  targetIntervalMs: number;
}

/**
 * Difficulty adjustment toward the target interval (Nakamoto §4, "a moving average targeting
 * an average number of blocks per hour"). The main chain cut into retarget windows: each row
 * has the window's difficulty and its measured mean interval.
 *
 * @example
 *   const c = powCluster({ seed: 1, retargetEvery: 10, hashRateChanges: [{ atMs: 50_000, miner: 'm1', hashRatePerMs: 16 }] });
 *   c.run(200_000);
 *   retargetRows(c); // the interval drops when m1 speeds up, then climbs back to ~1000 ms
 */
export function retargetRows(cluster: PowCluster, id?: NodeId): RetargetRow[] {
  const chain = cluster.chain(id);
  const n = cluster.retarget.retargetEvery;
  if (n === 0) throw new ConfigError('retargetEvery', 'an integer >= 2 for retargetRows (this cluster never retargets)', 0);
  const rows: RetargetRow[] = [];
  for (let start = 0; start + n < chain.length; start += n) {
    rows.push({ height: start, bits: chain[start + 1].bits, meanIntervalMs: (chain[start + n].timeMs - chain[start].timeMs) / n, targetIntervalMs: cluster.retarget.targetIntervalMs });
  }
  return rows;
}

/** The chain ending at `tip` in miner `id`'s tree (for drawing forks). */
export function branchOf(cluster: PowCluster, id: NodeId, tip: string): Block[] {
  return chainTo(cluster.miner(id).state.blocks, tip);
}
