/**
 * Exercise: a quorum read with read repair (resolveRead, repairTargets). Reference solution.
 * The learner's version is exercises/quorum.ts, with the same exports.
 *
 * The reference rules are the library's own defaults, so there is one copy of them: read them,
 * with their contracts, in lib/protocols/quorum/rules.ts (DeCandia et al., "Dynamo", SOSP 2007,
 * §4.5 for the newest-version read, §5 for read repair; Gifford, SOSP 1979, §3).
 */
export { resolveRead, repairTargets } from '../lib/protocols/quorum';
