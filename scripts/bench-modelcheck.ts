/**
 * How fast the model checker is (lib/modelcheck) on Basic Paxos with 3 acceptors and 2
 * proposers: each proposer proposing once or twice, with and without acceptor crashes, the
 * two network models, and how long each broken variant takes to give its counterexample.
 * One run per case (the search is deterministic: the counts never change, only the time).
 *
 * Usage: node dist/scripts/bench-modelcheck.js [--quick]   (--quick leaves out the 'twice' cases)
 * The main bench calls `benchModelCheck()` and `formatModelCheckBench(rows)`.
 */
import { ExploreOptions, PaxosModelOptions, checkPaxosModel } from '../lib/modelcheck';
import { brokenPaxosRules } from '../lib/protocols/paxos';

/** One case of the model-checker bench. */
export interface ModelCheckBenchCase {
  name: string;
  options: PaxosModelOptions;
  explore?: ExploreOptions;
  /** True for the slow cases that --quick leaves out. */
  slow?: boolean;
}

/** One case's result. */
export interface ModelCheckBenchRow {
  name: string;
  verdict: 'safe' | 'counterexample' | 'incomplete';
  statesExplored: number;
  transitions: number;
  depth: number;
  timeMs: number;
  statesPerSecond: number;
  /** Steps of the counterexample, when there is one. */
  counterexampleSteps?: number;
}

/** The cases: the graded preset first ('once', one crash), then the proofs, then the bugs. */
export const MODEL_CHECK_CASES: ModelCheckBenchCase[] = [
  { name: "once, 1 crash (graded preset)", options: {} },
  { name: 'once, no crash', options: { crashes: 0 } },
  { name: 'once, 2 crashes', options: { crashes: 2 } },
  { name: 'once, no crash, multiset network', options: { crashes: 0 }, explore: { network: 'multiset', loss: false } },
  { name: 'once, 1 crash, symmetry', options: { symmetry: true } },
  { name: 'twice, no crash, symmetry', options: { retries: 1, crashes: 0, symmetry: true }, slow: true },
  { name: 'twice, 1 crash, symmetry', options: { retries: 1, crashes: 1, symmetry: true }, slow: true },
  { name: 'bug: forgetAcceptedInPromise', options: { rules: brokenPaxosRules.forgetAcceptedInPromise } },
  { name: 'bug: ignoreAcceptedValue', options: { rules: brokenPaxosRules.ignoreAcceptedValue } },
  { name: 'bug: acceptBelowPromise', options: { rules: brokenPaxosRules.acceptBelowPromise } },
  { name: 'bug: promiseEqualNumbers', options: { rules: brokenPaxosRules.promiseEqualNumbers } },
  { name: 'bug: acceptor never persists', options: { rules: brokenPaxosRules.neverPersist } },
  { name: 'bug: acceptor replies before it persists', options: { rules: brokenPaxosRules.replyBeforePersist } },
];

/**
 * Runs every case (all but the slow ones with `quick`) and times it.
 *
 * @example
 *   console.log(formatModelCheckBench(benchModelCheck({ quick: true })));
 */
export function benchModelCheck(options: { quick?: boolean } = {}): ModelCheckBenchRow[] {
  return MODEL_CHECK_CASES.filter((c) => !(options.quick && c.slow)).map((c) => {
    const r = checkPaxosModel(c.options, { ...c.explore, clock: () => performance.now() });
    const row: ModelCheckBenchRow = {
      name: c.name,
      verdict: !r.ok ? 'counterexample' : r.complete ? 'safe' : 'incomplete',
      statesExplored: r.statesExplored,
      transitions: r.transitions,
      depth: r.depth,
      timeMs: r.timeMs ?? 0,
      statesPerSecond: r.statesPerSecond ?? 0,
    };
    if (r.counterexample) row.counterexampleSteps = r.counterexample.steps.length;
    return row;
  });
}

/** The rows as a table, one line each. */
export function formatModelCheckBench(rows: readonly ModelCheckBenchRow[]): string {
  const n = (x: number) => Math.round(x).toLocaleString('en-US');
  return rows
    .map((r) => {
      const verdict = r.verdict === 'counterexample' ? `counterexample, ${r.counterexampleSteps} steps` : r.verdict;
      return `  ${r.name.padEnd(38)} ${n(r.statesExplored).padStart(10)} states ${n(r.transitions).padStart(11)} transitions  depth ${String(r.depth).padStart(2)}  ${(r.timeMs / 1000).toFixed(2).padStart(6)} s  ${n(r.statesPerSecond).padStart(8)} states/s  ${verdict}`;
    })
    .join('\n');
}

if (require.main === module) {
  const quick = process.argv.includes('--quick');
  console.log(`model checker, Basic Paxos, 3 acceptors, 2 proposers (node ${process.version}):`);
  console.log(formatModelCheckBench(benchModelCheck({ quick })));
}
