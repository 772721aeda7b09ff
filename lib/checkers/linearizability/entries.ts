/**
 * The history as one doubly linked list of call and return entries in time order, the data
 * structure of Wing & Gong ("Testing and verifying concurrent objects", 1993) and of Porcupine's `checker.go`. Linearizing an operation
 * "lifts" its call and its return out of the list; backtracking puts them back exactly where
 * they were, in constant time. Stored in typed arrays: entry `e` is a call when `isCall[e]`,
 * `operation[e]` is its operation's index, `match[e]` is a call's return entry.
 */
export class EntryList {
  /** The sentinel before the first entry. */
  readonly head: number;
  readonly next: Int32Array;
  readonly prev: Int32Array;
  readonly isCall: Uint8Array;
  readonly operation: Int32Array;
  readonly match: Int32Array;

  /**
   * Entries sorted by time; at equal times calls come before returns, so that operations that
   * touch at one instant count as concurrent (Porcupine's `byTime`). Ties between returns at
   * +infinity (unknown outcomes) keep the operations' order.
   */
  constructor(times: readonly { call: number; return: number }[]) {
    const n = times.length;
    const order: { time: number; isCall: boolean; operation: number }[] = [];
    times.forEach((t, operation) => {
      order.push({ time: t.call, isCall: true, operation });
      order.push({ time: t.return, isCall: false, operation });
    });
    order.sort((a, b) => {
      if (a.time !== b.time) return a.time < b.time ? -1 : 1;
      if (a.isCall !== b.isCall) return a.isCall ? -1 : 1;
      return a.operation - b.operation;
    });
    this.head = 2 * n;
    this.next = new Int32Array(2 * n + 1);
    this.prev = new Int32Array(2 * n + 1);
    this.isCall = new Uint8Array(2 * n);
    this.operation = new Int32Array(2 * n);
    this.match = new Int32Array(2 * n).fill(-1);
    const callOf = new Int32Array(n);
    order.forEach((entry, index) => {
      this.isCall[index] = entry.isCall ? 1 : 0;
      this.operation[index] = entry.operation;
      if (entry.isCall) callOf[entry.operation] = index;
      else this.match[callOf[entry.operation]] = index;
    });
    let previous = this.head;
    for (let e = 0; e < 2 * n; e++) {
      this.next[previous] = e;
      this.prev[e] = previous;
      previous = e;
    }
    this.next[previous] = -1;
    this.prev[this.head] = -1;
  }

  /** The first entry still in the list, or -1 when every operation is linearized. */
  first(): number {
    return this.next[this.head];
  }

  /** Takes a call entry and its return out of the list. */
  lift(call: number): void {
    const { next, prev } = this;
    next[prev[call]] = next[call];
    if (next[call] !== -1) prev[next[call]] = prev[call];
    const ret = this.match[call];
    next[prev[ret]] = next[ret];
    if (next[ret] !== -1) prev[next[ret]] = prev[ret];
  }

  /** Undoes `lift(call)`: the two entries go back where they were. */
  unlift(call: number): void {
    const { next, prev } = this;
    const ret = this.match[call];
    next[prev[ret]] = ret;
    if (next[ret] !== -1) prev[next[ret]] = ret;
    next[prev[call]] = call;
    if (next[call] !== -1) prev[next[call]] = call;
  }
}
