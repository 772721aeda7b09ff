import { ConfigError, requireInteger, requireNumberInRange } from '../../core';
import { LinearizabilityCounterexample, buildCounterexample, counterexampleMessage } from './counterexample';
import { SequentialModel, Operation } from './model';
import { LinearizationSearch, SearchOutcome } from './search';

/**
 * The linearizability checker: is there one order of the operations that respects real time and
 * that the model accepts (Herlihy & Wing 1990)? Splits the history with the model's `partition`
 * when it has one (P-compositionality), then runs the search of Wing & Gong (1993) with Lowe's
 * (2017) memo on each part, as Porcupine does (`CheckOperations`).
 */

/** Limits for a check. Without them the default step budget applies. */
export interface CheckOptions {
  /** Search steps (entries visited) for the whole history; default DEFAULT_MAX_STEPS; Infinity for no limit. */
  maxSteps?: number;
  /** Wall-clock budget in milliseconds; needs `clock`. */
  timeoutMs?: number;
  /**
   * A clock in milliseconds, e.g. `() => performance.now()`. lib/ code reads no real clock by
   * itself (see `npm run lint`), so a time budget is passed in by the caller (the CLI does).
   */
  clock?: () => number;
}

/**
 * About 3 s of search and under 1 GB of memory on a laptop, even for string states: far more
 * than the histories of the course need (the hardest of Porcupine's etcd and kv test histories
 * takes 1.4 million steps).
 */
export const DEFAULT_MAX_STEPS = 10_000_000;

/** What the search did, for benchmarks and summaries. */
export interface CheckStats {
  operations: number;
  /** Sub-histories checked (1 without partitioning). */
  partitions: number;
  /** Entries the search visited, over all sub-histories. */
  steps: number;
  /** Configurations memoized, over all sub-histories. */
  configurations: number;
}

/**
 * ok: true, a linearization exists. ok: false, none does, and `counterexample` shows the longest
 * linearizable prefix and the operation that could not follow it. ok: 'unknown', the budget ran
 * out first (the history may be either).
 */
export type LinearizabilityResult =
  | { ok: true; stats: CheckStats }
  | { ok: false; message: string; counterexample: LinearizabilityCounterexample; stats: CheckStats }
  | { ok: 'unknown'; message: string; stats: CheckStats };

/**
 * Checks a history of operations against a model.
 *
 * @example
 *   const ops: Operation<RegisterInput, RegisterOutput>[] = [
 *     { id: 0, process: 'a', input: { f: 'write', value: 1 }, output: true, call: 0, return: 1 },
 *     { id: 1, process: 'b', input: { f: 'read' }, output: null, call: 2, return: 3 },
 *   ];
 *   checkOperations(registerModel, ops);
 *   // { ok: false, message: "Not linearizable: read() -> nil returned at t=3 (process b, called at t=2),
 *   //   but after the linearizable order [write(1) [a, t=0 to t=1]] the register held 1.", ... }
 */
