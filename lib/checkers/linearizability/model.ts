/**
 * What the linearizability checker checks against: a sequential specification written as
 * data plus pure functions, in the style of Porcupine's `Model` (github.com/anishathalye/
 * porcupine, `model.go`). A history is linearizable when its operations can be put in one
 * order that respects real time (an operation that returned before another was called comes
 * first) and that the sequential model accepts, step by step (Herlihy & Wing, "Linearizability: a correctness condition for concurrent objects", 1990).
 */
import { fnv1a32 } from '../../core/hash';

/**
 * The output of an operation whose outcome is unknown (Jepsen's `:info`, or an operation still
 * open when the run ended). The checker gives such an operation a return time of +infinity: it
 * may take effect at any time after its call, or never (Porcupine's README, "unknown
 * outcomes"). A model's `step` must accept any output when it sees this value.
 */
export const UNKNOWN: unique symbol = Symbol('unknown outcome');
export type Unknown = typeof UNKNOWN;

/** Where an event of an operation came from, for messages: a line of a file, a virtual time. */
export interface EventSource {
  /** 1-based line of the file the event was read from. */
  line?: number;
  /** Virtual time of the simulator, in milliseconds. */
  timeMs?: number;
}

/**
 * One operation of a history: its input, its output (or UNKNOWN), and when it was called and
 * returned. `call` and `return` only order events: any numbers work (a line number, a position
 * in the history, a time), with `return` > `call`, and `return` = Infinity for an unknown outcome.
 *
 * @example
 *   const write: Operation<RegisterInput, RegisterOutput> =
 *     { id: 0, process: '1', input: { f: 'write', value: 4 }, output: true, call: 0, return: 3 };
 */
export interface Operation<Input, Output> {
  /** Position in the history the operation was read from; counterexamples list operations by it. */
  id: number;
  /** The client that ran it (Jepsen's :process). */
  process: string;
  input: Input;
  output: Output | Unknown;
  call: number;
  return: number;
  /** Where the call and the return came from, for messages. */
  callSource?: EventSource;
  returnSource?: EventSource;
}

/**
 * A sequential specification (Porcupine's `Model`). Everything is a pure function of its
 * arguments: `step` never changes `state`, it returns the next one.
 *
 * @example
 *   // A counter with increments and reads:
 *   const counter: SequentialModel<number, { f: 'inc' } | { f: 'read' }, number | null> = {
 *     name: 'counter',
 *     init: () => 0,
 *     step: (n, input, output) =>
 *       input.f === 'inc' ? [true, n + 1] : [output === UNKNOWN || output === n, n],
 *     equal: (a, b) => a === b,
 *     hash: (n) => n,
 *     describeOperation: (input, output) => (input.f === 'inc' ? 'inc()' : `read() -> ${String(output)}`),
 *     describeState: (n) => `the counter was ${n}`,
 *   };
 */
export interface SequentialModel<State, Input, Output> {
  /** A short name for messages ("register", "key-value store"). */
  name: string;
  /** The state before any operation. */
  init(): State;
  /**
   * Applies `input` to `state`: whether `output` is what the specification allows there, and the
   * state after. With `output === UNKNOWN` every output is allowed.
   */
  step(state: State, input: Input, output: Output | Unknown): [boolean, State];
  /** Equality of states, for the search's memo of configurations already explored. */
  equal(a: State, b: State): boolean;
  /** A 32-bit hash of a state, consistent with `equal`. */
  hash(state: State): number;
  /**
   * P-compositionality (Horn & Kroening, "Faster linearizability checking via
   * P-compositionality", 2015, after the locality of Herlihy & Wing 1990): when the object is a
   * product of independent objects (the keys of a store), a history is linearizable iff every
   * sub-history is, and checking the parts is far cheaper than the whole.
   * Returns the parts in a fixed order, each with the key that names it in messages.
   */
  partition?(operations: readonly Operation<Input, Output>[]): { key: string; operations: Operation<Input, Output>[] }[];
  /** One operation for a message: "read() -> 3", "cas(4, 2) -> ok". */
  describeOperation(input: Input, output: Output | Unknown): string;
  /** One state for a message, after "after the linearizable order [...]": "the register held 4". */
  describeState(state: State): string;
}

/** 32-bit FNV-1a of a string, for model hashes of strings. */
export function hashString(text: string): number {
  return fnv1a32(text);
}

/** A 32-bit hash of a number, null, or string: what register values are. */
export function hashPrimitive(value: number | string | null): number {
  if (value === null) return 0x5bd1e995;
  if (typeof value === 'string') return hashString(value) ^ 0x27d4eb2f;
  if (Number.isInteger(value) && Math.abs(value) < 0x7fffffff) return Math.imul(value | 0, 0x9e3779b1) >>> 0;
  return hashString(String(value));
}
