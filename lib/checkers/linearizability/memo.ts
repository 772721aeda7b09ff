import { fmix32 } from '../../core/hash';
import { LinearizedSet } from './bitset';

/**
 * The configurations the search has already entered: (set of linearized operations, model
 * state). Two paths that reach the same configuration have the same future, so the second one
 * can stop at once (Lowe 2017, the improvement that makes Wing & Gong's search practical;
 * Porcupine's `cache`).
 *
 * Built for millions of entries: the sets are packed one after another in one growing
 * Uint32Array, and an open-addressing table (linear probing) holds entry numbers keyed by the
 * set's Zobrist hash mixed with the state's hash. Collisions are resolved by comparing members
 * and states, so the memo never confuses two configurations.
 */
export class ConfigurationMemo<State> {
  /** How many configurations are stored. */
  size = 0;
  private readonly words: number;
  private members: Uint32Array;
  private hashes: Uint32Array;
  private readonly states: State[] = [];
  private table: Int32Array;
  private mask: number;

  constructor(setSize: number, private readonly equal: (a: State, b: State) => boolean) {
    this.words = Math.max(1, Math.ceil(setSize / 32));
    this.members = new Uint32Array(1024 * this.words);
    this.hashes = new Uint32Array(1024);
    this.table = new Int32Array(2048).fill(-1);
    this.mask = 2047;
  }

  /** Adds the configuration; returns false if it was already there. */
  add(set: LinearizedSet, state: State, stateHash: number): boolean {
    const hash = fmix32(set.hash ^ Math.imul(stateHash, 0x85ebca6b)); // MurmurHash3's finalizer: short linear probes
    const { table, mask, hashes, members, words } = this;
    const setWords = set.words;
    let slot = hash & mask;
    for (;;) {
      const entry = table[slot];
      if (entry === -1) break;
      if (hashes[entry] === hash) {
        const base = entry * words;
        let same = true;
        for (let w = 0; w < words; w++) {
          if (members[base + w] !== setWords[w]) {
            same = false;
            break;
          }
        }
        if (same && this.equal(this.states[entry], state)) return false;
      }
      slot = (slot + 1) & mask;
    }
    const entry = this.size++;
    if (entry === this.hashes.length) this.growEntries();
    this.hashes[entry] = hash;
    this.members.set(setWords, entry * words);
    this.states.push(state);
    table[slot] = entry;
    if (this.size * 2 > this.table.length) this.growTable();
    return true;
  }

  private growEntries(): void {
    const hashes = new Uint32Array(this.hashes.length * 2);
    hashes.set(this.hashes);
    this.hashes = hashes;
    const members = new Uint32Array(this.members.length * 2);
    members.set(this.members);
    this.members = members;
  }

  private growTable(): void {
    const table = new Int32Array(this.table.length * 2).fill(-1);
    const mask = table.length - 1;
    for (let entry = 0; entry < this.size; entry++) {
      let slot = this.hashes[entry] & mask;
      while (table[slot] !== -1) slot = (slot + 1) & mask;
      table[slot] = entry;
    }
    this.table = table;
    this.mask = mask;
  }
}
