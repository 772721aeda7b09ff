import { NodeId, StableHash, TraceEvent, canonicalJson } from '../core';

/**
 * The properties of ZAB (Junqueira, Reed & Serafini, DSN 2011, §III "Properties"), checked over
 * a trace. The checkers read the servers' annotations (plain data, so a saved trace works too):
 *
 *   'propose'  { zxid, value }          the primary of zxid.epoch broadcast ⟨value, zxid⟩
 *   'deliver'  { index, zxid, value }   a server delivered it as its index-th transaction (from 0)
 *   'rollback' { from, to, lost }       a server took back delivered transactions (never allowed)
 *   'established' { epoch }             a leader's epoch is established (for the liveness check)
 *
 * (lib/protocols/zab's ZabNode writes them.) A server's deliveries survive its crashes (they
 * are persisted), so its sequence carries over a restart. Safety properties:
 *
 * - Integrity: a delivered ⟨v, z⟩ was broadcast, with that value, by the primary of z's epoch.
 * - Total order: if some server delivers ⟨v, z⟩ before ⟨v', z'⟩, every server that delivers
 *   ⟨v', z'⟩ delivers ⟨v, z⟩ before it (so: at the same position, after the same transactions).
 * - Agreement: servers never deliver different transactions at the same position (one's
 *   deliveries are a prefix of the other's), and no server takes back a delivery.
 * - Local primary order: if a primary broadcasts ⟨v, z⟩ before ⟨v', z'⟩, a server that delivers
 *   ⟨v', z'⟩ delivered ⟨v, z⟩ before it (zxid counters of one epoch are delivered 1, 2, 3, ...).
 * - Global primary order: transactions of an older primary are delivered before a newer one's.
 * - Primary integrity: a primary delivered every transaction of an older epoch that anybody
 *   delivers before it broadcasts its own (a committed transaction survives into every later
 *   epoch: what recovery is for).
 *
 * And after recovery (faults healed, everything restarted): every server delivered every
 * transaction any server delivered (`zabDeliveredEverywhere`).
 */

/** The properties, in the order the checkers report them. */
export type ZabProperty = 'Integrity' | 'Total order' | 'Agreement' | 'Local primary order' | 'Global primary order' | 'Primary integrity';

/** A checker's verdict: ok, or the property that broke and a message saying where and when. */
export type ZabCheckResult = { ok: true } | { ok: false; property: ZabProperty | 'Delivered everywhere' | 'Election termination'; message: string };

interface Zxid {
  epoch: number;
  counter: number;
}

const PROPERTIES: ZabProperty[] = ['Integrity', 'Total order', 'Agreement', 'Local primary order', 'Global primary order', 'Primary integrity'];

/**
 * All six safety properties: ok, or the first broken one (in the order of ZabProperty).
 *
 * @example
 *   const r = checkZabSafety(sim.trace.events);
 *   if (!r.ok) console.log(r.message); // "Agreement broken: n2 delivered (2,1) put x [c1.4] as transaction #3 at 812 ms, but n3 delivered (1,3) ... as #3 at 640 ms"
 */
export function checkZabSafety(events: readonly TraceEvent[]): ZabCheckResult {
  const found = analyse(events);
  return found.length === 0 ? { ok: true } : found[0];
}

/** Every property's verdict. */
export function zabSafetyReport(events: readonly TraceEvent[]): Record<ZabProperty, ZabCheckResult> {
  const found = analyse(events);
  const out = {} as Record<ZabProperty, ZabCheckResult>;
  for (const p of PROPERTIES) out[p] = found.find((v) => v.property === p) ?? { ok: true };
  return out;
}

/** One server's delivered transactions, as the checker rebuilt them from the trace. */
export interface DeliveredTxn {
  zxid: Zxid;
  value: unknown;
  timeMs: number;
}

