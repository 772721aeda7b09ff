import { EventSource, SequentialModel, Operation, UNKNOWN } from './model';
import { DeadEnd } from './search';

/**
 * Turning the search's deepest dead end into something a student can read: which operation
 * could not be linearized, when it was called and returned and by whom, and the longest order
 * of earlier operations that the model did accept (the "partial linearization" Porcupine draws
 * in its visualization, here as text).
 */

/** One operation, as a counterexample reports it. */
export interface OperationReport {
  /** The operation's `id` (its position in the history it was read from). */
  id: number;
  process: string;
  /** "read() -> 3", "append('3', 'x 1 0 y')". */
  description: string;
  /** "line 40", "12.5 ms", or "t=3": where the call happened. */
  calledAt: string;
  /** Likewise for the return, or "never (outcome unknown)". */
  returnedAt: string;
}

/** Why a history is not linearizable. */
export interface LinearizabilityCounterexample {
  /** The key of the sub-history that failed, for models that partition (the kv store). */
  key?: string;
  /** The longest order of operations the search could linearize before getting stuck. */
  linearizablePrefix: OperationReport[];
  /** The model's state after that prefix, described ("the register held 4"). */
  stateAfterPrefix: string;
  /** The operation that could not be linearized after the prefix (it returned first). */
  blocked: OperationReport;
  /** Operations still open at that point that were also tried as the next one, and failed. */
  alsoPending: OperationReport[];
}

/** How many operations of a long prefix a message shows (the last ones). */
const PREFIX_SHOWN = 8;
/** How many pending operations a message shows. */
const PENDING_SHOWN = 5;

/** The counterexample of a dead end, with operations described by the model. */
export function buildCounterexample<State, Input, Output>(
  model: SequentialModel<State, Input, Output>,
  operations: readonly Operation<Input, Output>[],
  deadEnd: DeadEnd<State>,
  key: string | undefined,
): LinearizabilityCounterexample {
  const report = (index: number) => reportOperation(model, operations[index]);
  return {
    ...(key === undefined ? {} : { key }),
    linearizablePrefix: deadEnd.prefix.map(report),
    stateAfterPrefix: model.describeState(deadEnd.state),
    blocked: report(deadEnd.blocked),
    alsoPending: deadEnd.pending.map(report),
  };
}

/** One operation as a report. */
export function reportOperation<State, Input, Output>(model: SequentialModel<State, Input, Output>, op: Operation<Input, Output>): OperationReport {
  return {
    id: op.id,
    process: op.process,
    description: model.describeOperation(op.input, op.output),
    calledAt: formatWhen(op.callSource, op.call),
    returnedAt: op.output === UNKNOWN && op.return === Infinity ? 'never (outcome unknown)' : formatWhen(op.returnSource, op.return),
  };
}

/**
 * The message: "Not linearizable on key '3': get('3') -> 'x 1 0 y' returned at line 123 (process
 * 4, called at line 120), but after the linearizable order [put('3', 'x 0 0 y') [p1, lines 3-5],
 * ...] the value was 'x 0 0 y'."
 */
export function counterexampleMessage(example: LinearizabilityCounterexample): string {
  const where = example.key === undefined ? '' : ` on key '${example.key}'`;
  const b = example.blocked;
  const prefix = example.linearizablePrefix;
  const shown = prefix.slice(-PREFIX_SHOWN).map(shortReport);
  const hidden = prefix.length - shown.length;
  const earlier = hidden > 0 ? `... ${hidden} earlier operation${hidden === 1 ? '' : 's'}, ` : '';
  const order = prefix.length === 0 ? 'before any other operation' : `after the linearizable order [${earlier}${shown.join(', ')}]`;
  let text = `Not linearizable${where}: ${b.description} returned at ${b.returnedAt} (process ${b.process}, called at ${b.calledAt}), but ${order} ${example.stateAfterPrefix}.`;
  if (example.alsoPending.length > 0) {
    const more = example.alsoPending.length > PENDING_SHOWN ? `, and ${example.alsoPending.length - PENDING_SHOWN} more` : '';
    const list = example.alsoPending.slice(0, PENDING_SHOWN).map(shortReport).join(', ');
    text += ` Putting one of the operations still open then first does not help either: ${list}${more}.`;
  }
  return text;
}

/** "write(4) [p2, lines 3-9]", "write(1) (outcome unknown) [p6, from line 72]", "read() -> 1 [p0, 10-12.5 ms]". */
function shortReport(op: OperationReport): string {
  const who = /^\d+$/.test(op.process) ? `p${op.process}` : op.process;
  return `${op.description} [${who}, ${span(op.calledAt, op.returnedAt)}]`;
}

function span(calledAt: string, returnedAt: string): string {
  if (returnedAt.startsWith('never')) return `from ${calledAt}`;
  const lines = /^line (\d+)$/;
  const ms = /^(.*) ms$/;
  const [a, b] = [lines.exec(calledAt), lines.exec(returnedAt)];
  if (a && b) return `lines ${a[1]}-${b[1]}`;
  const [c, d] = [ms.exec(calledAt), ms.exec(returnedAt)];
  if (c && d) return `${c[1]}-${d[1]} ms`;
  return `${calledAt} to ${returnedAt}`;
}

/** "line 40", "12.5 ms" or "t=3". */
function formatWhen(source: EventSource | undefined, time: number): string {
  if (source?.line !== undefined) return `line ${source.line}`;
  if (source?.timeMs !== undefined) return `${Math.round(source.timeMs * 1000) / 1000} ms`;
  return time === Infinity ? 'never' : `t=${time}`;
}
