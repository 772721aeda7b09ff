/**
 * Exercise: a TCC participant's Try, Confirm and Cancel rules. Reference solution. The learner's
 * version is exercises/tcc.ts, with the same exports.
 *
 * The reference rules are the library's own defaults, so there is one copy of them: read them,
 * with their contracts, in lib/protocols/tcc/rules.ts (Seata's TCC fence; Helland 2007 §5).
 */
export { tryBranch, confirmBranch, cancelBranch } from '../lib/protocols/tcc/rules';
