import { ZabCheckResult } from '../../checkers/zab';
import { NodeId, TraceEvent } from '../../core';
import { MultiAcceptorState, acceptOneSlot, prepareAllSlots } from '../multipaxos/acceptor';
import { Ballot, PaxosValue } from '../paxos/messages';
import { referencePaxosRules } from '../paxos/rules';
import { ZabCluster, zabCluster } from './cluster';

/** Whether each primary's broadcasts were delivered in its order, without gaps (Zab §III, local primary order). */
export interface PrimaryOrderVerdict {
  ok: boolean;
  message: string;
}

/**
 * Local primary order on one delivered sequence: for each primary's broadcasts, in the order it
 * made them, a delivered one must come after all that primary broadcast before it.
 *
 * @example
 *   primaryOrderHolds(['Z', 'Y'], [{ primary: 'L1', broadcasts: ['X', 'Y'] }]);
 *   // { ok: false, message: "Y (L1's 2nd broadcast) is delivered without X, which L1 broadcast before it" }
 */
export function primaryOrderHolds(delivered: readonly string[], primaries: readonly { primary: string; broadcasts: readonly string[] }[]): PrimaryOrderVerdict {
  for (const p of primaries) {
    for (let j = 1; j < p.broadcasts.length; j++) {
      const at = delivered.indexOf(p.broadcasts[j]);
      if (at < 0) continue;
      for (let i = 0; i < j; i++) {
        const before = delivered.indexOf(p.broadcasts[i]);
        if (before < 0 || before > at) {
          return { ok: false, message: `${p.broadcasts[j]} (${p.primary}'s broadcast #${j + 1}) is delivered ${before < 0 ? 'without' : 'before'} ${p.broadcasts[i]}, which ${p.primary} broadcast before it` };
        }
      }
    }
  }
  return { ok: true, message: 'every primary\'s broadcasts are delivered in its order, without gaps' };
}

/** The Multi-Paxos side of `primaryOrderScenario`: per-slot Paxos instances, step by step. */
export interface PerSlotPaxosRun {
  /** What each step did, in words. */
  steps: string[];
  /** The chosen value of each slot, from the first slot. */
  slots: { slot: number; value: PaxosValue | null }[];
  /** The sequence a replica applies. */
  outcome: PaxosValue[];
  primaryOrder: PrimaryOrderVerdict;
}

/** The ZAB side: the same broadcasts and the same losses on a ZAB ensemble. */
export interface ZabPrimaryOrderRun {
  cluster: ZabCluster;
  steps: string[];
  /** The labels every server finally delivered, in order. */
  outcome: string[];
  primaryOrder: PrimaryOrderVerdict;
  /** The trace checker's verdicts on the run (lib/checkers/zab.ts). */
  safety: ZabCheckResult;
}

/** Both runs. */
export interface PrimaryOrderScenarioResult {
  paxos: PerSlotPaxosRun;
  zab: ZabPrimaryOrderRun;
  summary: string;
}

/**
 * Why ZAB exists (Junqueira et al., DSN 2011, §I and §III-B; Medeiros §2): a primary computes
 * each state change from the state the previous ones produced, so its changes must be applied in
 * the order it broadcast them, with none missing. Independent Paxos instances per slot do not
 * promise that. A primary L1 broadcasts X in slot 100, then Y in slot 101; X's Accepts are lost
 * except on L1's own acceptor, Y's reach a majority, and L1 crashes. The next leader L2 runs
 * phase 1 for all slots from 100: nothing was accepted in slot 100 by its quorum, so it may put
 * its own client's command Z there, and slot 101 must keep Y. Replicas apply Z, Y: Y without the
 * X it was computed on. ZAB, with the same broadcasts and the same losses, never delivers Y
 * without X: on the FIFO session Y waits for X, nobody holds it when L1 crashes, and the next
 * epoch goes on with Z alone (and X, Y are truncated from the old primary's history).
 *
 * The Multi-Paxos side is a minimal per-slot model, three acceptors run with the acceptor
 * functions of lib/protocols/multipaxos (`prepareAllSlots`, `acceptOneSlot`: one promise for
 * all slots, one accepted proposal per slot) and the reference Basic Paxos rules, driven step by
 * step (no simulator: the interleaving is the point). lib/protocols/multipaxos's own leader
 * fills a free slot with a no-op instead of a new command, which gives `noop, Y`: the same
 * break of primary order, with Z = no-op.
 *
 * @example
 *   const r = primaryOrderScenario(1);
 *   r.paxos.outcome; // ['Z', 'Y']
 *   r.zab.outcome;   // ['Z']
 *   r.paxos.primaryOrder.ok, r.zab.primaryOrder.ok; // false, true
 */
