/**
 * Exercise: PBFT's prepared and committed-local predicates and the NEW-VIEW computation.
 * Reference solution. The learner's version is exercises/pbft.ts, with the same exports.
 *
 * The reference rules are the library's own defaults, so there is one copy of them: read them,
 * with their contracts, in lib/protocols/pbft/rules.ts (Castro & Liskov, OSDI 1999, §4.2 for
 * prepared and committedLocal, §4.4 for computeNewView).
 */
export { prepared, committedLocal, computeNewView } from '../lib/protocols/pbft';
