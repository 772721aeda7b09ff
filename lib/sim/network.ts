import { ConfigError, NodeId, requireNumberInRange, DropReason } from '../core';
import { LatencyModel, validateLatency } from './latency';

/**
 * What the network does to messages. One options object, units last in the names.
 *
 * - `latency`: how long a message takes (see LatencyModel). Random latency reorders messages.
 * - `dropRate`: probability a message is lost, in [0, 1].
 * - `duplicateRate`: probability a message is delivered twice (the copy has its own latency).
 * - `reorderRate` and `reorderDelayMs`: probability a message is held back by up to
 *   `reorderDelayMs` extra, so that later messages overtake it even under constant latency.
 * - `fifo`: links deliver in send order (as TCP does); set it where a protocol assumes TCP
 *   (ZAB, for one). Loss and duplication still apply unless you set them to 0.
 */
export interface NetworkOptions {
  latency: LatencyModel;
  dropRate: number;
  duplicateRate: number;
  reorderRate: number;
  reorderDelayMs: number;
  fifo: boolean;
}

/** A reliable LAN: 1 to 5 ms, nothing lost, duplicated or held back. */
export const DEFAULT_NETWORK: NetworkOptions = {
  latency: { kind: 'uniform', minMs: 1, maxMs: 5 },
  dropRate: 0,
  duplicateRate: 0,
  reorderRate: 0,
  reorderDelayMs: 0,
  fifo: false,
};

/** Checks network options (whole or partial) and throws a ConfigError naming the bad field. */
export function validateNetworkOptions(options: Partial<NetworkOptions>, field = 'network'): void {
  const known = new Set(['latency', 'dropRate', 'duplicateRate', 'reorderRate', 'reorderDelayMs', 'fifo']);
  for (const key of Object.keys(options)) {
    if (!known.has(key)) throw new ConfigError(`${field}.${key}`, `one of the known options (${[...known].join(', ')})`, key);
  }
  if (options.latency !== undefined) validateLatency(options.latency, `${field}.latency`);
  if (options.dropRate !== undefined) requireNumberInRange(`${field}.dropRate`, options.dropRate, 0, 1);
  if (options.duplicateRate !== undefined) requireNumberInRange(`${field}.duplicateRate`, options.duplicateRate, 0, 1);
  if (options.reorderRate !== undefined) requireNumberInRange(`${field}.reorderRate`, options.reorderRate, 0, 1);
  if (options.reorderDelayMs !== undefined) requireNumberInRange(`${field}.reorderDelayMs`, options.reorderDelayMs, 0, Infinity);
  if (options.fifo !== undefined && typeof options.fifo !== 'boolean') {
    throw new ConfigError(`${field}.fifo`, 'true or false', options.fifo);
  }
}

/**
 * The network's current shape: default options, per-link overrides, a partition into groups,
 * and one-way cuts. Nodes a partition does not mention stay connected to everyone (handy for
 * clients that can reach both sides).
 */
export class NetworkState {
  options: NetworkOptions;
  private readonly linkOverrides = new Map<string, NetworkOptions>();
  private groupOf: Map<NodeId, number> | null = null;
  private readonly cuts = new Set<string>();

  constructor(options: Partial<NetworkOptions> = {}) {
    validateNetworkOptions(options);
    this.options = { ...DEFAULT_NETWORK, ...options };
  }

  /** Options for the link from -> to (an override if one is set, else the defaults). */
  linkOptions(from: NodeId, to: NodeId): NetworkOptions {
    if (this.linkOverrides.size === 0) return this.options;
    return this.linkOverrides.get(linkKey(from, to)) ?? this.options;
  }

  configure(options: Partial<NetworkOptions>): void {
    validateNetworkOptions(options);
    this.options = { ...this.options, ...options };
  }

  setLink(from: NodeId, to: NodeId, options: Partial<NetworkOptions>): void {
    validateNetworkOptions(options, `link ${from}->${to}`);
    this.linkOverrides.set(linkKey(from, to), { ...this.linkOptions(from, to), ...options });
  }

  clearLink(from: NodeId, to: NodeId): void {
    this.linkOverrides.delete(linkKey(from, to));
  }

  partition(groups: NodeId[][]): void {
    const groupOf = new Map<NodeId, number>();
    groups.forEach((group, index) => {
      for (const node of group) {
        if (groupOf.has(node)) {
          throw new ConfigError('partition groups', 'disjoint (each node in at most one group)', node);
        }
        groupOf.set(node, index);
      }
    });
    this.groupOf = groupOf;
  }

  cut(from: NodeId, to: NodeId): void {
    this.cuts.add(linkKey(from, to));
  }

  restore(from: NodeId, to: NodeId): void {
    this.cuts.delete(linkKey(from, to));
  }

  heal(): void {
    this.groupOf = null;
    this.cuts.clear();
  }

  /** Why a message from -> to cannot pass right now, or null if it can. */
  blocked(from: NodeId, to: NodeId): DropReason | null {
    if (this.groupOf) {
      const a = this.groupOf.get(from);
      const b = this.groupOf.get(to);
      if (a !== undefined && b !== undefined && a !== b) return 'partition';
    }
    if (this.cuts.size > 0 && this.cuts.has(linkKey(from, to))) return 'cut';
    return null;
  }

  /** The current partition groups, or null when there is none. */
  groups(): NodeId[][] | null {
    if (!this.groupOf) return null;
    const out: NodeId[][] = [];
    for (const [node, index] of this.groupOf) (out[index] ??= []).push(node);
    return out.filter(Boolean);
  }
}

function linkKey(from: NodeId, to: NodeId): string {
  return `${from}\u0000${to}`;
}
