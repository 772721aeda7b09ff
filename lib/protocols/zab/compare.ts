import { AnnotateEvent, ConfigError, NodeId, TraceEvent, requireInteger, requireNumberInRange } from '../../core';
import { LatencyModel } from '../../sim';
import { raftCluster } from '../raft/cluster';
import { zabCluster } from './cluster';

/** Options of `zabVsRaft`. Times are virtual milliseconds. */
export interface ZabVsRaftOptions {
  seed?: number | string;
  /** Servers of each ensemble. Default 5. */
  servers?: number;
  /** A write is handed to the current leader every this long (while there is none, writes wait). Default 10. */
  writeEveryMs?: number;
  /** How many times the current leader is crashed (and restarted `downMs` later). Default 4. */
  crashes?: number;
  /** The first crash, and the time between crashes. Default 1000 and 1500. */
  firstCrashMs?: number;
  crashEveryMs?: number;
  downMs?: number;
  /** The one-way latency of every link. Default uniform 1-5 ms. */
  latency?: LatencyModel;
  /**
   * Failure detection, the same for both: Raft's heartbeat and ZAB's PING every `heartbeatMs`;
   * Raft's election timeout uniform in [timeoutMs, 2 timeoutMs], ZAB's follower timeout (syncLimit) `timeoutMs`.
   * Default 50 and 150.
   */
  heartbeatMs?: number;
  timeoutMs?: number;
}

/** One leader crash: when, whom, and how long until the next write was committed (null: none before the next crash). */
export interface RecoveryRow {
  protocol: 'ZAB' | 'Raft';
  crash: number;
  crashedLeader: NodeId;
  crashAtMs: number;
  recoveryMs: number | null;
}

/** Messages per committed write, all server-to-server messages counted (elections, heartbeats and re-sends included). */
export interface MessageRow {
  protocol: 'ZAB' | 'Raft';
  /** Before the first crash (steady state). */
  steadyMessagesPerWrite: number;
  /** Over the whole run, crashes and recoveries included. */
  messagesPerWrite: number;
  writesCommitted: number;
}

/** The comparison, as rows a chart can plot directly. */
export interface ZabVsRaftResult {
  recovery: RecoveryRow[];
  messages: MessageRow[];
  /** One row per (protocol, metric[, crash]): { protocol, metric: 'recovery ms' | 'messages per write' | 'steady messages per write', crash, value }. */
  rows: { protocol: 'ZAB' | 'Raft'; metric: string; crash: number | null; value: number | null }[];
  summary: string;
}

/**
 * ZAB next to Raft: the same workload and the same crashes on both (an open-loop stream of
 * writes handed to whoever leads; at fixed times the current leader crashes and restarts
 * later), with comparable failure detection (ZAB's PING period and follower timeout set to
 * Raft's heartbeat and minimum election timeout). Measures, per crash, the recovery time from
 * the leader's crash to the next write committed by the new leader, and the server-to-server
 * messages per committed write.
 *
 * What to expect: ZAB's failure detection is a fixed timeout, then fast leader election (a few
 * notification rounds and finalizeWait), then discovery and synchronization (FOLLOWERINFO,
 * LEADERINFO, ACKEPOCH, DIFF, NEWLEADER, ACK: about three round trips) before the first commit;
 * Raft's is a randomized timeout, one RequestVote round trip, then the no-op's round trip. A ZAB
 * write costs PROPOSAL, ACK and COMMIT to each follower (3(n-1)); Raft's AppendEntries and reply
 * (2(n-1)), the commit index riding on the next AppendEntries.
 *
 * @example
 *   const r = zabVsRaft({ seed: 1 });
 *   r.rows; // [{ protocol: 'ZAB', metric: 'recovery ms', crash: 1, value: 187.4 }, ...]
 */
