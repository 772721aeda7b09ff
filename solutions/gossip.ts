/**
 * Exercise: merging in anti-entropy (lww, siblings). Reference solution. The learner's version
 * is exercises/gossip.ts, with the same exports.
 *
 * The reference rules are the library's own defaults, so there is one copy of them: read them,
 * with their contracts, in lib/protocols/gossip/merge.ts (Demers et al., PODC 1987, §1.1 for
 * last-writer-wins with the node tie-break; DeCandia et al., "Dynamo", SOSP 2007, §4.4 for
 * vector clocks and siblings).
 */
export { lww, siblings } from '../lib/protocols/gossip';
