/**
 * npm run --silent check-history -- FILE: is a recorded client history linearizable?
 *
 * Reads Jepsen log lines (the etcd register histories), EDN maps (the kv histories, or a
 * register history without :key) or a JSON array of the simulator's history entries; the
 * format comes from the content, then the extension. Prints a short summary, the counterexample
 * when there is one, and as the last line exactly `linearizable` (exit 0) or `not linearizable`
 * (exit 1). A file that cannot be read or parsed: an error naming the file and line, exit 2.
 * A search that uses up its budget (--max-steps, --timeout-ms) prints `unknown`, exit 3.
 *
 * Usage: npm run --silent check-history -- FILE [--model register|kv] [--max-steps N]
 *        [--timeout-ms N] [--failed-cas saw-other-value|no-effect]
 */
import * as fs from 'fs';
import {
  CheckOptions,
  DEFAULT_MAX_STEPS,
  HistoryFormatError,
  ModelName,
  ParseOptions,
  checkHistory,
  parseHistory,
} from '../lib/checkers/linearizability';

const USAGE = `usage: npm run --silent check-history -- FILE [--model register|kv] [--max-steps N] [--timeout-ms N] [--failed-cas saw-other-value|no-effect]

FILE holds Jepsen log lines ("INFO  jepsen.util - 3 :invoke :read nil"), EDN maps
("{:process 9, :type :invoke, :f :append, :key \\"0\\", :value \\"x 9 0 y\\"}") or a JSON array of
the simulator's history entries. The last line printed is "linearizable" (exit 0) or
"not linearizable" (exit 1); "unknown" (exit 3) when the search budget ran out; bad input: exit 2.
Default budget: ${DEFAULT_MAX_STEPS} search steps.`;

const FORMAT_NAMES = { 'jepsen-log': 'Jepsen log lines', edn: 'EDN maps', json: "the simulator's history entries (JSON)" };
const MODEL_NAMES = { register: 'read/write/cas register', kv: 'key-value store, checked key by key' };

interface Args {
  file: string;
  parse: ParseOptions;
  check: CheckOptions;
}

function parseArgs(argv: string[]): Args {
  const parse: ParseOptions = {};
  const check: CheckOptions = {};
  let file: string | null = null;
  const positiveNumber = (flag: string, text: string | undefined): number => {
    const value = Number(text);
    if (text === undefined || !Number.isFinite(value) || value <= 0) usageError(`${flag} needs a positive number, got ${text ?? 'nothing'}`);
    return value;
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--help' || arg === '-h') {
      console.log(USAGE);
      process.exit(0);
    } else if (arg === '--model') {
      const model = argv[++i];
      if (model !== 'register' && model !== 'kv') usageError(`--model must be register or kv, got ${model ?? 'nothing'}`);
      parse.model = model as ModelName;
    } else if (arg === '--max-steps') check.maxSteps = positiveNumber(arg, argv[++i]);
    else if (arg === '--timeout-ms') {
      check.timeoutMs = positiveNumber(arg, argv[++i]);
      check.clock = () => performance.now();
    } else if (arg === '--failed-cas') {
      const mode = argv[++i];
      if (mode !== 'saw-other-value' && mode !== 'no-effect') usageError(`--failed-cas must be saw-other-value or no-effect, got ${mode ?? 'nothing'}`);
      parse.failedCas = mode as 'saw-other-value' | 'no-effect';
    } else if (arg.startsWith('--')) usageError(`unknown flag ${arg}`);
    else if (file === null) file = arg;
    else usageError(`one FILE at a time (got ${file} and ${arg})`);
  }
  if (file === null) usageError('which history? Give a FILE');
  parse.file = file as string;
  return { file: file as string, parse, check };
}

function usageError(reason: string): never {
  console.error(`check-history: ${reason}\n\n${USAGE}`);
  process.exit(2);
}

function main(): void {
  const { file, parse, check } = parseArgs(process.argv.slice(2));
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    console.error(`check-history: cannot read ${file}: ${(error as Error).message}`);
    process.exit(2);
  }
  let history;
  try {
    history = parseHistory(text, parse);
  } catch (error) {
    if (!(error instanceof HistoryFormatError)) throw error;
    console.error(`check-history: ${error.message}`);
    process.exit(2);
  }
  const started = performance.now();
  const result = checkHistory(history, check);
  const ms = performance.now() - started;
  const { stats } = history;
  const skipped = history.skippedLines > 0 ? `, ${history.skippedLines} lines skipped (other loggers, nemesis)` : '';
  console.log(`history: ${file} (${FORMAT_NAMES[history.format]}${skipped})`);
  console.log(`model: ${MODEL_NAMES[history.model]}${history.model === 'kv' ? ` (${result.stats.partitions} key${result.stats.partitions === 1 ? '' : 's'})` : ''}`);
  console.log(
    `operations: ${stats.operations} checked, ${stats.unknownOutcome} of them with unknown outcome; ${stats.dropped} left out (failed, or reads with unknown result)`,
  );
  console.log(`search: ${result.stats.steps} steps, ${result.stats.configurations} configurations, ${ms.toFixed(1)} ms`);
  if (result.ok === true) {
    console.log('linearizable');
    process.exit(0);
  }
  console.log(result.message);
  if (result.ok === false) {
    console.log('not linearizable');
    process.exit(1);
  }
  console.log('unknown');
  process.exit(3);
}

if (require.main === module) main();
