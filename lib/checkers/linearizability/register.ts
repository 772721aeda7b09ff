import { SequentialModel, UNKNOWN, Unknown, hashPrimitive } from './model';

/**
 * A single read/write/compare-and-set register that starts with no value (nil): the object
 * Jepsen tested in etcd (the `etcd_NNN.log` histories of Porcupine and of Horn & Kroening's
 * linearizability-checker), and the model of Porcupine's `etcd` test.
 */

/** A register holds a number, a string, or nothing (`null`, Jepsen's nil). */
export type RegisterValue = number | string | null;

/** read(); write(value); cas(expected, new): if the value is `expected`, set it to `new`. */
export type RegisterInput =
  | { f: 'read' }
  | { f: 'write'; value: RegisterValue }
  | { f: 'cas'; expected: RegisterValue; new: RegisterValue };

/**
 * read: the value read. write: `true`. cas: `true` if it swapped, `false` if it saw another value
 * and did nothing (Jepsen's `:fail :cas`, see `registerOperation`).
 */
export type RegisterOutput = RegisterValue | boolean;

/**
 * The register's sequential specification.
 *
 * @example
 *   const [ok, after] = registerModel.step(null, { f: 'cas', expected: null, new: 1 }, true);
 *   // ok === true, after === 1
 */
export const registerModel: SequentialModel<RegisterValue, RegisterInput, RegisterOutput> = {
  name: 'register',
  init: () => null,
  step(state, input, output) {
    switch (input.f) {
      case 'read':
        return [output === UNKNOWN || output === state, state];
      case 'write':
        return [true, input.value];
      case 'cas': {
        const matches = state === input.expected;
        const ok = output === UNKNOWN || output === matches;
        return [ok, matches ? input.new : state];
      }
    }
  },
  equal: (a, b) => a === b,
  hash: (state) => hashPrimitive(state),
  describeOperation: describeRegisterOperation,
  describeState: (state) => (state === null ? 'the register had no value (nil)' : `the register held ${formatRegisterValue(state)}`),
};

/** "read() -> 3", "write(4)", "cas(4, 2) -> ok", "cas(4, 2) -> fail", "write(4) (outcome unknown)". */
export function describeRegisterOperation(input: RegisterInput, output: RegisterOutput | Unknown): string {
  const unknown = output === UNKNOWN ? ' (outcome unknown)' : '';
  switch (input.f) {
    case 'read':
      return output === UNKNOWN ? 'read()' + unknown : `read() -> ${formatRegisterValue(output as RegisterValue)}`;
    case 'write':
      return `write(${formatRegisterValue(input.value)})${unknown}`;
    case 'cas': {
      const call = `cas(${formatRegisterValue(input.expected)}, ${formatRegisterValue(input.new)})`;
      if (output === UNKNOWN) return call + unknown;
      return `${call} -> ${output === true ? 'ok' : 'fail (saw another value)'}`;
    }
  }
}

/** nil for null, JSON for strings, the number itself otherwise. */
export function formatRegisterValue(value: RegisterValue): string {
  if (value === null || value === undefined) return 'nil';
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}