/** Every server's delivered sequence (over all its incarnations), rebuilt from the trace. */
export function zabDeliveries(events: readonly TraceEvent[]): Map<NodeId, DeliveredTxn[]> {
  const out = new Map<NodeId, DeliveredTxn[]>();
  for (const e of events) {
    if (e.kind !== 'annotate') continue;
    const d = (e.data ?? {}) as Record<string, any>;
    if (e.text === 'deliver') {
      const seq = out.get(e.node) ?? [];
      out.set(e.node, seq);
      seq[d.index as number] = { zxid: d.zxid, value: d.value, timeMs: e.timeMs };
    } else if (e.text === 'rollback') {
      const seq = out.get(e.node);
      if (seq) seq.length = Math.min(seq.length, d.to as number);
    }
  }
  return out;
}

/**
 * After recovery: every one of `servers` delivered exactly what the server that delivered most
 * delivered (ZAB's promise that a transaction committed anywhere is delivered everywhere once a
 * quorum is up and connected). Call it after healing and settling.
 *
 * @example
 *   zabDeliveredEverywhere(cluster.sim.trace.events, cluster.servers);
 *   // { ok: false, property: 'Delivered everywhere', message: 'Delivered everywhere broken: n3 delivered 4 transactions, n1 delivered 6; n3 lacks (2,1) put x [c1.5]' }
 */
export function zabDeliveredEverywhere(events: readonly TraceEvent[], servers: readonly NodeId[]): ZabCheckResult {
  const all = zabDeliveries(events);
  let most: NodeId | null = null;
  for (const s of servers) if (most === null || (all.get(s)?.length ?? 0) > (all.get(most)?.length ?? 0)) most = s;
  if (most === null) return { ok: true };
  const longest = all.get(most) ?? [];
  for (const s of servers) {
    const mine = all.get(s) ?? [];
    if (mine.length < longest.length) {
      const missing = longest[mine.length];
      return {
        ok: false,
        property: 'Delivered everywhere',
        message: `Delivered everywhere broken: ${s} delivered ${mine.length} transaction(s), but ${most} delivered ${longest.length}; ${s} lacks ${txnText(missing.zxid, missing.value)} (delivered by ${most} at ${ms(missing.timeMs)} ms)`,
      };
    }
  }
  return { ok: true };
}

/**
 * Liveness of fast leader election: some leader established an epoch between `fromMs` and
 * `byMs` (virtual ms), e.g. within a bound after a leader's crash.
 *
 * @example
 *   zabElectionTerminates(sim.trace.events, 2000); // { ok: true } with the reference vote rule
 */
export function zabElectionTerminates(events: readonly TraceEvent[], byMs: number, fromMs = 0): ZabCheckResult {
  const lastVotes = new Map<NodeId, string>();
  for (const e of events) {
    if (e.kind === 'annotate' && e.text === 'established' && e.timeMs <= byMs && e.timeMs >= fromMs) return { ok: true };
    if (e.kind === 'send' && e.timeMs <= byMs && (e.msg as { type?: string })?.type === 'NOTIFICATION') {
      const vote = (e.msg as { vote: { leader: string } }).vote;
      lastVotes.set(e.from, vote.leader);
    }
  }
  const votes = [...lastVotes].sort(([a], [b]) => (a < b ? -1 : 1)).map(([n, l]) => `${n} votes ${l}`).join(', ');
  return { ok: false, property: 'Election termination', message: `Election termination broken: no leader established an epoch ${fromMs > 0 ? `between ${ms(fromMs)} and ${ms(byMs)} ms` : `within ${ms(byMs)} ms`} (last votes: ${votes || 'none sent'})` };
}

interface Violation {
  ok: false;
  property: ZabProperty;
  message: string;
}

