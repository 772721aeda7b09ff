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

import { fmix32, fnv1a32 } from '../../core/hash';

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

/** FNV-1a 32 and MurmurHash3's finalizer, from lib/core (kept here as part of the ring's documented hash). */
export { fmix32, fnv1a32 };

/** The angle in degrees (0 at the top, clockwise) of a ring position, for pictures of the ring. */
export function positionToDegrees(position: number): number {
  return (position / RING_SIZE) * 360;
}
