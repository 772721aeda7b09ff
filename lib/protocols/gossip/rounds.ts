import { ConfigError, Random, RandomStreams, requireInteger } from '../../core';
import { SpreadResult } from './cluster';
import { AntiEntropyMode } from './messages';

/**
 * A round-synchronous model of one update spreading, for the large-n curves (n up to 100,000
 * and many seeds, where the per-event simulator takes seconds per run). It is the synchronous
 * model of the paper's analysis (Demers §1.3-1.4: "cycles"), and it is exact, not an
 * approximation, of `gossipCluster` whenever every exchange ends inside its round (the
 * cluster's default: constant 1 ms latency, 10 ms rounds, no loss):
 *
 * - the same random streams: node i draws its partner from the stream `node:n<i>` of the same
 *   seed, one `int(0, n - 2)` per round, exactly as `GossipNode` does; the coin variant draws
 *   its coin from the same stream after the partner, as the node does when feedback arrives;
 * - the same order: anti-entropy nodes act in index order every round; rumor mongers act in
 *   the order their round timers were set (those still hot, in last round's order, then the
 *   newly told, in the order the rumor reached them), and contacts are delivered in send order;
 * - the same knowledge: anti-entropy partners compare what they held when the round began;
 *   a rumor reaches a node at once, so a second teller in the same round counts as useless;
 * - the same message count: a digest per node per round, a reply when one side lacks the
 *   update, and the entries for push; a rumor per contact and feedback per useless contact.
 *
 * The unit tests run both at small n and require identical results (informed counts per
 * round, rounds, messages, residue).
 *
 * @example
 *   gossipRounds({ n: 100_000, seed: 1, mechanism: 'push' }).roundsToAll; // about log2 n + ln n = 28.1
 */
export interface RoundModelOptions {
  n: number;
  seed: number | string;
  /** Anti-entropy ('push', 'pull', 'push-pull') or rumor mongering ('rumor'). */
  mechanism: AntiEntropyMode | 'rumor';
  /** Rumor mongering: useless contacts before losing interest (counter) or 1/probability (coin). */
  k?: number;
  lossOfInterest?: 'counter' | 'coin';
  /** Stop after this many rounds. Default 1000. */
  maxRounds?: number;
}

/** Runs the round model (see RoundModelOptions). The update starts at node n1. */
export function gossipRounds(options: RoundModelOptions): SpreadResult {
  const n = requireInteger('n', options.n, 2);
  const maxRounds = requireInteger('maxRounds', options.maxRounds ?? 1000, 1);
  const streams = new RandomStreams(options.seed);
  const rngs: (Random | undefined)[] = new Array(n);
  const rng = (i: number) => (rngs[i] ??= streams.stream(`node:n${i + 1}`));
  const partner = (i: number) => {
    const r = rng(i).int(0, n - 2);
    return r < i ? r : r + 1;
  };
  if (options.mechanism === 'rumor') {
    const k = requireInteger('k', options.k ?? 1, 1);
    return rumorRounds(n, k, options.lossOfInterest ?? 'counter', maxRounds, rng, partner);
  }
  if (!['push', 'pull', 'push-pull'].includes(options.mechanism)) {
    throw new ConfigError('mechanism', "one of 'push', 'pull', 'push-pull', 'rumor'", options.mechanism);
  }
  return antiEntropyRounds(n, options.mechanism, maxRounds, partner);
}

function antiEntropyRounds(n: number, mode: AntiEntropyMode, maxRounds: number, partner: (i: number) => number): SpreadResult {
  let known = new Uint8Array(n);
  known[0] = 1;
  let count = 1;
  let messages = 0;
  const informedByRound = [1];
  let roundsToAll: number | null = null;
  for (let r = 1; r <= maxRounds && roundsToAll === null; r++) {
    const next = known.slice();
    for (let a = 0; a < n; a++) {
      const b = partner(a);
      messages++; // the digest
      const aKnew = known[a] === 1;
      const bKnew = known[b] === 1;
      if (aKnew === bKnew) continue;
      if (aKnew && mode !== 'pull') {
        messages += 2; // the reply that wants it, and the entries
        if (next[b] === 0) (next[b] = 1), count++;
      } else if (bKnew && mode !== 'push') {
        messages += 1; // the reply that carries it
        if (next[a] === 0) (next[a] = 1), count++;
      }
    }
    known = next;
    informedByRound.push(count);
    if (count === n) roundsToAll = r;
  }
  return { roundsToAll, informedByRound, messages, residue: (n - count) / n };
}

function rumorRounds(n: number, k: number, loss: 'counter' | 'coin', maxRounds: number, rng: (i: number) => Random, partner: (i: number) => number): SpreadResult {
  const known = new Uint8Array(n);
  const useless = new Int32Array(n).fill(-1); // -1: not hot; else useless contacts so far
  known[0] = 1;
  useless[0] = 0;
  let count = 1;
  let messages = 0;
  let order: number[] = [0]; // nodes whose round timer is armed, in the order it was set
  const informedByRound = [1];
  let roundsToAll: number | null = null;
  for (let r = 1; r <= maxRounds && order.length > 0; r++) {
    const tellers: number[] = [];
    const targets: number[] = [];
    for (const i of order) {
      if (useless[i] < 0) continue; // lost interest: the timer fires and is not re-armed
      tellers.push(i);
      targets.push(partner(i));
      messages++;
    }
    const newlyTold: number[] = [];
    const feedbackTo: number[] = [];
    for (let c = 0; c < tellers.length; c++) {
      const j = targets[c];
      if (known[j] === 1) {
        feedbackTo.push(tellers[c]);
        messages++;
      } else {
        known[j] = 1;
        useless[j] = 0;
        count++;
        newlyTold.push(j);
      }
    }
    for (const i of feedbackTo) {
      if (useless[i] < 0) continue;
      const stop = loss === 'coin' ? rng(i).chance(1 / k) : ++useless[i] >= k;
      if (stop) useless[i] = -1;
    }
    order = tellers.concat(newlyTold);
    informedByRound.push(count);
    if (roundsToAll === null && count === n) roundsToAll = r;
  }
  return { roundsToAll, informedByRound, messages, residue: (n - count) / n };
}
