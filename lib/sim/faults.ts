import { ConfigError, NodeId, Random, requireNumberInRange } from '../core';
import { NetworkOptions } from './network';

/**
 * One step of a fault script, as data: "at 500 ms cut {n1, n2} from {n3, n4, n5}; at 2 s heal".
 * A script can be printed, saved with a failing seed, and replayed.
 *
 * @example
 *   sim.schedule([
 *     { atMs: 500, action: 'partition', groups: [['n1', 'n2'], ['n3', 'n4', 'n5']] },
 *     { atMs: 800, action: 'crash', node: 'n1' },
 *     { atMs: 2000, action: 'heal' },
 *     { atMs: 2500, action: 'restart', node: 'n1' },
 *   ]);
 */
export type FaultStep =
  | { atMs: number; action: 'crash' | 'restart' | 'pause' | 'resume'; node: NodeId }
  /** Arms a crash in mid-handler: right after the node's next send (of `msgType`, if given); see Simulator.crashAfterNextSend. */
  | { atMs: number; action: 'crash-after-send'; node: NodeId; msgType?: string }
  | { atMs: number; action: 'partition'; groups: NodeId[][] }
  | { atMs: number; action: 'cut'; from: NodeId; to: NodeId }
  | { atMs: number; action: 'heal' }
  | { atMs: number; action: 'configure'; network: Partial<NetworkOptions> };

/** Checks a fault step against the known nodes; throws a ConfigError naming the field. */
export function validateFaultStep(step: FaultStep, field: string, known: ReadonlyMap<NodeId, unknown>, nowMs: number): void {
  if (!step || typeof step !== 'object') throw new ConfigError(field, 'a fault step object', step);
  requireNumberInRange(`${field}.atMs`, step.atMs, nowMs, Infinity);
  const checkNode = (name: string, node: unknown) => {
    if (typeof node !== 'string' || !known.has(node)) {
      throw new ConfigError(`${field}.${name}`, `one of the nodes (${[...known.keys()].join(', ')})`, node);
    }
  };
  switch (step.action) {
    case 'crash':
    case 'restart':
    case 'pause':
    case 'resume':
      checkNode('node', step.node);
      return;
    case 'crash-after-send':
      checkNode('node', step.node);
      if (step.msgType !== undefined && (typeof step.msgType !== 'string' || step.msgType === '')) {
        throw new ConfigError(`${field}.msgType`, 'a non-empty string (a message type)', step.msgType);
      }
      return;
    case 'partition':
      if (!Array.isArray(step.groups)) throw new ConfigError(`${field}.groups`, 'an array of arrays of node ids', step.groups);
      step.groups.forEach((group, g) => {
        if (!Array.isArray(group)) throw new ConfigError(`${field}.groups[${g}]`, 'an array of node ids', group);
        group.forEach((node, i) => checkNode(`groups[${g}][${i}]`, node));
      });
      return;
    case 'cut':
      checkNode('from', step.from);
      checkNode('to', step.to);
      return;
    case 'heal':
    case 'configure':
      return;
    default:
      throw new ConfigError(
        `${field}.action`,
        "one of 'crash', 'crash-after-send', 'restart', 'pause', 'resume', 'partition', 'cut', 'heal', 'configure'",
        (step as { action: unknown }).action,
      );
  }
}

/** What a random fault script may contain (see randomFaultScript). Times in ms, ranges [low, high]. */
export interface RandomFaultOptions {
  /** Nodes a crash may hit, drawn uniformly: list a node twice to make it twice as likely. */
  crashCandidates: readonly NodeId[];
  /** How many crashes to try: an integer drawn in this range. */
  crashes: [number, number];
  /** How long a crashed node stays down before its restart. */
  downMs: [number, number];
  /** Whether a partition may happen (then with probability 1/2), and between which nodes. */
  partitions: boolean;
  partitionNodes: readonly NodeId[];
  /** How long the partition lasts before it heals. */
  partitionMs: [number, number];
  /** Faults start before `healAtMs * faultWindowFraction`; at `healAtMs` everything heals. */
  healAtMs: number;
  faultWindowFraction: number;
  /** At most `limit` nodes of `group` down at once (e.g. f of 2f+1 acceptors); a crash beyond is skipped. */
  downLimit?: { group: readonly NodeId[]; limit: number };
}

/**
 * The network of a chaos phase, shared by the topics' sweeps: 1-10 ms, 10% of messages lost,
 * 10% duplicated, 20% held back up to 20 ms. `randomFaultScript` turns the losses off at
 * `healAtMs`.
 */
