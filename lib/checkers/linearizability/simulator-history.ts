import { HistoryEntry, TraceEvent } from '../../core';
import { HistoryEvent } from './events';

/**
 * The simulator's own client history (lib/sim `HistoryEntry`, `sim.history`, written by
 * `ctx.invoke` and `ctx.complete`) as history events. `HistoryEntry` lives in lib/core,
 * since checkers depend on lib/core only (STYLE.md, "Layers").
 *
 * Values, by model:
 *
 * - register: `invoke('p1', 'read')` then `complete(id, 'ok', 4)` (undefined or null: nil);
 *   `invoke('p1', 'write', 4)` then `complete(id, 'ok')`; `invoke('p1', 'cas', [4, 2])` (or
 *   `{ expected: 4, new: 2 }`) then `complete(id, 'ok')` when it swapped or `complete(id,
 *   'fail')` when it saw another value.
 * - key-value store: `value` is `{ key, value }`: `invoke('p1', 'get', { key: 'x' })` then
 *   `complete(id, 'ok', { key: 'x', value: 'ab' })` (or just `'ab'`);
 *   `invoke('p1', 'put', { key: 'x', value: 'a' })` or `'append'`, then `complete(id, 'ok')`.
 *
 * `fail` means "had no effect"; `info`, or no completion by the end of the run, means "unknown
 * outcome". Events are taken in the order of the array (the order the simulator processed
 * them), which is finer than their `timeMs`: two events at one virtual time still happened one
 * after the other.
 */
export type HistoryEntryLike = HistoryEntry;

/**
 * History events from the simulator's history (see the module comment for the values).
 *
 * @example
 *   const { operations } = pairEvents(eventsFromSimulator(sim.history), interpretKv());
 */
export function eventsFromSimulator(entries: readonly HistoryEntryLike[]): HistoryEvent[] {
  return entries.map((entry) => {
    const event: HistoryEvent = {
      process: String(entry.process),
      type: entry.type,
      f: entry.f,
      value: entry.value,
      opId: entry.opId,
      source: { timeMs: entry.timeMs },
    };
    const value = entry.value;
    if (value !== null && typeof value === 'object' && !Array.isArray(value) && 'key' in value) {
      const keyed = value as { key: unknown; value?: unknown };
      event.key = String(keyed.key);
      event.value = keyed.value === undefined ? null : keyed.value;
    }
    return event;
  });
}

/**
 * The client history recorded in a trace (its invoke and return events), in the simulator's
 * HistoryEntry shape.
 *
 * @example
 *   checkRegisterHistory(historyFromTrace(sim.trace.events));
 */
export function historyFromTrace(events: readonly TraceEvent[]): HistoryEntryLike[] {
  const out: HistoryEntryLike[] = [];
  for (const e of events) {
    if (e.kind === 'invoke') out.push({ opId: e.opId, process: e.process, type: 'invoke', f: e.f, value: e.value, timeMs: e.timeMs });
    else if (e.kind === 'return') out.push({ opId: e.opId, process: e.process, type: e.type, f: e.f, value: e.value, timeMs: e.timeMs });
  }
  return out;
}
