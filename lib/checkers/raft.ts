import { NodeId, StableHash, TraceEvent, canonicalJson } from '../core';

/**
 * The five safety properties of Raft (Ongaro & Ousterhout 2014, Figure 3, proved in §5.4),
 * checked over a trace. The checkers read the servers' annotations (plain data, so a saved
 * trace works too), rebuild every server's log from them, and report the first violation with
 * the nodes, terms, indexes and times involved:
 *
 *   'leader'             { term }                       a server became leader of `term`
 *   'log-append'         { index, entries, role }       entries appended from `index` on
 *   'log-truncate'       { index, role, term }          entries from `index` on deleted
 *   'snapshot-installed' { index, term, from }          the log's prefix replaced by `from`'s snapshot
 *   'commit'             { term, index }                a leader advanced its commitIndex
 *   'applied'            { index, term, command }       a server applied an entry to its state machine
 *
 * (lib/protocols/raft's RaftNode writes them.) A server's log survives its crashes (it is
 * persisted), so a rebuilt log carries over a restart.
 */

/** A checker's verdict: ok, or the property that broke and a message saying where and when. */
export type RaftCheckResult = { ok: true } | { ok: false; property: RaftProperty; message: string };

/** Figure 3's properties. */
export type RaftProperty = 'Election Safety' | 'Leader Append-Only' | 'Log Matching' | 'Leader Completeness' | 'State Machine Safety';

/** Election Safety: at most one leader can be elected in a given term (§5.2). */
export function electionSafety(events: readonly TraceEvent[]): RaftCheckResult {
  return analyse(events).find('Election Safety');
}

/** Leader Append-Only: a leader never overwrites or deletes entries in its log; it only appends (§5.3). */
export function leaderAppendOnly(events: readonly TraceEvent[]): RaftCheckResult {
  return analyse(events).find('Leader Append-Only');
}

/** Log Matching: if two logs contain an entry with the same index and term, the logs are identical up through that index (§5.3). */
export function logMatching(events: readonly TraceEvent[]): RaftCheckResult {
  return analyse(events).find('Log Matching');
}

/** Leader Completeness: an entry committed in a term is present in the logs of the leaders of all higher terms (§5.4). */
export function leaderCompleteness(events: readonly TraceEvent[]): RaftCheckResult {
  return analyse(events).find('Leader Completeness');
}

/** State Machine Safety: no two servers apply different entries at the same index (§5.4.3). */
export function stateMachineSafety(events: readonly TraceEvent[]): RaftCheckResult {
  return analyse(events).find('State Machine Safety');
}

/**
 * All five properties: ok, or the first broken one in Figure 3 order.
 *
 * @example
 *   const r = checkRaftSafety(sim.trace.events);
 *   if (!r.ok) console.log(r.message); // "Election Safety broken: n1 (at 312 ms) and n3 (at 315 ms) both became leader of term 2"
 */
export function checkRaftSafety(events: readonly TraceEvent[]): RaftCheckResult {
  const found = analyse(events).violations;
  return found.length === 0 ? { ok: true } : found[0];
}

/** Every property's verdict, in Figure 3's order. */
export function raftSafetyReport(events: readonly TraceEvent[]): Record<RaftProperty, RaftCheckResult> {
  const a = analyse(events);
  const out = {} as Record<RaftProperty, RaftCheckResult>;
  for (const p of PROPERTIES) out[p] = a.find(p);
  return out;
}

const PROPERTIES: RaftProperty[] = ['Election Safety', 'Leader Append-Only', 'Log Matching', 'Leader Completeness', 'State Machine Safety'];

interface Violation {
  ok: false;
  property: RaftProperty;
  message: string;
}

/** A rebuilt log: for each index (1-based; slot 0 is the empty prefix), the entry's term and a digest of the log up to it. */
interface RebuiltLog {
  terms: number[];
  digests: string[];
}

interface Analysis {
  violations: Violation[];
  find(property: RaftProperty): RaftCheckResult;
}

