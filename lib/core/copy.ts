/**
 * A deep copy of plain data (what a message or a persisted record should be): numbers,
 * strings, booleans, null, undefined, arrays and plain objects are copied by a fast path;
 * anything else (Map, Set, Date, typed arrays) goes through structuredClone. This is what
 * stands in for serialisation on the simulated network: the receiver never shares an
 * object with the sender.
 */
export function copyData<T>(value: T): T {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    const out = new Array(value.length);
    for (let i = 0; i < value.length; i++) out[i] = copyData(value[i]);
    return out as unknown as T;
  }
  const proto = Object.getPrototypeOf(value);
  if (proto === Object.prototype || proto === null) {
    const out: Record<string, unknown> = {};
    for (const key in value as Record<string, unknown>) {
      out[key] = copyData((value as Record<string, unknown>)[key]);
    }
    return out as T;
  }
  return structuredClone(value);
}
