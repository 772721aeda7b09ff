import { ConfigError, NodeId, requireInteger, requireNumberInRange } from '../../core';
import { LatencyModel, Simulator } from '../../sim';
import { RaftNode } from './node';

/**
 * The experiment of the paper's Figure 16 (§9.3, "Performance"): how long it takes to elect a
 * new leader after the leader crashes, for several ranges of randomness in the election
 * timeout. Five servers; the leader is crashed at a random time within its heartbeat interval
 * (half the minimum election timeout, as in the paper); the sample is the time from the crash
 * until a new leader exists. The paper's cluster had a broadcast time of about 15 ms; here a
 * message takes 6-9 ms one way (uniform), so a request and its reply take about 15 ms.
 *
 * The paper reports: with no randomness (150-150 ms) elections can take more than 10 s
 * because of split votes; 5 ms of randomness (150-155) gives a median downtime of 287 ms; with
 * 150-300 ms, 100% of elections finish within ~300 ms or so.
 */
export interface ElectionTimingOptions {
  /** The election timeout range [min, max] in ms. */
  timeoutMs: [number, number];
  /** How many trials (each one a fresh seeded cluster). Default 100 (the notebook uses 1000). */
  trials?: number;
  /** The seed of trial i is `${seed}/${i}`. Default 1. */
  seed?: number | string;
  /** Servers. Default 5. */
  servers?: number;
  /** One-way latency. Default uniform 6-9 ms (a ~15 ms broadcast round trip). */
  latency?: LatencyModel;
  /** A trial that has no new leader after this long counts as this long (censored). Default 60 s. */
  maxMs?: number;
}

/** The paper's ranges (Figure 16, top). */
export const FIGURE_16_RANGES: [number, number][] = [
  [150, 150],
  [150, 151],
  [150, 155],
  [150, 175],
  [150, 200],
  [150, 300],
];

/**
 * One trial: a cluster elects a first leader, runs a little, the leader crashes at a random
 * point of its heartbeat interval, and we measure until another server leads. Returns the
 * downtime in ms.
 *
 * @example
 *   electionDowntimeMs('1/0', [150, 300]); // e.g. 212.4
 */
export function electionDowntimeMs(seed: number | string, timeoutMs: [number, number], options: Omit<ElectionTimingOptions, 'timeoutMs' | 'trials' | 'seed'> = {}): number {
  const [min, max] = timeoutMs;
  requireNumberInRange('timeoutMs[0]', min, 1, Infinity);
  requireNumberInRange('timeoutMs[1]', max, min, Infinity);
  const n = requireInteger('servers', options.servers ?? 5, 2);
  const maxMs = options.maxMs ?? 60_000;
  const heartbeatIntervalMs = min / 2;
  const servers: NodeId[] = Array.from({ length: n }, (_, i) => `n${i + 1}`);
  const sim = new Simulator({ seed, recordTrace: false, network: { latency: options.latency ?? { kind: 'uniform', minMs: 6, maxMs: 9 } } });
  for (const id of servers) sim.addNode(id, () => new RaftNode({ servers, electionTimeoutMsMin: min, electionTimeoutMsMax: max, heartbeatIntervalMs }));
  const leader = () => servers.find((id) => sim.node<RaftNode>(id)?.isLeader() === true) ?? null;
  // The first leader is installed with TimeoutNow: the paper measures only the election after
  // the crash (with no randomness, servers that all start at time 0 would split votes forever).
  sim.inject(servers[0], { type: 'TimeoutNow' });
  sim.runUntil(() => leader() !== null, { maxEvents: 1_000_000 });
  if (leader() === null) throw new ConfigError('timeoutMs', 'a range under which a first leader is elected', timeoutMs);
  // Let the cluster settle for a few heartbeats, then crash the leader at a random point of its heartbeat interval.
  const crashAt = sim.now() + 5 * heartbeatIntervalMs + sim.random.stream('figure16').uniform(0, heartbeatIntervalMs);
  sim.run({ untilMs: crashAt });
  const victim = leader();
  if (victim === null) return electionDowntimeMs(`${seed}+`, timeoutMs, options); // rare: leadership moved before the crash
  sim.crash(victim);
  const crashedAt = sim.now();
  sim.runUntil(() => leader() !== null || sim.now() - crashedAt > maxMs, { maxEvents: 50_000_000 });
  return leader() !== null ? sim.now() - crashedAt : maxMs;
}

/**
 * Figure 16's samples for one timeout range: `trials` downtimes in ms, in trial order.
 *
 * @example
 *   const samples = electionTimingSamples({ timeoutMs: [150, 155], trials: 1000 });
 *   // the paper: median 287 ms
 */
export function electionTimingSamples(options: ElectionTimingOptions): number[] {
  const trials = requireInteger('trials', options.trials ?? 100, 1);
  const out: number[] = [];
  for (let i = 0; i < trials; i++) out.push(electionDowntimeMs(`${options.seed ?? 1}/${i}`, options.timeoutMs, options));
  return out;
}

/** Every range of Figure 16: range label ("150-155") to samples. */
export function figure16(trials = 100, seed: number | string = 1, ranges: [number, number][] = FIGURE_16_RANGES): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const range of ranges) out[`${range[0]}-${range[1]}`] = electionTimingSamples({ timeoutMs: range, trials, seed });
  return out;
}
