import { ConfigError, Random, RandomStreams, requireInteger, requireNumberInRange } from '../../core';
import { LatencyModel, sampleLatencyMs, validateLatency } from '../../sim/latency';

/**
 * Probabilistically Bounded Staleness (Bailis, Venkataraman, Franklin, Hellerstein and Stoica,
 * "Probabilistically Bounded Staleness for Practical Partial Quorums", PVLDB 5(8), 2012):
 * the probability that a read issued t ms after a write committed returns that write (or a
 * newer one) in a Dynamo-style store, by Monte Carlo over the paper's WARS model (§4.1), and
 * the closed form of §2.1 for non-expanding quorums.
 *
 * WARS: a write is sent to all N replicas, message i taking W[i]; each acknowledgement takes
 * A[i]; the write commits at w_t, the W-th smallest W[i] + A[i]. A read is sent t ms later to
 * all N replicas, taking R[i], and each answer takes S[i]; the read uses the first R answers
 * (smallest R[i] + S[i]). Answer i is stale when its request arrived before the write did:
 * w_t + t + R[i] < W[i]; the read is stale when all of its R answers are (§4.1, §5.1).
 * All draws come from one seeded stream (lib/core `Random`), so a seed replays the estimate.
 */

/** The four WARS latency distributions of one environment, in ms (one-way). */
export interface WarsProfile {
  name: string;
  /** Coordinator to replica, carrying the write. */
  write: LatencyModel;
  /** Replica to coordinator, acknowledging it. */
  ack: LatencyModel;
  /** Coordinator to replica, carrying the read request. */
  read: LatencyModel;
  /** Replica to coordinator, carrying the read response. */
  response: LatencyModel;
  /**
   * WAN only: one replica is in the coordinator's data centre, the others are remote and
   * every message to or from them takes `remoteDelayMs` more (each operation is routed to a
   * random data centre).
   */
  wan?: { remoteDelayMs: number };
  /** Where the numbers come from. */
  source: string;
}

const mix = (paretoWeight: number, xmMs: number, alpha: number, expWeight: number, lambda: number): LatencyModel => ({
  kind: 'mixture',
  parts: [
    { weight: paretoWeight, model: { kind: 'pareto', xmMs, alpha } },
    // The paper gives the exponential's rate λ (per ms); its mean is 1/λ ms.
    { weight: expWeight, model: { kind: 'exponential', meanMs: 1 / lambda } },
  ],
});

/** LNKD-SSD: W = A = R = S = 91.22% Pareto(xm .235, α 10) + 8.78% Exponential(λ 1.66). */
const LNKD_SSD = mix(0.9122, 0.235, 10, 0.0878, 1.66);
/** LNKD-DISK's W: 38% Pareto(xm 1.05, α 1.51) + 62% Exponential(λ .183). */
const LNKD_DISK_W = mix(0.38, 1.05, 1.51, 0.62, 0.183);
/** YMMR's W: 93.9% Pareto(xm 3, α 3.35) + 6.1% Exponential(λ .0028). */
const YMMR_W = mix(0.939, 3, 3.35, 0.061, 0.0028);
/** YMMR's A = R = S: 98.2% Pareto(xm 1.5, α 3.8) + 1.8% Exponential(λ .0217). */
const YMMR_ARS = mix(0.982, 1.5, 3.8, 0.018, 0.0217);

const TABLE = 'Bailis et al., PVLDB 2012, §5.3, table "Distribution fits for production latency distributions" (Table 3)';

/**
 * The paper's production latency fits (its Table 3, quoted exactly; λ is a rate per ms) and
 * its WAN scenario (§5.3: "we delay remote operations and responses by 75ms and apply
 * LNKD-DISK delays once the operation reaches its target data center").
 */
export const PBS_PROFILES: Record<'LNKD-SSD' | 'LNKD-DISK' | 'YMMR' | 'WAN', WarsProfile> = {
  'LNKD-SSD': { name: 'LNKD-SSD', write: LNKD_SSD, ack: LNKD_SSD, read: LNKD_SSD, response: LNKD_SSD, source: `${TABLE}: W = A = R = S: 91.22% Pareto (xm = .235, α = 10), 8.78% Exponential (λ = 1.66)` },
  'LNKD-DISK': { name: 'LNKD-DISK', write: LNKD_DISK_W, ack: LNKD_SSD, read: LNKD_SSD, response: LNKD_SSD, source: `${TABLE}: A = R = S: LNKD-SSD; W: 38% Pareto (xm = 1.05, α = 1.51), 62% Exponential (λ = .183)` },
  YMMR: { name: 'YMMR', write: YMMR_W, ack: YMMR_ARS, read: YMMR_ARS, response: YMMR_ARS, source: `${TABLE}: W: 93.9% Pareto (xm = 3, α = 3.35), 6.1% Exponential (λ = .0028); A = R = S: 98.2% Pareto (xm = 1.5, α = 3.8), 1.8% Exponential (λ = .0217)` },
  WAN: { name: 'WAN', write: LNKD_DISK_W, ack: LNKD_SSD, read: LNKD_SSD, response: LNKD_SSD, wan: { remoteDelayMs: 75 }, source: 'Bailis et al., PVLDB 2012, §5.3: LNKD-DISK delays plus 75 ms each way to and from remote data centres' },
};

