/**
 * The autograder's authoring API: what a graded test file and an exercise stub import.
 * The runner and the command line (runner.ts, cli.ts; `npm run grade`) are not re-exported
 * here, so loading this module in a notebook or in a test process stays cheap.
 *
 * @example
 *   // test/graded/quorum.graded.ts
 *   import { GradedFailure, gradedSuite, implementation } from '../../lib/grade';
 *   type Quorum = typeof import('../../exercises/quorum');
 *
 *   export default gradedSuite('quorum', [
 *     { name: 'any two quorums intersect', points: 2, run(ctx) {
 *         const { quorumSize } = implementation<Quorum>('quorum');
 *         for (const n of ctx.seeds(9)) {
 *           if (2 * quorumSize(n) <= n) throw new GradedFailure({ invariant: 'intersection', seed: n,
 *             message: `two quorums of ${quorumSize(n)} out of ${n} nodes can be disjoint` });
 *         }
 *     } },
 *   ]);
 */
export { GradedFailure, NotImplemented, isGradedFailure, isNotImplemented } from './errors';
export type { GradedFailureFields } from './errors';
export { gradedSuite, isGradedSuite } from './suite';
export type { GradedContext, GradedSuite, GradedTest, Target } from './suite';
export { currentTarget, implementation, implementationRoot, implementationRootVariable, targetVariable } from './target';
export { callFrozenRule, failRule, frozenCopy } from './inputs';
