import { ConfigError, NodeId, requireInteger, requireNumberInRange } from '../../core';
import { MineRule, mine, powHash } from './puzzle';

/**
 * Blocks, chains and the fork-choice rule of Nakamoto consensus (Nakamoto 2008, §4: "The
 * majority decision is represented by the longest chain, which has the greatest proof-of-work
 * effort invested in it"; §5 step 6: "Nodes always consider the longest chain to be the correct
 * one"). "Longest" means most cumulative work: once difficulty changes, a chain with more
 * blocks of an easier difficulty can hold less work, and counting blocks would let a minority
 * that lowered its own difficulty take over.
 */

/**
 * A block header as plain data. `bits` is the difficulty in leading zero bits; a simulated
 * block's bits may be fractional after a retarget (its expected work, 2^bits hashes, is what
 * counts). `hash` is the block's id: the SHA-256 of the other fields (simulated mining does not
 * search for a nonce; see miner.ts).
 */
export interface Block {
  hash: string;
  /** The previous block's hash ('' for genesis). Nakamoto §3: each timestamp includes the previous one. */
  parent: string;
  height: number;
  bits: number;
  /** The miner that found it (or 'genesis'). */
  miner: NodeId;
  /** Virtual time it was found, in ms: the timestamp the retarget reads. */
  timeMs: number;
}

/** A chain: blocks from genesis (index 0, height 0) to its tip. */
export type Chain = readonly Block[];

/** The genesis block every miner starts from (no work: all chains share it). */
export function genesisBlock(bits: number): Block {
  return { hash: 'genesis', parent: '', height: 0, bits, miner: 'genesis', timeMs: 0 };
}

/** Expected hashes to find one block at `bits` leading zero bits: 2^bits. */
export function blockWork(block: Pick<Block, 'bits' | 'height'>): number {
  return block.height === 0 ? 0 : 2 ** block.bits;
}

/** A chain's cumulative work: the sum of its blocks' work (genesis counts 0). */
export function chainWork(chain: Chain): number {
  let w = 0;
  for (const b of chain) w += blockWork(b);
  return w;
}

/**
 * The fork-choice rule (Nakamoto §4 and §5): which of the chains a node knows it mines on.
 *
 * Contract:
 * - `chains` is non-empty; `chains[0]` is the chain the node follows now, and the rest are in
 *   the order the node first saw their tips.
 * - Return the INDEX of the chain with the most cumulative work (`chainWork`: the sum of 2^bits
 *   over its blocks, genesis 0), not the most blocks.
 * - On a tie, return the lowest index among the tied chains: keep the chain seen first, so a
 *   node never switches to a chain that is merely as good (Nakamoto §5: "In that case, they work
 *   on the first one they received, but save the other branch in case it becomes longer").
 * - Do not mutate the chains.
 *
 * @example
 *   const a = [genesis, { ...b1, bits: 10 }, { ...b2, bits: 10 }];   // work 2048
 *   const b = [genesis, x1, x2, x3];                                  // bits 8 each: 768
 *   chooseChain([b, a]); // 1: fewer blocks, more work
 */
export type ChooseChainRule = (chains: readonly Chain[]) => number;

/** Reference fork choice: most cumulative work, ties to the first seen. */
export const chooseChain: ChooseChainRule = (chains) => {
  let best = 0;
  let bestWork = chainWork(chains[0]);
  for (let i = 1; i < chains.length; i++) {
    const w = chainWork(chains[i]);
    if (w > bestWork) {
      best = i;
      bestWork = w;
    }
  }
  return best;
};

/** The pluggable rules together: what a learner's module exports and a graded test passes in. */
export interface PowRules {
  mine: MineRule;
  chooseChain: ChooseChainRule;
}

/** The reference rules: the defaults of every miner, cluster and measurement. */
export const referencePowRules: PowRules = { mine, chooseChain };

/** The reference rules with the given ones swapped in; throws a ConfigError naming a rule that is not a function. */
export function resolvePowRules(rules: Partial<PowRules> = {}): PowRules {
  const out: PowRules = { ...referencePowRules };
  for (const name of Object.keys(referencePowRules) as (keyof PowRules)[]) {
    const rule = rules[name];
    if (rule === undefined) continue;
    if (typeof rule !== 'function') throw new ConfigError(`rules.${name}`, 'a function', rule);
    (out as unknown as Record<string, unknown>)[name] = rule;
  }
  return out;
}

