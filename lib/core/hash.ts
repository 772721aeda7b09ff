/**
 * A stable 64-bit FNV-1a hash of strings, as 16 hex digits. Stable means: the same
 * input gives the same hash on every machine and Node version, which is what lets a
 * test say "seed 7 still gives trace a3f0...".
 */
export class StableHash {
  private hi = 0xcbf29ce4;
  private lo = 0x84222325;

  update(text: string): this {
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      this.mix(c & 0xff);
      if (c > 0xff) this.mix(c >>> 8);
    }
    return this;
  }

  /** FNV-1a 64: xor the byte in, multiply by the prime 0x100000001b3 (done in 32-bit halves). */
  private mix(byte: number): void {
    const lo = (this.lo ^ byte) >>> 0;
    const hi = this.hi;
    const loProduct = lo * 0x1b3;
    const carry = Math.floor(loProduct / 0x100000000);
    this.lo = loProduct >>> 0;
    this.hi = (hi * 0x1b3 + lo * 0x100 + carry) >>> 0;
  }

  digest(): string {
    return this.hi.toString(16).padStart(8, '0') + this.lo.toString(16).padStart(8, '0');
  }
}

/** JSON with object keys sorted, so that equal data always serialises the same way. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v) => {
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      const sorted: Record<string, unknown> = {};
      for (const k of Object.keys(v).sort()) sorted[k] = (v as Record<string, unknown>)[k];
      return sorted;
    }
    return v;
  });
}

/** Hash of any JSON-like value, by its canonical JSON. */
export function stableHash(value: unknown): string {
  return new StableHash().update(canonicalJson(value)).digest();
}

/**
 * FNV-1a, 32 bits (Fowler, Noll and Vo: offset basis 2166136261, prime 16777619), over the
 * UTF-16 code units of `text` (for ASCII, its bytes): a stable hash of strings, the same on
 * every machine. Published vectors hold: fnv1a32('a') = 0xe40c292c, fnv1a32('foobar') = 0xbf9cf968.
 */
export function fnv1a32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** MurmurHash3's 32-bit finalizer (Austin Appleby): a bijection on 32-bit integers with full avalanche. */
export function fmix32(value: number): number {
  let h = value >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
