import { NodeRunner } from './runner';
import { StepKind } from './successors';

/**
 * Partial-order reduction that keeps every state: sleep sets (Godefroid, "Partial-Order
 * Methods for the Verification of Concurrent Systems", 1996, ch. 5) made for a breadth-first
 * search. Two steps at different nodes usually commute: delivering m1 to a1 and then m2 to
 * p1 leads to the same state as the other order, and the search would compute that state
 * twice. Each state s of the next level keeps its sleeping steps Z(s): the intersection, over
 * every step t that reaches it from a state p of the level before, of the steps u of s that
 * could have been taken before t and either come before t in a fixed order (u < t) or were
 * asleep in p. Sleeping steps are not taken.
 *
 * Why no state is lost, and none is found later than it should be: take any state r at
 * depth n and, among the shortest runs to it, the one whose sequence of steps is smallest
 * in lexicographic order. Suppose the search skipped its step u = t(i+1) at s(i). Following
 * the run's own arrivals back (each is one of the arrivals intersected), there is a j <= i
 * with u independent of t(j) ... t(i) and u < t(j); moving u to position j gives another
 * shortest run to r that is smaller: a contradiction. So that run is searched in full, and r
 * is found at depth n. Verdicts, state counts and shortest counterexamples do not change;
 * only transitions are saved. With symmetry the same holds of the representatives, and a
 * state also reached as a renaming of another (whose steps cannot be compared) sleeps on
 * nothing.
 *
 * Independent, for u taken before a: different nodes, u's message was already there before
 * a when a's node sent it (else a may be what sent it), and neither is a crash (they share the crash budget,
 * and whether a crash in the middle of a handler is worth trying depends on the ghost). The
 * spec must also say that notes of different nodes commute (`notesCommute`). Everything
 * else a step touches is its own node's: its state, store and timer budget, and the messages
 * to it (obsolete ones are dropped only when their receiver changes).
 */
export class StepOrder<M, T, G> {
  constructor(
    private readonly runner: NodeRunner<M, T, G>,
    /** Where the messages start in a packed state. */
    private readonly messagesStart: number,
  ) {}

  /**
   * The sleeping steps of a state reached by `step` from `parent`, whose sleeping steps were
   * `sleeping`: those of `enabled` (the new state's steps) that could have been taken before
   * `step`, and either come before it in the fixed order or were asleep already.
   */
  asleepAfter(step: number, parent: readonly number[], sleeping: readonly number[] | null, enabled: readonly number[]): number[] {
    const out: number[] = [];
    for (const u of enabled) if ((u < step || (sleeping !== null && sleeping.includes(u))) && this.movableBefore(u, step, parent)) out.push(u);
    return out;
  }

  /** `asleep`, keeping only the steps also asleep when arriving by `step` from `parent` with sleeping steps `sleeping`. */
  intersect(asleep: number[], step: number, parent: readonly number[], sleeping: readonly number[] | null): number[] {
    return asleep.filter((u) => (u < step || (sleeping !== null && sleeping.includes(u))) && this.movableBefore(u, step, parent));
  }

  /**
   * True when step u, taken in `parent` just before step a instead of just after it, leads to
   * the same state: different nodes, neither a crash, and u's message already there in
   * `parent` when a's node is its sender (else a may be what sent it).
   */
  movableBefore(u: number, a: number, parent: readonly number[]): boolean {
    const uKind = kindOf(u);
    const aKind = kindOf(a);
    if (uKind === StepKind.Crash || uKind === StepKind.DeliverCrash || aKind === StepKind.Crash || aKind === StepKind.DeliverCrash) return false;
    const envelopes = this.runner.messages.values;
    const uArg = argOf(u);
    const aNode = aKind === StepKind.Timer ? argOf(a) : envelopes[argOf(a)].toIndex;
    if (uKind === StepKind.Timer) return uArg !== aNode;
    const envelope = envelopes[uArg];
    if (envelope.toIndex === aNode) return false;
    return envelope.fromIndex !== aNode || this.has(parent, uArg);
  }

  /** True when the sorted message part of `state` holds `message`. */
  private has(state: readonly number[], message: number): boolean {
    let lo = this.messagesStart;
    let hi = state.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (state[mid] === message) return true;
      if (state[mid] < message) lo = mid + 1;
      else hi = mid - 1;
    }
    return false;
  }
}

/** The kind of a packed step (see packStep). */
function kindOf(step: number): StepKind {
  return ((step % 0x1000000) & 7) as StepKind;
}

/** The message (deliver, drop) or node (timer, crash) of a packed step. */
function argOf(step: number): number {
  return (step % 0x1000000) >>> 3;
}
