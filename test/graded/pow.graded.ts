/**
 * Graded tests of the proof-of-work exercise (exercises/pow.ts): the puzzle (`mine`, Nakamoto
 * 2008 §4) and the fork-choice rule (`chooseChain`, Nakamoto §4 and §5).
 *
 * Unit cases check each contract on frozen inputs and a wrong answer names the rule it breaks
 * (zero bits, not zero bytes or hex digits; the first nonce from startNonce; the attempt budget;
 * most work, not most blocks; the first seen on a tie). Then the learner's fork choice runs in
 * the course's fork scenarios and in a seeded sweep of simulated miners split by a partition:
 * once it heals and every block has arrived, every miner must follow the same tip, and that tip
 * must be the heaviest chain any miner knows.
 */
import { frozenCopy, gradedSuite, implementation, type GradedContext, failRule as fail } from '../../lib/grade';
import {
  chainWork,
  easyLongFork,
  equalWorkTie,
  extendChain,
  genesisBlock,
  leadingZeroBits,
  mine as referenceMine,
  powCluster,
  powHash,
  type Block,
  type Chain,
  type MineResult,
  type PowRules,
  type RetargetOptions,
} from '../../lib/protocols/pow';

type Exercise = typeof import('../../solutions/pow');

/** The learner's two rules (or the reference, with --target solutions). */
function rules(): PowRules {
  const module = implementation<Exercise>('pow');
  for (const name of ['mine', 'chooseChain'] as const) {
    if (typeof module[name] !== 'function') throw new Error(`exercises/pow.ts must export a function ${name} (it exports ${typeof module[name]})`);
  }
  return { mine: module.mine, chooseChain: module.chooseChain };
}

const MINE_BITS = 'a proof has `difficulty` leading zero BITS (Nakamoto §4)';
const MINE_FIRST = 'the first qualifying nonce, counting up from startNonce (Nakamoto §4)';
const MINE_BUDGET = 'at most maxAttempts hashes, then null (Nakamoto §4)';
const CHOOSE_WORK = 'fork choice: the most cumulative work, not the most blocks (Nakamoto §4)';
const CHOOSE_TIE = 'fork choice: on a tie, keep the chain seen first (Nakamoto §5)';
const CONVERGE = 'convergence: after a partition heals, every miner follows the heaviest chain (Nakamoto §5)';

function show(value: unknown): string {
  return value === undefined ? 'undefined' : JSON.stringify(value);
}

// ---------------------------------------------------------------------------------------------
// mine
// ---------------------------------------------------------------------------------------------

interface MineCase {
  header: string;
  difficulty: number;
  startNonce: number;
  maxAttempts: number;
}

/** Calls the learner's mine and checks the result against the reference, naming `rule`. */
function checkMine(rule: string, c: MineCase, why: string): void {
  const { mine } = rules();
  const call = `mine(${show(c.header)}, ${c.difficulty}, ${c.startNonce}, ${c.maxAttempts})`;
  const got = mine(frozenCopy(c.header), c.difficulty, c.startNonce, c.maxAttempts) as MineResult | null;
  const expected = referenceMine(c.header, c.difficulty, c.startNonce, c.maxAttempts);
  if (expected === null) {
    if (got !== null) fail(rule, `${call} returned ${show(got)}, expected null: none of nonces ${c.startNonce}..${c.startNonce + c.maxAttempts - 1} has ${c.difficulty} leading zero bits`, why);
    return;
  }
  if (got === null || typeof got !== 'object') fail(rule, `${call} returned ${show(got)}, expected { nonce: ${expected.nonce}, hash: '${expected.hash.slice(0, 12)}...', attempts: ${expected.attempts} }`, why);
  if (typeof got.nonce !== 'number' || typeof got.hash !== 'string' || typeof got.attempts !== 'number') fail(rule, `${call} returned ${show(got)}; it must return { nonce, hash, attempts } or null`, 'see the contract in exercises/pow.ts');
  if (got.hash !== powHash(c.header, got.nonce)) fail(rule, `${call} returned hash ${got.hash.slice(0, 16)}... for nonce ${got.nonce}, but powHash(header, ${got.nonce}) is ${powHash(c.header, got.nonce).slice(0, 16)}...`, 'hash each nonce with powHash(header, nonce) and return that hash');
  const bits = leadingZeroBits(got.hash);
  if (bits < c.difficulty) fail(rule, `${call} returned nonce ${got.nonce}, whose hash ${got.hash.slice(0, 12)}... has only ${bits} leading zero bits (${c.difficulty} required)`, why);
  if (got.nonce !== expected.nonce) fail(rule, `${call} returned nonce ${got.nonce}, expected ${expected.nonce}: the first nonce from ${c.startNonce} whose hash has ${c.difficulty} zero bits`, why);
  if (got.attempts !== expected.attempts) fail(rule, `${call} returned attempts ${got.attempts} for nonce ${got.nonce}, expected ${expected.attempts} (nonce - startNonce + 1)`, why);
}

