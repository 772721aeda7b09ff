/**
 * `npm run grade -- [topic ...] [options]`: the autograder (lib/grade/cli.ts; `--help` lists
 * the options). Runs each compiled graded file in child processes and prints a table, the
 * total and "N passed, M failed"; `--json FILE` writes Gradescope's results.json.
 */
import { main } from '../lib/grade/cli';

main(process.argv.slice(2)).then(
  (status) => {
    process.exitCode = status;
  },
  (error: unknown) => {
    process.stderr.write(`grade: internal error: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exitCode = 3;
  },
);

process.on('SIGINT', () => process.exit(130));
process.on('SIGTERM', () => process.exit(143));
process.on('SIGHUP', () => process.exit(129));
