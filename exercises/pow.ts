/**
 * Exercise: the two rules of Nakamoto consensus. Nakamoto, "Bitcoin: A Peer-to-Peer Electronic
 * Cash System", 2008: §4 (the proof-of-work puzzle, and "the longest chain, which has the
 * greatest proof-of-work effort invested in it") and §5 (nodes keep the first of two equal
 * branches).
 *
 * Write the two functions below. Each is a pure function. The graded tests first check each
 * contract case by case, on frozen inputs, and name the rule a wrong answer breaks. Then they
 * run the course's fork scenarios (lib/protocols/pow/scenarios.ts) and a seeded sweep of
 * simulated miners (lib/protocols/pow/cluster.ts) with your fork-choice rule inside: after a
 * partition heals, every miner must follow the same tip.
 *
 * Read first: lib/protocols/pow/README.md and the contracts in lib/protocols/pow/puzzle.ts and
 * chain.ts (the same as below, with their types). Grade your work with:
 *
 *     npm run grade -- pow
 *
 * Words: a proof of work (工作量证明) is a nonce that makes the block's hash begin with
 * `difficulty` zero BITS; a chain's work (累计工作量) is the sum of 2^bits over its blocks.
 */
import { NotImplemented } from '../lib/grade';
import { chainWork, leadingZeroBits, powHash, type Chain, type MineResult } from '../lib/protocols/pow';

// Referenced so that your editor offers them; use them in your answers.
void chainWork;
void leadingZeroBits;
void powHash;

// ---------------------------------------------------------------------------------------------
// Part 1: the puzzle (Nakamoto §4)
// ---------------------------------------------------------------------------------------------

/**
 * Scans for a proof of work: "incrementing a nonce in the block until a value is found that
 * gives the block's hash the required zero bits" (Nakamoto §4).
 *
 * Contract:
 * - Try the nonces `startNonce`, `startNonce + 1`, ... in that order, at most `maxAttempts` of
 *   them; hash each with `powHash(header, nonce)`.
 * - Return the FIRST nonce whose hash has at least `difficulty` leading zero BITS
 *   (`leadingZeroBits(hash) >= difficulty`), as `{ nonce, hash, attempts }` with
 *   `attempts = nonce - startNonce + 1`.
 * - Return null when none of the `maxAttempts` nonces qualifies. Difficulty 0: `startNonce`.
 * The classic slip: counting zero hex digits or zero bytes ('00' per 8 bits): 12 bits then means
 * one zero byte, 16 times too easy.
 *
 * @example
 *   mine('block 1', 8, 0, 1_000_000); // { nonce, hash: '00...', attempts: nonce + 1 }
 *   mine('block 1', 30, 0, 10);       // null: 10 attempts are far too few for 30 bits
 */
export function mine(header: string, difficulty: number, startNonce: number, maxAttempts: number): MineResult | null {
  // TODO: for attempts = 1 .. maxAttempts: nonce = startNonce + attempts - 1, hash = powHash(header, nonce);
  // return { nonce, hash, attempts } at the first hash with leadingZeroBits(hash) >= difficulty; then null.
  throw new NotImplemented('mine(header, difficulty, startNonce, maxAttempts) in exercises/pow.ts: count nonces up from startNonce, return the first whose hash has `difficulty` leading zero BITS, or null after maxAttempts (Nakamoto §4)');
}

// ---------------------------------------------------------------------------------------------
// Part 2: the fork-choice rule (Nakamoto §4, §5)
// ---------------------------------------------------------------------------------------------

/**
 * Which of the chains a node knows it mines on. `chains` is non-empty; `chains[0]` is the chain
 * the node follows now, the rest in the order the node first saw their tips.
 *
 * Contract:
 * - Return the INDEX of the chain with the most cumulative work (`chainWork(chain)`: the sum of
 *   2^bits over its blocks, genesis 0), not the most blocks. Why: after a retarget, a chain of
 *   many easy blocks can hold less work, and counting blocks lets a minority that lowered its
 *   own difficulty take over.
 * - On a tie, return the lowest index among the tied chains: keep the chain seen first
 *   (Nakamoto §5: "they work on the first one they received, but save the other branch in case
 *   it becomes longer"). Switching to a chain that is merely as good is a reorg for nothing.
 * - Do not change the chains.
 *
 * @example
 *   chooseChain([sixBlocksAt10Bits, nineBlocksAtFallingBits]); // 0 when the six hold more work
 *   chooseChain([tipA, tipB]);                                   // 0 when both hold equal work
 */
export function chooseChain(chains: readonly Chain[]): number {
  // TODO: compute chainWork of each chain; return the index of the first with the largest work.
  throw new NotImplemented('chooseChain(chains) in exercises/pow.ts: the index of the chain with the most cumulative work (sum of 2^bits), the first seen on a tie (Nakamoto §4, §5)');
}
