/**
 * How a graded test file declares its tests (DSLabs' `@TestPointValue`, as plain data).
 * A file `test/graded/<topic>.graded.ts` default-exports `gradedSuite(topic, tests)`; the
 * grader runs it in a child process, one test at a time, in the order declared.
 */

/** Which half of a protocol the graded tests load: the learner's or the reference. */
export type Target = 'exercises' | 'solutions';

/** What a graded test gets from the grader. */
export interface GradedContext {
  /**
   * The seeds to sweep: 1..defaultCount, or exactly [N] when the grader runs with `--seed N`
   * (the replay command). Iterate with `for (const seed of ctx.seeds(50))`: the grader then
   * knows which seed was running when the test crashed, hung or ran out of memory.
   */
  seeds(defaultCount: number): number[];
  /** 'exercises' (the learner's code, the default) or 'solutions' (the reference). */
  readonly target: Target;
  /** The topic and the test's name, as the replay command spells them. */
  readonly topic: string;
  readonly testName: string;
  /** Adds a line to the test's captured output (util.format style), shown when it fails. */
  log(...args: unknown[]): void;
}

/** One graded test. It fails by throwing (GradedFailure for a broken invariant). */
export interface GradedTest {
  /** Unique in its file; the replay command selects the test by this name. */
  name: string;
  /** Points earned when the test passes (all or nothing). */
  points: number;
  /** Hidden tests are marked 'hidden' in results.json (see the grader's --hide-hidden). */
  hidden?: boolean;
  /** One or two sentences on what is checked and why; printed above a failure. */
  description?: string;
  /** Wall-clock limit for the whole test, default 20 s (or the grader's --timeout-ms). */
  timeoutMs?: number;
  run(ctx: GradedContext): void | Promise<void>;
}

/** What a graded file default-exports. */
export interface GradedSuite {
  readonly topic: string;
  readonly tests: readonly GradedTest[];
}

const topicPattern = /^[a-z0-9][a-z0-9._-]*$/i;

/**
 * Declares the graded tests of one topic and checks the declaration (unique names,
 * non-negative points), so that a mistake in a graded file is reported when it loads.
 *
 * @example
 *   export default gradedSuite('quorum', [
 *     { name: 'majority of 5 is 3', points: 1, run() {
 *         const { quorumSize } = implementation<typeof import('../../exercises/quorum')>('quorum');
 *         if (quorumSize(5) !== 3) throw new Error(`quorumSize(5) returned ${quorumSize(5)}, expected 3`);
 *     } },
 *   ]);
 */
export function gradedSuite(topic: string, tests: readonly GradedTest[]): GradedSuite {
  if (typeof topic !== 'string' || !topicPattern.test(topic)) {
    throw new Error(`gradedSuite: topic must be a word like 'raft' or 'paxos-basic', got ${JSON.stringify(topic)}`);
  }
  if (!Array.isArray(tests) || tests.length === 0) {
    throw new Error(`gradedSuite('${topic}'): give at least one test`);
  }
  const names = new Set<string>();
  for (const [index, test] of tests.entries()) {
    const where = `gradedSuite('${topic}') test #${index + 1}`;
    if (typeof test !== 'object' || test === null) throw new Error(`${where} is not an object`);
    if (typeof test.name !== 'string' || test.name.trim() === '') throw new Error(`${where} needs a name`);
    if (/[\r\n]/.test(test.name)) throw new Error(`${where}: the name must be one line`);
    if (names.has(test.name)) throw new Error(`${where}: the name "${test.name}" is used twice`);
    names.add(test.name);
    if (typeof test.points !== 'number' || !Number.isFinite(test.points) || test.points < 0) {
      throw new Error(`${where} ("${test.name}"): points must be a number >= 0, got ${String(test.points)}`);
    }
    if (test.timeoutMs !== undefined && !(typeof test.timeoutMs === 'number' && test.timeoutMs > 0)) {
      throw new Error(`${where} ("${test.name}"): timeoutMs must be a number > 0, got ${String(test.timeoutMs)}`);
    }
    if (typeof test.run !== 'function') throw new Error(`${where} ("${test.name}") needs a run(ctx) function`);
  }
  return Object.freeze({ topic, tests: Object.freeze(tests.slice()) });
}

/** True when `value` has the shape gradedSuite returns. */
export function isGradedSuite(value: unknown): value is GradedSuite {
  if (typeof value !== 'object' || value === null) return false;
  const suite = value as Partial<GradedSuite>;
  return typeof suite.topic === 'string' && Array.isArray(suite.tests);
}
