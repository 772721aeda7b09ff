import seedrandom from 'seedrandom';
import { ConfigError } from './errors';

/**
 * A seeded random stream. Every random choice in a simulation comes from one of these,
 * so that a seed replays a run exactly. Built on seedrandom's Alea generator (fast,
 * and the same sequence on every platform).
 *
 * @example
 *   const streams = new RandomStreams(42);
 *   const net = streams.stream('network');
 *   net.uniform(1, 5); // a float in [1, 5)
 */
export class Random {
  private readonly prng: seedrandom.PRNG;

  constructor(readonly seedText: string) {
    this.prng = seedrandom.alea(seedText);
  }

  /** A float in [0, 1). */
  next(): number {
    return this.prng();
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return p > 0 && this.prng() < p;
  }

  /** A float in [min, max). */
  uniform(min: number, max: number): number {
    return min + (max - min) * this.prng();
  }

  /** An integer in [min, max], both ends included. */
  int(min: number, max: number): number {
    return min + Math.floor(this.prng() * (max - min + 1));
  }

  /** Exponentially distributed with the given mean. */
  exponential(mean: number): number {
    return -mean * Math.log(1 - this.prng());
  }

  /** Pareto with scale xm (the minimum) and shape alpha. */
  pareto(xm: number, alpha: number): number {
    return xm / Math.pow(1 - this.prng(), 1 / alpha);
  }

  /** One element of a non-empty array. */
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new ConfigError('items', 'a non-empty array', items);
    return items[Math.floor(this.prng() * items.length)];
  }

  /** A shuffled copy (Fisher-Yates). */
  shuffle<T>(items: readonly T[]): T[] {
    const out = items.slice();
    for (let i = out.length - 1; i > 0; i--) {
      const j = Math.floor(this.prng() * (i + 1));
      [out[i], out[j]] = [out[j], out[i]];
    }
    return out;
  }
}

/**
 * One seed split into named streams ("network", "faults", "workload", "node:n3").
 * A stream's sequence depends only on the seed and its name, so adding a client or a
 * node does not change the network's choices (TigerBeetle's VOPR does the same).
 */
export class RandomStreams {
  readonly seed: string;
  private readonly streams = new Map<string, Random>();

  constructor(seed: number | string) {
    if (typeof seed === 'number' && !Number.isFinite(seed)) {
      throw new ConfigError('seed', 'a finite number or a string', seed);
    }
    this.seed = String(seed);
  }

  /** The stream with this name, created on first use. */
  stream(name: string): Random {
    let s = this.streams.get(name);
    if (!s) {
      s = new Random(`${this.seed}/${name}`);
      this.streams.set(name, s);
    }
    return s;
  }
}
