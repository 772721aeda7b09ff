import { EdnSyntaxError, readEdn } from './edn';
import { HistoryEvent, HistoryFormatError } from './events';

/**
 * Jepsen's log of client events, as in the etcd histories (Porcupine's `test_data/jepsen`,
 * from github.com/ahorn/linearizability-checker):
 *
 *   INFO  jepsen.util - 3	:invoke	:read	nil
 *   INFO  jepsen.util - 3	:ok	:read	4
 *   INFO  jepsen.util - 1	:info	:cas	:timed-out
 *
 * One event per line: process, type, function, value (an EDN value: nil, 4, [4 2], :timed-out),
 * separated by tabs or spaces. The `LEVEL logger - ` prefix is optional. Skipped: blank lines,
 * lines of other loggers, and the nemesis's events (`:nemesis :info :start ...`).
 */

/** The events of a Jepsen log and how many lines were skipped. */
export interface ParsedEvents {
  events: HistoryEvent[];
  skippedLines: number;
}

const LOG_PREFIX = /^\s*(?:\S+\s+)?(TRACE|DEBUG|INFO|WARN|ERROR|FATAL)\s+(?:\[[^\]]*\]\s+)?(\S+)\s+-\s+(.*)$/;
const EVENT = /^(\S+)\s+:(invoke|ok|fail|info)\s+:(\S+)(?:\s+(.*?))?\s*$/;

/**
 * Parses the text of a Jepsen log; throws HistoryFormatError naming the file and line.
 *
 * @example
 *   parseJepsenLog('INFO  jepsen.util - 3\t:invoke\t:read\tnil\n', 'etcd_000.log').events[0];
 *   // { process: '3', type: 'invoke', f: 'read', value: null, source: { line: 1 } }
 */
export function parseJepsenLog(text: string, file?: string): ParsedEvents {
  const events: HistoryEvent[] = [];
  let skippedLines = 0;
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = index + 1;
    if (raw.trim() === '') return;
    let body = raw.trim();
    const prefixed = LOG_PREFIX.exec(raw);
    if (prefixed) {
      if (prefixed[2] !== 'jepsen.util') {
        skippedLines++;
        return;
      }
      body = prefixed[3].trim();
    }
    const match = EVENT.exec(body);
    if (!match) {
      throw new HistoryFormatError(`not a Jepsen event ("PROCESS :TYPE :F VALUE", e.g. "3 :invoke :read nil"): ${JSON.stringify(raw.slice(0, 80))}`, file, line);
    }
    const [, processText, type, f, valueText] = match;
    if (processText === ':nemesis') {
      skippedLines++;
      return;
    }
    if (!/^\d+$/.test(processText)) throw new HistoryFormatError(`the process must be a number or :nemesis, got ${JSON.stringify(processText)}`, file, line);
    let value: unknown;
    try {
      value = valueText === undefined || valueText === '' ? null : readEdn(valueText);
    } catch (error) {
      if (!(error instanceof EdnSyntaxError)) throw error;
      throw new HistoryFormatError(`cannot read the value ${JSON.stringify(valueText)}: ${error.reason}`, file, line);
    }
    events.push({ process: processText, type: type as HistoryEvent['type'], f, value, source: { line } });
  });
  return { events, skippedLines };
}
