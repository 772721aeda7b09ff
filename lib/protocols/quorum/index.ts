/**
 * A Dynamo-style quorum store (DeCandia et al., SOSP 2007): N replicas per key placed on a
 * consistent-hashing ring (lib/protocols/hashring), write and read quorums W and R with the
 * levels ALL, QUORUM, ONE and ANY, versions, read repair (the pluggable rules: the exercise),
 * sloppy quorums with hinted handoff, anti-entropy; scenarios that show W + R > N reading the
 * latest write and smaller quorums failing to; and Probabilistically Bounded Staleness
 * (Bailis et al., PVLDB 2012): the WARS Monte Carlo with the paper's latency fits.
 *
 * @example
 *   import { quorumCluster, pbsTVisibility } from 'consensus-lab/protocols/quorum';
 *   const c = quorumCluster({ seed: 1, N: 3, W: 'QUORUM', R: 'QUORUM' });
 *   c.put('x', 'a'); c.get('x', { atMs: 20 }); c.runUntilDone(); c.readsLatest();
 *   pbsTVisibility({ profile: 'LNKD-SSD', R: 1, W: 1 }).rows;
 */
export * from './config';
export * from './versions';
export * from './rules';
export * from './messages';
export * from './node';
export * from './client';
export * from './checks';
export * from './cluster';
export * from './scenarios';
export * from './pbs';
export * from './chaos';