export function checkOperations<State, Input, Output>(
  model: SequentialModel<State, Input, Output>,
  operations: readonly Operation<Input, Output>[],
  options: CheckOptions = {},
): LinearizabilityResult {
  validate(operations);
  const budget = makeBudget(options);
  const parts = model.partition ? model.partition(operations) : [{ key: undefined as string | undefined, operations: operations.slice() }];
  const searches = parts.map((part) => ({ ...part, search: new LinearizationSearch(model, part.operations) }));
  const stats = (): CheckStats => ({
    operations: operations.length,
    partitions: parts.length,
    steps: searches.reduce((sum, s) => sum + s.search.steps, 0),
    configurations: searches.reduce((sum, s) => sum + s.search.configurations, 0),
  });
  // Round robin over the unfinished parts with doubling slices: the first part to fail ends the
  // check early, like Porcupine's parallel check with its kill switch, but deterministic.
  let active = searches;
  let slice = FIRST_SLICE_STEPS;
  let remaining = budget.maxSteps;
  while (active.length > 0) {
    const unfinished: typeof active = [];
    for (const part of active) {
      let left = slice;
      let outcome: SearchOutcome<State> | null = null;
      while (outcome === null && left > 0) {
        const undecided = () => searches.filter((s) => !s.search.finished).length;
        if (remaining <= 0) return unknownResult('steps', part, undecided(), options, stats());
        if (budget.clock !== undefined && budget.clock() > budget.deadline) return unknownResult('time', part, undecided(), options, stats());
        const chunk = Math.min(left, remaining, budget.clock === undefined ? Infinity : CLOCK_EVERY_STEPS);
        const before = part.search.steps;
        outcome = part.search.run(chunk);
        const used = part.search.steps - before;
        left -= chunk;
        remaining -= used;
      }
      if (outcome === null) unfinished.push(part);
      else if (outcome.verdict === 'not linearizable') {
        const counterexample = buildCounterexample(model, part.operations, outcome.deadEnd, part.key);
        return { ok: false, message: counterexampleMessage(counterexample), counterexample, stats: stats() };
      }
    }
    active = unfinished;
    slice *= 2;
  }
  return { ok: true, stats: stats() };
}

/** The first slice of steps each part gets; the slices double every round. */
const FIRST_SLICE_STEPS = 4096;
/** How many steps pass between two reads of the clock. */
const CLOCK_EVERY_STEPS = 4096;

function unknownResult(
  reason: 'steps' | 'time',
  part: { key: string | undefined; operations: readonly unknown[] },
  unfinished: number,
  options: CheckOptions,
  stats: CheckStats,
): LinearizabilityResult {
  const limit = reason === 'steps' ? `its budget of ${options.maxSteps ?? DEFAULT_MAX_STEPS} search steps (maxSteps)` : `its time budget of ${options.timeoutMs} ms (timeoutMs)`;
  const others = unfinished > 1 ? ` and ${unfinished - 1} other key${unfinished > 2 ? 's' : ''}` : '';
  const what = part.key === undefined ? `the history (${part.operations.length} operations)` : `key '${part.key}' (${part.operations.length} operations)${others}`;
  const message =
    `Unknown: the search used up ${limit} before it could decide ${what}. ` +
    `The history may be linearizable or not; raise the budget, or check a shorter history.`;
  return { ok: 'unknown', message, stats };
}

/** The search's limits. */
interface Budget {
  maxSteps: number;
  deadline: number;
  clock?: () => number;
}

function makeBudget(options: CheckOptions): Budget {
  const maxSteps =
    options.maxSteps === undefined ? DEFAULT_MAX_STEPS : options.maxSteps === Infinity ? Infinity : requireNumberInRange('maxSteps', options.maxSteps, 1, Infinity);
  if (options.timeoutMs === undefined) return { maxSteps, deadline: Infinity };
  requireNumberInRange('timeoutMs', options.timeoutMs, 0, Infinity);
  const clock = options.clock;
  if (typeof clock !== 'function') {
    throw new ConfigError('clock', 'a function returning milliseconds (such as performance.now, bound) when timeoutMs is set: lib/ reads no real clock itself', clock);
  }
  return { maxSteps, deadline: clock() + options.timeoutMs, clock };
}

function validate(operations: readonly Operation<unknown, unknown>[]): void {
  operations.forEach((op, index) => {
    requireInteger(`operations[${index}].id`, op.id, 0);
    requireNumberInRange(`operations[${index}].call`, op.call, -Number.MAX_VALUE, Number.MAX_VALUE);
    if (!(op.return === Infinity || (Number.isFinite(op.return) && op.return >= op.call))) {
      throw new ConfigError(`operations[${index}].return`, `a number >= call (${op.call}), or Infinity for an unknown outcome`, op.return);
    }
  });
}
