import { EdnMap, EdnSyntaxError, Keyword, readEdn } from './edn';
import { HistoryEvent, HistoryFormatError } from './events';
import { ParsedEvents } from './parse-jepsen-log';

/**
 * A Jepsen history as EDN maps, one per line, as in the kv histories (Porcupine's
 * `test_data/kv`):
 *
 *   {:process 9, :type :invoke, :f :append, :key "0", :value "x 9 0 y"}
 *   {:process 9, :type :ok, :f :append, :key "0", :value "x 9 0 y"}
 *
 * `:process`, `:type` and `:f` are required, `:key` and `:value` optional (a register history
 * has no `:key`). Skipped: blank lines, `;` comments, and the nemesis's events.
 */

/**
 * Parses the text of an EDN history; throws HistoryFormatError naming the file and line.
 *
 * @example
 *   parseEdnHistory('{:process 1, :type :invoke, :f :get, :key "9", :value nil}').events[0];
 *   // { process: '1', type: 'invoke', f: 'get', key: '9', value: null, source: { line: 1 } }
 */
export function parseEdnHistory(text: string, file?: string): ParsedEvents {
  const events: HistoryEvent[] = [];
  let skippedLines = 0;
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = index + 1;
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith(';')) return;
    const fail = (reason: string): never => {
      throw new HistoryFormatError(reason, file, line);
    };
    let map: unknown;
    try {
      map = readEdn(trimmed);
    } catch (error) {
      if (!(error instanceof EdnSyntaxError)) throw error;
      return fail(`not an EDN map (${error.message}): ${JSON.stringify(trimmed.slice(0, 80))}`);
    }
    if (map === null || typeof map !== 'object' || Array.isArray(map) || map instanceof Keyword) {
      return fail(`expected one map per line like {:process 1, :type :invoke, :f :read, :value nil}, got ${JSON.stringify(trimmed.slice(0, 80))}`);
    }
    const fields = map as EdnMap;
    const process = fields.process;
    if (process instanceof Keyword && process.name === 'nemesis') {
      skippedLines++;
      return;
    }
    if (typeof process !== 'number' && typeof process !== 'string') return fail('missing :process (a number)');
    const type = fields.type;
    if (!(type instanceof Keyword) || !['invoke', 'ok', 'fail', 'info'].includes(type.name)) {
      return fail(`:type must be :invoke, :ok, :fail or :info, got ${String(type)}`);
    }
    const f = fields.f;
    if (!(f instanceof Keyword) && typeof f !== 'string') return fail(`missing :f (the operation, e.g. :read)`);
    const event: HistoryEvent = {
      process: String(process),
      type: type.name as HistoryEvent['type'],
      f: f instanceof Keyword ? f.name : f,
      value: fields.value === undefined ? null : fields.value,
      source: { line },
    };
    if (fields.key !== undefined) {
      if (typeof fields.key !== 'string' && typeof fields.key !== 'number') return fail(`:key must be a string or a number, got ${String(fields.key)}`);
      event.key = String(fields.key);
    }
    events.push(event);
  });
  return { events, skippedLines };
}