export function zabVsRaft(options: ZabVsRaftOptions = {}): ZabVsRaftResult {
  if (!options || typeof options !== 'object') throw new ConfigError('options', 'an object', options);
  const known = ['seed', 'servers', 'writeEveryMs', 'crashes', 'firstCrashMs', 'crashEveryMs', 'downMs', 'latency', 'heartbeatMs', 'timeoutMs'];
  for (const key of Object.keys(options)) if (!known.includes(key)) throw new ConfigError(key, `one of the options (${known.join(', ')})`, key);
  const seed = options.seed ?? 1;
  const servers = requireInteger('servers', options.servers ?? 5, 3);
  const writeEveryMs = requireNumberInRange('writeEveryMs', options.writeEveryMs ?? 10, 0.1, Infinity);
  const crashes = requireInteger('crashes', options.crashes ?? 4, 0);
  const firstCrashMs = requireNumberInRange('firstCrashMs', options.firstCrashMs ?? 1000, 1, Infinity);
  const crashEveryMs = requireNumberInRange('crashEveryMs', options.crashEveryMs ?? 1500, 1, Infinity);
  const downMs = requireNumberInRange('downMs', options.downMs ?? 500, 1, crashEveryMs);
  const heartbeatMs = requireNumberInRange('heartbeatMs', options.heartbeatMs ?? 50, 0.1, Infinity);
  const timeoutMs = requireNumberInRange('timeoutMs', options.timeoutMs ?? 150, heartbeatMs * 1.5, Infinity);
  const latency = options.latency ?? { kind: 'uniform', minMs: 1, maxMs: 5 };
  const endMs = firstCrashMs + crashes * crashEveryMs + 500;
  const crashTimes = Array.from({ length: crashes }, (_, i) => firstCrashMs + i * crashEveryMs);

  // ZAB
  const zab = zabCluster({
    seed, servers, clients: 1, network: { latency }, tickMs: heartbeatMs, followerTimeoutMs: timeoutMs, initLimitMs: 2 * timeoutMs,
    retransmitMs: 3 * heartbeatMs, electionTickMs: heartbeatMs,
  });
  let zabSeq = 0;
  const zabCrashes: { at: number; leader: NodeId }[] = [];
  drive(zab.sim, writeEveryMs, endMs, crashTimes, downMs, () => zab.leader(), (leader) => {
    zabSeq++;
    zab.sim.inject(leader, { type: 'CLIENT_REQUEST', requestId: `c1:${zabSeq}`, client: 'c1', seq: zabSeq, operation: { op: 'put', key: 'x', value: `w${zabSeq}` } });
  }, zabCrashes);
  zab.run(endMs);

  // Raft
  const raft = raftCluster({ seed, servers, network: { latency }, heartbeatIntervalMs: heartbeatMs, electionTimeoutMsMin: timeoutMs, electionTimeoutMsMax: 2 * timeoutMs });
  let raftSeq = 0;
  const raftCrashes: { at: number; leader: NodeId }[] = [];
  drive(raft.sim, writeEveryMs, endMs, crashTimes, downMs, () => raft.leader(), (leader) => raft.start(leader, `w${++raftSeq}`), raftCrashes);
  raft.run(endMs);

  const zabEvents = zab.sim.trace.events;
  const raftEvents = raft.sim.trace.events;
  const recovery: RecoveryRow[] = [
    ...zabCrashes.map((c, i) => ({ protocol: 'ZAB' as const, crash: i + 1, crashedLeader: c.leader, crashAtMs: c.at, recoveryMs: recoveredAt(zabEvents, c.at, 'established', (e) => e.text === 'deliver', crashTimes[i + 1] ?? endMs) })),
    ...raftCrashes.map((c, i) => ({
      protocol: 'Raft' as const, crash: i + 1, crashedLeader: c.leader, crashAtMs: c.at,
      recoveryMs: recoveredAt(raftEvents, c.at, 'leader', (e) => e.text === 'applied' && (e.data as { command: { type: string } }).command.type === 'command', crashTimes[i + 1] ?? endMs),
    })),
  ];
  const zabWrites = (until: number) => countDistinct(zabEvents, until, (e) => (e.text === 'deliver' ? `${JSON.stringify((e.data as { zxid: unknown }).zxid)}` : null));
  const raftWrites = (until: number) => countDistinct(raftEvents, until, (e) => (e.text === 'applied' && (e.data as { command: { type: string } }).command.type === 'command' ? String((e.data as { index: number }).index) : null));
  const serverSends = (events: readonly TraceEvent[], until: number, isServer: (id: NodeId) => boolean) => events.filter((e) => e.kind === 'send' && e.timeMs <= until && isServer(e.from) && isServer(e.to)).length;
  const zabServer = (id: NodeId) => zab.servers.includes(id);
  const raftServer = (id: NodeId) => raft.servers.includes(id);
  const steadyUntil = crashTimes[0] ?? endMs;
  const per = (m: number, w: number) => (w > 0 ? round(m / w) : 0);
  const messages: MessageRow[] = [
    { protocol: 'ZAB', steadyMessagesPerWrite: per(serverSends(zabEvents, steadyUntil, zabServer), zabWrites(steadyUntil)), messagesPerWrite: per(serverSends(zabEvents, endMs, zabServer), zabWrites(endMs)), writesCommitted: zabWrites(endMs) },
    { protocol: 'Raft', steadyMessagesPerWrite: per(serverSends(raftEvents, steadyUntil, raftServer), raftWrites(steadyUntil)), messagesPerWrite: per(serverSends(raftEvents, endMs, raftServer), raftWrites(endMs)), writesCommitted: raftWrites(endMs) },
  ];
  const rows: ZabVsRaftResult['rows'] = [
    ...recovery.map((r) => ({ protocol: r.protocol, metric: 'recovery ms', crash: r.crash, value: r.recoveryMs })),
    ...messages.flatMap((m) => [
      { protocol: m.protocol, metric: 'steady messages per write', crash: null, value: m.steadyMessagesPerWrite },
      { protocol: m.protocol, metric: 'messages per write', crash: null, value: m.messagesPerWrite },
    ]),
  ];
  const mean = (p: 'ZAB' | 'Raft') => {
    const xs = recovery.filter((r) => r.protocol === p && r.recoveryMs !== null).map((r) => r.recoveryMs as number);
    return xs.length ? round(xs.reduce((a, b) => a + b, 0) / xs.length) : null;
  };
  const summary = `${servers} servers, a write every ${writeEveryMs} ms, ${crashes} leader crashes: mean recovery ZAB ${mean('ZAB')} ms, Raft ${mean('Raft')} ms; ` +
    `steady messages per write ZAB ${messages[0].steadyMessagesPerWrite}, Raft ${messages[1].steadyMessagesPerWrite}`;
  return { recovery, messages, rows, summary };
}

