import { NodeId, RandomStreams, requireInteger } from '../../core';
import { MergeRules, resolveMergeRules, siblings as referenceSiblings } from './merge';
import { Version, compareClocks, compareStamps, formatVersion, mergeClocks, sameSiblings } from './versions';

/**
 * Checks a pair of merge rules against the properties anti-entropy relies on, on versions
 * from random histories of three replicas that write and merge (the histories use the
 * reference rules, so every input is one a real replica could hold):
 *
 * - last-writer-wins: "convergence" (lww(a, b) and lww(b, a) pick the same version; Demers
 *   §1.1: every site must resolve a conflict the same way), then "no lost update" (the newest
 *   by (timestamp, node) wins; anything else throws away the latest write).
 * - siblings: "no lost update" (every version that no other has seen survives; Dynamo §4.4),
 *   "overwritten versions are dropped" (a version another has seen is gone), then
 *   "convergence" (idempotent, commutative and associative, as sets: any order of exchanges
 *   ends in the same state).
 *
 * Returns the first broken property, with the inputs, the outputs and the seed to replay.
 *
 * @example
 *   checkMergeRules(brokenMergeRules.keepLocal).message;
 *   // "convergence: lww(a, b) = ... but lww(b, a) = ...: two replicas that exchange ... (seed 1, case 3)"
 */
export function checkMergeRules(rules: Partial<MergeRules>, options: { seed?: number | string; cases?: number } = {}): MergePropertyResult {
  const merge = resolveMergeRules(rules);
  const seed = options.seed ?? 1;
  const cases = requireInteger('cases', options.cases ?? 300, 1);
  const rng = new RandomStreams(seed).stream('merge-properties');
  for (let c = 0; c < cases; c++) {
    const { states, pool } = randomHistory(rng, 3, 12);
    const where = `(seed ${seed}, case ${c}; replay with checkMergeRules(rules, { seed: ${JSON.stringify(seed)} }))`;
    // last-writer-wins, on single versions (undefined: the replica has none)
    const pick = () => (rng.chance(0.15) ? undefined : rng.pick(pool));
    const a = pick();
    // Three times in ten, b is a concurrent write in the same millisecond on another node: its
    // own value and a clock that has not seen a (what the (timestamp, node) tie-break is for).
    const other = a ? rng.pick(['r1', 'r2', 'r3'].filter((n) => n !== a.node)) : 'r1';
    const b = rng.chance(0.3) && a ? { value: `${a.value}'`, timestampMs: a.timestampMs, node: other, clock: { [other]: (a.clock[other] ?? 0) + 1 } } : pick();
    const ab = merge.lww(a, b);
    const ba = merge.lww(b, a);
    if (!sameOptional(ab, ba)) {
      return fail('convergence', `lww(a, b) = ${formatVersion(ab)} but lww(b, a) = ${formatVersion(ba)} for a = ${formatVersion(a)}, b = ${formatVersion(b)}: two replicas that exchange these versions keep different ones and never agree ${where}`);
    }
    const newest = a === undefined ? b : b === undefined ? a : compareStamps(a, b) >= 0 ? a : b;
    if (!sameOptional(ab, newest)) {
      return fail('no lost update', `lww(a, b) = ${formatVersion(ab)} for a = ${formatVersion(a)}, b = ${formatVersion(b)}, but the newest write by (timestamp, node) is ${formatVersion(newest)}: it is lost ${where}`);
    }
    // siblings, on the replicas' sibling lists
    const [x, y, z] = [rng.pick(states), rng.pick(states), rng.pick(states)];
    const xy = merge.siblings(x, y);
    const union = [...x, ...y];
    for (const v of union) {
      const seen = union.some((w) => compareClocks(v.clock, w.clock) === 'before');
      if (!seen && !xy.some((w) => compareClocks(v.clock, w.clock) === 'equal')) {
        return fail('no lost update', `siblings(a, b) = ${formatList(xy)} for a = ${formatList(x)}, b = ${formatList(y)}: ${formatVersion(v)} is gone, though no other version has seen it ${where}`);
      }
    }
    for (const v of xy) {
      const newer = union.find((w) => compareClocks(v.clock, w.clock) === 'before');
      if (newer) {
        return fail('overwritten versions are dropped', `siblings(a, b) = ${formatList(xy)} for a = ${formatList(x)}, b = ${formatList(y)} keeps ${formatVersion(v)}, which ${formatVersion(newer)} has seen (overwritten): a stale value comes back ${where}`);
      }
    }
    const checks: [string, Version[], Version[]][] = [
      ['siblings(a, a) = a (idempotent)', merge.siblings(x, x), x],
      ['siblings(a, b) = siblings(b, a) (commutative)', xy, merge.siblings(y, x)],
      ['siblings(siblings(a, b), c) = siblings(a, siblings(b, c)) (associative)', merge.siblings(xy, z), merge.siblings(x, merge.siblings(y, z))],
    ];
    for (const [law, left, right] of checks) {
      if (!sameSiblings(left, right)) {
        return fail('convergence', `${law} does not hold: ${formatList(left)} against ${formatList(right)} for a = ${formatList(x)}, b = ${formatList(y)}, c = ${formatList(z)}; replicas that exchange in different orders end up different ${where}`);
      }
    }
  }
  return { ok: true };
}

/** The verdict of `checkMergeRules`: ok, or the first broken property and a message naming it. */
export type MergePropertyResult = { ok: true } | { ok: false; property: MergeProperty; message: string };

/** The properties `checkMergeRules` checks. */
export type MergeProperty = 'convergence' | 'no lost update' | 'overwritten versions are dropped';

function fail(property: MergeProperty, detail: string): MergePropertyResult {
  return { ok: false, property, message: `${property}: ${detail}` };
}

function sameOptional(a: Version | undefined, b: Version | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return compareStamps(a, b) === 0 && a.value === b.value;
}

function formatList(list: readonly Version[]): string {
  return `[${list.map(formatVersion).join(', ')}]`;
}

/**
 * A random history: replicas write (a new version that has seen everything the replica holds)
 * and merge each other's states with the reference rule. Timestamps advance slowly so that
 * writes on two replicas often share one, which is what the node tie-break is for (one
 * node's own writes always have increasing stamps, as GossipNode and Replica give them).
 */
function randomHistory(rng: ReturnType<RandomStreams['stream']>, replicas: number, steps: number): { states: Version[][]; pool: Version[] } {
  const names: NodeId[] = Array.from({ length: replicas }, (_, i) => `r${i + 1}`);
  const states: Version[][] = names.map(() => []);
  const pool: Version[] = [];
  const lastMs = names.map(() => -1);
  for (let step = 0; step < steps; step++) {
    const i = rng.int(0, replicas - 1);
    if (rng.chance(0.55) || pool.length === 0) {
      const base = mergeClocks(...states[i].map((v) => v.clock));
      const clock = mergeClocks(base, { [names[i]]: (base[names[i]] ?? 0) + 1 });
      lastMs[i] = Math.max(Math.floor(step / 3), lastMs[i] + 0.5); // a node's own writes have increasing stamps
      const version: Version = { value: `w${step}`, timestampMs: lastMs[i], node: names[i], clock };
      states[i] = [version];
      pool.push(version);
    } else {
      const j = rng.int(0, replicas - 1);
      states[i] = referenceSiblings(states[i], states[j]).sort(compareStamps);
    }
  }
  return { states, pool };
}
