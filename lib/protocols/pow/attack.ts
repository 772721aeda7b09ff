import { ConfigError, Random, RandomStreams, requireInteger, requireNumberInRange } from '../../core';

/**
 * The double-spend race of Nakamoto 2008, §11 "Calculations". An attacker with a share q of
 * the hash power (the honest nodes have p = 1 - q) mines a private chain from the moment a
 * merchant's transaction enters a block; the merchant waits for z blocks on top of it. How
 * likely is the attacker's chain to ever catch up with the honest one?
 *
 * Each next block (of either chain) is the attacker's with probability q: two Poisson
 * processes with rates q and p race, so only the order of blocks matters.
 */

/**
 * The probability that an attacker z blocks behind ever catches up (Nakamoto §11, the
 * gambler's ruin): q_z = 1 if p <= q, else (q/p)^z.
 *
 * @example
 *   catchUpFromBehind(0.1, 1); // 0.1111... (= 1/9)
 */
export function catchUpFromBehind(q: number, z: number): number {
  requireNumberInRange('q', q, 0, 1);
  requireInteger('z', z, 0);
  const p = 1 - q;
  return p <= q ? 1 : Math.pow(q / p, z);
}

/**
 * Nakamoto's formula for the attacker's success (§11), exactly as the paper's C code computes
 * it: while the honest chain adds z blocks the attacker's progress is taken as Poisson with
 * mean lambda = z q / p, and from k blocks it then needs to catch up from z - k behind:
 *
 *   P = 1 - sum_{k=0..z} (lambda^k e^-lambda / k!) (1 - (q/p)^(z-k))
 *
 * @example
 *   nakamotoAttackerSuccess(0.1, 5);  // 0.0009137...  (the paper's table)
 *   nakamotoAttackerSuccess(0.3, 10); // 0.0416605...
 */
export function nakamotoAttackerSuccess(q: number, z: number): number {
  requireNumberInRange('q', q, 0, 1);
  requireInteger('z', z, 0);
  const p = 1 - q;
  if (q >= p) return 1;
  const lambda = z * (q / p);
  let sum = 1;
  for (let k = 0; k <= z; k++) {
    let poisson = Math.exp(-lambda);
    for (let i = 1; i <= k; i++) poisson *= lambda / i;
    sum -= poisson * (1 - Math.pow(q / p, z - k));
  }
  return sum;
}

/**
 * The same race without the Poisson approximation: while the honest chain adds z blocks, the
 * attacker's blocks k follow a negative binomial, P(k) = C(k+z-1, k) p^z q^k (the paper
 * approximates it by a Poisson; Rosenfeld 2014 and Grunspan & Perez-Marco 2017 give this
 * form). This is what `simulateAttack` measures by default.
 *
 * @example
 *   exactAttackerSuccess(0.1, 1); // 0.2 (the paper's approximation says 0.2045873)
 */
export function exactAttackerSuccess(q: number, z: number): number {
  requireNumberInRange('q', q, 0, 1);
  requireInteger('z', z, 0);
  const p = 1 - q;
  if (q >= p) return 1;
  if (z === 0) return 1;
  let sum = 1;
  let coefficient = 1; // C(k+z-1, k), k = 0
  for (let k = 0; k < z; k++) {
    if (k > 0) coefficient *= (k + z - 1) / k;
    sum -= coefficient * Math.pow(p, z) * Math.pow(q, k) * (1 - Math.pow(q / p, z - k));
  }
  return sum;
}

/**
 * The smallest z with attacker success below `threshold` (Nakamoto §11, last table:
 * "solving for P less than 0.1%": q=0.10 z=5, 0.15 8, 0.20 11, 0.25 15, 0.30 24, 0.35 41,
 * 0.40 89, 0.45 340).
 *
 * @example
 *   confirmationsNeeded(0.3); // 24
 */
export function confirmationsNeeded(q: number, threshold = 0.001, formula: (q: number, z: number) => number = nakamotoAttackerSuccess): number {
  requireNumberInRange('q', q, 0, 0.5 - 1e-12);
  requireNumberInRange('threshold', threshold, 1e-15, 1);
  for (let z = 0; z < 100_000; z++) if (formula(q, z) < threshold) return z;
  throw new ConfigError('q', 'small enough that some z below 100000 brings P under the threshold', q);
}

