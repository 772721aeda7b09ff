import { ConfigError, requireInteger } from '../../core';
import { AntiEntropyMode } from './messages';
import { gossipRounds } from './rounds';

/**
 * Chart data for the gossip notebook, from the round model (`gossipRounds`, exact for the
 * simulator's synchronous setting; see rounds.ts): plain rows, one per point, ready for a
 * Vega-Lite or Plotly figure.
 */

/** One point of the dissemination curve: n nodes, one mechanism, over the seeds. */
export interface DisseminationRow {
  n: number;
  mechanism: AntiEntropyMode | 'rumor';
  /** Rounds until every node knew the update: mean, min and max over the seeds (runs that never finished are left out). */
  roundsMean: number;
  roundsMin: number;
  roundsMax: number;
  /** Runs that never informed everyone (rumor mongering leaves a residue). */
  unfinished: number;
  /** Messages per node until everyone knew (anti-entropy) or the rumor died (rumor mongering), mean over the seeds. */
  messagesPerNode: number;
  /** log2(n) + ln(n): Pittel's (1987) expected rounds for push, which Demers §1.3 quotes. */
  log2nPlusLnN: number;
}

/**
 * Rounds until everyone knows one update, against n, for each mechanism, beside
 * log2(n) + ln(n) (Demers §1.3, after Pittel 1987: push anti-entropy informs everyone in
 * log2 n + ln n + O(1) rounds; pull and push-pull finish faster once most nodes know).
 *
 * @example
 *   disseminationCurve({ ns: [100, 1000, 10_000, 100_000], seeds: 5 });
 *   // [{ n: 100, mechanism: 'push', roundsMean: 11.6, ..., log2nPlusLnN: 11.25 }, ...]
 */
export function disseminationCurve(options: {
  ns: readonly number[];
  seeds?: number;
  mechanisms?: readonly (AntiEntropyMode | 'rumor')[];
  /** For 'rumor': k (default 2) and the variant (default 'counter'). */
  k?: number;
  lossOfInterest?: 'counter' | 'coin';
}): DisseminationRow[] {
  const seeds = requireInteger('seeds', options.seeds ?? 5, 1);
  const mechanisms = options.mechanisms ?? ['push', 'pull', 'push-pull'];
  const rows: DisseminationRow[] = [];
  for (const n of options.ns) {
    requireInteger('ns[]', n, 2);
    for (const mechanism of mechanisms) {
      const rounds: number[] = [];
      let messages = 0;
      for (let seed = 1; seed <= seeds; seed++) {
        const r = gossipRounds({ n, seed, mechanism, k: options.k ?? 2, lossOfInterest: options.lossOfInterest });
        if (r.roundsToAll !== null) rounds.push(r.roundsToAll);
        messages += r.messages;
      }
      rows.push({
        n,
        mechanism,
        roundsMean: rounds.length ? rounds.reduce((a, b) => a + b, 0) / rounds.length : NaN,
        roundsMin: rounds.length ? Math.min(...rounds) : NaN,
        roundsMax: rounds.length ? Math.max(...rounds) : NaN,
        unfinished: seeds - rounds.length,
        messagesPerNode: messages / seeds / n,
        log2nPlusLnN: Math.log2(n) + Math.log(n),
      });
    }
  }
  return rows;
}

/** One point of the residue curve: the share of nodes rumor mongering never reached, for one k. */
export interface ResidueRow {
  k: number;
  lossOfInterest: 'counter' | 'coin';
  /** Share of nodes never reached: mean, min and max over the seeds. */
  residueMean: number;
  residueMin: number;
  residueMax: number;
  /** Messages per node until the rumor died. */
  messagesPerNode: number;
  /** Rounds until nobody spread it any more, mean. */
  roundsToQuiet: number;
  /** The solution s of s = e^-(k+1)(1-s) (Demers §1.4, the feedback-coin variant's residue for large n). */
  theory: number;
}

/**
 * The residue of rumor mongering (push, feedback) against k, beside the paper's equation
 * s = e^-(k+1)(1-s) solved numerically. The equation is derived for the coin variant (lose
 * interest with probability 1/k after a useless contact); the counter variant (lose interest
 * after k useless contacts, the default here) leaves fewer nodes behind (Demers §1.4, "Counter
 * vs. Coin": "the counter improves both the percentage removed and the time to converge").
 *
 * @example
 *   residueCurve({ n: 10_000, ks: [1, 2, 3, 4, 5] });
 *   // [{ k: 1, lossOfInterest: 'counter', residueMean: 0.18, ..., theory: 0.2032 }, ...]
 */
export function residueCurve(options: { n: number; ks: readonly number[]; seeds?: number; lossOfInterest?: 'counter' | 'coin' }): ResidueRow[] {
  const n = requireInteger('n', options.n, 2);
  const seeds = requireInteger('seeds', options.seeds ?? 5, 1);
  const lossOfInterest = options.lossOfInterest ?? 'counter';
  return options.ks.map((k) => {
    requireInteger('ks[]', k, 1);
    const runs = Array.from({ length: seeds }, (_, i) => gossipRounds({ n, seed: i + 1, mechanism: 'rumor', k, lossOfInterest }));
    const residues = runs.map((r) => r.residue);
    return {
      k,
      lossOfInterest,
      residueMean: residues.reduce((a, b) => a + b, 0) / seeds,
      residueMin: Math.min(...residues),
      residueMax: Math.max(...residues),
      messagesPerNode: runs.reduce((a, r) => a + r.messages, 0) / seeds / n,
      roundsToQuiet: runs.reduce((a, r) => a + r.informedByRound.length - 1, 0) / seeds,
      theory: rumorResidue(k),
    };
  });
}

/**
 * The nontrivial solution in (0, 1) of s = e^-(k+1)(1-s) (Demers §1.4: the share of sites
 * still susceptible when a feedback-coin rumor dies out, for large n), by bisection on
 * f(s) = s - e^-(k+1)(1-s), which is negative at 0 and positive just below the trivial root 1.
 *
 * @example
 *   rumorResidue(1); // 0.2032 (to 4 places)
 *   rumorResidue(2); // 0.0595
 */
export function rumorResidue(k: number): number {
  if (!(k > 0) || !Number.isFinite(k)) throw new ConfigError('k', 'a finite number > 0', k);
  const f = (s: number) => s - Math.exp(-(k + 1) * (1 - s));
  let lo = 0;
  let hi = 1 - 1e-9;
  if (f(hi) <= 0) throw new ConfigError('k', 'a value for which the equation has a root below 1 (k > 0)', k);
  for (let i = 0; i < 200 && hi - lo > 1e-15; i++) {
    const mid = (lo + hi) / 2;
    if (f(mid) < 0) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}
