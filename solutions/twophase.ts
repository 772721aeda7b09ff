/**
 * Exercise: the decision rules of atomic commitment (two-phase and three-phase commit).
 * Reference solution. The learner's version is exercises/twophase.ts, with the same exports.
 *
 * The reference rules are the library's own defaults, so there is one copy of them: read
 * them, with their contracts and sources, in lib/protocols/twophase/rules.ts
 * (coordinatorDecision: Gray 1978, BHG §7.4; participantRecovery: BHG §7.4;
 * terminationDecision: Skeen 1981, BHG §7.5 rules TR1-TR4).
 */
export { coordinatorDecision, participantRecovery, terminationDecision } from '../lib/protocols/twophase/rules';
