import { createHash } from 'crypto';
import { ConfigError, RandomStreams, requireInteger } from '../../core';

/**
 * The proof-of-work puzzle (Nakamoto, "Bitcoin: A Peer-to-Peer Electronic Cash System", 2008,
 * §4 "Proof-of-Work"): "scanning for a value that when hashed, such as with SHA-256, the hash
 * begins with a number of zero bits. The average work required is exponential in the number of
 * zero bits required and can be verified by executing a single hash." Hashing here is Node's
 * `crypto.createHash('sha256')`: deterministic, so a seed replays every search exactly.
 */

/**
 * The SHA-256 of `header|nonce`, as 64 hex digits: the block's proof and its id.
 *
 * @example
 *   powHash('block 1', 0); // '...' (64 hex digits, the same on every machine)
 */
export function powHash(header: string, nonce: number): string {
  return createHash('sha256').update(`${header}|${nonce}`).digest('hex');
}

/**
 * How many zero bits a hash (hex digits) begins with: '0f..' has 4, '00..' 8, '1...' 3.
 *
 * @example
 *   leadingZeroBits('0f00'); // 4
 *   leadingZeroBits('1000'); // 3
 */
export function leadingZeroBits(hashHex: string): number {
  let bits = 0;
  for (let i = 0; i < hashHex.length; i++) {
    const nibble = parseInt(hashHex[i], 16);
    if (nibble === 0) {
      bits += 4;
      continue;
    }
    return bits + (nibble >= 8 ? 0 : nibble >= 4 ? 1 : nibble >= 2 ? 2 : 3);
  }
  return bits;
}

/** What `mine` returns when it finds a proof: the nonce, its hash, and how many nonces it tried. */
export interface MineResult {
  nonce: number;
  hash: string;
  attempts: number;
}

/**
 * Scans for a proof of work (Nakamoto §4: "incrementing a nonce in the block until a value is
 * found that gives the block's hash the required zero bits").
 *
 * Contract:
 * - Try the nonces `startNonce`, `startNonce + 1`, `startNonce + 2`, ... in that order, at most
 *   `maxAttempts` of them; hash each with `powHash(header, nonce)`.
 * - Return the FIRST nonce whose hash has at least `difficulty` leading zero BITS
 *   (`leadingZeroBits(hash) >= difficulty`), as `{ nonce, hash, attempts }` where `attempts` is
 *   `nonce - startNonce + 1`.
 * - Return null if none of the `maxAttempts` nonces qualifies. Difficulty 0: `startNonce` itself.
 *
 * @example
 *   mine('block 1', 8, 0, 1_000_000); // { nonce: ..., hash: '00...', attempts: ... } (about 256 attempts on average)
 */
export type MineRule = (header: string, difficulty: number, startNonce: number, maxAttempts: number) => MineResult | null;

/** Reference `mine`: count up from startNonce, stop at the first hash with `difficulty` zero bits. */
export const mine: MineRule = (header, difficulty, startNonce, maxAttempts) => {
  for (let attempts = 1; attempts <= maxAttempts; attempts++) {
    const nonce = startNonce + attempts - 1;
    const hash = powHash(header, nonce);
    if (leadingZeroBits(hash) >= difficulty) return { nonce, hash, attempts };
  }
  return null;
};

/**
 * True when `nonce` is a valid proof for `header` at `difficulty` bits: one hash to verify
 * (Nakamoto §4: "can be verified by executing a single hash").
 */
export function verifyProof(header: string, nonce: number, difficulty: number): boolean {
  return leadingZeroBits(powHash(header, nonce)) >= difficulty;
}

/** One row of the attempts chart: a difficulty, what was measured and what theory expects. */
export interface AttemptsRow {
  difficulty: number;
  trials: number;
  /** Trials that found a proof within the budget (the rest count with maxAttempts). */
  found: number;
  meanAttempts: number;
  medianAttempts: number;
  minAttempts: number;
  maxAttempts: number;
  /** 2^difficulty: each hash qualifies with probability 2^-d, so attempts are geometric with this mean. */
  expectedAttempts: number;
  /** meanAttempts / expectedAttempts (about 1 for a correct `mine`). */
  ratio: number;
}

/** Options of `measureAttempts`. */
export interface MeasureAttemptsOptions {
  seed: number | string;
  /** Difficulties in leading zero bits. Default [0, 2, 4, 6, 8, 10, 12]. */
  difficulties?: number[];
  /** Searches per difficulty. Default 50. */
  trials?: number;
  /** The `mine` rule to measure (a learner's); the reference by default. */
  mine?: MineRule;
  /** Budget per search. Default 64 * 2^d. */
  maxAttemptsFactor?: number;
}

/**
 * Measures how many hashes a proof takes against the expected 2^d (Nakamoto §4: "the average
 * work required is exponential in the number of zero bits"). Each trial mines its own header
 * (`seed s, d bits, trial i`) from a seeded random start nonce in [0, 2^32) and counts up, so
 * the same seed gives the same rows. Rows are for a chart: x = difficulty, y = attempts (log).
 *
 * @example
 *   measureAttempts({ seed: 1, difficulties: [4, 8], trials: 20 });
 *   // [{ difficulty: 4, meanAttempts: ~16, expectedAttempts: 16, ... }, { difficulty: 8, ... }]
 */
export function measureAttempts(options: MeasureAttemptsOptions): AttemptsRow[] {
  if (!options || options.seed === undefined) throw new ConfigError('seed', 'a number or a string', options?.seed);
  const difficulties = options.difficulties ?? [0, 2, 4, 6, 8, 10, 12];
  difficulties.forEach((d, i) => {
    requireInteger(`difficulties[${i}]`, d, 0);
    if (d > 24) throw new ConfigError(`difficulties[${i}]`, 'at most 24 (2^24 hashes per proof is already seconds of CPU)', d);
  });
  const trials = requireInteger('trials', options.trials ?? 50, 1);
  const factor = requireInteger('maxAttemptsFactor', options.maxAttemptsFactor ?? 64, 1);
  const rule = options.mine ?? mine;
  const nonces = new RandomStreams(options.seed).stream('nonces');
  return difficulties.map((d) => {
    const expected = 2 ** d;
    const budget = factor * expected;
    const attempts: number[] = [];
    let found = 0;
    for (let t = 0; t < trials; t++) {
      const start = nonces.int(0, 2 ** 32 - 1);
      const r = rule(`seed ${options.seed}, ${d} bits, trial ${t}`, d, start, budget);
      if (r !== null) found++;
      attempts.push(r === null ? budget : r.attempts);
    }
    const sorted = attempts.slice().sort((a, b) => a - b);
    const mean = attempts.reduce((s, a) => s + a, 0) / trials;
    const mid = Math.floor(trials / 2);
    const median = trials % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    return { difficulty: d, trials, found, meanAttempts: mean, medianAttempts: median, minAttempts: sorted[0], maxAttempts: sorted[trials - 1], expectedAttempts: expected, ratio: mean / expected };
  });
}