const bitsWhy = 'count leading zero BITS with leadingZeroBits(hash): a hex digit holds 4 bits, so 12 bits is three zero hex digits, and 5 bits is one zero digit then a digit below 8. Counting zero bytes (or hex digits) makes most difficulties far too easy';

// ---------------------------------------------------------------------------------------------
// chooseChain
// ---------------------------------------------------------------------------------------------

const steady: RetargetOptions = { targetIntervalMs: 1000, retargetEvery: 0 };

/** A chain of `count` blocks at `bits` (no retarget), mined by `miner`. */
function chainOf(count: number, bits: number, miner: string): Block[] {
  return extendChain([genesisBlock(bits)], count, 1000, miner, steady);
}

/** A chain whose blocks carry the given bits (hand-built: fork choice reads only the bits). */
function chainWithBits(bits: number[], miner: string): Block[] {
  const out: Block[] = [genesisBlock(bits[0] ?? 10)];
  bits.forEach((b, i) => out.push({ hash: `${miner}-${i + 1}`, parent: out[i].hash, height: i + 1, bits: b, miner, timeMs: 1000 * (i + 1) }));
  return out;
}

interface ChooseCase {
  rule: string;
  chains: Chain[];
  expected: number;
  why: string;
}

function showChains(chains: readonly Chain[]): string {
  return `[${chains.map((c) => `${c.length - 1} blocks, work ${chainWork(c)}`).join('; ')}]`;
}

function checkChoose(cases: ChooseCase[]): void {
  const { chooseChain } = rules();
  for (const c of cases) {
    const call = `chooseChain(${showChains(c.chains)})`;
    let got: unknown;
    try {
      got = chooseChain(frozenCopy(c.chains));
    } catch (error) {
      if (error instanceof TypeError && /read only|read-only|not extensible|frozen|Cannot (assign|add|delete|define)/i.test(error.message)) fail(c.rule, `${call} changed its input (${error.message})`, 'leave the chains as they are (sort a copy of the indexes, never the chains)');
      throw error;
    }
    if (got !== c.expected) fail(c.rule, `${call} returned ${show(got)}, expected ${c.expected}`, c.why);
  }
}

const workCases: ChooseCase[] = [
  { rule: CHOOSE_WORK, chains: [chainOf(3, 8, 'a'), chainWithBits([10, 10], 'b')], expected: 1, why: 'counting blocks: 3 blocks of 8 bits hold 3 * 256 = 768 hashes of work, 2 blocks of 10 bits hold 2048. The chain with fewer, harder blocks has more work and wins' },
  { rule: CHOOSE_WORK, chains: [chainWithBits([10, 10], 'b'), chainOf(5, 8, 'a')], expected: 0, why: 'counting blocks: 5 * 256 = 1280 < 2048: the node keeps its chain of 2 harder blocks' },
  { rule: CHOOSE_WORK, chains: [chainOf(2, 10, 'a'), chainOf(3, 10, 'b')], expected: 1, why: 'equal difficulty: 3 blocks hold more work than 2; switch' },
  { rule: CHOOSE_WORK, chains: [chainOf(1, 10, 'a'), chainOf(4, 7, 'b'), chainWithBits([9.5, 9.5], 'c')], expected: 2, why: 'three chains: work 1024, 512 and 2 * 2^9.5 = 1448: a retarget can make bits fractional; sum 2^bits over the blocks (chainWork)' },
];

const tieCases: ChooseCase[] = [
  { rule: CHOOSE_TIE, chains: [chainOf(1, 10, 'a'), chainOf(1, 10, 'b')], expected: 0, why: 'equal work: keep the chain you follow (index 0). Nakamoto §5: "they work on the first one they received, but save the other branch in case it becomes longer"' },
  { rule: CHOOSE_TIE, chains: [chainOf(1, 8, 'a'), chainOf(2, 10, 'b'), chainWithBits([11], 'c')], expected: 1, why: 'chains 1 and 2 both hold 2048: the first seen of them (index 1) wins' },
  { rule: CHOOSE_TIE, chains: [chainOf(4, 8, 'a'), chainWithBits([10], 'b')], expected: 0, why: '4 * 256 = 1024 = 2^10: a tie, so the node stays where it is' },
  { rule: CHOOSE_TIE, chains: [chainOf(2, 10, 'a')], expected: 0, why: 'one chain: index 0' },
];

