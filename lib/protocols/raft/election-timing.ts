import { ConfigError, NodeId, requireInteger, requireNumberInRange } from '../../core';
import { LatencyModel, Simulator, validateLatency } from '../../sim';
import { RaftNode } from './node';

/**
 * The experiment of the paper's Figure 16 (Ongaro & Ousterhout 2014, §9.3): how long a
 * five-server cluster is without a leader after its leader crashes, for several ranges of
 * randomness in the election timeout (选举超时).
 *
 * The paper's setup, in its words: "we repeatedly crashed the leader of a cluster of five
 * servers and timed how long it took to detect the crash and elect a new leader"; "our test
 * script triggered a synchronized broadcast of heartbeat RPCs from the leader before terminating
 * its process"; "The leader was crashed uniformly randomly within its heartbeat interval, which
 * was half of the minimum election timeout for all tests"; "a cluster of five servers with a
 * broadcast time of roughly 15ms" (Figure 16's caption).
 *
 * Here: the leader's heartbeats are the synchronized broadcast (one AppendEntries to every
 * follower at the same instant, every `min / 2` ms); the leader crashes at a uniformly random
 * point of the interval after its fifth heartbeat; the sample is the time from the crash until
 * some server has become leader.
 *
 * The broadcast time (a request to every follower and their replies, §5.6) is built from two
 * parts, the network and the disk, and the split matters: a follower that times out sends its
 * RequestVote at once, so whether another follower starts a rival election (a split vote,
 * 选票瓜分) depends on how long a RequestVote takes to arrive, the one-way network delay, not
 * the whole broadcast time. §5.6: "Raft's RPCs typically require the recipient to persist
 * information to stable storage, so the broadcast time may range from 0.5ms to 20ms, depending
 * on storage technology."
 */
export type Figure16Model = 'disk' | 'network';

/** The two ways to make a ~15 ms broadcast time: mostly disk (`figure16`'s default) or all network. */
export const FIGURE_16_MODELS: Record<Figure16Model, { latency: LatencyModel; diskWriteMs: number; description: string }> = {
  disk: {
    latency: { kind: 'uniform', minMs: 0.5, maxMs: 1.5 },
    diskWriteMs: 13,
    description: '0.5-1.5 ms one way (mean 1 ms) + a 13 ms write to stable storage before each reply that persists: ~15 ms broadcast',
  },
  network: {
    latency: { kind: 'uniform', minMs: 6, maxMs: 9 },
    diskWriteMs: 0,
    description: '6-9 ms one way, writes take no time: ~15 ms broadcast',
  },
};

/** Options of one range's trials. Only `timeoutMs` is required. */
export interface ElectionTimingOptions {
  /** The election timeout range [min, max] in ms. */
  timeoutMs: [number, number];
  /** How many trials (each one a fresh seeded cluster). Default 100. */
  trials?: number;
  /** The seed of trial i is `${seed}/${i}`. Default 1. */
  seed?: number | string;
  /** Servers. Default 5. */
  servers?: number;
  /**
   * How the ~15 ms broadcast time is made (see FIGURE_16_MODELS). Default 'network' here (what
   * these functions always did, and what existing tests assume); `figure16` defaults to 'disk'.
   */
  model?: Figure16Model;
  /** One-way latency; overrides the model's. */
  latency?: LatencyModel;
  /** A write to stable storage (RaftNodeOptions.diskWriteMs); overrides the model's. */
  diskWriteMs?: number;
  /** A trial with no new leader after this long counts as this long (censored). Default 60 s. */
  maxMs?: number;
}

/** The paper's ranges (Figure 16, top graph). */
export const FIGURE_16_RANGES: [number, number][] = [
  [150, 150],
  [150, 151],
  [150, 155],
  [150, 175],
  [150, 200],
  [150, 300],
];

/**
 * What the paper says about the top graph of Figure 16 (§9.3 and the caption), word for word,
 * for a notebook to set beside the measurements.
 */
export const FIGURE_16_PAPER = {
  setup:
    'Each line represents 1000 trials (except for 100 trials for "150–150ms") ... The measurements were taken on a cluster of five servers with a broadcast time of roughly 15ms.',
  noRandomness: 'In the absence of randomness, leader election consistently took longer than 10 seconds in our tests due to many split votes.',
  fiveMs: 'Adding just 5ms of randomness helps significantly, resulting in a median downtime of 287ms.',
  fiftyMs: 'Using more randomness improves worst-case behavior: with 50ms of randomness the worst-case completion time (over 1000 trials) was 513ms.',
  recommendation: 'We recommend using a conservative election timeout such as 150–300ms',
  /** The numbers those sentences give, by range. */
  numbers: { '150-150 ms': { minMs: 10_000 }, '150-155 ms': { medianMs: 287 }, '150-200 ms': { maxMs: 513 } } as Record<string, { minMs?: number; medianMs?: number; maxMs?: number }>,
};

