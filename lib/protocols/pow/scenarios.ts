import { NodeId } from '../../core';
import { Simulator } from '../../sim';
import { Block, PowRules, RetargetOptions, genesisBlock, nextBits, resolvePowRules } from './chain';
import { Miner, MinerState, blockId } from './miner';

/**
 * Scripted fork-choice scenarios for the notebook and the tests: a non-mining observer
 * (hash rate 0) receives hand-built, valid blocks from two branches, and we look at which
 * branch it follows.
 */

/** What a fork scenario returns: the two branches, the observer's tip and its state. */
export interface ForkScenarioResult {
  name: string;
  /** Tips of the two branches, and their lengths and work. */
  branches: { tip: string; height: number; work: number }[];
  /** Which branch (0 or 1) the observer follows at the end. */
  follows: 0 | 1 | null;
  observer: MinerState;
  description: string;
}

/**
 * Builds `count` valid blocks on top of `chain`, one every `intervalMs` (so a retarget lowers
 * the difficulty when the interval is above target), mined by `miner`.
 */
export function extendChain(chain: readonly Block[], count: number, intervalMs: number, miner: NodeId, retarget: RetargetOptions): Block[] {
  const out = chain.slice();
  for (let i = 0; i < count; i++) {
    const parent = out[out.length - 1];
    const fields = { parent: parent.hash, height: parent.height + 1, bits: nextBits(out, retarget), miner, timeMs: parent.timeMs + intervalMs };
    out.push({ hash: blockId(fields, `${miner}#${i}`), ...fields });
  }
  return out;
}

function runObserver(name: string, description: string, branches: Block[][], retarget: RetargetOptions, initialBits: number, rules: Partial<PowRules>): ForkScenarioResult {
  const resolved = resolvePowRules(rules);
  const sim = new Simulator({ seed: name, recordTrace: false });
  sim.addNode('observer', () => new Miner({ hashRatePerMs: 0, initialBits, retarget, rules: resolved }));
  let delay = 1;
  for (const branch of branches) for (const block of branch.slice(1)) sim.inject('observer', { type: 'Block', block }, branch[branch.length - 1].miner, delay++);
  sim.run();
  const observer = (sim.node<Miner>('observer') as Miner).state;
  const tips = branches.map((b) => b[b.length - 1]);
  const index = tips.findIndex((t) => t.hash === observer.tip);
  return {
    name,
    branches: branches.map((b) => ({ tip: b[b.length - 1].hash, height: b.length - 1, work: b.reduce((w, x) => w + (x.height === 0 ? 0 : 2 ** x.bits), 0) })),
    follows: index === 0 || index === 1 ? index : null,
    observer,
    description,
  };
}

/**
 * Most work, not most blocks (Nakamoto §4, and the retarget of the same section). With a
 * retarget every 2 blocks, branch 0 keeps to the target interval (difficulty stays) and gets
 * 6 blocks; branch 1 is mined slowly (4x the target interval: the difficulty drops 2 bits at
 * each retarget) and gets 9 blocks, which hold less work. The observer hears branch 0 first.
 * The reference rule follows branch 0; `brokenPowRules.longestChain` follows branch 1.
 *
 * @example
 *   easyLongFork().follows;                              // 0
 *   easyLongFork(brokenPowRules.longestChain).follows;   // 1
 */
export function easyLongFork(rules: Partial<PowRules> = {}): ForkScenarioResult {
  const retarget: RetargetOptions = { targetIntervalMs: 1000, retargetEvery: 2, maxFactor: 4 };
  const genesis = genesisBlock(10);
  const heavy = extendChain([genesis], 6, 1000, 'honest', retarget);
  const light = extendChain([genesis], 9, 4000, 'slow', retarget);
  return runObserver('easyLongFork', 'branch 0: 6 blocks at target pace; branch 1: 9 blocks mined slowly, at falling difficulty', [heavy, light], retarget, 10, rules);
}

/**
 * A tie (Nakamoto §5: "they work on the first one they received, but save the other branch").
 * Two blocks at height 1 with the same difficulty arrive one after the other. The reference
 * rule stays on the first; `brokenPowRules.switchOnTie` jumps to the second (a reorg for
 * nothing, and in a network, more reorgs and wasted work).
 *
 * @example
 *   equalWorkTie().follows;                             // 0
 *   equalWorkTie(brokenPowRules.switchOnTie).follows;   // 1
 */
export function equalWorkTie(rules: Partial<PowRules> = {}): ForkScenarioResult {
  const retarget: RetargetOptions = { targetIntervalMs: 1000, retargetEvery: 0 };
  const genesis = genesisBlock(10);
  const first = extendChain([genesis], 1, 1000, 'a', retarget);
  const second = extendChain([genesis], 1, 1200, 'b', retarget);
  return runObserver('equalWorkTie', 'two blocks at height 1, equal work; the first arrives first', [first, second], retarget, 10, rules);
}
