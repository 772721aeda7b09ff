/**
 * Which implementation a graded test runs: the learner's file in exercises/ or the reference
 * in solutions/ (same exports, file for file). The grader sets the choice through the
 * environment of the child process it runs the tests in, so a graded test only names the
 * module.
 */
import * as path from 'path';
import { Target } from './suite';

/** Environment variable naming the target: 'exercises' (default) or 'solutions'. */
export const targetVariable = 'CONSENSUS_LAB_TARGET';
/**
 * Environment variable naming the directory that holds the compiled `exercises/` and
 * `solutions/` folders (default: dist/). The grader's own tests point it at a fixture.
 */
export const implementationRootVariable = 'CONSENSUS_LAB_IMPL_ROOT';

/** The compiled tree (dist/): this file is dist/lib/grade/target.js. */
export const distRoot = path.resolve(__dirname, '..', '..');
/** The project root, where package.json is. */
export const projectRoot = path.resolve(distRoot, '..');

/** The target named by CONSENSUS_LAB_TARGET, 'exercises' when it is unset. */
export function currentTarget(): Target {
  const value = process.env[targetVariable];
  if (value === undefined || value === '') return 'exercises';
  if (value === 'exercises' || value === 'solutions') return value;
  throw new Error(`${targetVariable} must be 'exercises' or 'solutions', got ${JSON.stringify(value)}`);
}

/** The directory holding exercises/ and solutions/ (CONSENSUS_LAB_IMPL_ROOT, or dist/). */
export function implementationRoot(): string {
  const value = process.env[implementationRootVariable];
  return value ? path.resolve(value) : distRoot;
}

/**
 * Loads `<root>/<target>/<modulePath>`: the learner's module, or the reference one when the
 * grader runs with `--target solutions`. Call it inside a test's run(), not at the top of the
 * graded file: then a learner's module that throws while loading costs the tests that use it,
 * and each of them reports why.
 *
 * @example
 *   type Quorum = typeof import('../../exercises/quorum');
 *   const { quorumSize } = implementation<Quorum>('quorum');
 */
export function implementation<T>(modulePath: string): T {
  if (typeof modulePath !== 'string' || modulePath === '' || path.isAbsolute(modulePath)) {
    throw new Error(`implementation(modulePath): give a path inside exercises/, like 'paxos/acceptor', got ${JSON.stringify(modulePath)}`);
  }
  const target = currentTarget();
  const base = path.join(implementationRoot(), target);
  const file = path.resolve(base, modulePath.replace(/\.(ts|js)$/, ''));
  if (!file.startsWith(base + path.sep)) {
    throw new Error(`implementation('${modulePath}'): the path leaves ${target}/`);
  }
  try {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    return require(file) as T;
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    const message = error instanceof Error ? error.message : '';
    if (code === 'MODULE_NOT_FOUND' && message.includes(`'${file}'`)) {
      const shown = file.startsWith(projectRoot + path.sep) ? path.relative(projectRoot, file) : file;
      throw new Error(
        `cannot find ${shown}.js: does ${target}/${modulePath}.ts exist, and did the build run (npm run build)?`,
      );
    }
    throw error;
  }
}
