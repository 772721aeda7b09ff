import { LinearizedSet } from './bitset';
import { EntryList } from './entries';
import { ConfigurationMemo } from './memo';
import { SequentialModel, Operation } from './model';

/**
 * The depth-first search for a linearization of one (sub-)history: the algorithm of Wing & Gong
 * (1993), with Lowe's (2017) memo of configurations, as in Porcupine's `checkSingle`.
 *
 * Walk the list of entries from the front. At a call entry, try to linearize that operation
 * next: if the model accepts it and the configuration (linearized set, state) is new, lift the
 * operation out of the list, push it, and start again from the front. At a return entry the
 * operation that returns there has not been linearized, and it must be before its return: the
 * current prefix cannot be extended, so pop the last operation, put it back, and try the entry
 * after it. The history is linearizable when the list empties, and not when the stack does.
 *
 * The search can be run in slices (`run(steps)`), so that the checker can interleave the
 * sub-histories of a partitioned history and stop at the first that fails, as Porcupine does
 * by running them in parallel.
 */

/** The longest prefix the search could linearize, and the operation that blocked it. */
export interface DeadEnd<State> {
  /** Operations (indexes into the sub-history) in the order they were linearized. */
  prefix: number[];
  /** The model state after the prefix. */
  state: State;
  /** The operation whose return was reached before it could be linearized. */
  blocked: number;
  /** Whether the model rejects `blocked` right after the prefix (else: every way on was a dead end). */
  rejectedByModel: boolean;
  /** Operations that were concurrent and not yet linearized there: each was tried as next, and failed. */
  pending: number[];
}

/** The end of a search. */
export type SearchOutcome<State> = { verdict: 'linearizable' } | { verdict: 'not linearizable'; deadEnd: DeadEnd<State> };

/** How many pending operations a dead end lists at most. */
const PENDING_LIMIT = 20;

/**
 * One search, resumable.
 *
 * @example
 *   const search = new LinearizationSearch(registerModel, operations);
 *   let outcome = search.run(10_000);
 *   while (outcome === null) outcome = search.run(10_000);
 *   outcome.verdict; // 'linearizable' or 'not linearizable'
 */
export class LinearizationSearch<State, Input, Output> {
  /** Entries visited so far. */
  steps = 0;
  private readonly list: EntryList;
  private readonly linearized: LinearizedSet;
  private readonly memo: ConfigurationMemo<State>;
  private readonly stackCall: number[] = [];
  private readonly stackState: State[] = [];
  private state: State;
  private entry: number;
  private deadEnd: DeadEnd<State> | null = null;
  private outcome: SearchOutcome<State> | null = null;

  constructor(private readonly model: SequentialModel<State, Input, Output>, private readonly operations: readonly Operation<Input, Output>[]) {
    this.list = new EntryList(operations);
    this.linearized = new LinearizedSet(operations.length);
    this.memo = new ConfigurationMemo<State>(operations.length, model.equal);
    this.state = model.init();
    this.entry = this.list.first();
  }

  /** Whether the search has reached its verdict. */
  get finished(): boolean {
    return this.outcome !== null;
  }

  /** Configurations memoized so far. */
  get configurations(): number {
    return this.memo.size;
  }

  /** Runs at most `maxSteps` more steps; the outcome, or null if the search is not over. */
  run(maxSteps: number): SearchOutcome<State> | null {
    if (this.outcome !== null) return this.outcome;
    const { model, operations, list, linearized, memo, stackCall, stackState } = this;
    const { next, isCall } = list;
    const opOf = list.operation;
    let { entry, state } = this;
    const stopAt = this.steps + maxSteps;
    let steps = this.steps;

    while (entry !== -1 && steps < stopAt) {
      steps++;
      if (isCall[entry] === 1) {
        const index = opOf[entry];
        const op = operations[index];
        const [ok, after] = model.step(state, op.input, op.output);
        if (ok) {
          linearized.add(index);
          if (memo.add(linearized, after, model.hash(after))) {
            stackCall.push(entry);
            stackState.push(state);
            state = after;
            list.lift(entry);
            entry = list.first();
            continue;
          }
          linearized.remove(index);
        }
        entry = next[entry];
      } else {
        // A return entry: its operation had to be linearized by now. Keep the deepest dead end:
        // there the model itself rejects the blocked operation (had it accepted it, the memo hit
        // would mean a deeper configuration was entered before, which left a deeper dead end).
        if (this.deadEnd === null || stackCall.length > this.deadEnd.prefix.length) this.deadEnd = this.describeDeadEnd(state, entry);
        if (stackCall.length === 0) {
          this.outcome = { verdict: 'not linearizable', deadEnd: this.deadEnd };
          break;
        }
        const call = stackCall.pop() as number;
        state = stackState.pop() as State;
        linearized.remove(opOf[call]);
        list.unlift(call);
        entry = next[call];
      }
    }
    this.steps = steps;
    this.entry = entry;
    this.state = state;
    if (entry === -1) this.outcome = { verdict: 'linearizable' };
    return this.outcome;
  }

  private describeDeadEnd(state: State, returnEntry: number): DeadEnd<State> {
    const { list, operations } = this;
    const blocked = list.operation[returnEntry];
    const [accepted] = this.model.step(state, operations[blocked].input, operations[blocked].output);
    const pending: number[] = [];
    for (let e = list.first(); e !== returnEntry && e !== -1 && pending.length < PENDING_LIMIT; e = list.next[e]) {
      if (list.isCall[e] === 1 && list.operation[e] !== blocked) pending.push(list.operation[e]);
    }
    return { prefix: this.stackCall.map((call) => list.operation[call]), state, blocked, rejectedByModel: !accepted, pending };
  }
}