interface ResolvedSetup {
  n: number;
  min: number;
  max: number;
  maxMs: number;
  latency: LatencyModel;
  diskWriteMs: number;
}

function resolve(timeoutMs: [number, number], options: Omit<ElectionTimingOptions, 'timeoutMs' | 'trials' | 'seed'>): ResolvedSetup {
  if (!Array.isArray(timeoutMs) || timeoutMs.length !== 2) throw new ConfigError('timeoutMs', 'a range [min, max] in ms', timeoutMs);
  const min = requireNumberInRange('timeoutMs[0]', timeoutMs[0], 1, Infinity);
  const max = requireNumberInRange('timeoutMs[1]', timeoutMs[1], min, Infinity);
  const modelName = options.model ?? 'network';
  const model = FIGURE_16_MODELS[modelName];
  if (!model) throw new ConfigError('model', `one of ${Object.keys(FIGURE_16_MODELS).map((m) => `'${m}'`).join(', ')}`, modelName);
  const latency = options.latency ?? model.latency;
  validateLatency(latency);
  return {
    n: requireInteger('servers', options.servers ?? 5, 2),
    min,
    max,
    maxMs: requireNumberInRange('maxMs', options.maxMs ?? 60_000, 1, Infinity),
    latency,
    diskWriteMs: requireNumberInRange('diskWriteMs', options.diskWriteMs ?? model.diskWriteMs, 0, Infinity),
  };
}

/**
 * One trial of Figure 16: a cluster elects a first leader, which sends five heartbeats; it
 * crashes at a uniformly random point of the next heartbeat interval; the result is the time
 * from the crash until another server leads, in ms (`maxMs` if none does by then).
 *
 * @example
 *   electionDowntimeMs('1/0', [150, 155]);                    // 'network' model: 1932.471
 *   electionDowntimeMs('1/0', [150, 155], { model: 'disk' }); // 403.611
 */
export function electionDowntimeMs(seed: number | string, timeoutMs: [number, number], options: Omit<ElectionTimingOptions, 'timeoutMs' | 'trials' | 'seed'> = {}): number {
  return runTrial(seed, resolve(timeoutMs, options));
}

function runTrial(seed: number | string, setup: ResolvedSetup): number {
  const { n, min, max, maxMs, latency, diskWriteMs } = setup;
  const heartbeatIntervalMs = min / 2; // §9.3: "half of the minimum election timeout"
  const servers: NodeId[] = Array.from({ length: n }, (_, i) => `n${i + 1}`);
  const sim = new Simulator({ seed, recordTrace: false, network: { latency } });
  const options = { servers, electionTimeoutMsMin: min, electionTimeoutMsMax: max, heartbeatIntervalMs, diskWriteMs };
  for (const id of servers) sim.addNode(id, () => new RaftNode(options));
  const leader = () => servers.find((id) => sim.node<RaftNode>(id)?.isLeader() === true) ?? null;
  // The first leader is installed with TimeoutNow: only the election after the crash is measured
  // (with no randomness, servers that all start at time 0 could split votes for a long time).
  sim.inject(servers[0], { type: 'TimeoutNow' });
  sim.runUntil(() => leader() !== null, { maxEvents: 1_000_000 });
  const electedAt = sim.now();
  // Heartbeats go out at electedAt + k * interval, to every follower at once (the paper's
  // "synchronized broadcast"). Crash uniformly within the interval after the fifth one.
  const crashAt = electedAt + 5 * heartbeatIntervalMs + sim.random.stream('figure16').uniform(0, heartbeatIntervalMs);
  sim.run({ untilMs: crashAt });
  const victim = leader();
  if (victim === null) return runTrial(`${seed}+`, setup); // rare: leadership moved before the crash
  sim.crash(victim);
  const crashedAt = sim.now();
  sim.runUntil(() => leader() !== null || sim.now() - crashedAt > maxMs, { maxEvents: 50_000_000 });
  const downtimeMs = sim.now() - crashedAt;
  return leader() !== null && downtimeMs <= maxMs ? downtimeMs : maxMs;
}

/**
 * Figure 16's samples for one timeout range: `trials` downtimes in ms, in trial order.
 *
 * @example
 *   const samples = electionTimingSamples({ timeoutMs: [150, 155], trials: 1000, model: 'disk' });
 *   // median 142 ms here; the paper: 287 ms
 */
export function electionTimingSamples(options: ElectionTimingOptions): number[] {
  const trials = requireInteger('trials', options.trials ?? 100, 1);
  const setup = resolve(options.timeoutMs, options);
  const out: number[] = [];
  for (let i = 0; i < trials; i++) out.push(runTrial(`${options.seed ?? 1}/${i}`, setup));
  return out;
}