/** C(n, k), exactly for the small numbers of replicas used here. */
export function binomial(n: number, k: number): number {
  if (k < 0 || k > n) return 0;
  let out = 1;
  for (let i = 1; i <= k; i++) out = (out * (n - k + i)) / i;
  return Math.round(out);
}

/**
 * C(N - W, R) / C(N, R) (Bailis et al. §2.1, Eq. 1): the probability that a read quorum of R
 * replicas misses a write quorum of W replicas when both are chosen uniformly at random, that
 * is, the probability that a read is stale when the write reaches only its W replicas
 * (a non-expanding quorum; no propagation to the other N - W). It is 0 when W + R > N.
 * Under WARS (writes go to all N and keep spreading) it is the stale-read probability's upper
 * bound at every t >= 0, and equals the Monte Carlo estimate with `expanding: false`.
 *
 * @example
 *   closedFormStaleProbability(3, 1, 1); // 2/3
 *   closedFormStaleProbability(3, 2, 2); // 0
 */
export function closedFormStaleProbability(N: number, R: number, W: number): number {
  requireInteger('N', N, 1);
  if (!Number.isInteger(R) || R < 1 || R > N) throw new ConfigError('R', `an integer in [1, ${N}] (N = ${N})`, R);
  if (!Number.isInteger(W) || W < 1 || W > N) throw new ConfigError('W', `an integer in [1, ${N}] (N = ${N})`, W);
  return binomial(N - W, R) / binomial(N, R);
}

/**
 * One WARS trial: the smallest t (ms) from which the read is consistent. 0 means consistent
 * right at commit; a positive value is how long the read must wait; Infinity (only with
 * `expanding: false`) means never. `expanding: false` drops the write to the N - W replicas
 * that were not among the first W to acknowledge (the non-expanding quorum of §2.1).
 */
export function warsTrial(profile: WarsProfile, N: number, R: number, W: number, rng: Random, expanding = true): number {
  const remote = profile.wan?.remoteDelayMs ?? 0;
  const writeDc = remote > 0 ? rng.int(0, N - 1) : -1;
  const readDc = remote > 0 ? rng.int(0, N - 1) : -1;
  const w: number[] = [];
  const committedBy: number[] = [];
  const r: number[] = [];
  const rs: number[] = [];
  for (let i = 0; i < N; i++) {
    const writeExtra = remote > 0 && i !== writeDc ? remote : 0;
    const readExtra = remote > 0 && i !== readDc ? remote : 0;
    w.push(sampleLatencyMs(profile.write, rng) + writeExtra);
    committedBy.push(w[i] + sampleLatencyMs(profile.ack, rng) + writeExtra);
    r.push(sampleLatencyMs(profile.read, rng) + readExtra);
    rs.push(r[i] + sampleLatencyMs(profile.response, rng) + readExtra);
  }
  const ackOrder = indicesBy(committedBy);
  const commitMs = committedBy[ackOrder[W - 1]];
  if (!expanding) for (const i of ackOrder.slice(W)) w[i] = Infinity;
  const readQuorum = indicesBy(rs).slice(0, R);
  // Stale at t iff every answer's request arrived first: commitMs + t + r[i] < w[i], i.e. t < w[i] - commitMs - r[i].
  let wait = Infinity;
  for (const i of readQuorum) wait = Math.min(wait, w[i] - commitMs - r[i]);
  return Math.max(0, wait);
}

function indicesBy(values: readonly number[]): number[] {
  return values.map((_, i) => i).sort((a, b) => values[a] - values[b] || a - b);
}

/** Options of a t-visibility estimate. */
export interface TVisibilityOptions {
  profile: WarsProfile | keyof typeof PBS_PROFILES;
  N?: number;
  R: number;
  W: number;
  /** Monte Carlo trials (writes, each followed by a read). Default 100,000. */
  trials?: number;
  seed?: number | string;
  /** Times after commit (ms) at which to report; default 0, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000. */
  tMs?: readonly number[];
  /** False: the write reaches only the W replicas that acknowledged first (§2.1's non-expanding quorum). Default true (WARS). */
  expanding?: boolean;
}

/** A t-visibility estimate: chart rows and the summary numbers. */
export interface TVisibility {
  profile: string;
  N: number;
  R: number;
  W: number;
  trials: number;
  seed: string;
  /** For the chart: probability of a consistent read t ms after commit. */
  rows: { tMs: number; probability: number }[];
  /** Probability of a consistent read right at commit (t = 0). */
  consistentAtCommit: number;
  /** The smallest t (ms) with probability >= 99.9% (the paper's Table 4 column t); Infinity if never within the trials. */
  tAt999Ms: number;
  /** The closed form C(N-W, R)/C(N, R) (stale, non-expanding): an upper bound on 1 - consistentAtCommit. */
  closedFormStale: number;
}