/** Hands a write to the leader every `everyMs` (queued while there is none) and crashes the leader at the given times. */
function drive(
  sim: import('../../sim').Simulator,
  everyMs: number,
  endMs: number,
  crashTimes: number[],
  downMs: number,
  leader: () => NodeId | null,
  submit: (leader: NodeId) => void,
  crashes: { at: number; leader: NodeId }[],
): void {
  let waiting = 0;
  for (let t = everyMs; t < endMs; t += everyMs) {
    sim.at(t, () => {
      waiting++;
      const l = leader();
      if (l === null) return;
      for (; waiting > 0; waiting--) submit(l);
    }, 'write');
  }
  for (const at of crashTimes) {
    sim.at(at, () => {
      const l = leader();
      if (l === null || !sim.isUp(l)) return;
      crashes.push({ at, leader: l });
      sim.crash(l);
      sim.after(downMs, () => sim.restart(l), 'restart');
    }, 'crash the leader');
  }
}

/** When, after `crashAtMs`, a server that became leader after the crash (annotation `leaderText`) first did `committed` (null if not before `untilMs`). */
function recoveredAt(events: readonly TraceEvent[], crashAtMs: number, leaderText: string, committed: (e: AnnotateEvent) => boolean, untilMs: number): number | null {
  const leaders = new Map<NodeId, number>();
  for (const e of events) {
    if (e.timeMs < crashAtMs) continue;
    if (e.timeMs > untilMs) break;
    if (e.kind !== 'annotate') continue;
    if (e.text === leaderText && !leaders.has(e.node)) leaders.set(e.node, e.timeMs);
    if (leaders.has(e.node) && committed(e)) return round(e.timeMs - crashAtMs);
  }
  return null;
}

function countDistinct(events: readonly TraceEvent[], until: number, key: (e: AnnotateEvent) => string | null): number {
  const seen = new Set<string>();
  for (const e of events) {
    if (e.timeMs > until) break;
    if (e.kind !== 'annotate') continue;
    const k = key(e);
    if (k !== null) seen.add(k);
  }
  return seen.size;
}

function round(x: number): number {
  return Math.round(x * 10) / 10;
}