/** Options of `figure16`. Everything is optional. */
export interface Figure16Options extends Omit<ElectionTimingOptions, 'timeoutMs' | 'trials'> {
  /** Trials per range. Default 1000, as in the paper. */
  trials?: number;
  /**
   * Trials for a range without randomness (min = max), where every trial runs to `maxMs`.
   * Default min(trials, 100): the paper ran "100 trials for 150–150ms".
   */
  trialsWithoutRandomness?: number;
  /** The timeout ranges. Default FIGURE_16_RANGES. */
  ranges?: [number, number][];
}

/** One trial's result: which range, which trial, how long without a leader. */
export interface Figure16Row {
  /** '150-155 ms'. */
  range: string;
  trial: number;
  downtimeMs: number;
  /** No leader within `maxMs`: downtimeMs is `maxMs`, a lower bound. */
  censored: boolean;
}

/** One range's statistics (nearest-rank percentiles over the trials; censored trials count as `maxMs`). */
export interface Figure16Summary {
  range: string;
  timeoutMs: [number, number];
  trials: number;
  medianMs: number;
  p90Ms: number;
  maxMs: number;
  /** Trials with no leader within `maxMs`. When more than half are censored, the median is only a lower bound. */
  censored: number;
  /** What the paper says for this range, if anything (FIGURE_16_PAPER.numbers). */
  paper: { minMs?: number; medianMs?: number; maxMs?: number } | null;
}

/** What `figure16` returns: every trial, the samples per range (for a CDF chart), and a summary per range. */
export interface Figure16Result {
  model: Figure16Model;
  /** What the broadcast time is made of. */
  setup: string;
  seed: number | string;
  /** Trials are censored here (the `maxMs` option). */
  censorAtMs: number;
  rows: Figure16Row[];
  /** Range label to downtimes (ms), in trial order. */
  samples: Record<string, number[]>;
  summary: Figure16Summary[];
}

/**
 * Figure 16 (top) of the Raft paper (§9.3): for every timeout range, `trials` leader crashes in
 * a five-server cluster and the downtime until a new leader, with summary statistics and the
 * paper's numbers beside them. Same seed, same numbers. The default model ('disk') makes the
 * ~15 ms broadcast time from ~1 ms of network each way and a 13 ms disk write before each reply
 * that persists; 'network' makes it from 6-9 ms of network each way and instant writes.
 *
 * @example
 *   const f = figure16({ trials: 1000, seed: 1 });          // ~2 s here
 *   f.summary.map((s) => `${s.range}: median ${s.medianMs} ms`);
 *   cdfChart({ title: 'Figure 16', xTitle: 'downtime (ms)', yTitle: 'fraction of trials',
 *              samples: f.samples, xScale: 'log' });       // from lib/viz, in a notebook
 *   figure16({ trials: 1000, model: 'network' });          // the same with 6-9 ms one way
 */
export function figure16(options: Figure16Options = {}): Figure16Result {
  const trials = requireInteger('trials', options.trials ?? 1000, 1);
  const trialsWithoutRandomness = requireInteger('trialsWithoutRandomness', options.trialsWithoutRandomness ?? Math.min(trials, 100), 1);
  const seed = options.seed ?? 1;
  const model = options.model ?? 'disk';
  const ranges = options.ranges ?? FIGURE_16_RANGES;
  if (!Array.isArray(ranges) || ranges.length === 0) throw new ConfigError('ranges', 'a non-empty array of [min, max] timeout ranges', ranges);
  const rows: Figure16Row[] = [];
  const samples: Record<string, number[]> = {};
  const summary: Figure16Summary[] = [];
  let censorAtMs = 0;
  for (const timeoutMs of ranges) {
    const setup = resolve(timeoutMs, { ...options, model });
    censorAtMs = setup.maxMs;
    const range = figure16Label(timeoutMs);
    const count = timeoutMs[0] === timeoutMs[1] ? trialsWithoutRandomness : trials;
    const values: number[] = [];
    for (let i = 0; i < count; i++) {
      const downtimeMs = runTrial(`${seed}/${i}`, setup);
      values.push(downtimeMs);
      rows.push({ range, trial: i, downtimeMs, censored: downtimeMs >= setup.maxMs });
    }
    samples[range] = values;
    const sorted = values.slice().sort((a, b) => a - b);
    summary.push({
      range,
      timeoutMs: [timeoutMs[0], timeoutMs[1]],
      trials: count,
      medianMs: nearestRank(sorted, 0.5),
      p90Ms: nearestRank(sorted, 0.9),
      maxMs: sorted[sorted.length - 1],
      censored: values.filter((v) => v >= setup.maxMs).length,
      paper: FIGURE_16_PAPER.numbers[range] ?? null,
    });
  }
  return { model, setup: describeSetup({ ...options, model }), seed, censorAtMs, rows, samples, summary };
}