function analyse(events: readonly TraceEvent[]): Analysis {
  const violations: Violation[] = [];
  const seen = new Set<RaftProperty>();
  const report = (property: RaftProperty, message: string) => {
    if (seen.has(property)) return;
    seen.add(property);
    violations.push({ ok: false, property, message: `${property} broken: ${message}` });
  };
  const logs = new Map<NodeId, RebuiltLog>();
  const logOf = (node: NodeId) => {
    let log = logs.get(node);
    if (!log) logs.set(node, (log = { terms: [0], digests: ['0'] }));
    return log;
  };
  const leaders = new Map<number, { node: NodeId; timeMs: number }>();
  const elections: { node: NodeId; term: number; timeMs: number; log: RebuiltLog }[] = [];
  const commits = new Map<string, { node: NodeId; term: number; index: number; timeMs: number; entryTerm: number; digest: string }>();
  const holders = new Map<string, { node: NodeId; digest: string; timeMs: number }>();
  const applied = new Map<number, { node: NodeId; term: number; command: string; timeMs: number }>();

  const append = (node: NodeId, log: RebuiltLog, index: number, term: number, entryJson: string, timeMs: number) => {
    log.terms.length = index;
    log.digests.length = index;
    const digest = new StableHash().update(log.digests[index - 1] ?? '?').update('|').update(entryJson).digest();
    log.terms.push(term);
    log.digests.push(digest);
    const key = `${index}:${term}`;
    const other = holders.get(key);
    if (!other) holders.set(key, { node, digest, timeMs });
    else if (other.digest !== digest) {
      const a = logs.get(other.node);
      const firstDiff = a ? firstDifference(a, log, index) : undefined;
      report(
        'Log Matching',
        `${other.node} (at ${ms(other.timeMs)} ms) and ${node} (at ${ms(timeMs)} ms) both hold an entry of term ${term} at index ${index}, ` +
          `but their logs differ up to it${firstDiff !== undefined ? ` (first at index ${firstDiff}: term ${a?.terms[firstDiff] ?? '-'} vs ${log.terms[firstDiff] ?? '-'})` : ''}`,
      );
    }
  };

  for (const e of events) {
    if (e.kind !== 'annotate') continue;
    const data = (e.data ?? {}) as Record<string, any>;
    switch (e.text) {
      case 'leader': {
        const term = data.term as number;
        const before = leaders.get(term);
        if (before && before.node !== e.node) {
          report('Election Safety', `${before.node} (at ${ms(before.timeMs)} ms) and ${e.node} (at ${ms(e.timeMs)} ms) both became leader of term ${term}`);
        } else if (!before) leaders.set(term, { node: e.node, timeMs: e.timeMs });
        const log = logOf(e.node);
        elections.push({ node: e.node, term, timeMs: e.timeMs, log: { terms: log.terms.slice(), digests: log.digests.slice() } });
        break;
      }
      case 'log-append': {
        const log = logOf(e.node);
        const entries = (data.entries ?? []) as { term: number }[];
        entries.forEach((entry, i) => append(e.node, log, (data.index as number) + i, entry.term, canonicalJson(entry), e.timeMs));
        break;
      }
      case 'log-truncate': {
        const log = logOf(e.node);
        const index = data.index as number;
        if (data.role === 'leader') {
          report('Leader Append-Only', `${e.node}, leader of term ${data.term}, deleted its entries from index ${index} on (its last index was ${log.terms.length - 1}) at ${ms(e.timeMs)} ms`);
        }
        log.terms.length = Math.min(log.terms.length, index);
        log.digests.length = Math.min(log.digests.length, index);
        break;
      }
      case 'snapshot-installed': {
        const log = logOf(e.node);
        const index = data.index as number;
        const source = logs.get(data.from as NodeId);
        if (source && source.terms.length > index && source.terms[index] === data.term) {
          const suffixOk = log.terms.length > index && log.digests[index] === source.digests[index];
          if (!suffixOk || !data.kept) {
            log.terms = source.terms.slice(0, index + 1);
            log.digests = source.digests.slice(0, index + 1);
          }
        } else {
          // The sender's log no longer shows that prefix: mark it unknown (digests that match nothing).
          log.terms = Array.from({ length: index + 1 }, (_, i) => (i === index ? (data.term as number) : 0));
          log.digests = Array.from({ length: index + 1 }, (_, i) => (i === 0 ? '0' : `unknown:${e.node}:${e.timeMs}:${i}`));
        }
        break;
      }
      case 'commit': {
        const log = logOf(e.node);
        const index = data.index as number;
        const key = `${data.term}:${e.node}`;
        const before = commits.get(key);
        if ((!before || before.index < index) && log.terms.length > index) {
          commits.set(key, { node: e.node, term: data.term as number, index, timeMs: e.timeMs, entryTerm: log.terms[index], digest: log.digests[index] });
        }
        break;
      }
      case 'applied': {
        const index = data.index as number;
        const command = canonicalJson(data.command);
        const before = applied.get(index);
        if (!before) applied.set(index, { node: e.node, term: data.term as number, command, timeMs: e.timeMs });
        else if (before.command !== command || before.term !== data.term) {
          report(
            'State Machine Safety',
            `${before.node} applied ${before.command} (term ${before.term}) at index ${index} at ${ms(before.timeMs)} ms, ` +
              `but ${e.node} applied ${command} (term ${data.term}) at index ${index} at ${ms(e.timeMs)} ms`,
          );
        }
        break;
      }
      default:
        break;
    }
  }

  // Leader Completeness, over the whole run: a commit in term T against every leader of a term above T.
  for (const c of commits.values()) {
    for (const l of elections) {
      if (l.term <= c.term) continue;
      if (l.log.digests[c.index] !== c.digest) {
        const has = l.log.terms.length > c.index ? `term ${l.log.terms[c.index]} at index ${c.index}` : `only ${l.log.terms.length - 1} entries`;
        report(
          'Leader Completeness',
          `${c.node} committed up to index ${c.index} (an entry of term ${c.entryTerm}) in term ${c.term} at ${ms(c.timeMs)} ms, ` +
            `but ${l.node} became leader of term ${l.term} at ${ms(l.timeMs)} ms without it (its log had ${has})`,
        );
        break;
      }
    }
  }
  const order = (v: Violation) => PROPERTIES.indexOf(v.property);
  violations.sort((a, b) => order(a) - order(b));
  return {
    violations,
    find: (property) => violations.find((v) => v.property === property) ?? { ok: true },
  };
}

function firstDifference(a: RebuiltLog, b: RebuiltLog, upTo: number): number | undefined {
  for (let i = 1; i <= upTo; i++) if (a.digests[i] !== b.digests[i]) return i;
  return undefined;
}

function ms(timeMs: number): string {
  return String(Math.round(timeMs * 1000) / 1000);
}
