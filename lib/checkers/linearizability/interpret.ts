import { Keyword } from './edn';
import { HistoryEvent, Interpretation } from './events';
import { KvInput, KvOutput } from './kv';
import { UNKNOWN } from './model';
import { RegisterInput, RegisterOutput, RegisterValue } from './register';

/**
 * What Jepsen's events mean for the two models. The rules (Kingsbury, "Jepsen: operations";
 * knossos `history`; Porcupine's `etcd` and `kv` tests):
 *
 * - `ok`: it happened, with this result.
 * - `fail`: it did not happen: left out. Except a register's `cas`: Jepsen's etcd client reports
 *   `:fail :cas` when the compare saw another value, which is itself an observation (the
 *   histories' README; Porcupine's etcd model checks it). Pass `{ failedCas: 'no-effect' }` when
 *   a failed cas only means "did nothing" (say, no leader).
 * - `info`, or never completed: unknown outcome. A write, cas, put or append may have taken
 *   effect at any time after its call, or never (output UNKNOWN, return at +infinity). A read or
 *   get with unknown result changed nothing and told nothing: left out.
 */

/** How to read a register's failed cas. */
export interface RegisterInterpretationOptions {
  /** 'saw-other-value' (default, Jepsen's etcd client): the value was not `expected`. 'no-effect': left out. */
  failedCas?: 'saw-other-value' | 'no-effect';
}

/**
 * Register events: `read` (invoke value ignored, ok value the value read, nil as null),
 * `write` (value v), `cas` (value [expected, new] or { expected, new }).
 *
 * @example
 *   pairEvents(parseJepsenLog(text).events, interpretRegister());
 */
export function interpretRegister(options: RegisterInterpretationOptions = {}): Interpretation<RegisterInput, RegisterOutput> {
  const failedCas = options.failedCas ?? 'saw-other-value';
  return (invoke, completion) => {
    const type = completion === null ? 'info' : completion.type;
    switch (invoke.f) {
      case 'read': {
        if (type !== 'ok') return null;
        return { input: { f: 'read' }, output: registerValue((completion as HistoryEvent).value, 'the value a read returned') };
      }
      case 'write': {
        const input: RegisterInput = { f: 'write', value: registerValue(invoke.value, 'the value of a write') };
        if (type === 'fail') return null;
        return { input, output: type === 'ok' ? true : UNKNOWN };
      }
      case 'cas': {
        const [expected, replacement] = casArguments(invoke.value);
        const input: RegisterInput = { f: 'cas', expected, new: replacement };
        if (type === 'ok') return { input, output: true };
        if (type === 'fail') return failedCas === 'saw-other-value' ? { input, output: false } : null;
        return { input, output: UNKNOWN };
      }
      default:
        throw new Error(`the register has no operation :${invoke.f} (it has :read, :write and :cas)`);
    }
  };
}

/**
 * Key-value events: `get`, `put`, `append`, each with a string key (event.key). get's ok value
 * is the whole string ('' or nil when absent); put and append carry their string on the invoke.
 *
 * @example
 *   pairEvents(parseEdnHistory(text).events, interpretKv());
 */
export function interpretKv(): Interpretation<KvInput, KvOutput> {
  return (invoke, completion) => {
    const type = completion === null ? 'info' : completion.type;
    const key = invoke.key;
    if (key === undefined) throw new Error(`a key-value :${invoke.f} needs a :key`);
    switch (invoke.f) {
      case 'get': {
        if (type !== 'ok') return null;
        const value = (completion as HistoryEvent).value;
        if (value !== null && value !== undefined && typeof value !== 'string') throw new Error(`get returned ${describe(value)}, not a string`);
        return { input: { f: 'get', key }, output: value ?? '' };
      }
      case 'put':
      case 'append': {
        if (typeof invoke.value !== 'string') throw new Error(`${invoke.f} needs a string value, got ${describe(invoke.value)}`);
        if (type === 'fail') return null;
        return { input: { f: invoke.f, key, value: invoke.value }, output: type === 'ok' ? true : UNKNOWN };
      }
      default:
        throw new Error(`the key-value store has no operation :${invoke.f} (it has :get, :put and :append)`);
    }
  };
}

function registerValue(value: unknown, what: string): RegisterValue {
  if (value === null || value === undefined) return null;
  if (typeof value === 'number' || typeof value === 'string') return value;
  throw new Error(`${what} must be nil, a number or a string, got ${describe(value)}`);
}

function casArguments(value: unknown): [RegisterValue, RegisterValue] {
  if (Array.isArray(value) && value.length === 2) return [registerValue(value[0], 'cas expected'), registerValue(value[1], 'cas new')];
  if (value && typeof value === 'object' && 'expected' in value && 'new' in value) {
    const v = value as { expected: unknown; new: unknown };
    return [registerValue(v.expected, 'cas expected'), registerValue(v.new, 'cas new')];
  }
  throw new Error(`cas needs [expected new] (or { expected, new }), got ${describe(value)}`);
}

function describe(value: unknown): string {
  if (value instanceof Keyword) return value.toString();
  if (value === undefined) return 'nothing';
  try {
    return JSON.stringify(value);
  } catch {
    return String(value);
  }
}
