/**
 * The cases of `npm run bench`, each run in a child process by scripts/bench.ts.
 */
import { EventQueue, Simulator } from '../lib/sim';
import { PingNode } from '../lib/protocols/ping';
import { TwoPhaseCoordinator, TwoPhaseParticipant, referenceRules, spacedTransactions } from '../lib/protocols/twophase';
import { multiPaxosCluster } from '../lib/protocols/multipaxos';
import { raftCluster } from '../lib/protocols/raft';
import { gossipCluster } from '../lib/protocols/gossip';
import { zabCluster } from '../lib/protocols/zab';

export interface BenchResult {
  medianEventsPerSec: number;
  peakRssMb: number;
  note?: string;
  /** The bare-queue case to compare with. */
  queueBaseline?: string;
  /** For cases that also count units of work (e.g. commands decided): their median rate per second of wall time. */
  medianUnitsPerSec?: number;
  unitsLabel?: string;
}

interface BenchCase {
  name: string;
  /** Sets the case up (not timed) and returns the timed part, which returns the events processed (and units of work done, if the case counts them). */
  prepare(events: number): () => number | { events: number; units: number };
  queueBaseline?: string;
  note?: string;
  /** What `units` counts, e.g. 'commands decided'. */
  unitsLabel?: string;
}

/** Ping pairs: half the nodes ping the other half, each pinger with one ping in flight. */
function pingCase(nodes: number): BenchCase {
  return {
    name: `ping, ${nodes.toLocaleString('en-US')} nodes`,
    queueBaseline: `bare queue, ${(nodes / 2).toLocaleString('en-US')} pending`,
    note: 'trace off, messages copied',
    prepare(events) {
      const sim = new Simulator({ seed: 1, recordTrace: false, network: { latency: { kind: 'uniform', minMs: 1, maxMs: 2 } } });
      for (let i = 0; i < nodes / 2; i++) sim.addNode(`p${i}`, () => new PingNode(`q${i}`, 0));
      for (let i = 0; i < nodes / 2; i++) sim.addNode(`q${i}`, () => new PingNode(null));
      sim.run({ untilMs: 0 }); // start every node: the first pings are in flight
      return () => runBudget(sim, events);
    },
  };
}

/**
 * Two-phase commit on `nodes` nodes: groups of 10 (one coordinator and 9 participants), each
 * group running its own transactions back to back (a new one every 20 ms of virtual time),
 * all groups in one simulation on a 1-5 ms network. About 45 events per transaction.
 */
function twoPhaseCase(nodes: number): BenchCase {
  const groupSize = 10;
  const groups = Math.max(1, Math.floor(nodes / groupSize));
  return {
    name: `2PC, ${nodes.toLocaleString('en-US')} nodes`,
    note: `${groups.toLocaleString('en-US')} group(s) of 1 coordinator + 9 participants, trace off`,
    prepare(events) {
      const perGroup = Math.ceil(events / (40 * groups)) + 2;
      const sim = new Simulator({ seed: 1, recordTrace: false });
      for (let g = 0; g < groups; g++) {
        const participants = Array.from({ length: groupSize - 1 }, (_, i) => `g${g}p${i + 1}`);
        const transactions = spacedTransactions(perGroup, 20).map((t) => ({ ...t, txn: `g${g}${t.txn}`, participants }));
        const rules = referenceRules;
        sim.addNode(`g${g}c`, () => new TwoPhaseCoordinator({ participants, transactions, voteTimeoutMs: 50, retryMs: 20, rules }));
        for (const p of participants) {
          sim.addNode(p, () => new TwoPhaseParticipant({ vote: () => 'yes', transactions, prepareTimeoutMs: 200, decisionTimeoutMs: 100, retryMs: 20, cooperative: true, rules }));
        }
      }
      sim.run({ untilMs: 0 });
      return () => runBudget(sim, events);
    },
  };
}

/**
 * Multi-Paxos on `servers` servers with a stable leader (n1) and `clients` closed-loop clients
 * talking to it, each with one put outstanding at a time, on a 1-5 ms network, trace off.
 * Besides events per second it reports commands decided (slots applied by the leader) per
 * second of wall time. About 17 events per command at 5 servers.
 */
function multiPaxosCase(servers: number, clients: number): BenchCase {
  return {
    name: `Multi-Paxos, ${servers} servers`,
    note: `${clients} closed-loop clients, trace off`,
    unitsLabel: 'commands decided',
    prepare(events) {
      const perClient = Math.ceil(events / (10 * clients)) + 10;
      const workload = Array.from({ length: clients }, (_, i) => ({
        commands: Array.from({ length: perClient }, (_, k) => ({ op: 'put' as const, key: `k${i}`, value: `${k}` })),
        firstServer: 'n1',
        startAtMs: 10,
      }));
      const cluster = multiPaxosCluster({ seed: 1, servers, firstLeader: 'n1', workload, recordTrace: false });
      cluster.sim.run({ untilMs: 10 }); // n1 has won phase 1
      const decided = () => cluster.server('n1')?.firstUndecided ?? 0;
      return () => {
        const before = decided();
        const processed = runBudget(cluster.sim, events);
        return { events: processed, units: decided() - before };
      };
    },
  };
}

/**
 * Raft: 5 servers (snapshots every 100 entries) and `clients` key-value clients that run
 * operations back to back, on a 1-5 ms network, trace off.
 */
