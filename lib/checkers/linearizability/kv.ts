import { SequentialModel, Operation, UNKNOWN, Unknown, hashString } from './model';

/**
 * A key-value store of strings with get, put and append: the object of Porcupine's `kv` test
 * histories (`c01-ok.txt`, ..., `c50-bad.txt`). Keys are independent objects, so the model
 * partitions a history by key (P-compositionality: Horn & Kroening 2015; the locality of Herlihy & Wing 1990) and its state
 * is the string under one key: checking a store is checking each key's register of strings.
 */

/** get(key) returns the whole string ('' when absent); put replaces it; append concatenates. */
export type KvInput = { f: 'get'; key: string } | { f: 'put'; key: string; value: string } | { f: 'append'; key: string; value: string };

/** get: the string read. put and append: `true`. */
export type KvOutput = string | true;

/**
 * The store's sequential specification, one key at a time (state: the string under that key).
 * Always check it through `checkOperations`, which applies `partition` first.
 *
 * @example
 *   kvModel.step('x 0 0 y', { f: 'append', key: '3', value: 'x 1 0 y' }, true);
 *   // [true, 'x 0 0 yx 1 0 y']
 */
export const kvModel: SequentialModel<string, KvInput, KvOutput> = {
  name: 'key-value store',
  init: () => '',
  step(state, input, output) {
    switch (input.f) {
      case 'get':
        return [output === UNKNOWN || output === state, state];
      case 'put':
        return [true, input.value];
      case 'append':
        return [true, state + input.value];
    }
  },
  equal: (a, b) => a === b,
  hash: hashString,
  partition(operations) {
    const byKey = new Map<string, Operation<KvInput, KvOutput>[]>();
    for (const operation of operations) {
      const list = byKey.get(operation.input.key);
      if (list) list.push(operation);
      else byKey.set(operation.input.key, [operation]);
    }
    return [...byKey].map(([key, list]) => ({ key, operations: list }));
  },
  describeOperation: describeKvOperation,
  describeState: (state) => (state === '' ? "the value was '' (absent)" : `the value was ${formatKvString(state)}`),
};

/** "get('3') -> 'x 1 0 y'", "put('3', 'a')", "append('3', 'x 1 0 y') (outcome unknown)". */
export function describeKvOperation(input: KvInput, output: KvOutput | Unknown): string {
  const unknown = output === UNKNOWN ? ' (outcome unknown)' : '';
  if (input.f === 'get') return output === UNKNOWN ? `get(${formatKvString(input.key)})${unknown}` : `get(${formatKvString(input.key)}) -> ${formatKvString(String(output))}`;
  return `${input.f}(${formatKvString(input.key)}, ${formatKvString(input.value)})${unknown}`;
}

/** A string in single quotes, as a student would write it. */
export function formatKvString(text: string): string {
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}
