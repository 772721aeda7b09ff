import { CheckOptions, LinearizabilityResult, checkOperations } from './check';
import { HistoryEvent, HistoryFormatError, PairingStats, pairEvents } from './events';
import { RegisterInterpretationOptions, interpretKv, interpretRegister } from './interpret';
import { KvInput, KvOutput, kvModel } from './kv';
import { Operation } from './model';
import { parseEdnHistory } from './parse-edn-history';
import { parseJepsenLog } from './parse-jepsen-log';
import { RegisterInput, RegisterOutput, registerModel } from './register';
import { HistoryEntryLike, eventsFromSimulator } from './simulator-history';

/**
 * From a history file, or the simulator's history, to a verdict: pick the format, pick the
 * model, pair the events into operations, check.
 */

/** 'jepsen-log': etcd-style log lines. 'edn': one EDN map per line. 'json': the simulator's HistoryEntry[] as JSON. */
export type HistoryFormat = 'jepsen-log' | 'edn' | 'json';
export type ModelName = 'register' | 'kv';

/** A history ready to check, with what parsing found. */
export type ParsedHistory = (
  | { model: 'register'; operations: Operation<RegisterInput, RegisterOutput>[] }
  | { model: 'kv'; operations: Operation<KvInput, KvOutput>[] }
) & { format: HistoryFormat; stats: PairingStats; skippedLines: number };

export interface ParseOptions extends RegisterInterpretationOptions {
  /** The file name, for error messages and for the extension (used when the content is ambiguous). */
  file?: string;
  /** The format; detected from the content (then the extension) when absent. */
  format?: HistoryFormat;
  /** The model; when absent: register for Jepsen logs, kv when events carry a key, else register. */
  model?: ModelName;
}

/**
 * The format of a history text: the first line that is not blank or a comment decides ('{' is
 * EDN, '[' is JSON, "INFO  jepsen.util - " or "3 :invoke" is a Jepsen log); else the extension.
 */
export function detectFormat(text: string, file?: string): HistoryFormat {
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith(';')) continue;
    if (line.startsWith('{')) return 'edn';
    if (line.startsWith('[')) return 'json';
    if (/\s-\s/.test(line) || /^\S+\s+:(invoke|ok|fail|info)\b/.test(line)) return 'jepsen-log';
    break;
  }
  const extension = (file ?? '').toLowerCase().replace(/^.*\./, '');
  if (extension === 'json') return 'json';
  if (extension === 'edn' || extension === 'txt') return 'edn';
  if (extension === 'log') return 'jepsen-log';
  throw new HistoryFormatError(
    'cannot tell the format: expected Jepsen log lines ("INFO  jepsen.util - 3 :invoke :read nil"), EDN maps ("{:process 1, :type :invoke, ...}") or a JSON array of the simulator\'s history entries',
    file,
    undefined,
  );
}

/**
 * Parses a history text into operations for the register or the kv store.
 *
 * @example
 *   const parsed = parseHistory(fs.readFileSync('etcd_000.log', 'utf8'), { file: 'etcd_000.log' });
 *   checkHistory(parsed).ok; // false
 */
export function parseHistory(text: string, options: ParseOptions = {}): ParsedHistory {
  const format = options.format ?? detectFormat(text, options.file);
  let events: HistoryEvent[];
  let skippedLines = 0;
  if (format === 'json') {
    events = eventsFromSimulator(parseJsonEntries(text, options.file));
  } else {
    const parsed = format === 'edn' ? parseEdnHistory(text, options.file) : parseJepsenLog(text, options.file);
    events = parsed.events;
    skippedLines = parsed.skippedLines;
  }
  const model = options.model ?? (format !== 'jepsen-log' && events.some((e) => e.key !== undefined) ? 'kv' : 'register');
  return { ...pairFor(model, events, options), format, skippedLines } as ParsedHistory;
}

/**
 * Checks a parsed history with its model.
 *
 * @example
 *   checkHistory(parseHistory(text)); // { ok: true, stats } or { ok: false, message, counterexample, stats }
 */
export function checkHistory(history: ParsedHistory, options: CheckOptions = {}): LinearizabilityResult {
  return history.model === 'kv' ? checkOperations(kvModel, history.operations, options) : checkOperations(registerModel, history.operations, options);
}

/**
 * Checks the simulator's history of a register (read, write, cas; see simulator-history.ts).
 *
 * @example
 *   const result = checkRegisterHistory(sim.history);
 *   if (result.ok === false) console.log(result.message);
 */
export function checkRegisterHistory(
  entries: readonly HistoryEntryLike[],
  options: CheckOptions & RegisterInterpretationOptions = {},
): LinearizabilityResult {
  const { operations } = pairEvents(eventsFromSimulator(entries), interpretRegister(options));
  return checkOperations(registerModel, operations, options);
}

/**
 * Checks the simulator's history of a key-value store (get, put, append with value `{ key,
 * value }`; see simulator-history.ts), key by key.
 *
 * @example
 *   checkKvHistory(sim.history).ok; // true
 */
export function checkKvHistory(entries: readonly HistoryEntryLike[], options: CheckOptions = {}): LinearizabilityResult {
  const { operations } = pairEvents(eventsFromSimulator(entries), interpretKv());
  return checkOperations(kvModel, operations, options);
}

function pairFor(
  model: ModelName,
  events: readonly HistoryEvent[],
  options: ParseOptions,
): Pick<ParsedHistory, 'model' | 'operations' | 'stats'> {
  if (model === 'kv') return { model, ...pairEvents(events, interpretKv(), options.file) };
  return { model, ...pairEvents(events, interpretRegister(options), options.file) };
}

function parseJsonEntries(text: string, file?: string): HistoryEntryLike[] {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    const position = /position (\d+)/.exec((error as Error).message);
    const line = position ? text.slice(0, Number(position[1])).split('\n').length : undefined;
    throw new HistoryFormatError(`not valid JSON: ${(error as Error).message}`, file, line);
  }
  if (!Array.isArray(data)) throw new HistoryFormatError('expected a JSON array of history entries { opId, process, type, f, value, timeMs }', file, undefined);
  data.forEach((entry, index) => {
    const e = entry as Partial<HistoryEntryLike> | null;
    const ok =
      e !== null &&
      typeof e === 'object' &&
      typeof e.opId === 'number' &&
      (typeof e.process === 'string' || typeof e.process === 'number') &&
      ['invoke', 'ok', 'fail', 'info'].includes(e.type as string) &&
      typeof e.f === 'string';
    if (!ok) throw new HistoryFormatError(`entry ${index} is not a history entry { opId, process, type, f, value, timeMs }: ${JSON.stringify(entry).slice(0, 80)}`, file, undefined);
  });
  return data as HistoryEntryLike[];
}
