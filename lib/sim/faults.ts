import { ConfigError, NodeId, requireNumberInRange } from '../core';
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
        "one of 'crash', 'restart', 'pause', 'resume', 'partition', 'cut', 'heal', 'configure'",
        (step as { action: unknown }).action,
      );
  }
}
