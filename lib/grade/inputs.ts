import { GradedFailure } from './errors';

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

/**
 * Fails a graded test with the rule (or property) that broke, what happened, and a hint.
 *
 * @example
 *   failRule('P1a (accept)', 'onAccept(...) replied accepted, expected reject', 'accept nothing below the promise', { seed: 3 });
 */
export function failRule(rule: string, message: string, hint: string, extra: { seed?: number | string; timeMs?: number } = {}): never {
  throw new GradedFailure({ invariant: rule, message, hint, ...extra });
}

/**
 * Runs a learner's rule on frozen input (see `frozenCopy`): a TypeError from writing to the
 * input becomes a graded failure "`call` changed its input", with `hint`; any other error
 * passes through (the grader reports it, or "not implemented yet" for a stub).
 *
 * @example
 *   const result = callFrozenRule('onPrepare', 'onPrepare(state, 2.p1)', () => onPrepare(frozenCopy(state), n), 'return a new state');
 */
export function callFrozenRule<R>(rule: string, call: string, run: () => R, hint: string): R {
  try {
    return run();
  } catch (error) {
    if (error instanceof TypeError && /read only|read-only|not extensible|frozen|Cannot (assign|add|delete|define)/i.test(error.message)) {
      failRule(rule, `${call} changed its input (${error.message})`, hint);
    }
    throw error;
  }
}
