import { createHash, createHmac } from 'crypto';
import { NodeId, canonicalJson } from '../../core';

/**
 * Authentication for PBFT (OSDI §3, §4.1; TOCS §3.2): every message carries an HMAC-SHA256
 * under a key shared by its sender and its receiver, so a faulty replica cannot pass its
 * messages off as another's. Keys are derived deterministically from a key seed and the pair
 * (no real randomness: the same seed gives the same keys and the same trace). Signatures for
 * forwarded proofs are simulated with a per-signer key that every verifier can recompute; a
 * faulty replica in this library never uses another replica's key, which is the assumption
 * that signatures are unforgeable.
 */

function hmac(key: string, text: string): string {
  return createHmac('sha256', key).update(text).digest('hex');
}

/** The key `a` and `b` share (the same both ways). */
export function pairKey(keySeed: string, a: NodeId, b: NodeId): string {
  const [x, y] = a < b ? [a, b] : [b, a];
  return hmac(`pbft-link:${keySeed}`, `${x}|${y}`);
}

function signKey(keySeed: string, signer: NodeId): string {
  return hmac(`pbft-sign:${keySeed}`, signer);
}

/** What a MAC or signature covers: the message without its `mac` and `sig`. */
function body(msg: object): string {
  const { mac: _m, sig: _s, ...rest } = msg as Record<string, unknown>;
  return canonicalJson(rest);
}

/** The MAC of `msg` from `from` to `to`. */
export function macFor(keySeed: string, from: NodeId, to: NodeId, msg: object): string {
  return hmac(pairKey(keySeed, from, to), body(msg));
}

/** Whether `msg`'s MAC is the one `from` and `to` share. */
export function verifyMac(keySeed: string, from: NodeId, to: NodeId, msg: { mac: string }): boolean {
  return msg.mac === macFor(keySeed, from, to, msg);
}

/** `signer`'s (simulated) signature of `msg`. */
export function sign(keySeed: string, signer: NodeId, msg: object): string {
  return hmac(signKey(keySeed, signer), body(msg));
}

/** Whether `msg.sig` is `signer`'s signature of it. */
export function verifySig(keySeed: string, signer: NodeId, msg: { sig: string }): boolean {
  return msg.sig === sign(keySeed, signer, msg);
}

/** The digest D(m) of a request or a state: SHA-256 of its canonical JSON (OSDI §3). */
export function digestOf(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex').slice(0, 16);
}
