/**
 * A linearizability checker for client histories, as in Porcupine
 * (github.com/anishathalye/porcupine, MIT). Sources:
 * - Herlihy & Wing, "Linearizability: a correctness condition for concurrent objects", TOPLAS 1990.
 * - Wing & Gong, "Testing and verifying concurrent objects", JPDC 1993: the search.
 * - Lowe, "Testing for linearizability", CCPE 2017: memoized configurations.
 * - Horn & Kroening, "Faster linearizability checking via P-compositionality", FORTE 2015.
 * Models are data plus pure functions; a register and a key-value store come with it.
 *
 * @example
 *   import { checkRegisterHistory } from 'consensus-lab';
 *   const result = checkRegisterHistory(sim.history);
 *   result.ok === true ? 'linearizable' : result.message;
 */
export * from './model';
export * from './register';
export * from './kv';
export * from './check';
export * from './counterexample';
export { DeadEnd, LinearizationSearch, SearchOutcome } from './search';
export * from './events';
export * from './interpret';
export { EdnMap, EdnSyntaxError, EdnValue, Keyword, readEdn } from './edn';
export * from './parse-jepsen-log';
export * from './parse-edn-history';
export * from './simulator-history';
export * from './history';
