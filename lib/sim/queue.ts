/**
 * The event queue: a binary min-heap ordered by (time, sequence number). The sequence
 * number is assigned at insertion, so two events at the same virtual time come out in the
 * order they were scheduled, never in an order that depends on the heap's shape or on
 * sort stability.
 *
 * @example
 *   const q = new EventQueue<string>();
 *   q.push(10, 'b'); q.push(5, 'a'); q.push(10, 'c');
 *   q.pop(); // 'a', then 'b', then 'c'
 */
export class EventQueue<T> {
  private times: number[] = [];
  private seqs: number[] = [];
  private items: T[] = [];
  private nextSeq = 0;

  get size(): number {
    return this.items.length;
  }

  /** Time of the earliest event, or Infinity when empty. */
  peekTime(): number {
    return this.items.length > 0 ? this.times[0] : Infinity;
  }

  /** Schedules `item` at `time`; returns its sequence number. */
  push(time: number, item: T): number {
    const seq = this.nextSeq++;
    let i = this.items.length;
    this.times.push(time);
    this.seqs.push(seq);
    this.items.push(item);
    // sift up
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const pt = this.times[parent];
      if (pt < time || (pt === time && this.seqs[parent] < seq)) break;
      this.times[i] = pt;
      this.seqs[i] = this.seqs[parent];
      this.items[i] = this.items[parent];
      i = parent;
    }
    this.times[i] = time;
    this.seqs[i] = seq;
    this.items[i] = item;
    return seq;
  }

  /** Removes and returns the earliest event, or undefined when empty. */
  pop(): T | undefined {
    const n = this.items.length;
    if (n === 0) return undefined;
    const top = this.items[0];
    const lastTime = this.times.pop() as number;
    const lastSeq = this.seqs.pop() as number;
    const lastItem = this.items.pop() as T;
    const size = n - 1;
    if (size > 0) {
      let i = 0;
      // sift down
      for (;;) {
        const left = 2 * i + 1;
        if (left >= size) break;
        const right = left + 1;
        let child = left;
        if (right < size) {
          const lt = this.times[left];
          const rt = this.times[right];
          if (rt < lt || (rt === lt && this.seqs[right] < this.seqs[left])) child = right;
        }
        const ct = this.times[child];
        if (ct > lastTime || (ct === lastTime && this.seqs[child] > lastSeq)) break;
        this.times[i] = ct;
        this.seqs[i] = this.seqs[child];
        this.items[i] = this.items[child];
        i = child;
      }
      this.times[i] = lastTime;
      this.seqs[i] = lastSeq;
      this.items[i] = lastItem;
    }
    return top;
  }

  clear(): void {
    this.times = [];
    this.seqs = [];
    this.items = [];
  }
}
