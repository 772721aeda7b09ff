import { ConfigError } from '../../core';

/**
 * N, W and R (DeCandia et al., "Dynamo", SOSP 2007, §4.5): N replicas hold each key, a write
 * succeeds when W of them acknowledge it, a read when R of them answer. With W + R > N every
 * read quorum meets every write quorum, so a read sees the latest completed write; with
 * W + R <= N it may miss it (Bailis et al., "Probabilistically Bounded Staleness", VLDB 2012,
 * §2.1).
 *
 * Levels name W and R by meaning, as Cassandra does: ONE = 1, QUORUM = floor(N/2) + 1,
 * ALL = N, and, for writes only, ANY: the write succeeds once any node holds it, even a hint
 * for a replica that is down (hinted handoff, Dynamo §4.6).
 */
export type ConsistencyLevel = 'ALL' | 'QUORUM' | 'ONE' | 'ANY';

/** A quorum size: a number of replicas, or a level. */
export type QuorumSize = number | ConsistencyLevel;

export const CONSISTENCY_LEVELS: readonly ConsistencyLevel[] = ['ALL', 'QUORUM', 'ONE', 'ANY'];

/** A resolved write or read requirement. `any` is true only for a write at level ANY (then count is 1). */
export interface ResolvedQuorum {
  count: number;
  any: boolean;
}

/**
 * The number of replicas a level stands for, checked against N. A number or a level outside
 * [1, N] is refused with a ConfigError naming the parameter ("W must be ... got 4"); ANY is
 * refused for reads (a hint is not something a read can see).
 *
 * @example
 *   resolveQuorum('W', 'QUORUM', 3); // { count: 2, any: false }
 *   resolveQuorum('W', 'ANY', 3);    // { count: 1, any: true }
 *   resolveQuorum('R', 4, 3);        // throws ConfigError: R must be an integer in [1, 3] (N = 3) or ...
 */
export function resolveQuorum(field: 'W' | 'R' | string, size: QuorumSize, N: number): ResolvedQuorum {
  const write = field === 'W' || field.endsWith('.W');
  const allowed = `an integer in [1, ${N}] (N = ${N}) or one of ${write ? "'ALL', 'QUORUM', 'ONE', 'ANY'" : "'ALL', 'QUORUM', 'ONE' (ANY is for writes only)"}`;
  if (typeof size === 'number') {
    if (!Number.isInteger(size) || size < 1 || size > N) throw new ConfigError(field, allowed, size);
    return { count: size, any: false };
  }
  switch (size) {
    case 'ALL':
      return { count: N, any: false };
    case 'QUORUM':
      return { count: Math.floor(N / 2) + 1, any: false };
    case 'ONE':
      return { count: 1, any: false };
    case 'ANY':
      if (!write) throw new ConfigError(field, allowed, size);
      return { count: 1, any: true };
    default:
      throw new ConfigError(field, allowed, size);
  }
}

/**
 * Checks N against the number of nodes and W, R against N, and returns the counts. Throws a
 * ConfigError naming the parameter: "N must be an integer in [1, 5] (the number of nodes), got 6".
 *
 * @example
 *   validateNWR({ N: 3, W: 'QUORUM', R: 'QUORUM' }, 5); // { N: 3, W: { count: 2, any: false }, R: { count: 2, any: false } }
 */
export function validateNWR(config: { N: number; W: QuorumSize; R: QuorumSize }, nodes: number): { N: number; W: ResolvedQuorum; R: ResolvedQuorum } {
  const { N } = config;
  if (typeof N !== 'number' || !Number.isInteger(N) || N < 1 || N > nodes) {
    throw new ConfigError('N', `an integer in [1, ${nodes}] (the number of nodes)`, N);
  }
  return { N, W: resolveQuorum('W', config.W, N), R: resolveQuorum('R', config.R, N) };
}

/** True when every read quorum of R meets every write quorum of W among N replicas: W + R > N. */
export function quorumsIntersect(N: number, R: number, W: number): boolean {
  return W + R > N;
}
