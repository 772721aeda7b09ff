/**
 * `npm run grade:class -- SUBMISSIONS --out RESULTS [topic ...] [options]`: grades a folder of
 * learners' submissions into one Gradescope results.json per learner and a summary.csv
 * (lib/grade/class.ts; `--help` lists the options).
 */
import { main } from '../lib/grade/class';

main(process.argv.slice(2)).then(
  (status) => {
    process.exitCode = status;
  },
  (error: unknown) => {
    process.stderr.write(`grade:class: internal error: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exitCode = 3;
  },
);

process.on('SIGINT', () => process.exit(130));
process.on('SIGTERM', () => process.exit(143));
process.on('SIGHUP', () => process.exit(129));
