/**
 * Exercise: the proof-of-work puzzle and the fork-choice rule (Nakamoto consensus). Reference
 * solution. The learner's version is exercises/pow.ts, with the same exports.
 *
 * The reference rules are the library's own defaults, so there is one copy of them: read them,
 * with their contracts, in lib/protocols/pow/puzzle.ts (`mine`, Nakamoto 2008 §4) and
 * lib/protocols/pow/chain.ts (`chooseChain`, Nakamoto §4 and §5).
 */
export { mine, chooseChain } from '../lib/protocols/pow';
