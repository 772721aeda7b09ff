/**
 * Exercise: the TM's recovery decision for in-doubt XA transactions. Reference solution. The
 * learner's version is exercises/xa.ts, with the same exports.
 *
 * The reference rule is the library's own default, so there is one copy of it: read it, with
 * its contract and sources (XA §2.3 and §3.4; presumed abort, Mohan, Lindsay & Obermarck 1986
 * §2.2), in lib/protocols/xa/recovery.ts.
 */
export { recoveryDecision } from '../lib/protocols/xa/recovery';
