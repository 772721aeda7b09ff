/**
 * The ring's hash: a documented, stable 32-bit hash of strings, the same on every machine
 * and Node version (never Math.random, never object identity).
 *
 * It is FNV-1a 32 (Fowler, Noll and Vo; offset basis 2166136261, prime 16777619) over the
 * UTF-16 code units of the text, followed by the 32-bit finalizer of MurmurHash3 (`fmix32`,
 * Austin Appleby). FNV-1a alone leaves keys that differ only in their last character
 * ("node1#7", "node1#8") close together on the ring, which would make virtual nodes look
 * clumped; the finalizer spreads every input bit over every output bit (avalanche), so
 * positions behave like independent uniform draws, which is what Karger et al. (STOC 1997,
 * "Consistent hashing and random trees", §4) assume of the hash.
 */

/** The number of positions on the ring: 2^32, positions 0 .. 2^32 - 1. */
export const RING_SIZE = 0x100000000;

/**
 * The position of `text` on the ring, an integer in [0, 2^32).
 *
 * @example
 *   hash32('user:42'); // the same integer on every run and every machine
 */
export function hash32(text: string): number {
  return fmix32(fnv1a32(text));
}

/**
 * FNV-1a 32 over the UTF-16 code units of `text` (for ASCII, the bytes): the published test
 * vectors hold, e.g. fnv1a32('a') = 0xe40c292c, fnv1a32('foobar') = 0xbf9cf968.
 */
export function fnv1a32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** MurmurHash3's 32-bit finalizer: a bijection on 32-bit integers with full avalanche. */
export function fmix32(value: number): number {
  let h = value >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The angle in degrees (0 at the top, clockwise) of a ring position, for pictures of the ring. */
export function positionToDegrees(position: number): number {
  return (position / RING_SIZE) * 360;
}