/**
 * Classic wrong versions of the rules, each a one-line slip. The tests and the notebook show
 * what each one breaks.
 */
export const brokenPowRules = {
  /** Counts blocks instead of work: a longer chain of easier blocks wins (ties to the first). */
  longestChain: {
    chooseChain: ((chains) => {
      let best = 0;
      for (let i = 1; i < chains.length; i++) if (chains[i].length > chains[best].length) best = i;
      return best;
    }) as ChooseChainRule,
  },
  /** Most work, but a tie goes to the chain seen last: a node flips between equal branches. */
  switchOnTie: {
    chooseChain: ((chains) => {
      let best = 0;
      for (let i = 1; i < chains.length; i++) if (chainWork(chains[i]) >= chainWork(chains[best])) best = i;
      return best;
    }) as ChooseChainRule,
  },
  /**
   * Counts whole zero BYTES: requires floor(d / 8) zero bytes, so 12 bits are met by any hash
   * starting with one zero byte (8 bits): 16 times too easy, and d < 8 asks for nothing.
   */
  zeroBytes: {
    mine: ((header, difficulty, startNonce, maxAttempts) => {
      const bytes = Math.floor(difficulty / 8);
      for (let attempts = 1; attempts <= maxAttempts; attempts++) {
        const nonce = startNonce + attempts - 1;
        const hash = powHash(header, nonce);
        if (hash.startsWith('00'.repeat(bytes))) return { nonce, hash, attempts };
      }
      return null;
    }) as MineRule,
  },
} satisfies Record<string, Partial<PowRules>>;

/**
 * Difficulty adjustment (Nakamoto §4: "the proof-of-work difficulty is determined by a moving
 * average targeting an average number of blocks per hour. If they're generated too fast, the
 * difficulty increases"). Every `retargetEvery` blocks the difficulty is reset so that the last
 * window would have taken `targetIntervalMs` per block; the change is clamped to a factor of
 * `maxFactor` either way, as Bitcoin clamps it to 4.
 */
export interface RetargetOptions {
  /** The block interval the network aims at, ms. */
  targetIntervalMs: number;
  /** Retarget at every height that is a multiple of this (0: never). */
  retargetEvery: number;
  /** The most the expected work per block may change at one retarget. Default 4. */
  maxFactor?: number;
}

/** Checks retarget options; throws a ConfigError naming the bad field. */
export function validateRetarget(options: RetargetOptions): void {
  requireNumberInRange('targetIntervalMs', options.targetIntervalMs, 1e-9, Infinity);
  requireInteger('retargetEvery', options.retargetEvery, 0);
  if (options.retargetEvery === 1) throw new ConfigError('retargetEvery', '0 (never) or an integer >= 2', 1);
  requireNumberInRange('maxFactor', options.maxFactor ?? 4, 1, Infinity);
}

/**
 * The difficulty (bits) a block at height `parent.height + 1` must carry, given the chain that
 * ends at its parent. At a height H that is a multiple of `retargetEvery` (N), the window is
 * blocks H-N .. H-1 (N-1 intervals): new work = old work * expected span / actual span, with the
 * ratio clamped to [1/maxFactor, maxFactor]. In bits: old + log2(ratio). Elsewhere: the parent's bits.
 *
 * @example
 *   nextBits(chain, { targetIntervalMs: 1000, retargetEvery: 10 });
 */
export function nextBits(chain: Chain, options: RetargetOptions): number {
  const parent = chain[chain.length - 1];
  const height = parent.height + 1;
  const n = options.retargetEvery;
  if (n === 0 || height % n !== 0) return parent.bits;
  const first = chain[height - n];
  const actualMs = parent.timeMs - first.timeMs;
  const expectedMs = (n - 1) * options.targetIntervalMs;
  const maxFactor = options.maxFactor ?? 4;
  const ratio = Math.min(maxFactor, Math.max(1 / maxFactor, expectedMs / Math.max(actualMs, 1e-9)));
  return parent.bits + Math.log2(ratio);
}
