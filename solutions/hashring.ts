/**
 * Exercise: the ring lookup with virtual nodes (successorIndex, preferenceList). Reference
 * solution. The learner's version is exercises/hashring.ts, with the same exports.
 *
 * The reference rules are the library's own defaults, so there is one copy of them: read them,
 * with their contracts, in lib/protocols/hashring/rules.ts (Karger et al., STOC 1997, §4 for the
 * successor; DeCandia et al., "Dynamo", SOSP 2007, §4.2-4.3 for virtual nodes and the
 * preference list of N distinct physical nodes).
 */
export { successorIndex, preferenceList } from '../lib/protocols/hashring';