export const CHAOS_NETWORK: Partial<NetworkOptions> = {
  latency: { kind: 'uniform', minMs: 1, maxMs: 10 },
  dropRate: 0.1,
  duplicateRate: 0.1,
  reorderRate: 0.2,
  reorderDelayMs: 20,
};

/**
 * A seeded chaos phase as a fault script: some crashes, each with its restart (a node is
 * never crashed twice at once), half the time a partition into two random groups that heals,
 * and at `healAtMs` a final heal after which the network stops losing, duplicating and
 * reordering messages: safety is checked throughout, liveness after `healAtMs`
 * (TigerBeetle's VOPR and Jepsen's nemeses work the same way). Every topic's sweep uses it.
 *
 * @example
 *   const faults = randomFaultScript(new RandomStreams(seed).stream('chaos-faults'), {
 *     crashCandidates: ['c', 'p1', 'p2'], crashes: [1, 3], downMs: [10, 300],
 *     partitions: true, partitionNodes: ['c', 'p1', 'p2'], partitionMs: [20, 300],
 *     healAtMs: 1000, faultWindowFraction: 0.6 });
 */
export function randomFaultScript(rng: Random, options: RandomFaultOptions): FaultStep[] {
  const { healAtMs, faultWindowFraction, downLimit } = options;
  const steps: FaultStep[] = [];
  const downWindows = new Map<NodeId, [number, number][]>();
  const groupWindows: [number, number][] = [];
  const overlapping = (windows: readonly [number, number][], from: number, to: number) =>
    windows.filter(([a, b]) => from <= b && to >= a).length;
  const count = rng.int(options.crashes[0], options.crashes[1]);
  for (let i = 0; i < count; i++) {
    const node = rng.pick(options.crashCandidates);
    const crashAt = Math.round(rng.uniform(5, healAtMs * faultWindowFraction));
    const restartAt = Math.min(crashAt + Math.round(rng.uniform(options.downMs[0], options.downMs[1])), healAtMs - 1);
    const own = downWindows.get(node) ?? [];
    if (overlapping(own, crashAt, restartAt) > 0) continue;
    const inGroup = downLimit !== undefined && downLimit.group.includes(node);
    if (inGroup && overlapping(groupWindows, crashAt, restartAt) >= downLimit.limit) continue;
    own.push([crashAt, restartAt]);
    downWindows.set(node, own);
    if (inGroup) groupWindows.push([crashAt, restartAt]);
    steps.push({ atMs: crashAt, action: 'crash', node }, { atMs: restartAt, action: 'restart', node });
  }
  if (options.partitions && rng.chance(0.5)) {
    const shuffled = rng.shuffle(options.partitionNodes);
    const cut = rng.int(1, shuffled.length - 1);
    const at = Math.round(rng.uniform(0, healAtMs * faultWindowFraction));
    steps.push({ atMs: at, action: 'partition', groups: [shuffled.slice(0, cut), shuffled.slice(cut)] });
    steps.push({ atMs: Math.min(at + Math.round(rng.uniform(options.partitionMs[0], options.partitionMs[1])), healAtMs), action: 'heal' });
  }
  steps.push({ atMs: healAtMs, action: 'heal' });
  steps.push({ atMs: healAtMs, action: 'configure', network: { dropRate: 0, duplicateRate: 0, reorderRate: 0 } });
  return steps.sort((a, b) => a.atMs - b.atMs);
}

/**
 * The chaos phase of a replicated group that must keep a majority (Raft, ZAB, Multi-Paxos):
 * crashes and partitions among `servers` only, never more than f = floor((n-1)/2) of them down
 * at once (a crash beyond is skipped), all in the first 80% of the time before `healAtMs`.
 * Clients are left out (they reach every server).
 *
 * @example
 *   majorityFaultScript(new RandomStreams(seed).stream('chaos-faults'), ['n1', 'n2', 'n3'],
 *     { healAtMs: 1500, crashes: [0, 3], downMs: [20, 600], partitions: true, partitionMs: [100, 800] });
 */
export function majorityFaultScript(
  rng: Random,
  servers: readonly NodeId[],
  options: { healAtMs: number; crashes: [number, number]; downMs: [number, number]; partitions: boolean; partitionMs: [number, number] },
): FaultStep[] {
  return randomFaultScript(rng, {
    crashCandidates: servers,
    crashes: options.crashes,
    downMs: options.downMs,
    partitions: options.partitions,
    partitionNodes: servers,
    partitionMs: options.partitionMs,
    healAtMs: options.healAtMs,
    faultWindowFraction: 0.8,
    downLimit: { group: servers, limit: Math.floor((servers.length - 1) / 2) },
  });
}