function analyse(events: readonly TraceEvent[]): Violation[] {
  const violations: Violation[] = [];
  const seen = new Set<ZabProperty>();
  const report = (property: ZabProperty, message: string) => {
    if (seen.has(property)) return;
    seen.add(property);
    violations.push({ ok: false, property, message: `${property} broken: ${message}` });
  };
  const proposals = new Map<string, { node: NodeId; value: string; timeMs: number }>();
  /** Per server: its deliveries by position (txn key, digest of the sequence up to it) and where each zxid sits. */
  const nodes = new Map<NodeId, { keys: string[]; digests: string[]; times: number[]; position: Map<string, number>; zxids: Set<string> }>();
  const byPosition = new Map<number, { key: string; node: NodeId; timeMs: number }>();
  const byTxn = new Map<string, { index: number; digest: string; node: NodeId; timeMs: number }>();
  /** For each epoch: its primary, when it first broadcast, and what it had delivered then. */
  const primaries = new Map<number, { node: NodeId; timeMs: number; zxid: Zxid; delivered: Set<string> }>();
  const deliveredOlder: { zxidKey: string; zxid: Zxid; value: unknown; node: NodeId; timeMs: number }[] = [];
  const texts = new Map<string, string>();

  const stateOf = (node: NodeId) => {
    let st = nodes.get(node);
    if (!st) nodes.set(node, (st = { keys: [], digests: [], times: [], position: new Map(), zxids: new Set() }));
    return st;
  };

  for (const e of events) {
    if (e.kind !== 'annotate') continue;
    const d = (e.data ?? {}) as Record<string, any>;
    if (e.text === 'propose') {
      const zxid = d.zxid as Zxid;
      const key = zkey(zxid);
      const value = canonicalJson(d.value);
      texts.set(key, txnText(zxid, d.value));
      const before = proposals.get(key);
      if (before && before.value !== value) {
        report('Integrity', `${before.node} (at ${ms(before.timeMs)} ms) and ${e.node} (at ${ms(e.timeMs)} ms) both broadcast a transaction ${fmt(zxid)}, with different values`);
      } else if (!before) proposals.set(key, { node: e.node, value, timeMs: e.timeMs });
      if (!primaries.has(zxid.epoch)) {
        const st = stateOf(e.node);
        primaries.set(zxid.epoch, { node: e.node, timeMs: e.timeMs, zxid, delivered: new Set(st.keys) });
      }
      continue;
    }
    if (e.text === 'rollback') {
      const st = stateOf(e.node);
      const to = d.to as number;
      const lost = st.keys.slice(to);
      report('Agreement', `${e.node} took back ${lost.length} delivered transaction(s) at ${ms(e.timeMs)} ms (${lost.slice(0, 3).map((k) => texts.get(k) ?? k).join(', ')}${lost.length > 3 ? ', ...' : ''})`);
      for (const k of lost) {
        st.position.delete(k);
        st.zxids.delete(k.slice(0, k.indexOf('=')));
      }
      st.keys.length = Math.min(st.keys.length, to);
      st.digests.length = Math.min(st.digests.length, to);
      st.times.length = Math.min(st.times.length, to);
      continue;
    }
    if (e.text !== 'deliver') continue;
    const zxid = d.zxid as Zxid;
    const key = `${zkey(zxid)}=${canonicalJson(d.value)}`;
    const index = d.index as number;
    const text = txnText(zxid, d.value);
    texts.set(key, text);
    const st = stateOf(e.node);

    // Integrity
    const proposal = proposals.get(zkey(zxid));
    if (!proposal) report('Integrity', `${e.node} delivered ${text} at ${ms(e.timeMs)} ms, but no primary broadcast ${fmt(zxid)}`);
    else if (proposal.value !== canonicalJson(d.value)) report('Integrity', `${e.node} delivered ${text} at ${ms(e.timeMs)} ms, but ${proposal.node} broadcast ${texts.get(zkey(zxid)) ?? fmt(zxid)}`);

    // A re-delivery at a position it already delivered (after a restart) must be the same transaction.
    if (index < st.keys.length) {
      if (st.keys[index] !== key) {
        report('Agreement', `${e.node} delivered ${texts.get(st.keys[index])} as transaction #${index} at ${ms(st.times[index])} ms, and ${text} as #${index} again at ${ms(e.timeMs)} ms`);
      }
      continue;
    }

    // Primary order on this server: zxids strictly increase; an epoch's counters come 1, 2, 3, ...
    const prevKey = index > 0 ? st.keys[index - 1] : undefined;
    if (prevKey !== undefined) {
      const prev = parseKey(prevKey);
      if (prev.epoch > zxid.epoch) {
        report('Global primary order', `${e.node} delivered ${text} at ${ms(e.timeMs)} ms after ${texts.get(prevKey)}, a transaction of a newer primary (epoch ${prev.epoch})`);
      } else if (prev.epoch === zxid.epoch && prev.counter >= zxid.counter) {
        report('Local primary order', `${e.node} delivered ${text} at ${ms(e.timeMs)} ms after ${texts.get(prevKey)}: primary ${zxid.epoch} broadcast them in the other order (or it is delivered twice)`);
      }
    }
    if (zxid.counter > 1) {
      const before = { epoch: zxid.epoch, counter: zxid.counter - 1 };
      if (!st.zxids.has(zkey(before))) {
        report('Local primary order', `${e.node} delivered ${text} at ${ms(e.timeMs)} ms without having delivered ${texts.get(zkey(before)) ?? fmt(before)}, which primary ${zxid.epoch} broadcast before it`);
      }
    }

    const digest = new StableHash().update(index > 0 ? st.digests[index - 1] : '0').update('|').update(key).digest();
    st.keys[index] = key;
    st.digests[index] = digest;
    st.times[index] = e.timeMs;
    st.position.set(key, index);
    st.zxids.add(zkey(zxid));

    // Agreement: one transaction per position, across servers.
    const other = byPosition.get(index);
    if (!other) byPosition.set(index, { key, node: e.node, timeMs: e.timeMs });
    else if (other.key !== key) {
      report('Agreement', `${other.node} delivered ${texts.get(other.key)} as transaction #${index} at ${ms(other.timeMs)} ms, but ${e.node} delivered ${text} as #${index} at ${ms(e.timeMs)} ms`);
    }
    // Total order: the same transaction after the same ones, everywhere.
    const where = byTxn.get(key);
    if (!where) byTxn.set(key, { index, digest, node: e.node, timeMs: e.timeMs });
    else if (where.index !== index || where.digest !== digest) {
      report(
        'Total order',
        `${where.node} delivered ${text} as transaction #${where.index} (at ${ms(where.timeMs)} ms), but ${e.node} delivered it as #${index} (at ${ms(e.timeMs)} ms)` +
          (where.index === index ? ' after different transactions' : ''),
      );
    }
    deliveredOlder.push({ zxidKey: zkey(zxid), zxid, value: d.value, node: e.node, timeMs: e.timeMs });
  }

  // Primary integrity, over the whole run: every primary had delivered every older-epoch transaction anybody delivers.
  for (const [epoch, p] of [...primaries].sort((a, b) => a[0] - b[0])) {
    const had = new Set([...p.delivered].map((k) => k.slice(0, k.indexOf('='))));
    const missing = deliveredOlder.find((x) => x.zxid.epoch < epoch && !had.has(x.zxidKey));
    if (missing) {
      report(
        'Primary integrity',
        `${missing.node} delivered ${txnText(missing.zxid, missing.value)} at ${ms(missing.timeMs)} ms, but ${p.node}, primary of epoch ${epoch}, broadcast ${texts.get(zkey(p.zxid)) ?? fmt(p.zxid)} at ${ms(p.timeMs)} ms without having delivered it`,
      );
      break;
    }
  }
  const order = (v: Violation) => PROPERTIES.indexOf(v.property);
  return violations.sort((a, b) => order(a) - order(b));
}

function zkey(z: Zxid): string {
  return `${z.epoch}.${z.counter}`;
}

function parseKey(key: string): Zxid {
  const [epoch, counter] = key.slice(0, key.indexOf('=')).split('.').map(Number);
  return { epoch, counter };
}

function fmt(z: Zxid): string {
  return `(${z.epoch},${z.counter})`;
}

/** "(2,1) put x [c1.4]": a transaction in a message. */
export function txnText(zxid: Zxid, value: unknown): string {
  if (value && typeof value === 'object' && 'op' in (value as object)) {
    const w = value as { op: string; key: string; value: string };
    return `${fmt(zxid)} ${w.op} ${w.key} ${w.value}`;
  }
  return `${fmt(zxid)} ${typeof value === 'string' ? value : canonicalJson(value)}`;
}

function ms(timeMs: number): string {
  return String(Math.round(timeMs * 1000) / 1000);
}