export function primaryOrderScenario(seed: number | string = 1): PrimaryOrderScenarioResult {
  const paxos = perSlotPaxos();
  const zab = zabSide(seed);
  return {
    paxos,
    zab,
    summary: `per-slot Paxos applies ${paxos.outcome.join(', ')} (${paxos.primaryOrder.ok ? 'primary order holds' : `primary order broken: ${paxos.primaryOrder.message}`}); ZAB delivers ${zab.outcome.join(', ') || 'nothing'} (${zab.primaryOrder.ok ? 'primary order holds' : zab.primaryOrder.message})`,
  };
}

function perSlotPaxos(): PerSlotPaxosRun {
  const rules = referencePaxosRules;
  const acceptors: Record<NodeId, MultiAcceptorState> = { a1: { promised: null, accepted: {} }, a2: { promised: null, accepted: {} }, a3: { promised: null, accepted: {} } };
  const steps: string[] = [];
  const prepare = (ballot: Ballot, fromSlot: number, quorum: NodeId[]) =>
    quorum.map((a) => {
      const out = prepareAllSlots(acceptors[a], ballot, fromSlot, rules);
      acceptors[a] = { ...acceptors[a], promised: out.promised };
      return { acceptor: a, report: out.reply === 'promise' ? out.report : [] };
    });
  const accept = (ballot: Ballot, slot: number, value: PaxosValue, reach: NodeId[]) => {
    const ok: NodeId[] = [];
    for (const a of reach) {
      const out = acceptOneSlot(acceptors[a], slot, { ballot, value }, rules);
      acceptors[a] = { promised: out.promised, accepted: out.accepted ? { ...acceptors[a].accepted, [slot]: out.accepted } : acceptors[a].accepted };
      if (out.reply === 'accepted') ok.push(a);
    }
    return ok;
  };
  const chosen: Record<number, PaxosValue> = {};
  const b1: Ballot = { round: 1, node: 'L1' };
  prepare(b1, 100, ['a1', 'a2', 'a3']);
  steps.push('L1 (ballot 1.L1) runs phase 1 for every slot from 100: a1, a2, a3 promise.');
  const x = accept(b1, 100, 'X', ['a1']);
  steps.push(`L1 broadcasts X in slot 100: the Accepts to a2 and a3 are lost; accepted by ${x.join(', ')} (no majority).`);
  const y = accept(b1, 101, 'Y', ['a1', 'a2']);
  if (y.length >= 2) chosen[101] = 'Y';
  steps.push(`L1 broadcasts Y in slot 101: accepted by ${y.join(', ')}, a majority: Y is chosen in slot 101. L1 crashes.`);
  const b2: Ballot = { round: 2, node: 'L2' };
  const promises = prepare(b2, 100, ['a2', 'a3']);
  steps.push(`L2 (ballot 2.L2) runs phase 1 from slot 100 with a2, a3: they report ${promises.map((p) => `${p.acceptor}: ${p.report.map((r) => `slot ${r.slot} = ${r.value}`).join(', ') || 'nothing'}`).join('; ')}.`);
  for (const [slot, own] of [[100, 'Z'], [101, 'Z']] as [number, PaxosValue][]) {
    const reports = promises.map((p) => {
      const r = p.report.find((x) => x.slot === slot);
      return r ? { ballot: r.ballot, value: r.value } : null;
    });
    const value = rules.chooseValue(reports, own);
    const ok = accept(b2, slot, value, ['a2', 'a3']);
    if (ok.length >= 2) chosen[slot] = value;
    steps.push(`Slot ${slot}: ${reports.some((r) => r !== null) ? `a reported value binds L2: it proposes ${value}` : `nothing reported: L2 may propose anything, and proposes its client's command ${value}`}; chosen.`);
  }
  const slots = [100, 101].map((slot) => ({ slot, value: chosen[slot] ?? null }));
  const outcome = slots.map((s) => s.value).filter((v): v is PaxosValue => v !== null);
  steps.push(`Replicas apply slot 100, then 101: ${outcome.join(', ')}.`);
  return { steps, slots, outcome, primaryOrder: primaryOrderHolds(outcome, [{ primary: 'L1', broadcasts: ['X', 'Y'] }, { primary: 'L2', broadcasts: ['Z'] }]) };
}

function zabSide(seed: number | string): ZabPrimaryOrderRun {
  const c = zabCluster({ seed, servers: 3, clients: 2, clientOptions: { retryMs: 100_000 }, network: { latency: { kind: 'uniform', minMs: 1, maxMs: 2 } } });
  const steps: string[] = [];
  c.runUntil(() => c.leader() !== null && c.caughtUp(), 2000);
  const l1 = c.leader() ?? 'n3';
  const [f1, f2] = c.servers.filter((id) => id !== l1);
  const has = (id: NodeId, label: string) => c.node(id)?.state.history.some((t) => typeof t.value !== 'string' && t.value.value === label) ?? false;
  c.sim.configureLink(l1, f1, { dropRate: 1 });
  c.sim.configureLink(l1, f2, { dropRate: 1 });
  c.submit('c1', { op: 'append', key: 'log', value: 'X' }, l1);
  c.runUntil(() => has(l1, 'X'), c.sim.now() + 50);
  steps.push(`${l1} (primary of epoch 1) broadcasts X: the PROPOSALs to ${f1} and ${f2} are lost.`);
  c.sim.configureLink(l1, f2, { dropRate: 0 });
  const sentAt = c.sim.trace.events.length;
  c.submit('c2', { op: 'append', key: 'log', value: 'Y' }, l1);
  const arrived = () => c.sim.trace.events.slice(sentAt).some((e) => e.kind === 'deliver' && e.to === f2 && (e.msg as { type?: string; txn?: { value: { value?: string } } }).type === 'PROPOSAL' && (e.msg as { txn: { value: { value?: string } } }).txn.value.value === 'Y');
  c.runUntil(arrived, c.sim.now() + 50);
  steps.push(`${l1} broadcasts Y: its PROPOSAL reaches ${f2}, which ${has(f2, 'Y') ? 'logs it' : 'holds it back: the session\'s next message is X, still missing (FIFO)'}. ${l1} crashes before re-sending X.`);
  c.sim.crash(l1);
  c.sim.configureLink(l1, f1, { dropRate: 0 });
  c.runUntil(() => c.leader() !== null, c.sim.now() + 2000);
  const l2 = c.leader();
  steps.push(`${l2 ?? 'nobody'} leads epoch 2 with a history holding ${['X', 'Y'].filter((v) => l2 !== null && has(l2, v)).join(', ') || 'neither X nor Y'}.`);
  if (l2 !== null) {
    // Z comes from a third client session (c1's seq 100): c1 and c2 still wait for X and Y, which never complete.
    c.sim.inject(l2, { type: 'CLIENT_REQUEST', requestId: 'c1:100', client: 'c1', seq: 100, operation: { op: 'append', key: 'log', value: 'Z' } });
    c.runUntil(() => c.node(l2)?.state.history.some((t) => typeof t.value !== 'string' && t.value.value === 'Z') === true && c.caughtUp(), c.sim.now() + 500);
    steps.push(`${l2} broadcasts its client's command Z.`);
  }
  c.sim.restart(l1);
  c.runUntil(() => c.caughtUp(), c.sim.now() + 2000);
  steps.push(`${l1} restarts and is synchronized: its X and Y are truncated.`);
  const n = c.node(f2);
  const outcome = n ? n.state.history.slice(0, n.state.committed).map((t) => (typeof t.value === 'string' ? t.value : t.value.value)) : [];
  return { cluster: c, steps, outcome, primaryOrder: primaryOrderHolds(outcome, [{ primary: l1, broadcasts: ['X', 'Y'] }, { primary: l2 ?? 'L2', broadcasts: ['Z'] }]), safety: c.safety() };
}

/** The labels delivered by `node` in a ZAB trace (for notebooks that replay a saved trace). */
export function deliveredLabels(events: readonly TraceEvent[], node: NodeId): string[] {
  const out: string[] = [];
  for (const e of events) {
    if (e.kind === 'annotate' && e.text === 'deliver' && e.node === node) {
      const v = (e.data as { value: unknown }).value;
      out[(e.data as { index: number }).index] = typeof v === 'string' ? v : (v as { value: string }).value;
    }
  }
  return out;
}