// ---------------------------------------------------------------------------------------------
// The seeded sweep
// ---------------------------------------------------------------------------------------------

/**
 * One seeded run: 5 miners, a partition {m1, m2, m3} | {m4, m5} from 5 s to 25 s, mining until
 * 40 s, then every block in flight delivered. Every other seed retargets every 4 blocks, so the
 * two sides' blocks differ in difficulty.
 */
function convergenceRun(seed: number, learner: PowRules): void {
  const retargetEvery = seed % 2 === 0 ? 4 : 0;
  const c = powCluster({
    seed,
    rules: learner,
    hashRatePerMs: [1, 1, 1, 0.5, 0.5],
    retargetEvery,
    network: { latency: { kind: 'uniform', minMs: 50, maxMs: 400 } },
    partition: { atMs: 5000, healAtMs: 25_000, groups: [['m1', 'm2', 'm3'], ['m4', 'm5']] },
  });
  c.run(40_000);
  c.drain();
  const tips = c.miners.map((id) => ({ id, chain: c.chain(id) }));
  const heaviest = Math.max(...c.miners.flatMap((id) => Object.values(c.miner(id).state.blocks).map((b) => chainWork(c.chain(id).length > 0 ? chainToTip(c, id, b.hash) : []))));
  const describe = tips.map((t) => `${t.id}: tip ${t.chain[t.chain.length - 1].hash.slice(0, 8)} height ${t.chain.length - 1} work ${chainWork(t.chain).toFixed(0)}`).join('; ');
  const hint = `replay the seed; retargetEvery ${retargetEvery}. A miner that counts blocks follows a longer but lighter chain; one that switches on a tie ends on whichever equal branch it heard last`;
  // Two tips of equal, maximal work may remain (blocks found at once): the next block settles
  // them (Nakamoto §5). Anything lighter than the heaviest known chain is a wrong choice.
  for (const t of tips) {
    const work = chainWork(t.chain);
    if (work + 1e-9 < heaviest) fail(CONVERGE, `${t.id} follows a chain of work ${work.toFixed(0)} after the partition healed and every block arrived, but a chain of work ${heaviest.toFixed(0)} is known: ${describe}`, hint, { seed, timeMs: c.sim.now() });
  }
  const distinct = new Set(tips.map((t) => t.chain[t.chain.length - 1].hash));
  if (distinct.size > 1) {
    // Equal work everywhere; check that one more block (found by m1, heard by all) reunites them.
    const mined = c.miner('m1').state.mined;
    c.sim.inject('m1', { type: 'SetHashRate', hashRatePerMs: 1 });
    c.sim.runUntil(() => c.miner('m1').state.mined > mined, { maxTimeMs: c.sim.now() + 120_000 });
    c.drain();
    const after = c.miners.map((id) => c.chain(id));
    if (new Set(after.map((ch) => ch[ch.length - 1].hash)).size > 1) fail(CONVERGE, `miners still follow different tips after the partition healed, every block arrived and m1 mined one more block: ${after.map((ch, i) => `${c.miners[i]}: height ${ch.length - 1} work ${chainWork(ch).toFixed(0)}`).join('; ')}`, hint, { seed, timeMs: c.sim.now() });
  }
}

function chainToTip(c: ReturnType<typeof powCluster>, id: string, tip: string): Block[] {
  const blocks = c.miner(id).state.blocks;
  const out: Block[] = [];
  for (let b: Block | undefined = blocks[tip]; b !== undefined; b = blocks[b.parent]) out.push(b);
  return out.reverse();
}

function sweep(ctx: GradedContext, count: number): void {
  const learner = rules();
  for (const seed of ctx.seeds(count)) convergenceRun(seed, learner);
}

// ---------------------------------------------------------------------------------------------
// The suite
// ---------------------------------------------------------------------------------------------

