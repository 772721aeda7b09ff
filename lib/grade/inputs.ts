/**
 * A deep-frozen copy of plain data, to hand a learner's rule: a rule that changes its input
 * (instead of returning a new value) then throws a TypeError at the write, which a graded test
 * can report as "changed its input".
 *
 * @example
 *   const state = frozenCopy({ promised: null, accepted: null });
 *   onPrepare(state, n); // a TypeError if onPrepare writes to state
 */
export function frozenCopy<T>(value: T): T {
  if (value === undefined) return value; // JSON has no undefined: nothing to copy or freeze
  const copy = JSON.parse(JSON.stringify(value)) as T;
  const freeze = (v: unknown): void => {
    if (v && typeof v === 'object') {
      Object.freeze(v);
      for (const inner of Object.values(v)) freeze(inner);
    }
  };
  freeze(copy);
  return copy;
}