/**
 * PBS t-visibility by Monte Carlo over WARS (Bailis et al. §4.1, §5): the probability that a
 * read t ms after a write commits returns it, with rows for a chart.
 *
 * @example
 *   const v = pbsTVisibility({ profile: 'LNKD-DISK', R: 1, W: 1, seed: 1 });
 *   v.consistentAtCommit; // ~0.44 (the paper: 43.9%)
 *   v.rows;               // [{ tMs: 0, probability: 0.44 }, { tMs: 1, ... }, ...]
 */
export function pbsTVisibility(options: TVisibilityOptions): TVisibility {
  const profile = typeof options.profile === 'string' ? PBS_PROFILES[options.profile] : options.profile;
  if (!profile) throw new ConfigError('profile', `one of ${Object.keys(PBS_PROFILES).join(', ')} or a WarsProfile`, options.profile);
  for (const field of ['write', 'ack', 'read', 'response'] as const) validateLatency(profile[field], `profile.${field}`);
  const N = requireInteger('N', options.N ?? 3, 1);
  const R = options.R;
  const W = options.W;
  const closedFormStale = closedFormStaleProbability(N, R, W);
  const trials = requireInteger('trials', options.trials ?? 100_000, 1);
  const seed = String(options.seed ?? 1);
  const rng = new RandomStreams(seed).stream(`pbs:${profile.name}:N${N}R${R}W${W}`);
  const waits = new Float64Array(trials);
  for (let k = 0; k < trials; k++) waits[k] = warsTrial(profile, N, R, W, rng, options.expanding ?? true);
  waits.sort();
  const tMs = options.tMs ?? [0, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000];
  tMs.forEach((t, i) => requireNumberInRange(`tMs[${i}]`, t, 0, Infinity));
  const consistentBy = (t: number) => upperBound(waits, t) / trials;
  const index999 = Math.ceil(0.999 * trials) - 1;
  return {
    profile: profile.name, N, R, W, trials, seed,
    rows: tMs.map((t) => ({ tMs: t, probability: consistentBy(t) })),
    consistentAtCommit: consistentBy(0),
    tAt999Ms: waits[index999],
    closedFormStale,
  };
}

/** How many sorted values are <= x. */
function upperBound(sorted: Float64Array, x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid] <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * The paper's published t-visibility numbers for N = 3, to set beside ours: Table 4 ("t-visibility
 * for p_s = .001", the t in ms at which 99.9% of reads are consistent) and §5.4's text
 * (probability of a consistent read at commit and 10 ms later, R = W = 1).
 */
export const PBS_PAPER_RESULTS = {
  tAt999Ms: {
    'LNKD-SSD': { R1W1: 1.85, R1W2: 1.79, R2W1: 0, R2W2: 0 },
    'LNKD-DISK': { R1W1: 45.5, R1W2: 43.3, R2W1: 13.6, R2W2: 0 },
    YMMR: { R1W1: 1364, R1W2: 1352, R2W1: 202, R2W2: 0 },
    WAN: { R1W1: 113, R1W2: 0, R2W1: 30.2, R2W2: 0 },
  },
  consistentAtCommitR1W1: { 'LNKD-SSD': 0.975, 'LNKD-DISK': 0.439, YMMR: 0.893 },
  consistentAt10msR1W1: { 'LNKD-SSD': 1, 'LNKD-DISK': 0.925, YMMR: 0.939 },
} as const;

/** One row of the PBS comparison table. */
export interface PbsTableRow {
  profile: string;
  R: number;
  W: number;
  consistentAtCommit: number;
  consistentAt10Ms: number;
  tAt999Ms: number;
  paperTAt999Ms: number;
  closedFormStale: number;
}

/**
 * Our estimates for every profile and R, W in {1, 2} (N = 3), beside the paper's Table 4.
 *
 * @example
 *   pbsTable({ trials: 100000, seed: 1 }); // 16 rows
 */
export function pbsTable(options: { trials?: number; seed?: number | string } = {}): PbsTableRow[] {
  const rows: PbsTableRow[] = [];
  for (const name of Object.keys(PBS_PROFILES) as (keyof typeof PBS_PROFILES)[]) {
    for (const [R, W] of [[1, 1], [1, 2], [2, 1], [2, 2]]) {
      const v = pbsTVisibility({ profile: name, R, W, trials: options.trials, seed: options.seed, tMs: [0, 10] });
      rows.push({
        profile: name, R, W,
        consistentAtCommit: v.consistentAtCommit,
        consistentAt10Ms: v.rows[1].probability,
        tAt999Ms: v.tAt999Ms,
        paperTAt999Ms: PBS_PAPER_RESULTS.tAt999Ms[name][`R${R}W${W}` as 'R1W1'],
        closedFormStale: v.closedFormStale,
      });
    }
  }
  return rows;
}
