/**
 * Exercise: the vote comparison of fast leader election and the choice of DIFF, TRUNC or SNAP
 * (ZAB). Reference solution. The learner's version is exercises/zab.ts, with the same exports.
 *
 * The reference rules are the library's own defaults, so there is one copy of them: read them,
 * with their contracts, in lib/protocols/zab/rules.ts (Medeiros, "ZooKeeper's atomic broadcast
 * protocol: Theory and practice", 2012: §3.1 and ZooKeeper's
 * FastLeaderElection.totalOrderPredicate for compareVotes; §3.2 and Junqueira, Reed & Serafini,
 * DSN 2011, §IV-B, with ZooKeeper's LearnerHandler.syncFollower, for chooseSync).
 */
export { compareVotes, chooseSync } from '../lib/protocols/zab';
