import { EventSource, Operation, UNKNOWN, Unknown } from './model';

/**
 * Jepsen's history format, whatever file it came from: a list of events, each an `invoke` or the
 * completion of an earlier invoke by the same process: `ok` (it happened, with this result),
 * `fail` (it did not happen) or `info` (nobody knows; Kingsbury, "Jepsen: operations", and
 * `jepsen.history`). Parsers produce these events; `pairEvents` turns them into operations.
 */
export interface HistoryEvent {
  process: string;
  type: 'invoke' | 'ok' | 'fail' | 'info';
  f: string;
  value: unknown;
  /** The key, for key-value histories. */
  key?: string;
  /** Pairs a completion with its invoke when given (the simulator's `opId`); else the process does. */
  opId?: number;
  source: EventSource;
}

/** A history file (or a history in memory) that does not mean anything: where, and why. */
export class HistoryFormatError extends Error {
  constructor(readonly reason: string, readonly file: string | undefined, readonly line: number | undefined) {
    super(`${file ?? 'history'}${line === undefined ? '' : `:${line}`}: ${reason}`);
    this.name = 'HistoryFormatError';
  }
}

/**
 * What one invoke and its completion mean to a model: an operation's input and output (UNKNOWN
 * when the outcome is unknown), or `null` to leave the operation out (it had no effect: a failed
 * write, a read whose result nobody saw). Throws a string-message Error for events that make no
 * sense to the model; `pairEvents` adds the line.
 */
export type Interpretation<Input, Output> = (invoke: HistoryEvent, completion: HistoryEvent | null) => { input: Input; output: Output | Unknown } | null;

/** What pairing found, besides the operations. */
export interface PairingStats {
  /** Operations kept. */
  operations: number;
  /** Kept operations whose outcome is unknown (info, or never completed): return time +infinity. */
  unknownOutcome: number;
  /** Operations left out: failed (no effect), or reads with an unknown result. */
  dropped: number;
}

/**
 * Pairs invokes with completions in history order and interprets each pair. An operation's
 * `call` and `return` are the positions of its events in the list, so real-time order is exactly
 * the order of the history; an operation with an unknown outcome returns at +infinity.
 *
 * @example
 *   pairEvents(events, interpretRegister()).operations[0];
 *   // { id: 0, process: '3', input: { f: 'read' }, output: null, call: 0, return: 5, ... }
 */
export function pairEvents<Input, Output>(
  events: readonly HistoryEvent[],
  interpret: Interpretation<Input, Output>,
  file?: string,
): { operations: Operation<Input, Output>[]; stats: PairingStats } {
  const open = new Map<string, { event: HistoryEvent; index: number; id: number }>();
  const pairs: { invoke: HistoryEvent; call: number; id: number; completion: HistoryEvent | null; returned: number }[] = [];
  const fail = (event: HistoryEvent, reason: string): never => {
    throw new HistoryFormatError(reason, file, event.source.line);
  };
  const where = (event: HistoryEvent) =>
    event.source.line !== undefined ? `line ${event.source.line}` : event.source.timeMs !== undefined ? `${event.source.timeMs} ms` : 'earlier';
  let invokes = 0;
  events.forEach((event, index) => {
    const pairKey = event.opId !== undefined ? `op ${event.opId}` : `process ${event.process}`;
    const pending = open.get(pairKey);
    if (event.type === 'invoke') {
      if (pending) {
        fail(event, `${pairKey} invoked :${event.f} while its :${pending.event.f} from ${where(pending.event)} had not completed (a process runs one operation at a time)`);
      }
      open.set(pairKey, { event, index, id: invokes++ });
      return;
    }
    if (!pending) fail(event, `${pairKey} completed (:${event.type} :${event.f}) an operation it never invoked`);
    const invoked = pending as { event: HistoryEvent; index: number; id: number };
    if (invoked.event.f !== event.f) fail(event, `${pairKey} invoked :${invoked.event.f} at ${where(invoked.event)} but completed :${event.f}`);
    open.delete(pairKey);
    pairs.push({ invoke: invoked.event, call: invoked.index, id: invoked.id, completion: event, returned: index });
  });
  for (const pending of open.values()) pairs.push({ invoke: pending.event, call: pending.index, id: pending.id, completion: null, returned: Infinity });
  pairs.sort((a, b) => a.call - b.call);

  const operations: Operation<Input, Output>[] = [];
  const stats: PairingStats = { operations: 0, unknownOutcome: 0, dropped: 0 };
  for (const pair of pairs) {
    let meaning: { input: Input; output: Output | Unknown } | null;
    try {
      meaning = interpret(pair.invoke, pair.completion);
    } catch (error) {
      if (error instanceof HistoryFormatError) throw error;
      const at = pair.completion ?? pair.invoke;
      throw new HistoryFormatError((error as Error).message, file, at.source.line);
    }
    if (meaning === null) {
      stats.dropped++;
      continue;
    }
    const unknown = meaning.output === UNKNOWN;
    if (unknown) stats.unknownOutcome++;
    operations.push({
      id: pair.id,
      process: pair.invoke.process,
      input: meaning.input,
      output: meaning.output,
      call: pair.call,
      return: unknown ? Infinity : pair.returned,
      callSource: pair.invoke.source,
      ...(pair.completion && !unknown ? { returnSource: pair.completion.source } : {}),
    });
  }
  stats.operations = operations.length;
  return { operations, stats };
}
