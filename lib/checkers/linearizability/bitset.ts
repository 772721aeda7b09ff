/**
 * The set of operations linearized so far, as bits in a Uint32Array, with an incrementally kept
 * 32-bit hash (Zobrist hashing: the hash of a set is the xor of a fixed random word per member,
 * so adding or removing one member costs one xor). Porcupine's `bitset.go` plays the same role;
 * Lowe ("Testing for linearizability", 2017) memoizes configurations (set, state) keyed by such a hash.
 */
export class LinearizedSet {
  readonly words: Uint32Array;
  /** The Zobrist hash of the current members. */
  hash = 0;
  private readonly keys: Uint32Array;

  constructor(readonly size: number) {
    this.words = new Uint32Array(Math.max(1, Math.ceil(size / 32)));
    this.keys = zobristKeys(size);
  }

  add(index: number): void {
    this.words[index >>> 5] |= 1 << (index & 31);
    this.hash ^= this.keys[index];
  }

  remove(index: number): void {
    this.words[index >>> 5] &= ~(1 << (index & 31));
    this.hash ^= this.keys[index];
  }

  has(index: number): boolean {
    return (this.words[index >>> 5] & (1 << (index & 31))) !== 0;
  }

  /** A frozen copy of the members, for the memo. */
  snapshot(): Uint32Array {
    return this.words.slice();
  }

  /** Whether a snapshot has exactly the current members. */
  equals(snapshot: Uint32Array): boolean {
    const words = this.words;
    for (let i = words.length - 1; i >= 0; i--) if (words[i] !== snapshot[i]) return false;
    return true;
  }
}

/** Fixed pseudo-random words (xorshift32 from a constant seed): the same on every run. */
function zobristKeys(size: number): Uint32Array {
  const keys = new Uint32Array(size);
  let x = 0x9e3779b9;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    keys[i] = x >>> 0;
  }
  return keys;
}