export default gradedSuite('pow', [
  {
    name: 'mine: leading zero bits',
    points: 2,
    description: 'mine finds a nonce whose hash begins with `difficulty` zero BITS, for difficulties that are not multiples of 4 or 8 (Nakamoto §4).',
    run() {
      for (const difficulty of [1, 3, 4, 5, 7, 9, 12]) checkMine(MINE_BITS, { header: `block at ${difficulty} bits`, difficulty, startNonce: 0, maxAttempts: 1_000_000 }, bitsWhy);
    },
  },
  {
    name: 'mine: the first nonce from startNonce',
    points: 2,
    description: 'mine counts up from startNonce and returns the first qualifying nonce, with attempts = nonce - startNonce + 1 (Nakamoto §4).',
    run() {
      const why = 'try startNonce, startNonce + 1, ... in order and stop at the first hash with enough zero bits; attempts counts the nonces tried, nonce - startNonce + 1';
      checkMine(MINE_FIRST, { header: 'start here', difficulty: 6, startNonce: 1000, maxAttempts: 100_000 }, why);
      checkMine(MINE_FIRST, { header: 'start here', difficulty: 6, startNonce: 4_000_000_000, maxAttempts: 100_000 }, why);
      checkMine(MINE_FIRST, { header: 'difficulty zero', difficulty: 0, startNonce: 77, maxAttempts: 5 }, 'difficulty 0: every hash qualifies, so startNonce itself, with attempts 1');
      const first = referenceMine('skip ahead', 8, 0, 100_000) as MineResult;
      checkMine(MINE_FIRST, { header: 'skip ahead', difficulty: 8, startNonce: first.nonce + 1, maxAttempts: 100_000 }, `${why}: starting one past a proof finds the next proof, not the old one`);
    },
  },
  {
    name: 'mine: at most maxAttempts, then null',
    points: 1,
    description: 'mine gives up with null after maxAttempts nonces, and finds a proof that is exactly the last nonce of its budget (Nakamoto §4).',
    run() {
      const found = referenceMine('budget', 10, 0, 100_000) as MineResult;
      const why = `the budget is exactly maxAttempts nonces: startNonce .. startNonce + maxAttempts - 1`;
      checkMine(MINE_BUDGET, { header: 'budget', difficulty: 10, startNonce: 0, maxAttempts: found.attempts - 1 }, `${why}; with one attempt too few return null`);
      checkMine(MINE_BUDGET, { header: 'budget', difficulty: 10, startNonce: 0, maxAttempts: found.attempts }, `${why}; the last nonce of the budget counts`);
      checkMine(MINE_BUDGET, { header: 'budget', difficulty: 40, startNonce: 0, maxAttempts: 50 }, `${why}; 40 bits in 50 attempts: null`);
      checkMine(MINE_BUDGET, { header: 'budget', difficulty: 0, startNonce: 3, maxAttempts: 0 }, 'maxAttempts 0: no nonce may be tried, null');
    },
  },
  {
    name: 'chooseChain: the most cumulative work',
    points: 2,
    description: 'chooseChain returns the chain with the most work (sum of 2^bits), not the most blocks (Nakamoto §4).',
    run() {
      checkChoose(workCases);
    },
  },
  {
    name: 'chooseChain: a tie keeps the chain seen first',
    points: 2,
    description: 'chooseChain keeps the lowest index among chains of equal work (Nakamoto §5).',
    run() {
      checkChoose(tieCases);
    },
  },
  {
    name: 'scenarios: a long light fork, and an equal-work tie',
    points: 2,
    description: 'An observer that hears a 6-block chain at target pace, then a 9-block chain mined slowly at falling difficulty, follows the 6; one that hears two equal blocks follows the first (lib/protocols/pow/scenarios.ts).',
    run() {
      const learner = rules();
      const fork = easyLongFork(learner);
      if (fork.follows !== 0) fail(CHOOSE_WORK, `easyLongFork: the observer follows branch ${show(fork.follows)} (${fork.branches.map((b, i) => `branch ${i}: ${b.height} blocks, work ${b.work.toFixed(0)}`).join('; ')}), expected branch 0`, 'the 9 easy blocks hold less work than the 6 at target difficulty: most work, not most blocks');
      const tie = equalWorkTie(learner);
      if (tie.follows !== 0) fail(CHOOSE_TIE, `equalWorkTie: the observer follows branch ${show(tie.follows)} after hearing branch 0 first, expected branch 0 (reorgs: ${tie.observer.reorgs})`, 'two blocks of equal work: keep the first received (Nakamoto §5)');
    },
  },
  {
    name: 'miners converge after a partition heals',
    points: 3,
    timeoutMs: 60_000,
    description: 'Seeds 1-12: 5 miners split 3 | 2 for 20 s (half the seeds retarget every 4 blocks); after healing and delivering every block, all follow one tip, the heaviest chain known (Nakamoto §5).',
    run(ctx) {
      sweep(ctx, 12);
    },
  },
  {
    name: 'miners converge: more seeds',
    points: 2,
    hidden: true,
    timeoutMs: 60_000,
    description: 'The same partition sweep, seeds 13-30.',
    run(ctx) {
      const learner = rules();
      const seeds = ctx.seeds(30);
      for (const seed of seeds) if (seed > 12 || seeds.length === 1) convergenceRun(seed, learner);
    },
  },
]);
