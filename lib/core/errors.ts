/**
 * Errors a user of the library can act on. Each one names the parameter that was wrong
 * and what would have been allowed, so that a notebook cell or a test output says how to fix it.
 */
export class ConfigError extends Error {
  constructor(readonly field: string, readonly allowed: string, readonly got: unknown) {
    super(`${field} must be ${allowed}, got ${describe(got)}`);
    this.name = 'ConfigError';
  }
}

/** A simulation that used up its event budget without reaching its goal. */
export class BudgetExceededError extends Error {
  constructor(message: string, readonly seed: string, readonly events: number, readonly timeMs: number) {
    super(message);
    this.name = 'BudgetExceededError';
  }
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value == null) return String(value);
  try {
    return JSON.stringify(value);
  } catch {
    return String(value);
  }
}

/** Throws a ConfigError unless `value` is a finite number in [min, max]. */
export function requireNumberInRange(field: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    const hi = max === Infinity ? '' : `, ${max}]`;
    const allowed = max === Infinity ? `a number >= ${min}` : `a number in [${min}${hi}`;
    throw new ConfigError(field, allowed, value);
  }
  return value;
}

/** Throws a ConfigError unless `value` is an integer >= min. */
export function requireInteger(field: string, value: unknown, min: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new ConfigError(field, `an integer >= ${min}`, value);
  }
  return value;
}

/** Exhaustiveness check for discriminated unions: `default: return assertNever(msg)`. */
export function assertNever(value: never, what = 'value'): never {
  throw new Error(`unexpected ${what}: ${describe(value)}`);
}