function raftCase(clients: number): BenchCase {
  return {
    name: `Raft, 5 servers, ${clients} kv clients`,
    note: 'snapshots every 100 entries, trace off',
    unitsLabel: 'kv operations completed',
    prepare(events) {
      const c = raftCluster({ seed: 1, servers: 5, kvClients: clients, snapshotThreshold: 100, kvClientOptions: { operations: Number.MAX_SAFE_INTEGER, thinkMs: 1 }, recordTrace: false });
      c.run(500); // a leader is elected
      const completed = () => c.sim.history.filter((h) => h.type === 'ok').length;
      return () => {
        const before = completed();
        const processed = runBudget(c.sim, events);
        return { events: processed, units: completed() - before };
      };
    },
  };
}

/**
 * Gossip to full dissemination: `nodes` nodes running push-pull anti-entropy every 10 ms on a
 * constant 1 ms network, one update from n1, until every node knows it (15 rounds at 100,000
 * nodes, seed 1). The event budget is ignored: the case runs to full dissemination; its wall
 * time is events / (events per second). Units: nodes informed.
 */
function gossipCase(nodes: number): BenchCase {
  return {
    name: `gossip, ${nodes.toLocaleString('en-US')} nodes`,
    note: 'push-pull anti-entropy until all know, trace off',
    unitsLabel: 'nodes informed',
    prepare() {
      const c = gossipCluster({ seed: 1, n: nodes, antiEntropy: { mode: 'push-pull' } });
      return () => {
        const before = c.sim.eventCount;
        const r = c.spread();
        if (r.roundsToAll === null) throw new Error('gossip bench: not everyone informed');
        return { events: c.sim.eventCount - before, units: nodes };
      };
    },
  };
}

/**
 * ZAB: 5 servers and `clients` clients running writes, sync reads and local reads back to back
 * on a 1-5 ms FIFO network, trace off.
 */
function zabCase(clients: number): BenchCase {
  return {
    name: `ZAB, 5 servers, ${clients} clients`,
    note: 'writes, sync reads and local reads; FIFO sessions; trace off',
    unitsLabel: 'client operations completed',
    prepare(events) {
      const c = zabCluster({ seed: 1, servers: 5, clients, clientOptions: { operations: Number.MAX_SAFE_INTEGER, thinkMs: 1 }, recordTrace: false });
      c.run(500); // an epoch is established
      const completed = () => c.sim.history.filter((h) => h.type === 'ok').length;
      return () => {
        const before = completed();
        const processed = runBudget(c.sim, events);
        return { events: processed, units: completed() - before };
      };
    },
  };
}

/**
 * The event queue alone: pop the earliest event and push a new one (a fresh object, as the
 * simulator allocates one per message) a little later. No network, no nodes, no trace.
 */
function queueCase(pending: number): BenchCase {
  return {
    name: `bare queue, ${pending.toLocaleString('en-US')} pending`,
    prepare(events) {
      const queue = new EventQueue<{ to: number; seq: number }>();
      for (let i = 0; i < pending; i++) queue.push(i, { to: i, seq: 0 });
      return () => {
        for (let k = 0; k < events; k++) {
          const now = queue.peekTime();
          const event = queue.pop() as { to: number; seq: number };
          queue.push(now + 1000 + (k % 1000), { to: event.to, seq: event.seq + 1 });
        }
        return events;
      };
    },
  };
}

function runBudget(sim: Simulator, events: number): number {
  const before = sim.eventCount;
  try {
    sim.run({ maxEvents: events });
  } catch {
    // the budget is the point: stop after exactly `events`
  }
  return sim.eventCount - before;
}

export const BENCH_CASES: BenchCase[] = [queueCase(5), pingCase(10), queueCase(5000), pingCase(10_000), twoPhaseCase(10), twoPhaseCase(10_000), multiPaxosCase(5, 10), raftCase(10), zabCase(10), gossipCase(100_000)];

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

if (require.main === module) {
  const argv = process.argv.slice(2);
  const name = argv[argv.indexOf('--case') + 1];
  const events = Number(argv[argv.indexOf('--events') + 1]);
  const repeat = Number(argv[argv.indexOf('--repeat') + 1]);
  const benchCase = BENCH_CASES.find((c) => c.name === name);
  if (!benchCase) throw new Error(`unknown bench case ${name}`);
  const rates: number[] = [];
  const unitRates: number[] = [];
  for (let i = 0; i < repeat; i++) {
    const timed = benchCase.prepare(events);
    (global as { gc?: () => void }).gc?.();
    const started = process.hrtime.bigint();
    const outcome = timed();
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const processed = typeof outcome === 'number' ? outcome : outcome.events;
    rates.push(processed / seconds);
    if (typeof outcome !== 'number') unitRates.push(outcome.units / seconds);
  }
  const result: BenchResult = {
    medianEventsPerSec: median(rates),
    peakRssMb: process.resourceUsage().maxRSS / 1024,
    note: benchCase.note,
    queueBaseline: benchCase.queueBaseline,
    ...(unitRates.length > 0 ? { medianUnitsPerSec: median(unitRates), unitsLabel: benchCase.unitsLabel ?? 'units' } : {}),
  };
  (process as { send?: (m: unknown) => void }).send?.(result);
}