/** '150-155 ms': how ranges are labelled in rows, samples and summaries. */
export function figure16Label(timeoutMs: [number, number]): string {
  return `${timeoutMs[0]}-${timeoutMs[1]} ms`;
}

/**
 * A plain-text table of a Figure 16 result beside the paper's numbers, for a notebook's text
 * summary or a report.
 *
 * @example
 *   console.log(figure16Table(figure16({ trials: 100 })));
 */
export function figure16Table(result: Figure16Result): string {
  const ms = (v: number, censored: boolean) => (censored ? `>${Math.round(v).toLocaleString('en-US')}` : Math.round(v).toLocaleString('en-US'));
  const lines = [`model '${result.model}': ${result.setup}; downtime in ms, censored at ${result.censorAtMs.toLocaleString('en-US')} ms`];
  lines.push('timeout     trials  median   p90      max      censored  paper');
  for (const s of result.summary) {
    const over = (v: number) => v >= result.censorAtMs;
    const paper = s.paper ? Object.entries(s.paper).map(([k, v]) => `${k === 'minMs' ? 'all >' : k === 'medianMs' ? 'median ' : 'max '}${v}`).join(', ') : '';
    lines.push(
      [s.range.padEnd(11), String(s.trials).padEnd(7), ms(s.medianMs, over(s.medianMs)).padEnd(8), ms(s.p90Ms, over(s.p90Ms)).padEnd(8), ms(s.maxMs, over(s.maxMs)).padEnd(8), String(s.censored).padEnd(9), paper].join(' ').trimEnd(),
    );
  }
  return lines.join('\n');
}

function describeSetup(options: Omit<ElectionTimingOptions, 'timeoutMs' | 'trials' | 'seed'>): string {
  const model = FIGURE_16_MODELS[options.model ?? 'network'];
  if (options.latency === undefined && options.diskWriteMs === undefined) return model.description;
  const latency = options.latency ?? model.latency;
  return `latency ${JSON.stringify(latency)}, diskWriteMs ${options.diskWriteMs ?? model.diskWriteMs}`;
}

function nearestRank(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

/**
 * The broadcast time of §5.6 ("the average time it takes a server to send RPCs in parallel to
 * every server in the cluster and receive their responses") in the setup Figure 16 uses: a
 * leader appends `entries` new entries one at a time, 40 ms apart, and for each one we measure
 * from its AppendEntries until the last follower's reply arrives. Returns the mean in ms.
 *
 * @example
 *   broadcastTimeMs({ model: 'disk' });    // 15.5
 *   broadcastTimeMs({ model: 'network' }); // 16.5
 */
export function broadcastTimeMs(options: Omit<ElectionTimingOptions, 'timeoutMs' | 'trials'> & { entries?: number } = {}): number {
  const setup = resolve([150, 300], options);
  const entries = requireInteger('entries', options.entries ?? 50, 1);
  const servers: NodeId[] = Array.from({ length: setup.n }, (_, i) => `n${i + 1}`);
  const sim = new Simulator({ seed: options.seed ?? 1, network: { latency: setup.latency } });
  // Heartbeats every 500 ms, so that few measurements see a heartbeat go out in the middle.
  const nodeOptions = { servers, electionTimeoutMsMin: 1000, electionTimeoutMsMax: 2000, heartbeatIntervalMs: 500, diskWriteMs: setup.diskWriteMs };
  for (const id of servers) sim.addNode(id, () => new RaftNode(nodeOptions));
  sim.inject(servers[0], { type: 'TimeoutNow' });
  sim.runUntil(() => sim.node<RaftNode>(servers[0])?.isLeader() === true, { maxEvents: 100_000 });
  sim.run({ untilMs: sim.now() + 100 });
  let total = 0;
  for (let k = 0; k < entries; k++) {
    const leader = sim.node<RaftNode>(servers[0]) as RaftNode;
    const index = leader.lastIndex + 1;
    const sentAt = sim.now();
    sim.inject(servers[0], { type: 'Start', command: k });
    const acked = new Set<NodeId>();
    const from = sim.trace.events.length;
    sim.runUntil(() => {
      for (let i = from; i < sim.trace.events.length; i++) {
        const e = sim.trace.events[i];
        if (e.kind === 'deliver' && e.to === servers[0] && (e.msg as RaftMessageLike).type === 'AppendEntriesReply' && ((e.msg as RaftMessageLike).matchIndex ?? 0) >= index) acked.add(e.from);
      }
      return acked.size === setup.n - 1;
    }, { maxEvents: 100_000 });
    total += sim.now() - sentAt;
    sim.run({ untilMs: sim.now() + 40 });
  }
  return total / entries;
}

type RaftMessageLike = { type: string; matchIndex?: number };
