/**
 * Names of things in a simulation. Node ids are plain strings ("n1", "coordinator")
 * so that traces read well in a notebook and serialise without translation.
 */
export type NodeId = string;

/** Virtual time is kept as an integer number of microseconds; the API speaks milliseconds. */
export const US_PER_MS = 1000;

/** Converts milliseconds (a float is fine) to the simulator's integer microseconds. */
export function msToUs(ms: number): number {
  return Math.round(ms * US_PER_MS);
}

/** Converts the simulator's integer microseconds to milliseconds. */
export function usToMs(us: number): number {
  return us / US_PER_MS;
}