/** Options of `simulateAttack`. */
export interface AttackOptions {
  seed: number | string;
  q: number;
  z: number;
  /** Independent races. Default 10000. */
  trials?: number;
  /**
   * 'race' (default): block by block, each the attacker's with probability q (the exact model).
   * 'paper': the attacker's progress drawn from Poisson(z q / p), as §11 approximates it.
   */
  model?: 'race' | 'paper';
}

/** What `simulateAttack` measured. */
export interface AttackResult {
  q: number;
  z: number;
  trials: number;
  successes: number;
  /** successes / trials, and its standard error sqrt(P(1-P)/trials). */
  simulated: number;
  standardError: number;
  /** The paper's formula and the exact negative-binomial one, for the same q and z. */
  formula: number;
  exact: number;
  seed: number | string;
}

/**
 * Runs many seeded double-spend races (Nakamoto §11). In each: blocks arrive one by one, each
 * the attacker's with probability q, until the honest chain has z blocks on the transaction's
 * (model 'paper': the attacker's count is Poisson(z q / p) instead); from there the attacker
 * wins if its deficit ever reaches 0 (a tie at least, as the paper counts "catching up").
 * A race gives up once the deficit is so large that catching up has probability below 1e-12.
 *
 * @example
 *   simulateAttack({ seed: 1, q: 0.1, z: 2, trials: 20000 }); // { simulated: ~0.05, formula: 0.0509779, exact: ~0.049, ... }
 */
export function simulateAttack(options: AttackOptions): AttackResult {
  const q = requireNumberInRange('q', options.q, 0, 0.5 - 1e-12);
  const z = requireInteger('z', options.z, 0);
  const trials = requireInteger('trials', options.trials ?? 10_000, 1);
  const model = options.model ?? 'race';
  if (model !== 'race' && model !== 'paper') throw new ConfigError('model', "'race' or 'paper'", model);
  const rng = new RandomStreams(options.seed).stream(`attack q=${q} z=${z} ${model}`);
  const p = 1 - q;
  const giveUp = q === 0 ? 1 : Math.ceil(Math.log(1e-12) / Math.log(q / p));
  let successes = 0;
  for (let t = 0; t < trials; t++) {
    const attackerBlocks = model === 'race' ? raceUntilHonest(rng, q, z) : poisson(rng, (z * q) / p);
    let deficit = z - attackerBlocks;
    while (deficit > 0 && deficit <= giveUp) deficit += rng.chance(q) ? -1 : 1;
    if (deficit <= 0) successes++;
  }
  const simulated = successes / trials;
  return { q, z, trials, successes, simulated, standardError: Math.sqrt((simulated * (1 - simulated)) / trials), formula: nakamotoAttackerSuccess(q, z), exact: exactAttackerSuccess(q, z), seed: options.seed };
}

/** How many blocks the attacker finds while the honest nodes find z (negative binomial). */
function raceUntilHonest(rng: Random, q: number, z: number): number {
  let honest = 0;
  let attacker = 0;
  while (honest < z) {
    if (rng.chance(q)) attacker++;
    else honest++;
  }
  return attacker;
}

/** A Poisson(lambda) draw (Knuth's product of uniforms; lambda here is small). */
function poisson(rng: Random, lambda: number): number {
  const limit = Math.exp(-lambda);
  let k = 0;
  let product = rng.next();
  while (product > limit) {
    k++;
    product *= rng.next();
  }
  return k;
}

/**
 * Attacker success against q and z for the notebook's chart: one row per (q, z), simulated
 * beside both formulas.
 *
 * @example
 *   attackerSuccessRows({ seed: 1, qs: [0.1, 0.3], zs: [0, 1, 2, 5], trials: 5000 });
 */
export function attackerSuccessRows(options: { seed: number | string; qs: number[]; zs: number[]; trials?: number; model?: 'race' | 'paper' }): AttackResult[] {
  const rows: AttackResult[] = [];
  for (const q of options.qs) for (const z of options.zs) rows.push(simulateAttack({ seed: options.seed, q, z, trials: options.trials, model: options.model }));
  return rows;
}
